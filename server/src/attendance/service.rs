//! Rules for check-in and check-out (the tenant's geofence and network rules), the tenant's
//! attendance settings and work schedules, and which schedule applies to a person.
//!
//! A check-in must pass **every** rule the tenant has switched on: with the geofence rule,
//! coordinates inside one of the geofences (distance by haversine, the boundary counts as
//! inside); with the network rule, a client address inside one of the allowed networks. The
//! client address is the one `ops::ctx` resolved (`Principal.ctx.ip`): `X-Forwarded-For` is
//! believed only from a peer in `[http] trusted_proxies`.

use super::{
    rules::{self, Fence},
    store::{self, GeofenceRow, NetworkRow, Punch, RecordRow, ScheduleRow, SettingsRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::{perm, Granted},
    db::{is_id, new_id, now_ms, rfc3339},
    directory,
    error::{ApiError, ApiResult, Code},
    ops::net::Cidr,
    AppState,
};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde_json::json;
use sqlx::AnyConnection;

/// At most this many geofences and allowed networks each.
pub const MAX_PLACES: usize = 100;
/// The largest geofence radius, in metres.
pub const MAX_RADIUS_M: f64 = 100_000.0;
/// At most this many departments and people on one schedule.
pub const MAX_ASSIGNED: usize = 1000;

// ── settings ──────────────────────────────────────────────────────────────────────────────

/// A geofence as given and shown.
#[derive(Debug, Clone)]
pub struct GeofenceInput {
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    /// Metres (kept to the millimetre).
    pub radius_m: f64,
}

/// The tenant's check-in rules.
#[derive(Debug, Clone)]
pub struct Settings {
    pub geofence_required: bool,
    pub network_required: bool,
    pub geofences: Vec<GeofenceRow>,
    pub networks: Vec<NetworkRow>,
    pub updated_at: Option<i64>,
}

async fn load_settings(conn: &mut AnyConnection, tenant_id: &str) -> ApiResult<Settings> {
    let s = store::settings(conn, tenant_id).await?;
    Ok(Settings {
        geofence_required: s.geofence_required == 1,
        network_required: s.network_required == 1,
        geofences: store::geofences(conn, tenant_id).await?,
        networks: store::networks(conn, tenant_id).await?,
        updated_at: (s.updated_at > 0).then_some(s.updated_at),
    })
}

/// The tenant's rules. Needs `attendance.manage`.
pub async fn settings(state: &AppState, p: &Principal) -> ApiResult<Settings> {
    state.authz.require(p, perm::ATTENDANCE_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    load_settings(&mut conn, &p.tenant_id).await
}

fn coordinate(field: &str, v: f64, max: f64) -> ApiResult<f64> {
    if !v.is_finite() || v.abs() > max {
        return Err(ApiError::validation(
            field,
            format!("must be a number of degrees from -{max} to {max}"),
        ));
    }
    Ok(v)
}

/// Replace the tenant's rules, geofences and networks. Needs `attendance.manage`.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn set_settings(
    state: &AppState,
    p: &Principal,
    geofence_required: bool,
    network_required: bool,
    fences: Vec<GeofenceInput>,
    nets: Vec<(String, String)>,
) -> ApiResult<Settings> {
    let g = state.authz.require(p, perm::ATTENDANCE_MANAGE).await?;
    if fences.len() > MAX_PLACES {
        return Err(ApiError::validation(
            "geofences",
            format!("at most {MAX_PLACES} geofences"),
        ));
    }
    if nets.len() > MAX_PLACES {
        return Err(ApiError::validation(
            "networks",
            format!("at most {MAX_PLACES} networks"),
        ));
    }
    if geofence_required && fences.is_empty() {
        return Err(ApiError::validation(
            "geofences",
            "the geofence rule needs at least one geofence",
        ));
    }
    if network_required && nets.is_empty() {
        return Err(ApiError::validation(
            "networks",
            "the network rule needs at least one allowed network",
        ));
    }
    let mut fence_rows = Vec::with_capacity(fences.len());
    for f in fences {
        let name = crate::http::validate::text("geofences.name", &f.name, 100)?;
        let lat = coordinate("geofences.latitude", f.latitude, 90.0)?;
        let lon = coordinate("geofences.longitude", f.longitude, 180.0)?;
        if !f.radius_m.is_finite() || !(1.0..=MAX_RADIUS_M).contains(&f.radius_m) {
            return Err(ApiError::validation(
                "geofences.radius_m",
                format!("must be 1 to {MAX_RADIUS_M} metres"),
            ));
        }
        fence_rows.push(GeofenceRow {
            id: new_id(),
            name,
            latitude_e7: rules::to_e7(lat),
            longitude_e7: rules::to_e7(lon),
            radius_mm: (f.radius_m * 1000.0).round() as i64,
        });
    }
    let mut net_rows = Vec::with_capacity(nets.len());
    for (cidr, label) in nets {
        if Cidr::parse(&cidr).is_none() {
            return Err(ApiError::validation(
                "networks.cidr",
                format!(
                    "`{}` is not an IP address or network (addr/prefix)",
                    cidr.trim()
                ),
            ));
        }
        let label = crate::http::validate::optional_text("networks.label", Some(&label), 100)?;
        net_rows.push(NetworkRow {
            id: new_id(),
            cidr: cidr.trim().to_string(),
            label: label.unwrap_or_default(),
        });
    }
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    store::set_settings(
        &mut tx,
        &p.tenant_id,
        &SettingsRow {
            geofence_required: i64::from(geofence_required),
            network_required: i64::from(network_required),
            updated_by: p.user_id.clone(),
            updated_at: now,
        },
    )
    .await?;
    store::replace_places(&mut tx, &p.tenant_id, &fence_rows, &net_rows, now).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("attendance.settings_changed")
            .target("tenant", &p.tenant_id)
            .details(json!({
                "geofence_required": geofence_required,
                "network_required": network_required,
                "geofences": fence_rows.iter().map(|f| json!({
                    "name": f.name, "latitude": rules::from_e7(f.latitude_e7),
                    "longitude": rules::from_e7(f.longitude_e7),
                    "radius_m": f.radius_mm as f64 / 1000.0,
                })).collect::<Vec<_>>(),
                "networks": net_rows.iter().map(|n| n.cidr.clone()).collect::<Vec<_>>(),
            })),
    )
    .await?;
    tx.commit().await?;
    let mut conn = state.db.conn().await?;
    load_settings(&mut conn, &p.tenant_id).await
}

