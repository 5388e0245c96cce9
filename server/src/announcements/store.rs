//! The announcements' SQL, over their own tables only. Every function takes the tenant id.

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnnouncementRow {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub author_id: String,
    pub pinned: i64,
    pub ack_required: i64,
    pub ack_due_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub version: i64,
    pub published_at: i64,
    pub edited_at: Option<i64>,
    pub reminded_at: Option<i64>,
    pub updated_at: i64,
}

/// An announcement with the reader's own receipt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    #[sqlx(flatten)]
    pub a: AnnouncementRow,
    pub read_at: Option<i64>,
    pub acked_at: Option<i64>,
    pub acked_version: Option<i64>,
    pub dismissed_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReceiptRow {
    pub user_id: String,
    pub read_at: Option<i64>,
    pub acked_at: Option<i64>,
    pub acked_version: Option<i64>,
    pub dismissed_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub version: i64,
    pub title: String,
    pub body: String,
    pub editor_id: String,
    pub created_at: i64,
}

const COLUMNS: &str = "a.id, a.kind, a.title, a.body, a.author_id, a.pinned, a.ack_required, \
    a.ack_due_at, a.expires_at, a.version, a.published_at, a.edited_at, a.reminded_at, \
    a.updated_at";

fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    a: &AnnouncementRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into announcements (tenant_id, id, kind, title, body, author_id, pinned,
             ack_required, ack_due_at, expires_at, version, published_at, edited_at, reminded_at,
             updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(tenant_id)
    .bind(&a.id)
    .bind(&a.kind)
    .bind(&a.title)
    .bind(&a.body)
    .bind(&a.author_id)
    .bind(a.pinned)
    .bind(a.ack_required)
    .bind(a.ack_due_at)
    .bind(a.expires_at)
    .bind(a.version)
    .bind(a.published_at)
    .bind(a.edited_at)
    .bind(a.reminded_at)
    .bind(a.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Write back what an edit may change.
pub async fn update(
    conn: &mut AnyConnection,
    tenant_id: &str,
    a: &AnnouncementRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update announcements set title = $1, body = $2, pinned = $3, ack_required = $4,
             ack_due_at = $5, expires_at = $6, version = $7, edited_at = $8, updated_at = $9
         where tenant_id = $10 and id = $11",
    )
    .bind(&a.title)
    .bind(&a.body)
    .bind(a.pinned)
    .bind(a.ack_required)
    .bind(a.ack_due_at)
    .bind(a.expires_at)
    .bind(a.version)
    .bind(a.edited_at)
    .bind(a.updated_at)
    .bind(tenant_id)
    .bind(&a.id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<AnnouncementRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from announcements a where a.tenant_id = $1 and a.id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The announcement, locked for an edit (PostgreSQL; SQLite's writer lock is held already).
pub async fn get_for_update(
    conn: &mut AnyConnection,
    backend: crate::db::Backend,
    tenant_id: &str,
    id: &str,
) -> Result<Option<AnnouncementRow>, sqlx::Error> {
    let lock = if backend == crate::db::Backend::Postgres {
        " for update"
    } else {
        ""
    };
    sqlx::query_as(&format!(
        "select {COLUMNS} from announcements a where a.tenant_id = $1 and a.id = $2{lock}"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Remove an announcement and everything hanging off it; rows removed.
pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    let mut n = 0;
    for table in [
        "announcement_receipts",
        "announcement_attachments",
        "announcement_versions",
        "announcement_audience",
    ] {
        n += sqlx::query(&format!(
            "delete from {table} where tenant_id = $1 and announcement_id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    n += sqlx::query("delete from announcements where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n)
}

pub async fn insert_tokens(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    tokens: &[String],
) -> Result<(), sqlx::Error> {
    for t in tokens {
        sqlx::query(
            "insert into announcement_audience (tenant_id, announcement_id, token)
             values ($1, $2, $3) on conflict do nothing",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(t)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The audience tokens of some announcements, as (announcement, token).
pub async fn tokens(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select announcement_id, token from announcement_audience
         where tenant_id = $1 and announcement_id in ({}) order by announcement_id, token",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query_as(&sql).bind(tenant_id);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(conn).await
}

pub async fn insert_version(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    v: &VersionRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into announcement_versions (tenant_id, announcement_id, version, title, body,
             editor_id, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(v.version)
    .bind(&v.title)
    .bind(&v.body)
    .bind(&v.editor_id)
    .bind(v.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every version of the text, newest first.
pub async fn versions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as(
        "select version, title, body, editor_id, created_at from announcement_versions
         where tenant_id = $1 and announcement_id = $2 order by version desc",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(conn)
    .await
}

/// Replace an announcement's attachments.
pub async fn set_attachments(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    file_ids: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "delete from announcement_attachments where tenant_id = $1 and announcement_id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    for (i, f) in file_ids.iter().enumerate() {
        sqlx::query(
            "insert into announcement_attachments (tenant_id, announcement_id, file_id, position)
             values ($1, $2, $3, $4)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(f)
        .bind(i as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The attachments of some announcements, as (announcement, file), in order.
pub async fn attachments(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select announcement_id, file_id from announcement_attachments
         where tenant_id = $1 and announcement_id in ({}) order by announcement_id, position",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query_as(&sql).bind(tenant_id);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(conn).await
}

/// Where a page of a reader's list starts after: (pinned, published_at, id).
pub type After = (i64, i64, String);

/// What a list shows.
pub struct PageQuery<'a> {
    pub user_id: &'a str,
    /// The audience tokens the reader matches; `None`: every announcement (publishers).
    pub tokens: Option<&'a [String]>,
    /// Announcements that expired before this instant are left out (`None`: kept).
    pub now: Option<i64>,
    pub include_dismissed: bool,
    pub after: Option<After>,
    pub limit: i64,
}

/// A page of announcements with the reader's receipts: pinned first, then newest first.
pub async fn page(
    conn: &mut AnyConnection,
    tenant_id: &str,
    q: &PageQuery<'_>,
) -> Result<Vec<ListRow>, sqlx::Error> {
    let mut sql = format!(
        "select {COLUMNS}, r.read_at, r.acked_at, r.acked_version, r.dismissed_at
         from announcements a
         left join announcement_receipts r on r.tenant_id = a.tenant_id
             and r.announcement_id = a.id and r.user_id = $2
         where a.tenant_id = $1
           and ($3 = 0 or a.expires_at is null or a.expires_at > $4)
           and ($5 = 1 or r.dismissed_at is null)
           and ($6 = 0 or a.pinned < $7 or (a.pinned = $7 and (a.published_at < $8
                or (a.published_at = $8 and a.id < $9))))"
    );
    if let Some(tokens) = q.tokens {
        if tokens.is_empty() {
            return Ok(Vec::new());
        }
        sql.push_str(&format!(
            " and exists (select 1 from announcement_audience t where t.tenant_id = a.tenant_id
                  and t.announcement_id = a.id and t.token in ({}))",
            placeholders(11, tokens.len())
        ));
    }
    sql.push_str(" order by a.pinned desc, a.published_at desc, a.id desc limit $10");
    let (after_pinned, after_at, after_id) = q.after.clone().unwrap_or((0, 0, String::new()));
    let mut query = sqlx::query_as(&sql)
        .bind(tenant_id)
        .bind(q.user_id)
        .bind(i64::from(q.now.is_some()))
        .bind(q.now.unwrap_or(0))
        .bind(i64::from(q.include_dismissed))
        .bind(i64::from(q.after.is_some()))
        .bind(after_pinned)
        .bind(after_at)
        .bind(after_id)
        .bind(q.limit);
    for t in q.tokens.unwrap_or(&[]) {
        query = query.bind(t);
    }
    query.fetch_all(conn).await
}

/// Whether an announcement is for one of these tokens.
pub async fn addressed_to(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    tokens: &[String],
) -> Result<bool, sqlx::Error> {
    if tokens.is_empty() {
        return Ok(false);
    }
    let sql = format!(
        "select count(*) from announcement_audience
         where tenant_id = $1 and announcement_id = $2 and token in ({})",
        placeholders(3, tokens.len())
    );
    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(tenant_id).bind(id);
    for t in tokens {
        q = q.bind(t);
    }
    Ok(q.fetch_one(conn).await? > 0)
}

pub async fn receipt(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    user_id: &str,
) -> Result<Option<ReceiptRow>, sqlx::Error> {
    sqlx::query_as(
        "select user_id, read_at, acked_at, acked_version, dismissed_at from announcement_receipts
         where tenant_id = $1 and announcement_id = $2 and user_id = $3",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

/// Every receipt of an announcement.
pub async fn receipts(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Vec<ReceiptRow>, sqlx::Error> {
    sqlx::query_as(
        "select user_id, read_at, acked_at, acked_version, dismissed_at from announcement_receipts
         where tenant_id = $1 and announcement_id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(conn)
    .await
}

/// Record a receipt: read (first time kept), acknowledged (of `version`), dismissed. `None`
/// leaves a field as it is.
pub async fn upsert_receipt(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    user_id: &str,
    read_at: i64,
    acked: Option<(i64, i64)>,
    dismissed_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into announcement_receipts (tenant_id, announcement_id, user_id, read_at,
             acked_at, acked_version, dismissed_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (tenant_id, announcement_id, user_id) do update set
             read_at = coalesce(announcement_receipts.read_at, excluded.read_at),
             acked_at = coalesce(excluded.acked_at, announcement_receipts.acked_at),
             acked_version = coalesce(excluded.acked_version, announcement_receipts.acked_version),
             dismissed_at = coalesce(excluded.dismissed_at, announcement_receipts.dismissed_at)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(user_id)
    .bind(read_at)
    .bind(acked.map(|a| a.0))
    .bind(acked.map(|a| a.1))
    .bind(dismissed_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Take the reminder slot: set `reminded_at` when the last reminder was before `before` (or
/// none was sent). False when another reminder holds it.
pub async fn take_reminder(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
    before: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update announcements set reminded_at = $1
         where tenant_id = $2 and id = $3 and (reminded_at is null or reminded_at <= $4)",
    )
    .bind(now)
    .bind(tenant_id)
    .bind(id)
    .bind(before)
    .execute(conn)
    .await?
    .rows_affected()
        > 0)
}

/// Whether a file is attached to an announcement that is live and for one of `tokens`.
pub async fn file_visible(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
    tokens: &[String],
    now: i64,
) -> Result<bool, sqlx::Error> {
    if tokens.is_empty() {
        return Ok(false);
    }
    let sql = format!(
        "select count(*) from announcement_attachments f
         join announcements a on a.tenant_id = f.tenant_id and a.id = f.announcement_id
         where f.tenant_id = $1 and f.file_id = $2
           and (a.expires_at is null or a.expires_at > $3)
           and exists (select 1 from announcement_audience t where t.tenant_id = a.tenant_id
                and t.announcement_id = a.id and t.token in ({}))",
        placeholders(4, tokens.len())
    );
    let mut q = sqlx::query_scalar::<_, i64>(&sql)
        .bind(tenant_id)
        .bind(file_id)
        .bind(now);
    for t in tokens {
        q = q.bind(t);
    }
    Ok(q.fetch_one(conn).await? > 0)
}

/// Whether a file is attached to any announcement.
pub async fn file_attached(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from announcement_attachments where tenant_id = $1 and file_id = $2",
    )
    .bind(tenant_id)
    .bind(file_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// "Files uses this file" for the `files` data class: attached to an announcement.
pub const FILE_IN_USE: &str = "exists (select 1 from announcement_attachments aa \
    where aa.tenant_id = f.tenant_id and aa.file_id = f.id)";

/// A person's receipts (erasure).
pub async fn delete_receipts_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from announcement_receipts where tenant_id = $1 and user_id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// The `announcements_expired` data class: announcements that expired, by when they expired.
pub static EXPIRED: crate::lifecycle::Source = crate::lifecycle::Source {
    from: "announcements a",
    tenant: "a.tenant_id",
    id: "a.id",
    time: "a.expires_at",
    container: None,
    people: &["a.author_id"],
    bytes: "length(a.title) + length(a.body)",
    only: "a.expires_at is not null",
    pinned: Some("a.pinned = 1"),
};
