//! All of attendance's SQL, over its own tables; every function takes the tenant id.
//! One file per resource, re-exported here; the row types live here.

mod excused;
mod lifecycle;
mod records;
mod schedules;
mod settings;

pub use excused::*;
pub use lifecycle::*;
pub use records::*;
pub use schedules::*;
pub use settings::*;

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
