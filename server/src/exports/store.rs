//! SQL for data exports (`data_exports`). Every function takes the tenant id, except the
//! install-wide scans of the background pass.

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportRow {
    pub tenant_id: String,
    pub id: String,
    pub user_id: String,
    pub requested_by: String,
    pub status: String,
    pub progress: i64,
    pub attempts: i64,
    pub counts: String,
    pub items: i64,
    pub files: i64,
    pub blob_key: Option<String>,
    pub key_version: i64,
    pub size_bytes: i64,
    pub sha256: String,
    pub error: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub ready_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub link_by: Option<String>,
    pub link_expires_at: Option<i64>,
    pub downloads: i64,
}

const COLUMNS: &str = "tenant_id, id, user_id, requested_by, status, progress, attempts, counts, \
                       items, files, blob_key, key_version, size_bytes, sha256, error, created_at, \
                       started_at, ready_at, expires_at, link_by, link_expires_at, downloads";

pub async fn insert(conn: &mut AnyConnection, r: &ExportRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into data_exports (tenant_id, id, user_id, requested_by, status, created_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&r.tenant_id)
    .bind(&r.id)
    .bind(&r.user_id)
    .bind(&r.requested_by)
    .bind(&r.status)
    .bind(r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ExportRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from data_exports where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A person's exports, newest first.
pub async fn of_user(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    limit: i64,
) -> Result<Vec<ExportRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from data_exports where tenant_id = $1 and user_id = $2
         order by created_at desc, id desc limit $3"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The person's export in the making (queued or running), if any.
pub async fn live_of_user(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Option<ExportRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from data_exports where tenant_id = $1 and user_id = $2
           and status in ('queued', 'running')"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

/// How many exports of a person were asked for since `since`, and the oldest of them.
pub async fn asked_since(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    since: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    sqlx::query_as(
        "select count(*), min(created_at) from data_exports
         where tenant_id = $1 and user_id = $2 and created_at > $3",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(since)
    .fetch_one(conn)
    .await
}

/// Delete every export of a person (account erasure): rows deleted, the blob keys of their
/// archives.
pub async fn delete_of_user(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<(u64, Vec<String>), sqlx::Error> {
    let keys: Vec<Option<String>> = sqlx::query_scalar(
        "select blob_key from data_exports where tenant_id = $1 and user_id = $2",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    let rows = sqlx::query("delete from data_exports where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected();
    Ok((rows, keys.into_iter().flatten().collect()))
}

/// The export a download link's token (its SHA-256) opens, while the link works.
pub async fn by_link(
    conn: &mut AnyConnection,
    id: &str,
    link_hash: &str,
    now: i64,
) -> Result<Option<ExportRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from data_exports where id = $1 and link_hash = $2
           and link_expires_at > $3"
    ))
    .bind(id)
    .bind(link_hash)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Mark a build started (another attempt); false when the export is no longer queued or
/// running.
pub async fn start(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "update data_exports set status = 'running', progress = 0, attempts = attempts + 1,
             started_at = $1
         where tenant_id = $2 and id = $3 and status in ('queued', 'running')",
    )
    .bind(now)
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn set_progress(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    progress: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update data_exports set progress = $1 where tenant_id = $2 and id = $3
           and status = 'running'",
    )
    .bind(progress)
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a finished build produced.
pub struct Ready<'a> {
    pub counts: &'a str,
    pub items: i64,
    pub files: i64,
    pub blob_key: &'a str,
    pub key_version: i64,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub ready_at: i64,
    pub expires_at: i64,
}

/// Record the archive; false when the export is no longer running (then the caller drops
/// the blob it stored).
pub async fn ready(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    r: &Ready<'_>,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "update data_exports set status = 'ready', progress = 100, counts = $1, items = $2,
             files = $3, blob_key = $4, key_version = $5, size_bytes = $6, sha256 = $7,
             ready_at = $8, expires_at = $9, error = ''
         where tenant_id = $10 and id = $11 and status = 'running'",
    )
    .bind(r.counts)
    .bind(r.items)
    .bind(r.files)
    .bind(r.blob_key)
    .bind(r.key_version)
    .bind(r.size_bytes)
    .bind(r.sha256)
    .bind(r.ready_at)
    .bind(r.expires_at)
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn fail(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    error: &str,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "update data_exports set status = 'failed', error = $1
         where tenant_id = $2 and id = $3 and status in ('queued', 'running')",
    )
    .bind(error)
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Put a build that failed back in the queue for the background pass to retry.
pub async fn requeue(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update data_exports set status = 'queued', progress = 0, error = $1
         where tenant_id = $2 and id = $3 and status = 'running'",
    )
    .bind(error)
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Mark a ready export expired and forget its archive and link; the archive's blob key, or
/// `None` when it was not ready any more.
pub async fn expire(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let key: Option<Option<String>> = sqlx::query_scalar(
        "select blob_key from data_exports where tenant_id = $1 and id = $2 and status = 'ready'",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(key) = key else {
        return Ok(None);
    };
    sqlx::query(
        "update data_exports set status = 'expired', blob_key = null, link_hash = null,
             link_by = null, link_expires_at = null
         where tenant_id = $1 and id = $2 and status = 'ready'",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(Some(key.unwrap_or_default()))
}

/// Set a new download link (replacing the previous one).
pub async fn set_link(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    link_hash: &str,
    by: &str,
    expires_at: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "update data_exports set link_hash = $1, link_by = $2, link_expires_at = $3
         where tenant_id = $4 and id = $5 and status = 'ready'",
    )
    .bind(link_hash)
    .bind(by)
    .bind(expires_at)
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn count_download(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update data_exports set downloads = downloads + 1 where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Exports in the making, across tenants (tenant id, id), oldest first: the background pass
/// takes over those whose build holds no lease.
pub async fn unfinished(conn: &mut AnyConnection) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select tenant_id, id from data_exports where status in ('queued', 'running')
         order by created_at limit 100",
    )
    .fetch_all(conn)
    .await
}

/// Ready exports whose time is up, across tenants (tenant id, id).
pub async fn due_to_expire(
    conn: &mut AnyConnection,
    now: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select tenant_id, id from data_exports where status = 'ready' and expires_at <= $1
         order by expires_at limit 500",
    )
    .bind(now)
    .fetch_all(conn)
    .await
}

/// Which of these blob keys an export's archive uses (the orphan sweep keeps them).
pub async fn referenced_blobs(
    conn: &mut AnyConnection,
    keys: &[String],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    crate::db::blob_keys::named_in(conn, "data_exports", keys).await
}

/// A page of the blob keys export archives use, in key order after `after` (backups check them).
pub async fn named_blobs<'a>(
    conn: &'a mut AnyConnection,
    after: &'a str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    crate::db::blob_keys::named_after(conn, "data_exports", after, limit).await
}