// ── schedules ─────────────────────────────────────────────────────────────────────────────

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

// ── check-in and check-out ────────────────────────────────────────────────────────────────

/// Where a punch is made from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Position {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

fn rejected(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::new(Code::CheckinRejected, detail).with_field(field)
}

/// Check a punch against the tenant's rules; the punch to store and the geofence it was in.
async fn admit(
    conn: &mut AnyConnection,
    p: &Principal,
    at: Position,
    now: i64,
) -> ApiResult<(Punch, Option<String>)> {
    let coords = match (at.latitude, at.longitude) {
        (Some(lat), Some(lon)) => Some((
            coordinate("latitude", lat, 90.0)?,
            coordinate("longitude", lon, 180.0)?,
        )),
        (None, None) => None,
        (Some(_), None) => {
            return Err(ApiError::validation(
                "longitude",
                "give both latitude and longitude",
            ))
        }
        (None, Some(_)) => {
            return Err(ApiError::validation(
                "latitude",
                "give both latitude and longitude",
            ))
        }
    };
    // Stored and compared at 1e-7 degree, so a point is judged exactly as it is kept.
    let coords = coords.map(|(a, o)| (rules::to_e7(a), rules::to_e7(o)));
    let s = load_settings(conn, &p.tenant_id).await?;
    let mut fence = None;
    if s.geofence_required {
        let Some((lat, lon)) = coords else {
            return Err(rejected(
                "latitude",
                "location required: this tenant accepts check-ins only inside its geofences; \
                 send latitude and longitude",
            ));
        };
        let fences: Vec<Fence> = s
            .geofences
            .iter()
            .map(|f| Fence {
                name: f.name.clone(),
                lat: rules::from_e7(f.latitude_e7),
                lon: rules::from_e7(f.longitude_e7),
                radius_mm: f.radius_mm,
            })
            .collect();
        match rules::locate(&fences, rules::from_e7(lat), rules::from_e7(lon)) {
            Some((true, f, _)) => fence = Some(f.name.clone()),
            Some((false, f, d)) => {
                return Err(rejected(
                    "latitude",
                    format!(
                        "outside every geofence: the nearest, “{}”, is {:.1} m from here \
                         (radius {:.1} m)",
                        f.name,
                        d,
                        f.radius_mm as f64 / 1000.0
                    ),
                ))
            }
            None => {
                return Err(rejected("latitude", "outside every geofence: none is set"));
            }
        }
    }
    if s.network_required {
        let ip = p.ctx.ip.parse::<std::net::IpAddr>().ok();
        let allowed = ip.is_some_and(|ip| {
            s.networks
                .iter()
                .filter_map(|n| Cidr::parse(&n.cidr))
                .any(|c| c.contains(ip))
        });
        if !allowed {
            return Err(rejected(
                "network",
                format!(
                    "not on an allowed network: the client address {} is in none of this \
                     tenant's networks",
                    if p.ctx.ip.is_empty() {
                        "(unknown)"
                    } else {
                        &p.ctx.ip
                    }
                ),
            ));
        }
    }
    Ok((
        Punch {
            at: now,
            lat_e7: coords.map(|c| c.0),
            lon_e7: coords.map(|c| c.1),
            ip: p.ctx.ip.clone(),
        },
        fence,
    ))
}

