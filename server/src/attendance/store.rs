//! All of attendance's SQL, over its own tables; every function takes the tenant id.

use sqlx::AnyConnection;

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct SettingsRow {
    pub geofence_required: i64,
    pub network_required: i64,
    pub updated_by: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GeofenceRow {
    pub id: String,
    pub name: String,
    pub latitude_e7: i64,
    pub longitude_e7: i64,
    pub radius_mm: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NetworkRow {
    pub id: String,
    pub cidr: String,
    pub label: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScheduleRow {
    pub id: String,
    pub name: String,
    pub zone: String,
    pub days: i64,
    pub start_minute: i64,
    pub end_minute: i64,
    pub grace_minutes: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssignmentRow {
    pub subject_kind: String,
    pub subject_id: String,
    pub schedule_id: String,
}

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct RecordRow {
    pub id: String,
    pub user_id: String,
    pub work_date: String,
    pub zone: String,
    pub check_in_at: Option<i64>,
    pub check_in_lat_e7: Option<i64>,
    pub check_in_lon_e7: Option<i64>,
    pub check_in_ip: Option<String>,
    pub check_out_at: Option<i64>,
    pub check_out_lat_e7: Option<i64>,
    pub check_out_lon_e7: Option<i64>,
    pub check_out_ip: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CorrectionRow {
    pub id: String,
    pub record_id: String,
    pub check_in_at: Option<i64>,
    pub check_out_at: Option<i64>,
    pub reason: String,
    pub corrected_by: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExcusedRow {
    pub id: String,
    pub user_id: String,
    pub first_date: String,
    pub last_date: String,
    pub kind: String,
    pub source: String,
    pub source_id: String,
    pub note: String,
    pub created_at: i64,
}

/// One punch: when, where (1e-7 degrees) and from which address.
#[derive(Debug, Clone)]
pub struct Punch {
    pub at: i64,
    pub lat_e7: Option<i64>,
    pub lon_e7: Option<i64>,
    pub ip: String,
}

// ── settings ──────────────────────────────────────────────────────────────────────────────

pub async fn settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<SettingsRow, sqlx::Error> {
    Ok(sqlx::query_as(
        "select geofence_required, network_required, updated_by, updated_at
         from attendance_settings where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(conn)
    .await?
    .unwrap_or_default())
}

pub async fn set_settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
    s: &SettingsRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into attendance_settings
           (tenant_id, geofence_required, network_required, updated_by, updated_at)
         values ($1, $2, $3, $4, $5)
         on conflict (tenant_id) do update set geofence_required = excluded.geofence_required,
           network_required = excluded.network_required, updated_by = excluded.updated_by,
           updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(s.geofence_required)
    .bind(s.network_required)
    .bind(&s.updated_by)
    .bind(s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn geofences(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<GeofenceRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, name, latitude_e7, longitude_e7, radius_mm from attendance_geofences
         where tenant_id = $1 order by name, id",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

pub async fn networks(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<NetworkRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, cidr, label from attendance_networks where tenant_id = $1
         order by cidr, id",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

/// Replace the tenant's geofences and networks with these.
pub async fn replace_places(
    conn: &mut AnyConnection,
    tenant_id: &str,
    fences: &[GeofenceRow],
    nets: &[NetworkRow],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from attendance_geofences where tenant_id = $1")
        .bind(tenant_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from attendance_networks where tenant_id = $1")
        .bind(tenant_id)
        .execute(&mut *conn)
        .await?;
    for f in fences {
        sqlx::query(
            "insert into attendance_geofences (tenant_id, id, name, latitude_e7, longitude_e7,
               radius_mm, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(tenant_id)
        .bind(&f.id)
        .bind(&f.name)
        .bind(f.latitude_e7)
        .bind(f.longitude_e7)
        .bind(f.radius_mm)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    for n in nets {
        sqlx::query(
            "insert into attendance_networks (tenant_id, id, cidr, label, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $5)",
        )
        .bind(tenant_id)
        .bind(&n.id)
        .bind(&n.cidr)
        .bind(&n.label)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

// ── schedules ─────────────────────────────────────────────────────────────────────────────

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

// ── records ───────────────────────────────────────────────────────────────────────────────

const RECORD: &str = "select id, user_id, work_date, zone, check_in_at, check_in_lat_e7,
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

// ── excused days ──────────────────────────────────────────────────────────────────────────

const EXCUSED: &str = "select id, user_id, first_date, last_date, kind, source, source_id, note,
    created_at from attendance_excused";

/// A person's excused spans that touch `first..=last`.
pub async fn excused(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    first: &str,
    last: &str,
) -> Result<Vec<ExcusedRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{EXCUSED} where tenant_id = $1 and user_id = $2 and first_date <= $4
           and last_date >= $3 order by first_date, id"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .bind(first)
    .bind(last)
    .fetch_all(conn)
    .await
}

pub async fn excused_by_id(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ExcusedRow>, sqlx::Error> {
    sqlx::query_as(&format!("{EXCUSED} where tenant_id = $1 and id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Insert, or replace the span a source already wrote under this id for this person.
pub async fn put_excused(
    conn: &mut AnyConnection,
    tenant_id: &str,
    e: &ExcusedRow,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into attendance_excused (tenant_id, id, user_id, first_date, last_date, kind,
           source, source_id, note, created_by, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (tenant_id, source, source_id, user_id) do update set
           first_date = excluded.first_date, last_date = excluded.last_date,
           kind = excluded.kind, note = excluded.note",
    )
    .bind(tenant_id)
    .bind(&e.id)
    .bind(&e.user_id)
    .bind(&e.first_date)
    .bind(&e.last_date)
    .bind(&e.kind)
    .bind(&e.source)
    .bind(&e.source_id)
    .bind(&e.note)
    .bind(by)
    .bind(e.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_excused(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from attendance_excused where tenant_id = $1 and id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Remove what a source wrote under its id (every person); rows removed.
pub async fn withdraw_excused(
    conn: &mut AnyConnection,
    tenant_id: &str,
    source: &str,
    source_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "delete from attendance_excused where tenant_id = $1 and source = $2 and source_id = $3",
    )
    .bind(tenant_id)
    .bind(source)
    .bind(source_id)
    .execute(conn)
    .await?
    .rows_affected())
}

// ── lifecycle ─────────────────────────────────────────────────────────────────────────────

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
