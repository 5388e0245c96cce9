//! Realtime's SQL: one-time WebSocket tickets, and the cross-node announcement.

use sqlx::AnyConnection;

/// Store a ticket (by its hash) for the session whose token hash is `token_hash`, dropping
/// expired ones.
pub async fn insert_ticket(
    conn: &mut AnyConnection,
    ticket_hash: &str,
    token_hash: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from ws_tickets where expires_at < $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query("insert into ws_tickets (ticket_hash, token_hash, expires_at) values ($1, $2, $3)")
        .bind(ticket_hash)
        .bind(token_hash)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Use up a live ticket: the session token hash it stood for, once.
pub async fn take_ticket(
    conn: &mut AnyConnection,
    ticket_hash: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "delete from ws_tickets where ticket_hash = $1 and expires_at > $2 returning token_hash",
    )
    .bind(ticket_hash)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// PostgreSQL: announce `payload` on `channel` to every listening node.
pub async fn notify(
    conn: &mut AnyConnection,
    channel: &str,
    payload: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("select pg_notify($1, $2)")
        .bind(channel)
        .bind(payload)
        .execute(conn)
        .await
        .map(|_| ())
}