/// The zone and today's date of a person (their schedule's zone; UTC without a schedule).
async fn today(conn: &mut AnyConnection, p: &Principal, now: i64) -> ApiResult<(Tz, NaiveDate)> {
    let tz = match schedule_of(conn, &p.tenant_id, &p.user_id).await? {
        Some(s) => rules_of(&s).zone,
        None => Tz::UTC,
    };
    Ok((tz, rules::local_date(tz, now)))
}

/// Check in for today (in the zone of the person's schedule). Once a day: a second check-in
/// is 409. Needs `attendance.checkin`.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn check_in(
    state: &AppState,
    p: &Principal,
    at: Position,
) -> ApiResult<(String, NaiveDate)> {
    let g = state.authz.require(p, perm::ATTENDANCE_CHECKIN).await?;
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let (punch, fence) = admit(&mut tx, p, at, now).await?;
    let (tz, date) = today(&mut tx, p, now).await?;
    let day = date.format("%Y-%m-%d").to_string();
    let id = match store::record(&mut tx, &p.tenant_id, &p.user_id, &day).await? {
        Some(r) if r.check_in_at.is_some() => {
            return Err(ApiError::conflict(
                Code::Conflict,
                format!(
                    "already checked in today, at {}",
                    rfc3339(r.check_in_at.unwrap_or_default())
                ),
            ))
        }
        Some(r) => {
            store::set_check_in(&mut tx, &p.tenant_id, &r.id, &punch).await?;
            r.id
        }
        None => {
            let r = RecordRow {
                id: new_id(),
                user_id: p.user_id.clone(),
                work_date: day.clone(),
                zone: tz.name().to_string(),
                check_in_at: Some(now),
                check_in_lat_e7: punch.lat_e7,
                check_in_lon_e7: punch.lon_e7,
                check_in_ip: Some(punch.ip.clone()),
                created_at: now,
                updated_at: now,
                ..RecordRow::default()
            };
            store::insert_record(&mut tx, &p.tenant_id, &r).await?;
            r.id
        }
    };
    audit::record(
        &mut tx,
        g.principal()
            .audit("attendance.checked_in")
            .target("attendance_record", &id)
            .details(json!({ "date": day, "geofence": fence })),
    )
    .await?;
    tx.commit().await?;
    Ok((id, date))
}

/// Check out for today: after today's check-in; a later check-out replaces an earlier one.
/// Needs `attendance.checkin`.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn check_out(
    state: &AppState,
    p: &Principal,
    at: Position,
) -> ApiResult<(String, NaiveDate)> {
    let g = state.authz.require(p, perm::ATTENDANCE_CHECKIN).await?;
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let (punch, fence) = admit(&mut tx, p, at, now).await?;
    let (_, date) = today(&mut tx, p, now).await?;
    let day = date.format("%Y-%m-%d").to_string();
    let record = store::record(&mut tx, &p.tenant_id, &p.user_id, &day)
        .await?
        .filter(|r| r.check_in_at.is_some())
        .ok_or_else(|| ApiError::conflict(Code::Conflict, "not checked in today"))?;
    store::set_check_out(&mut tx, &p.tenant_id, &record.id, &punch).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("attendance.checked_out")
            .target("attendance_record", &record.id)
            .details(json!({ "date": day, "geofence": fence })),
    )
    .await?;
    tx.commit().await?;
    Ok((record.id, date))
}
