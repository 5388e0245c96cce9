//! SQL for a room's event log: sequence numbers, catch-up, scrubbing payloads.

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub room_id: String,
    pub seq: i64,
    pub kind: String,
    pub actor_id: String,
    pub message_id: Option<String>,
    pub payload: String,
    pub created_at: i64,
}

/// Take the room's next sequence number and record the event under it. On PostgreSQL the
/// update locks the room row until commit, so numbers are handed out in commit order.
#[allow(clippy::too_many_arguments)]
pub async fn append_event(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    kind: &str,
    actor_id: &str,
    message_id: Option<&str>,
    payload: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let seq: i64 = sqlx::query_scalar(
        "update rooms set last_seq = last_seq + 1, updated_at = $1
         where tenant_id = $2 and id = $3 returning last_seq",
    )
    .bind(now)
    .bind(tenant_id)
    .bind(room_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "insert into room_events (tenant_id, room_id, seq, kind, actor_id, message_id, payload, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(seq)
    .bind(kind)
    .bind(actor_id)
    .bind(message_id)
    .bind(payload)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(seq)
}

/// Events after `after_seq` (and at or after `from_seq`), oldest first.
pub async fn events(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "select room_id, seq, kind, actor_id, message_id, payload, created_at from room_events
         where tenant_id = $1 and room_id = $2 and seq > $3 order by seq limit $4",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(after_seq)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Every event about one message, oldest first.
pub async fn message_events(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    message_id: &str,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "select room_id, seq, kind, actor_id, message_id, payload, created_at from room_events
         where tenant_id = $1 and message_id = $2 and room_id = $3 order by seq",
    )
    .bind(tenant_id)
    .bind(message_id)
    .bind(room_id)
    .fetch_all(conn)
    .await
}

/// Rewrite one event's payload in place; its sequence number and kind stay.
pub async fn set_event_payload(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    seq: i64,
    payload: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update room_events set payload = $1 where tenant_id = $2 and room_id = $3 and seq = $4",
    )
    .bind(payload.to_string())
    .bind(tenant_id)
    .bind(room_id)
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}
