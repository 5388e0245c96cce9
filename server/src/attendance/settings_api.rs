//! `/attendance/settings` (the check-in rules, geofences, allowed networks) and
//! `/attendance/schedules` (work schedules and who follows them). Needs `attendance.manage`.

use super::{
    rules,
    schedules::{self, ScheduleInput},
    service::{self, GeofenceInput},
};
use crate::{
    authn::Session,
    db::rfc3339,
    error::ApiResult,
    http::{ApiTags, NoContent},
    AppState,
};
use poem::web::Data;
use poem_openapi::{param::Path, payload::Json, ApiResponse, Object, OpenApi};
use std::sync::Arc;

/// A named circle: check-ins inside it (the boundary included) pass the geofence rule.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct Geofence {
    #[oai(validator(max_length = 400))]
    pub name: String,
    /// Degrees, WGS 84 (stored to 1e-7 degree).
    pub latitude: f64,
    pub longitude: f64,
    /// Metres, 1 to 100 000 (kept to the millimetre); distance by the haversine formula on a
    /// sphere of the mean Earth radius; a point at exactly the radius is inside.
    pub radius_m: f64,
}

/// A network check-ins may come from: `addr/prefix` or a single address, IPv4 or IPv6.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct Network {
    #[oai(validator(max_length = 64))]
    pub cidr: String,
    #[oai(validator(max_length = 400))]
    pub label: Option<String>,
}

/// The tenant's check-in rules. Every rule switched on must pass.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct Settings {
    /// Check-ins must carry coordinates inside one of the geofences.
    pub geofence_required: bool,
    /// Check-ins must come from a client address in one of the networks.
    pub network_required: bool,
    /// At most 100.
    pub geofences: Vec<Geofence>,
    /// At most 100.
    pub networks: Vec<Network>,
}

#[derive(Debug, Object)]
pub struct SettingsView {
    pub geofence_required: bool,
    pub network_required: bool,
    pub geofences: Vec<GeofenceView>,
    pub networks: Vec<NetworkView>,
    /// Absent until the rules are first set.
    pub updated_at: Option<String>,
}

#[derive(Debug, Object)]
pub struct GeofenceView {
    pub id: String,
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    pub radius_m: f64,
}

#[derive(Debug, Object)]
pub struct NetworkView {
    pub id: String,
    pub cidr: String,
    pub label: String,
}

impl From<service::Settings> for SettingsView {
    fn from(s: service::Settings) -> Self {
        SettingsView {
            geofence_required: s.geofence_required,
            network_required: s.network_required,
            geofences: s
                .geofences
                .into_iter()
                .map(|f| GeofenceView {
                    id: f.id,
                    name: f.name,
                    latitude: rules::from_e7(f.latitude_e7),
                    longitude: rules::from_e7(f.longitude_e7),
                    radius_m: f.radius_mm as f64 / 1000.0,
                })
                .collect(),
            networks: s
                .networks
                .into_iter()
                .map(|n| NetworkView {
                    id: n.id,
                    cidr: n.cidr,
                    label: n.label,
                })
                .collect(),
            updated_at: s.updated_at.map(rfc3339),
        }
    }
}

/// A work schedule as given.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ScheduleBody {
    /// Unique in the tenant (ignoring case and accents).
    #[oai(validator(max_length = 400))]
    pub name: String,
    /// IANA time zone of the times (`Asia/Ho_Chi_Minh`, `Europe/Berlin`).
    #[oai(validator(max_length = 64))]
    pub zone: String,
    /// ISO weekdays worked: 1 = Monday … 7 = Sunday.
    #[oai(validator(max_items = 7))]
    pub days: Vec<u8>,
    /// `HH:MM`, wall-clock time in the zone.
    #[oai(validator(max_length = 8))]
    pub start: String,
    /// `HH:MM`, after the start (no overnight shifts).
    #[oai(validator(max_length = 8))]
    pub end: String,
    /// Minutes after the start before a check-in counts as late (0 to 240; default 0). Leaving
    /// has no grace.
    #[oai(default)]
    pub grace_minutes: i64,
    /// Departments that follow it: their members, and the members of departments below them
    /// that have no schedule of their own (the nearest department of a person's primary
    /// chain wins). A department follows at most one schedule (409).
    #[oai(default, validator(max_items = 1000))]
    pub departments: Vec<String>,
    /// People who follow it whatever their department's schedule; at most one each (409).
    #[oai(default, validator(max_items = 1000))]
    pub people: Vec<String>,
}

