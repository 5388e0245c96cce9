//! Work schedules and who they are assigned to.

use super::*;
use sqlx::AnyConnection;

const SCHEDULE: &str = "select id, name, zone, days, start_minute, end_minute, grace_minutes,
    created_at, updated_at from attendance_schedules";

pub async fn schedules(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<ScheduleRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SCHEDULE} where tenant_id = $1 order by name_key, id"
    ))
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

pub async fn schedule(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ScheduleRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SCHEDULE} where tenant_id = $1 and id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn schedule_by_name(
    conn: &mut AnyConnection,
    tenant_id: &str,
    name_key: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select id from attendance_schedules where tenant_id = $1 and name_key = $2")
        .bind(tenant_id)
        .bind(name_key)
        .fetch_optional(conn)
        .await
}

/// Insert or update a schedule (by id).
pub async fn put_schedule(
    conn: &mut AnyConnection,
    tenant_id: &str,
    s: &ScheduleRow,
    name_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into attendance_schedules (tenant_id, id, name, name_key, zone, days,
           start_minute, end_minute, grace_minutes, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (tenant_id, id) do update set name = excluded.name,
           name_key = excluded.name_key, zone = excluded.zone, days = excluded.days,
           start_minute = excluded.start_minute, end_minute = excluded.end_minute,
           grace_minutes = excluded.grace_minutes, updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(&s.id)
    .bind(&s.name)
    .bind(name_key)
    .bind(&s.zone)
    .bind(s.days)
    .bind(s.start_minute)
    .bind(s.end_minute)
    .bind(s.grace_minutes)
    .bind(s.created_at)
    .bind(s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_schedule(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query("delete from attendance_assignments where tenant_id = $1 and schedule_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(
        sqlx::query("delete from attendance_schedules where tenant_id = $1 and id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

pub async fn assignments(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<AssignmentRow>, sqlx::Error> {
    sqlx::query_as(
        "select subject_kind, subject_id, schedule_id from attendance_assignments
         where tenant_id = $1 order by subject_kind, subject_id",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

/// Make `schedule_id`'s assignments exactly these (kind, id) pairs.
pub async fn set_assignments(
    conn: &mut AnyConnection,
    tenant_id: &str,
    schedule_id: &str,
    subjects: &[(&str, String)],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from attendance_assignments where tenant_id = $1 and schedule_id = $2")
        .bind(tenant_id)
        .bind(schedule_id)
        .execute(&mut *conn)
        .await?;
    for (kind, id) in subjects {
        sqlx::query(
            "insert into attendance_assignments
               (tenant_id, subject_kind, subject_id, schedule_id, created_at)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(tenant_id)
        .bind(*kind)
        .bind(id)
        .bind(schedule_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The schedule assigned to this subject, if any.
pub async fn assigned(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: &str,
    subject_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select schedule_id from attendance_assignments
         where tenant_id = $1 and subject_kind = $2 and subject_id = $3",
    )
    .bind(tenant_id)
    .bind(kind)
    .bind(subject_id)
    .fetch_optional(conn)
    .await
}
