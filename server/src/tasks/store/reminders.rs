//! People's reminders of tasks.

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReminderRow {
    pub id: String,
    pub task_id: String,
    pub user_id: String,
    pub minutes_before: i64,
    pub fire_at: i64,
    pub sent_at: Option<i64>,
    pub created_at: i64,
}

// ── reminders ──

const REMINDER: &str = "id, task_id, user_id, minutes_before, fire_at, sent_at, created_at";

pub async fn reminders(
    conn: &mut AnyConnection,
    tenant_id: &str,
    task_id: &str,
) -> Result<Vec<ReminderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {REMINDER} from task_reminders where tenant_id = $1 and task_id = $2
         order by user_id, minutes_before"
    ))
    .bind(tenant_id)
    .bind(task_id)
    .fetch_all(conn)
    .await
}

pub async fn reminder(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ReminderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {REMINDER} from task_reminders where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn insert_reminder(
    conn: &mut AnyConnection,
    tenant_id: &str,
    r: &ReminderRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into task_reminders (tenant_id, id, task_id, user_id, minutes_before, fire_at,
             sent_at, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant_id)
    .bind(&r.id)
    .bind(&r.task_id)
    .bind(&r.user_id)
    .bind(r.minutes_before)
    .bind(r.fire_at)
    .bind(r.sent_at)
    .bind(r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A reminder's new moment (the due date moved): not sent yet at that moment.
pub async fn reschedule_reminder(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    fire_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update task_reminders set fire_at = $1, sent_at = null where tenant_id = $2 and id = $3",
    )
    .bind(fire_at)
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Record that a reminder went at its current moment; false when it had gone already (or
/// moved): the caller then sends nothing.
pub async fn mark_sent(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    fire_at: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update task_reminders set sent_at = $1
         where tenant_id = $2 and id = $3 and fire_at = $4 and sent_at is null",
    )
    .bind(now)
    .bind(tenant_id)
    .bind(id)
    .bind(fire_at)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Remove reminders of a task: one person's (`Some`), or everyone's but these people's.
pub async fn delete_reminders(
    conn: &mut AnyConnection,
    tenant_id: &str,
    task_id: &str,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "delete from task_reminders where tenant_id = $1 and task_id = $2 and user_id = $3",
    )
    .bind(tenant_id)
    .bind(task_id)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected())
}
