//! SQL for in-app notifications.

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: String,
    pub kind: String,
    pub room_id: String,
    pub message_id: String,
    pub actor_id: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// One notification (none when the person already has one for this message).
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    user_id: &str,
    kind: &str,
    room_id: &str,
    message_id: &str,
    actor_id: &str,
    created_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into notifications (tenant_id, id, user_id, kind, room_id, message_id, actor_id, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(user_id)
    .bind(kind)
    .bind(room_id)
    .bind(message_id)
    .bind(actor_id)
    .bind(created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A person's notifications, newest first, before the id `before`.
pub async fn list(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    unread_only: bool,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, kind, room_id, message_id, actor_id, created_at, read_at from notifications
         where tenant_id = $1 and user_id = $2 and ($3 = 0 or read_at is null)
           and ($4 is null or id < $4)
         order by id desc limit $5",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(i64::from(unread_only))
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn unread(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from notifications where tenant_id = $1 and user_id = $2 and read_at is null",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_one(conn)
    .await
}

/// Mark every unread notification of a person read; how many were.
pub async fn mark_all_read(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    at: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update notifications set read_at = $1
         where tenant_id = $2 and user_id = $3 and read_at is null",
    )
    .bind(at)
    .bind(tenant_id)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Mark one of a person's notifications read (another person's id changes nothing).
pub async fn mark_read(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    id: &str,
    at: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update notifications set read_at = $1
         where tenant_id = $2 and user_id = $3 and id = $4 and read_at is null",
    )
    .bind(at)
    .bind(tenant_id)
    .bind(user_id)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Remove every notification about a message.
pub async fn delete_for_message(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query("delete from notifications where tenant_id = $1 and message_id = $2")
        .bind(tenant_id)
        .bind(message_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}
