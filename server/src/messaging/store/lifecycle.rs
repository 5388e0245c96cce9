//! SQL for the data lifecycle: messages by age, across every room of a tenant.

use sqlx::AnyConnection;

/// Messages of a tenant created before `cutoff` that are still stored (tombstones included).
pub async fn count_messages_before(
    conn: &mut AnyConnection,
    tenant_id: &str,
    cutoff: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from messages where tenant_id = $1 and created_at < $2")
        .bind(tenant_id)
        .bind(cutoff)
        .fetch_one(conn)
        .await
}

/// Up to `limit` (room id, message id) of messages created before `cutoff`, oldest first.
pub async fn messages_before(
    conn: &mut AnyConnection,
    tenant_id: &str,
    cutoff: i64,
    limit: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select room_id, id from messages where tenant_id = $1 and created_at < $2
         order by created_at, id limit $3",
    )
    .bind(tenant_id)
    .bind(cutoff)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Rows that still name a message in any of its tables (tests check a purge left none).
#[cfg(test)]
pub async fn rows_naming_message(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select (select count(*) from messages where tenant_id = $1 and id = $2)
              + (select count(*) from message_edits where tenant_id = $1 and message_id = $2)
              + (select count(*) from message_reactions where tenant_id = $1 and message_id = $2)
              + (select count(*) from message_attachments where tenant_id = $1 and message_id = $2)
              + (select count(*) from room_pins where tenant_id = $1 and message_id = $2)
              + (select count(*) from notifications where tenant_id = $1 and message_id = $2)",
    )
    .bind(tenant_id)
    .bind(message_id)
    .fetch_one(conn)
    .await
}
