//! Attendance: people check in and out (`attendance.checkin`) under the tenant's rules —
//! geofences (a named centre and radius; haversine distance, the boundary inside) and allowed
//! networks (the client address in a CIDR list), each switched on or off per tenant, every rule
//! that is on must pass; work schedules (weekdays, start and end in an IANA zone, grace
//! minutes) followed by departments or people; daily records judged at read time (late, early
//! leave, missing check-out, absent); corrections with a reason that keep the original
//! punches visible; excused days (set by hand, or from granted absences — approved leave and
//! business trips — through the absence seam, [`crate::absences`]); monthly summaries per person and department and a CSV export
//! (`attendance.manage`).
//!
//! - [`service`]: the rules, settings, schedules (which schedule applies to a person), check-in
//!   and check-out; [`rules`]: the pure parts (distance, zones, judging a day).
//! - [`records`]: days, corrections, summaries, the export, excused days ([`excused::excuse`]
//!   and [`excused::withdraw`] for other features; [`excused::on_absence_granted`] consumes the
//!   absence seam).
//! - [`api`], [`settings_api`]: the routes; [`csv`]: the CSV layout.
//! - [`lifecycle`], [`export`]: the `attendance_records` data class, erasure, a person's export.

pub mod api;
pub mod csv;
pub mod excused;
pub mod export;
pub mod hooks;
pub mod lifecycle;
pub mod records;
pub mod rules;
pub mod schedules;
pub mod service;
pub mod settings_api;
pub mod store;
pub mod summary;