impl From<ScheduleBody> for ScheduleInput {
    fn from(b: ScheduleBody) -> Self {
        ScheduleInput {
            name: b.name,
            zone: b.zone,
            days: b.days,
            start: b.start,
            end: b.end,
            grace_minutes: b.grace_minutes,
            departments: b.departments,
            people: b.people,
        }
    }
}

#[derive(Debug, Object)]
pub struct Schedule {
    pub id: String,
    pub name: String,
    pub zone: String,
    pub days: Vec<u8>,
    pub start: String,
    pub end: String,
    pub grace_minutes: i64,
    pub departments: Vec<String>,
    pub people: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<schedules::Schedule> for Schedule {
    fn from(s: schedules::Schedule) -> Self {
        Schedule {
            days: schedules::weekdays(s.row.days),
            start: schedules::hhmm(s.row.start_minute),
            end: schedules::hhmm(s.row.end_minute),
            id: s.row.id,
            name: s.row.name,
            zone: s.row.zone,
            grace_minutes: s.row.grace_minutes,
            departments: s.departments,
            people: s.people,
            created_at: rfc3339(s.row.created_at),
            updated_at: rfc3339(s.row.updated_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct ScheduleList {
    pub items: Vec<Schedule>,
}

#[derive(ApiResponse)]
pub enum ScheduleCreated {
    #[oai(status = 201)]
    Created(Json<Schedule>),
}

#[derive(Default)]
pub struct AttendanceSettingsApi;

#[OpenApi(tag = "ApiTags::Attendance")]
impl AttendanceSettingsApi {
    /// The check-in rules
    ///
    /// The geofence and network switches, the geofences and the allowed networks. Needs
    /// `attendance.manage`.
    #[oai(
        path = "/attendance/settings",
        method = "get",
        operation_id = "attendance_settings_get"
    )]
    async fn settings(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<SettingsView>> {
        Ok(Json(service::settings(&state, &auth.0).await?.into()))
    }

    /// Set the check-in rules
    ///
    /// Replaces the switches, geofences and networks. A rule switched on needs at least one
    /// geofence (network). Needs `attendance.manage`.
    #[oai(
        path = "/attendance/settings",
        method = "put",
        operation_id = "attendance_settings_update"
    )]
    async fn set_settings(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<Settings>,
    ) -> ApiResult<Json<SettingsView>> {
        let b = body.0;
        let s = service::set_settings(
            &state,
            &auth.0,
            b.geofence_required,
            b.network_required,
            b.geofences
                .into_iter()
                .map(|f| GeofenceInput {
                    name: f.name,
                    latitude: f.latitude,
                    longitude: f.longitude,
                    radius_m: f.radius_m,
                })
                .collect(),
            b.networks
                .into_iter()
                .map(|n| (n.cidr, n.label.unwrap_or_default()))
                .collect(),
        )
        .await?;
        Ok(Json(s.into()))
    }

    /// List work schedules
    ///
    /// By name, with the departments and people that follow each. Needs `attendance.manage`.
    #[oai(
        path = "/attendance/schedules",
        method = "get",
        operation_id = "attendance_schedules_list"
    )]
    async fn schedules(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<ScheduleList>> {
        let items = schedules::schedules(&state, &auth.0).await?;
        Ok(Json(ScheduleList {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// Create a work schedule
    ///
    /// Needs `attendance.manage`.
    #[oai(
        path = "/attendance/schedules",
        method = "post",
        operation_id = "attendance_schedules_create"
    )]
    async fn create_schedule(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<ScheduleBody>,
    ) -> ApiResult<ScheduleCreated> {
        let s = schedules::create_schedule(&state, &auth.0, body.0.into()).await?;
        Ok(ScheduleCreated::Created(Json(s.into())))
    }

    /// Replace a work schedule
    ///
    /// Its times, days and who follows it. Past days are judged by the new schedule from
    /// then on. Needs `attendance.manage`.
    #[oai(
        path = "/attendance/schedules/:id",
        method = "put",
        operation_id = "attendance_schedules_update"
    )]
    async fn update_schedule(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<ScheduleBody>,
    ) -> ApiResult<Json<Schedule>> {
        let s = schedules::update_schedule(&state, &auth.0, &id.0, body.0.into()).await?;
        Ok(Json(s.into()))
    }

    /// Delete a work schedule
    ///
    /// Its departments and people follow none (or a department's above them). Needs
    /// `attendance.manage`.
    #[oai(
        path = "/attendance/schedules/:id",
        method = "delete",
        operation_id = "attendance_schedules_delete"
    )]
    async fn delete_schedule(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        schedules::delete_schedule(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }
}
