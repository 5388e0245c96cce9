//! What retention, erasure and export reach of attendance.

use super::*;
use sqlx::AnyConnection;

/// Attendance records as a data class: a day's record, aged from its creation. Corrections
/// hang off their record and go with it.
pub static RECORDS: crate::lifecycle::Source = crate::lifecycle::Source {
    from: "attendance_records r",
    tenant: "r.tenant_id",
    id: "r.id",
    time: "r.created_at",
    container: None,
    people: &["r.user_id"],
    bytes: "0",
    only: "",
    pinned: None,
};

/// Remove one record with its corrections; rows removed.
pub async fn delete_record(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    let c =
        sqlx::query("delete from attendance_corrections where tenant_id = $1 and record_id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    let r = sqlx::query("delete from attendance_records where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(c + r)
}

/// Erase a person: their records (with every correction of them), the corrections they made
/// of others' records keep the correction but lose the author, their excused days and their
/// schedule assignment. Returns (records, corrections, corrections authored, excused,
/// assignments).
pub async fn erase_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<(u64, u64, u64, u64, u64), sqlx::Error> {
    let corrections = sqlx::query(
        "delete from attendance_corrections where tenant_id = $1 and (user_id = $2
           or record_id in (select id from attendance_records where tenant_id = $1
                            and user_id = $2))",
    )
    .bind(tenant_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let authored = sqlx::query(
        "update attendance_corrections set corrected_by = '' where tenant_id = $1
           and corrected_by = $2",
    )
    .bind(tenant_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let records =
        sqlx::query("delete from attendance_records where tenant_id = $1 and user_id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    let excused =
        sqlx::query("delete from attendance_excused where tenant_id = $1 and user_id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    sqlx::query(
        "update attendance_excused set created_by = '' where tenant_id = $1 and created_by = $2",
    )
    .bind(tenant_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "update attendance_settings set updated_by = '' where tenant_id = $1 and updated_by = $2",
    )
    .bind(tenant_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    let assignments = sqlx::query(
        "delete from attendance_assignments where tenant_id = $1 and subject_kind = 'person'
           and subject_id = $2",
    )
    .bind(tenant_id)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok((records, corrections, authored, excused, assignments))
}

/// A person's corrections whose author is erased (`corrected_by = ''`) are still theirs; the
/// export reads every correction of the person's records.
pub async fn all_records(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<RecordRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{RECORD} where tenant_id = $1 and user_id = $2 order by work_date"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}
