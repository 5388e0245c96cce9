//! Work schedules (zone, days, hours, grace), whom they are assigned to (departments, people),
//! and which schedule applies to a person now: their own assignment, else their primary
//! department's or the nearest ancestor's.

use super::{
    rules,
    store::{self, ScheduleRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::{perm, Granted},
    db::{is_id, new_id, now_ms},
    directory,
    error::{ApiError, ApiResult, Code},
    AppState,
};
use chrono_tz::Tz;
use serde_json::json;
use sqlx::AnyConnection;

/// At most this many departments and people on one schedule.
pub const MAX_ASSIGNED: usize = 1000;

/// A schedule with who it is assigned to.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub row: ScheduleRow,
    pub departments: Vec<String>,
    pub people: Vec<String>,
}

/// A schedule to create or put in place of one.
#[derive(Debug, Clone)]
pub struct ScheduleInput {
    pub name: String,
    pub zone: String,
    pub days: Vec<u8>,
    pub start: String,
    pub end: String,
    pub grace_minutes: i64,
    pub departments: Vec<String>,
    pub people: Vec<String>,
}

/// An IANA zone name (`Asia/Ho_Chi_Minh`).
pub fn zone(field: &str, raw: &str) -> ApiResult<Tz> {
    raw.trim()
        .parse::<Tz>()
        .map_err(|_| ApiError::validation(field, "not an IANA time zone (e.g. Asia/Ho_Chi_Minh)"))
}

/// `HH:MM` (24-hour) as minutes after midnight.
fn clock(field: &str, raw: &str) -> ApiResult<i64> {
    let bad = || ApiError::validation(field, "must be a time HH:MM (00:00 to 23:59)");
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Minutes after midnight as `HH:MM`.
pub fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// ISO weekdays (1 = Monday … 7 = Sunday) of a day set.
pub fn weekdays(days: i64) -> Vec<u8> {
    (1u8..=7)
        .filter(|d| days & rules::day_bit(u32::from(*d)) != 0)
        .collect()
}

fn schedule_not_found() -> ApiError {
    ApiError::not_found("schedule")
}

async fn describe(
    conn: &mut AnyConnection,
    tenant_id: &str,
    rows: Vec<ScheduleRow>,
) -> ApiResult<Vec<Schedule>> {
    let all = store::assignments(conn, tenant_id).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let of = |kind: &str| {
                all.iter()
                    .filter(|a| a.schedule_id == row.id && a.subject_kind == kind)
                    .map(|a| a.subject_id.clone())
                    .collect::<Vec<_>>()
            };
            Schedule {
                departments: of("department"),
                people: of("person"),
                row,
            }
        })
        .collect())
}

