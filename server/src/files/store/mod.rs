//! SQL for files, extracted texts and storage accounting. Every function takes the tenant id.

mod usage;

use sqlx::AnyConnection;
pub use usage::*;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FileRow {
    pub tenant_id: String,
    pub id: String,
    pub uploader_id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub blob_key: String,
    pub key_version: i64,
    pub idempotency_key: Option<String>,
    pub extract_status: String,
    pub extract_error: Option<String>,
    /// `none` (no thumbnail wanted), `pending`, `done` or `failed` (with `preview_error`).
    pub preview_status: String,
    pub preview_error: Option<String>,
    pub created_at: i64,
    /// `user` (a plain upload) or `document` (content of document versions).
    pub scope: String,
}

pub const SCOPE_USER: &str = "user";
pub const SCOPE_DOCUMENT: &str = "document";

const COLUMNS: &str = "tenant_id, id, uploader_id, name, content_type, size, sha256, blob_key, \
                       key_version, idempotency_key, extract_status, extract_error, created_at, scope, \
                       preview_status, preview_error";

pub async fn insert(conn: &mut AnyConnection, f: &FileRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "insert into files ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    ))
    .bind(&f.tenant_id)
    .bind(&f.id)
    .bind(&f.uploader_id)
    .bind(&f.name)
    .bind(&f.content_type)
    .bind(f.size)
    .bind(&f.sha256)
    .bind(&f.blob_key)
    .bind(f.key_version)
    .bind(&f.idempotency_key)
    .bind(&f.extract_status)
    .bind(&f.extract_error)
    .bind(f.created_at)
    .bind(&f.scope)
    .bind(&f.preview_status)
    .bind(&f.preview_error)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<FileRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from files where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn by_idempotency_key(
    conn: &mut AnyConnection,
    tenant_id: &str,
    uploader_id: &str,
    key: &str,
) -> Result<Option<FileRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from files where tenant_id = $1 and uploader_id = $2 and idempotency_key = $3"
    ))
    .bind(tenant_id)
    .bind(uploader_id)
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// A page of one uploader's files, newest first, before the id `before`.
pub async fn list_by_uploader(
    conn: &mut AnyConnection,
    tenant_id: &str,
    uploader_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<FileRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from files where tenant_id = $1 and uploader_id = $2
         and scope = 'user' and ($3 is null or id < $3) order by id desc limit $4"
    ))
    .bind(tenant_id)
    .bind(uploader_id)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A page of a tenant's files in id order, after `after` (for reindexing).
pub async fn page_all(
    conn: &mut AnyConnection,
    tenant_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<FileRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from files where tenant_id = $1 and id > $2 order by id limit $3"
    ))
    .bind(tenant_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query("delete from file_texts where tenant_id = $1 and file_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from file_previews where tenant_id = $1 and file_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(
        sqlx::query("delete from files where tenant_id = $1 and id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

pub async fn set_extracted(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    status: &str,
    error: Option<&str>,
    text: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update files set extract_status = $1, extract_error = $2 where tenant_id = $3 and id = $4",
    )
    .bind(status)
    .bind(error)
    .bind(tenant_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("delete from file_texts where tenant_id = $1 and file_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if let Some(text) = text {
        sqlx::query("insert into file_texts (tenant_id, file_id, body) values ($1, $2, $3)")
            .bind(tenant_id)
            .bind(id)
            .bind(text)
            .execute(conn)
            .await?;
    }
    Ok(())
}

pub async fn set_content_type(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    content_type: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update files set content_type = $1 where tenant_id = $2 and id = $3")
        .bind(content_type)
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn text(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select body from file_texts where tenant_id = $1 and file_id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Sizes of these files (those that exist), by id.
pub async fn sizes(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "select id, size from files where tenant_id = $1 and id in ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query_as::<_, (String, i64)>(&sql).bind(tenant_id);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// Bytes stored per uploader, largest first.
pub async fn usage_by_user(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select uploader_id, count(*), cast(coalesce(sum(size), 0) as bigint) from files where tenant_id = $1
         group by uploader_id order by 3 desc limit 1000",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

pub async fn set_preview(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
    content_type: &str,
    data: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from file_previews where tenant_id = $1 and file_id = $2")
        .bind(tenant_id)
        .bind(file_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into file_previews (tenant_id, file_id, content_type, data, created_at)
         select $1, $2, $3, $4, $5 where exists (select 1 from files where tenant_id = $1 and id = $2)",
    )
    .bind(tenant_id)
    .bind(file_id)
    .bind(content_type)
    .bind(data.to_vec())
    .bind(crate::db::now_ms())
    .execute(&mut *conn)
    .await?;
    set_preview_status(conn, tenant_id, file_id, "done", None).await
}

/// Record how making a file's thumbnail went (`failed` with the reason).
pub async fn set_preview_status(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
    status: &str,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update files set preview_status = $1, preview_error = $2 where tenant_id = $3 and id = $4",
    )
    .bind(status)
    .bind(error)
    .bind(tenant_id)
    .bind(file_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A file's preview: (content type, bytes).
pub async fn preview(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "select content_type, data from file_previews where tenant_id = $1 and file_id = $2",
    )
    .bind(tenant_id)
    .bind(file_id)
    .fetch_optional(conn)
    .await
}

/// Which of these blob keys a file row references (the orphan sweep asks).
pub async fn referenced_blobs(
    conn: &mut AnyConnection,
    keys: &[String],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    crate::db::blob_keys::named_in(conn, "files", keys).await
}

/// A page of the blob keys file rows name, in key order after `after` (backups check them).
pub async fn named_blobs<'a>(
    conn: &'a mut AnyConnection,
    after: &'a str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    crate::db::blob_keys::named_after(conn, "files", after, limit).await
}

/// Whether the file `id` (aliased `f`) meets `condition`: a fixed SQL fragment from the
/// lifecycle class (never input).
pub async fn matches(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    condition: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(&format!(
        "select count(*) from files f where f.tenant_id = $1 and f.id = $2 and ({condition})"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// How many of the person's uploads match a condition over `files f` (a fixed fragment,
/// never input), and their bytes.
pub async fn uploads_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    uploader_id: &str,
    condition: &str,
) -> Result<(u64, u64), sqlx::Error> {
    let (n, bytes): (i64, i64) = sqlx::query_as(&format!(
        "select count(*), cast(coalesce(sum(f.size), 0) as bigint) from files f
         where f.tenant_id = $1 and f.uploader_id = $2 and ({condition})"
    ))
    .bind(tenant_id)
    .bind(uploader_id)
    .fetch_one(conn)
    .await?;
    Ok((
        u64::try_from(n).unwrap_or(0),
        u64::try_from(bytes).unwrap_or(0),
    ))
}

/// A person's uploads matching a condition over `files f` (a fixed fragment, never input).
pub async fn uploads_where(
    conn: &mut AnyConnection,
    tenant_id: &str,
    uploader_id: &str,
    condition: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select f.id from files f where f.tenant_id = $1 and f.uploader_id = $2 and ({condition})
         order by f.id"
    ))
    .bind(tenant_id)
    .bind(uploader_id)
    .fetch_all(conn)
    .await
}
