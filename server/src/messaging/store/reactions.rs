//! SQL for reactions and pins.

use crate::db::now_ms;
use sqlx::AnyConnection;

/// Add a reaction; false when the person had already reacted so.
pub async fn add_reaction(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
    user_id: &str,
    emoji: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "insert into message_reactions (tenant_id, message_id, user_id, emoji, created_at)
         values ($1, $2, $3, $4, $5) on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(message_id)
    .bind(user_id)
    .bind(emoji)
    .bind(now_ms())
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn remove_reaction(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
    user_id: &str,
    emoji: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "delete from message_reactions
         where tenant_id = $1 and message_id = $2 and user_id = $3 and emoji = $4",
    )
    .bind(tenant_id)
    .bind(message_id)
    .bind(user_id)
    .bind(emoji)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// (emoji, user id) pairs on a message.
pub async fn reactions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select emoji, user_id from message_reactions where tenant_id = $1 and message_id = $2
         order by created_at, emoji, user_id limit 5000",
    )
    .bind(tenant_id)
    .bind(message_id)
    .fetch_all(conn)
    .await
}

pub async fn pin(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    message_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "insert into room_pins (tenant_id, room_id, message_id, pinned_by, pinned_at)
         values ($1, $2, $3, $4, $5) on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(message_id)
    .bind(user_id)
    .bind(now_ms())
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn unpin(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    message_id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "delete from room_pins where tenant_id = $1 and room_id = $2 and message_id = $3",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(message_id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn pins(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select message_id from room_pins where tenant_id = $1 and room_id = $2
         order by pinned_at desc limit 1000",
    )
    .bind(tenant_id)
    .bind(room_id)
    .fetch_all(conn)
    .await
}

/// Remove every reaction on a message.
pub async fn delete_reactions_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query("delete from message_reactions where tenant_id = $1 and message_id = $2")
        .bind(tenant_id)
        .bind(message_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}

/// Unpin a message wherever it is pinned.
pub async fn delete_pins_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query("delete from room_pins where tenant_id = $1 and message_id = $2")
        .bind(tenant_id)
        .bind(message_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}