/// The tenant's schedules by name, with their assignments. Needs `attendance.manage`.
pub async fn schedules(state: &AppState, p: &Principal) -> ApiResult<Vec<Schedule>> {
    state.authz.require(p, perm::ATTENDANCE_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    let rows = store::schedules(&mut conn, &p.tenant_id).await?;
    describe(&mut conn, &p.tenant_id, rows).await
}

/// Check a schedule's input and its assignees; the row and the (kind, id) assignments.
async fn validate_schedule(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    input: ScheduleInput,
) -> ApiResult<(ScheduleRow, String, Vec<(&'static str, String)>)> {
    let name = crate::http::validate::text("name", &input.name, 100)?;
    let key = directory::service::name_key(&name);
    let tz = zone("zone", &input.zone)?;
    if input.days.is_empty() {
        return Err(ApiError::validation("days", "name at least one weekday"));
    }
    let mut days = 0;
    for d in &input.days {
        if !(1..=7).contains(d) {
            return Err(ApiError::validation(
                "days",
                "weekdays are 1 (Monday) to 7 (Sunday)",
            ));
        }
        days |= rules::day_bit(u32::from(*d));
    }
    let start = clock("start", &input.start)?;
    let end = clock("end", &input.end)?;
    if end <= start {
        return Err(ApiError::validation(
            "end",
            "must be after the start (overnight shifts are not supported)",
        ));
    }
    if !(0..=240).contains(&input.grace_minutes) {
        return Err(ApiError::validation(
            "grace_minutes",
            "must be 0 to 240 minutes",
        ));
    }
    if input.departments.len() + input.people.len() > MAX_ASSIGNED {
        return Err(ApiError::validation(
            "departments",
            format!("at most {MAX_ASSIGNED} departments and people on one schedule"),
        ));
    }
    if let Some(other) = store::schedule_by_name(conn, tenant_id, &key).await? {
        if other != id {
            return Err(
                ApiError::conflict(Code::Conflict, "a schedule has this name").with_field("name"),
            );
        }
    }
    let mut subjects: Vec<(&'static str, String)> = Vec::new();
    let taken = store::assignments(conn, tenant_id).await?;
    for (kind, field, list) in [
        ("department", "departments", &input.departments),
        ("person", "people", &input.people),
    ] {
        let mut list = list.clone();
        list.sort();
        list.dedup();
        for sid in list {
            if kind == "department" {
                directory::service::load(conn, tenant_id, &sid)
                    .await
                    .map_err(|_| ApiError::validation(field, "no such department"))?;
            } else {
                directory::service::person(conn, tenant_id, field, &sid).await?;
            }
            if taken
                .iter()
                .any(|a| a.subject_kind == kind && a.subject_id == sid && a.schedule_id != id)
            {
                return Err(ApiError::conflict(
                    Code::Conflict,
                    format!("this {kind} already follows another schedule: remove it there first"),
                )
                .with_field(field));
            }
            subjects.push((kind, sid));
        }
    }
    let now = now_ms();
    Ok((
        ScheduleRow {
            id: id.to_string(),
            name,
            zone: tz.name().to_string(),
            days,
            start_minute: start,
            end_minute: end,
            grace_minutes: input.grace_minutes,
            created_at: now,
            updated_at: now,
        },
        key,
        subjects,
    ))
}

fn schedule_details(row: &ScheduleRow, subjects: &[(&'static str, String)]) -> serde_json::Value {
    json!({
        "name": row.name, "zone": row.zone, "days": weekdays(row.days),
        "start": hhmm(row.start_minute), "end": hhmm(row.end_minute),
        "grace_minutes": row.grace_minutes,
        "assigned": subjects.iter().map(|(k, id)| format!("{k}:{id}")).collect::<Vec<_>>(),
    })
}

async fn write_schedule(
    state: &AppState,
    g: &Granted<'_>,
    id: &str,
    input: ScheduleInput,
    created: bool,
) -> ApiResult<Schedule> {
    let p = g.principal();
    let mut tx = state.db.begin().await?;
    let existing = store::schedule(&mut tx, &p.tenant_id, id).await?;
    if !created && existing.is_none() {
        return Err(schedule_not_found());
    }
    let (mut row, key, subjects) = validate_schedule(&mut tx, &p.tenant_id, id, input).await?;
    if let Some(e) = existing {
        row.created_at = e.created_at;
    }
    store::put_schedule(&mut tx, &p.tenant_id, &row, &key).await?;
    store::set_assignments(&mut tx, &p.tenant_id, id, &subjects, row.updated_at).await?;
    let action = if created {
        "attendance.schedule_created"
    } else {
        "attendance.schedule_updated"
    };
    audit::record(
        &mut tx,
        p.audit(action)
            .target("attendance_schedule", id)
            .details(schedule_details(&row, &subjects)),
    )
    .await?;
    tx.commit().await?;
    let mut conn = state.db.conn().await?;
    describe(&mut conn, &p.tenant_id, vec![row])
        .await?
        .pop()
        .ok_or_else(schedule_not_found)
}

/// Create a schedule. Needs `attendance.manage`.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn create_schedule(
    state: &AppState,
    p: &Principal,
    input: ScheduleInput,
) -> ApiResult<Schedule> {
    let g = state.authz.require(p, perm::ATTENDANCE_MANAGE).await?;
    write_schedule(state, &g, &new_id(), input, true).await
}

/// Replace a schedule and its assignments. Needs `attendance.manage`.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, schedule_id = %id))]
pub async fn update_schedule(
    state: &AppState,
    p: &Principal,
    id: &str,
    input: ScheduleInput,
) -> ApiResult<Schedule> {
    let g = state.authz.require(p, perm::ATTENDANCE_MANAGE).await?;
    if !is_id(id) {
        return Err(schedule_not_found());
    }
    write_schedule(state, &g, id, input, false).await
}

/// Delete a schedule; its departments and people follow none (or a department's above).
/// Needs `attendance.manage`.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, schedule_id = %id))]
pub async fn delete_schedule(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let g = state.authz.require(p, perm::ATTENDANCE_MANAGE).await?;
    if !is_id(id) {
        return Err(schedule_not_found());
    }
    let mut tx = state.db.begin().await?;
    if store::delete_schedule(&mut tx, &p.tenant_id, id).await? == 0 {
        return Err(schedule_not_found());
    }
    audit::record(
        &mut tx,
        g.principal()
            .audit("attendance.schedule_deleted")
            .target("attendance_schedule", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The schedule that applies to a person now: their own assignment, else the nearest
/// department of their primary chain (primary department, then its ancestors) that has one.
pub async fn schedule_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<Option<ScheduleRow>> {
    let mut id = store::assigned(conn, tenant_id, "person", user_id).await?;
    if id.is_none() {
        for d in directory::audience::primary_chain(conn, tenant_id, user_id).await? {
            id = store::assigned(conn, tenant_id, "department", &d).await?;
            if id.is_some() {
                break;
            }
        }
    }
    match id {
        Some(id) => Ok(store::schedule(conn, tenant_id, &id).await?),
        None => Ok(None),
    }
}

/// The rules of a schedule row (its zone parsed; an unknown zone counts as UTC).
pub fn rules_of(row: &ScheduleRow) -> rules::Schedule {
    rules::Schedule {
        zone: row.zone.parse().unwrap_or(Tz::UTC),
        days: row.days,
        start_minute: row.start_minute,
        end_minute: row.end_minute,
        grace_minutes: row.grace_minutes,
    }
}
