//! Daily records (the punches) and their corrections.

use super::*;
use sqlx::AnyConnection;

pub(super) const RECORD: &str = "select id, user_id, work_date, zone, check_in_at, check_in_lat_e7,
    check_in_lon_e7, check_in_ip, check_out_at, check_out_lat_e7, check_out_lon_e7, check_out_ip,
    created_at, updated_at from attendance_records";

pub async fn record(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    work_date: &str,
) -> Result<Option<RecordRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{RECORD} where tenant_id = $1 and user_id = $2 and work_date = $3"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .bind(work_date)
    .fetch_optional(conn)
    .await
}

/// A person's records from `first` to `last` (dates, inclusive), by date.
pub async fn records(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    first: &str,
    last: &str,
) -> Result<Vec<RecordRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{RECORD} where tenant_id = $1 and user_id = $2 and work_date >= $3 and work_date <= $4
         order by work_date"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .bind(first)
    .bind(last)
    .fetch_all(conn)
    .await
}

/// A new record for a day (no punch yet, or the check-in).
pub async fn insert_record(
    conn: &mut AnyConnection,
    tenant_id: &str,
    r: &RecordRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into attendance_records (tenant_id, id, user_id, work_date, zone, check_in_at,
           check_in_lat_e7, check_in_lon_e7, check_in_ip, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(tenant_id)
    .bind(&r.id)
    .bind(&r.user_id)
    .bind(&r.work_date)
    .bind(&r.zone)
    .bind(r.check_in_at)
    .bind(r.check_in_lat_e7)
    .bind(r.check_in_lon_e7)
    .bind(&r.check_in_ip)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Set the check-in of a record that has none; rows changed (0: it had one already).
pub async fn set_check_in(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    p: &Punch,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update attendance_records set check_in_at = $3, check_in_lat_e7 = $4,
           check_in_lon_e7 = $5, check_in_ip = $6, updated_at = $3
         where tenant_id = $1 and id = $2 and check_in_at is null",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(p.at)
    .bind(p.lat_e7)
    .bind(p.lon_e7)
    .bind(&p.ip)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Set (or move later) the check-out of a record.
pub async fn set_check_out(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    p: &Punch,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update attendance_records set check_out_at = $3, check_out_lat_e7 = $4,
           check_out_lon_e7 = $5, check_out_ip = $6, updated_at = $3
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(p.at)
    .bind(p.lat_e7)
    .bind(p.lon_e7)
    .bind(&p.ip)
    .execute(conn)
    .await?
    .rows_affected())
}

// ── corrections ───────────────────────────────────────────────────────────────────────────

pub async fn insert_correction(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    c: &CorrectionRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into attendance_corrections (tenant_id, id, record_id, user_id, check_in_at,
           check_out_at, reason, corrected_by, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant_id)
    .bind(&c.id)
    .bind(&c.record_id)
    .bind(user_id)
    .bind(c.check_in_at)
    .bind(c.check_out_at)
    .bind(&c.reason)
    .bind(&c.corrected_by)
    .bind(c.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every correction of a person's records between two dates, oldest first.
pub async fn corrections(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    first: &str,
    last: &str,
) -> Result<Vec<CorrectionRow>, sqlx::Error> {
    sqlx::query_as(
        "select c.id, c.record_id, c.check_in_at, c.check_out_at, c.reason, c.corrected_by,
           c.created_at
         from attendance_corrections c
         join attendance_records r on r.tenant_id = c.tenant_id and r.id = c.record_id
         where c.tenant_id = $1 and r.user_id = $2 and r.work_date >= $3 and r.work_date <= $4
         order by c.created_at, c.id",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(first)
    .bind(last)
    .fetch_all(conn)
    .await
}
