//! Reminders sent: one row per (meeting, person, occurrence, minutes before), written in the
//! transaction that writes the notice, so that no reminder fires twice.

use crate::db::Backend;
use sqlx::AnyConnection;

/// Record a reminder as sent; false when it was sent already.
pub async fn mark_sent(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
    user_id: &str,
    occurrence: i64,
    minutes: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "insert into meeting_reminders_sent (tenant_id, meeting_id, user_id, occurrence,
             minutes, sent_at)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (tenant_id, meeting_id, user_id, occurrence, minutes) do nothing",
    )
    .bind(tenant_id)
    .bind(meeting_id)
    .bind(user_id)
    .bind(occurrence)
    .bind(minutes)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The reminder generation of a meeting, locked (PostgreSQL) for the handler's transaction.
pub async fn generation(
    conn: &mut AnyConnection,
    backend: Backend,
    tenant_id: &str,
    meeting_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select remind_gen from meetings where tenant_id = $1 and id = $2{}",
        backend.for_update()
    ))
    .bind(tenant_id)
    .bind(meeting_id)
    .fetch_optional(conn)
    .await
}

/// Bump the generation: older outbox rows for this meeting become no-ops.
pub async fn bump(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "update meetings set remind_gen = remind_gen + 1 where tenant_id = $1 and id = $2
         returning remind_gen",
    )
    .bind(tenant_id)
    .bind(meeting_id)
    .fetch_one(conn)
    .await
}

/// Reminders sent for occurrences from `occurrence_from` on: (person, occurrence, minutes).
pub async fn sent_since(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
    occurrence_from: i64,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select user_id, occurrence, minutes from meeting_reminders_sent
         where tenant_id = $1 and meeting_id = $2 and occurrence >= $3",
    )
    .bind(tenant_id)
    .bind(meeting_id)
    .bind(occurrence_from)
    .fetch_all(conn)
    .await
}
