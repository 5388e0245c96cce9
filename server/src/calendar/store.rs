//! All of the calendar's SQL, over its own tables (`calendar_feeds`, `calendar_imports`);
//! every function takes the tenant id, except the feed lookup, whose secret names the tenant.

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedRow {
    pub tenant_id: String,
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const FEED: &str = "select tenant_id, id, user_id, created_at, last_used_at from calendar_feeds";

/// The person's feed, if they have one.
pub async fn feed_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Option<FeedRow>, sqlx::Error> {
    sqlx::query_as(&format!("{FEED} where tenant_id = $1 and user_id = $2"))
        .bind(tenant_id)
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

/// The feed whose token has this digest.
pub async fn feed_by_hash(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<FeedRow>, sqlx::Error> {
    sqlx::query_as(&format!("{FEED} where token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(conn)
        .await
}

/// Replace the person's feed with a new one (the old address stops working).
pub async fn put_feed(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    user_id: &str,
    token_hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    delete_feed(&mut *conn, tenant_id, user_id).await?;
    sqlx::query(
        "insert into calendar_feeds (tenant_id, id, user_id, token_hash, created_at)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(user_id)
    .bind(token_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Remove the person's feed; how many went (0 or 1).
pub async fn delete_feed(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from calendar_feeds where tenant_id = $1 and user_id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Note a fetch (at most once a minute per feed, by the caller).
pub async fn touch_feed(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update calendar_feeds set last_used_at = $1 where tenant_id = $2 and id = $3")
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The meeting an earlier import made of the event with this UID.
pub async fn imported(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    uid: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select meeting_id from calendar_imports
         where tenant_id = $1 and user_id = $2 and uid = $3",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(uid)
    .fetch_optional(conn)
    .await
}

/// Record (or re-point, when its meeting was deleted since) an imported event.
pub async fn put_import(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    uid: &str,
    meeting_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from calendar_imports where tenant_id = $1 and user_id = $2 and uid = $3")
        .bind(tenant_id)
        .bind(user_id)
        .bind(uid)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into calendar_imports (tenant_id, user_id, uid, meeting_id, imported_at)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(uid)
    .bind(meeting_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forget a person's import records; how many went.
pub async fn delete_imports(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from calendar_imports where tenant_id = $1 and user_id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
