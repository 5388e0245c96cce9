//! Rules for check-in and check-out (the tenant's geofence and network rules), the tenant's
//! attendance settings (schedules are in [`super::schedules`]).
//!
//! A check-in must pass **every** rule the tenant has switched on: with the geofence rule,
//! coordinates inside one of the geofences (distance by haversine, the boundary counts as
//! inside); with the network rule, a client address inside one of the allowed networks. The
//! client address is the one `ops::ctx` resolved (`Principal.ctx.ip`): `X-Forwarded-For` is
//! believed only from a peer in `[http] trusted_proxies`.

use super::{
    rules::{self, Fence},
    schedules::{rules_of, schedule_of},
    store::{self, GeofenceRow, NetworkRow, Punch, RecordRow, SettingsRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{new_id, now_ms, rfc3339},
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
