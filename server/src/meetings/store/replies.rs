//! Replies (accepted, tentative, declined, per series or occurrence) and attendees' own reminders.

use super::ReplyRow;
use sqlx::AnyConnection;

pub async fn replies(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
) -> Result<Vec<ReplyRow>, sqlx::Error> {
    sqlx::query_as(
        "select user_id, occurrence, status, comment, reminders, updated_at from meeting_replies
         where tenant_id = $1 and meeting_id = $2 order by user_id, occurrence",
    )
    .bind(tenant_id)
    .bind(meeting_id)
    .fetch_all(conn)
    .await
}

/// Set a person's reply (and, on the series row, keep their reminders unless given).
#[allow(clippy::too_many_arguments)]
pub async fn upsert_reply(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
    user_id: &str,
    occurrence: i64,
    status: &str,
    comment: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into meeting_replies (tenant_id, meeting_id, user_id, occurrence, status,
             comment, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (tenant_id, meeting_id, user_id, occurrence) do update
         set status = excluded.status, comment = excluded.comment,
             updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(meeting_id)
    .bind(user_id)
    .bind(occurrence)
    .bind(status)
    .bind(comment)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A person's own reminders (JSON list; `None`: the organiser's).
pub async fn set_own_reminders(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
    user_id: &str,
    reminders: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into meeting_replies (tenant_id, meeting_id, user_id, occurrence, status,
             comment, reminders, updated_at)
         values ($1, $2, $3, 0, 'needs_action', '', $4, $5)
         on conflict (tenant_id, meeting_id, user_id, occurrence) do update
         set reminders = excluded.reminders, updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(meeting_id)
    .bind(user_id)
    .bind(reminders)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A change of time or place: every answer goes back to needs-action (comments with it).
pub async fn reset_replies(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "update meeting_replies set status = 'needs_action', comment = '', updated_at = $1
         where tenant_id = $2 and meeting_id = $3 and status <> 'needs_action'",
    )
    .bind(now)
    .bind(tenant_id)
    .bind(meeting_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}
