//! `/attendance/checkin`, `/attendance/checkout`, `/attendance/records`, summaries, the CSV
//! export and excused days.

use super::{
    csv, excused,
    records::{self, DayView},
    service::{self, Position},
    store::ExcusedRow,
    summary::{self, PersonMonth, Summary},
};
use crate::{
    authn::Session,
    db::rfc3339,
    error::ApiResult,
    http::{ApiTags, NoContent},
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::{Binary, Json},
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct Punch {
    /// Degrees, WGS 84. Required (with `longitude`) when the tenant's geofence rule is on.
    pub latitude: Option<f64>,
    /// Degrees, WGS 84.
    pub longitude: Option<f64>,
}

/// A correction of a day, as kept.
#[derive(Debug, Object)]
pub struct Correction {
    pub id: String,
    /// The check-in that counts after this correction.
    pub check_in_at: Option<String>,
    pub check_out_at: Option<String>,
    pub reason: String,
    /// Who corrected it (empty once that person's account is erased).
    pub corrected_by: String,
    pub created_at: String,
}

/// One day of a person, judged now against the schedule that applies to them.
#[derive(Debug, Object)]
pub struct Day {
    /// `YYYY-MM-DD`, in the zone of the person's schedule.
    pub date: String,
    /// `present`, `absent` (a scheduled work day that ended without a check-in, not
    /// excused), `excused`, `pending` (a work day not over yet) or `off`.
    pub status: String,
    /// A work day of the person's schedule.
    pub scheduled: bool,
    /// Checked in after the start plus the grace minutes.
    pub late: bool,
    /// Minutes after the start (the grace not deducted) of a late check-in.
    pub late_minutes: i64,
    /// Checked out before the scheduled end.
    pub early_leave: bool,
    pub early_minutes: i64,
    /// Checked in, the scheduled end has passed, no check-out.
    pub missing_check_out: bool,
    pub worked_minutes: i64,
    /// `leave`, `trip` or `other` when the day is excused.
    pub excused: Option<String>,
    /// The times that count: the latest correction's, else the punches.
    pub check_in_at: Option<String>,
    pub check_out_at: Option<String>,
    /// The punches as the person made them; a correction never changes them.
    pub original_check_in_at: Option<String>,
    pub original_check_out_at: Option<String>,
    /// Every correction of the day, oldest first.
    pub corrections: Vec<Correction>,
}

impl From<DayView> for Day {
    fn from(d: DayView) -> Self {
        let at = |v: Option<i64>| v.map(rfc3339);
        Day {
            date: d.date.format("%Y-%m-%d").to_string(),
            status: d.day.status.as_str().to_string(),
            scheduled: d.day.scheduled,
            late: d.day.late,
            late_minutes: d.day.late_minutes,
            early_leave: d.day.early_leave,
            early_minutes: d.day.early_minutes,
            missing_check_out: d.day.missing_check_out,
            worked_minutes: d.day.worked_minutes,
            excused: d.excused,
            check_in_at: at(d.check_in_at),
            check_out_at: at(d.check_out_at),
            original_check_in_at: at(d.original_check_in_at),
            original_check_out_at: at(d.original_check_out_at),
            corrections: d
                .corrections
                .into_iter()
                .map(|c| Correction {
                    id: c.id,
                    check_in_at: at(c.check_in_at),
                    check_out_at: at(c.check_out_at),
                    reason: c.reason,
                    corrected_by: c.corrected_by,
                    created_at: rfc3339(c.created_at),
                })
                .collect(),
        }
    }
}

/// The schedule a person's days are judged by.
#[derive(Debug, Object)]
pub struct ScheduleRef {
    pub id: String,
    pub name: String,
    pub zone: String,
}

#[derive(Debug, Object)]
pub struct Days {
    pub user_id: String,
    /// Absent when no schedule applies to the person (every day is `off` or `present`).
    pub schedule: Option<ScheduleRef>,
    pub days: Vec<Day>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CorrectionInput {
    /// The check-in that counts (RFC 3339; on the day, in the record's zone). Absent: keep.
    #[oai(validator(max_length = 64))]
    pub check_in_at: Option<String>,
    /// The check-out that counts (after the check-in, within 24 hours). Absent: keep.
    #[oai(validator(max_length = 64))]
    pub check_out_at: Option<String>,
    /// Why (kept with the correction and in the audit log).
    #[oai(validator(max_length = 2000))]
    pub reason: String,
}

#[derive(Debug, Object)]
pub struct SummaryCounts {
    pub scheduled_days: i64,
    pub present_days: i64,
    pub late_days: i64,
    pub late_minutes: i64,
    pub early_leave_days: i64,
    pub absent_days: i64,
    /// Scheduled days that were excused.
    pub excused_days: i64,
    pub missing_check_out_days: i64,
    pub worked_minutes: i64,
    pub corrected_days: i64,
}

impl From<Summary> for SummaryCounts {
    fn from(s: Summary) -> Self {
        SummaryCounts {
            scheduled_days: s.scheduled_days,
            present_days: s.present_days,
            late_days: s.late_days,
            late_minutes: s.late_minutes,
            early_leave_days: s.early_leave_days,
            absent_days: s.absent_days,
            excused_days: s.excused_days,
            missing_check_out_days: s.missing_check_out_days,
            worked_minutes: s.worked_minutes,
            corrected_days: s.corrected_days,
        }
    }
}

#[derive(Debug, Object)]
pub struct PersonSummary {
    pub user_id: String,
    pub display_name: String,
    /// `YYYY-MM`.
    pub month: String,
    pub counts: SummaryCounts,
}

fn person_summary(m: PersonMonth, month: &str) -> PersonSummary {
    PersonSummary {
        user_id: m.user_id,
        display_name: m.display_name,
        month: month.to_string(),
        counts: m.summary.into(),
    }
}

#[derive(Debug, Object)]
pub struct DepartmentSummary {
    pub department_id: String,
    pub month: String,
    /// Every person the department covers now, by name.
    pub people: Vec<PersonSummary>,
    /// The sums over them.
    pub totals: SummaryCounts,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ExcusedInput {
    #[oai(validator(max_length = 64))]
    pub user_id: String,
    /// `YYYY-MM-DD`, first day excused.
    #[oai(validator(max_length = 32))]
    pub first_date: String,
    /// `YYYY-MM-DD`, last day excused (at most a year after the first).
    #[oai(validator(max_length = 32))]
    pub last_date: String,
    /// `leave`, `trip` or `other`.
    #[oai(validator(max_length = 32))]
    pub kind: String,
    #[oai(validator(max_length = 2000))]
    pub note: Option<String>,
}

/// Excused days: no absence is flagged on them.
#[derive(Debug, Object)]
pub struct Excused {
    pub id: String,
    pub user_id: String,
    pub first_date: String,
    pub last_date: String,
    pub kind: String,
    /// `manual`, or the feature that wrote it (approvals).
    pub source: String,
    pub note: String,
    pub created_at: String,
}

impl From<ExcusedRow> for Excused {
    fn from(e: ExcusedRow) -> Self {
        Excused {
            id: e.id,
            user_id: e.user_id,
            first_date: e.first_date,
            last_date: e.last_date,
            kind: e.kind,
            source: e.source,
            note: e.note,
            created_at: rfc3339(e.created_at),
        }
    }
}

/// A page of excused days, latest first.
#[derive(Debug, Object)]
pub struct ExcusedList {
    pub items: Vec<Excused>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
pub enum ExcusedCreated {
    #[oai(status = 201)]
    Created(Json<Excused>),
}

#[derive(ApiResponse)]
pub enum CsvResponse {
    /// Columns: `user_id,display_name,date,status,scheduled,check_in_at,check_out_at,
    /// original_check_in_at,original_check_out_at,corrected,late,late_minutes,early_leave,
    /// early_minutes,missing_check_out,worked_minutes,excused`.
    #[oai(status = 200, content_type = "text/csv")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

async fn today(
    state: &AppState,
    p: &crate::authn::Principal,
    user_id: &str,
    date: chrono::NaiveDate,
) -> ApiResult<Day> {
    let d = date.format("%Y-%m-%d").to_string();
    let days = records::days(state, p, Some(user_id), &d, &d).await?;
    days.days
        .into_iter()
        .next()
        .map(Into::into)
        .ok_or_else(|| crate::error::ApiError::not_found("day"))
}

#[derive(Default)]
pub struct AttendanceApi;

#[OpenApi(tag = "ApiTags::Attendance")]
impl AttendanceApi {
    /// Check in
    ///
    /// For today in the zone of the person's schedule (UTC without one), once a day (409 for a
    /// second). Every rule the tenant has switched on must pass, or 422 `checkin_rejected`
    /// says why: with the geofence rule, `latitude` and `longitude` inside one of the
    /// geofences (the boundary counts as inside); with the network rule, a client address in
    /// one of the allowed networks (`X-Forwarded-For` counts only from a trusted proxy).
    /// Answers the day. Needs `attendance.checkin`.
    #[oai(
        path = "/attendance/checkin",
        method = "post",
        operation_id = "attendance_checkin"
    )]
    async fn checkin(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<Punch>,
    ) -> ApiResult<Json<Day>> {
        let at = Position {
            latitude: body.0.latitude,
            longitude: body.0.longitude,
        };
        let (_, date) = service::check_in(&state, &auth.0, at).await?;
        Ok(Json(today(&state, &auth.0, &auth.0.user_id, date).await?))
    }

    /// Check out
    ///
    /// After today's check-in (409 otherwise); a later check-out replaces an earlier one. The
    /// same rules as for checking in apply. Needs `attendance.checkin`.
    #[oai(
        path = "/attendance/checkout",
        method = "post",
        operation_id = "attendance_checkout"
    )]
    async fn checkout(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<Punch>,
    ) -> ApiResult<Json<Day>> {
        let at = Position {
            latitude: body.0.latitude,
            longitude: body.0.longitude,
        };
        let (_, date) = service::check_out(&state, &auth.0, at).await?;
        Ok(Json(today(&state, &auth.0, &auth.0.user_id, date).await?))
    }

    /// A person's days
    ///
    /// Every date from `from` to `to` (at most 62 days), judged now against the schedule that
    /// applies to the person now: status, late, early leave, missing check-out, excused, the
    /// times that count and the original punches, and the corrections. One's own days need
    /// `attendance.checkin`; another person's (`user_id`) need `attendance.manage`.
    #[oai(
        path = "/attendance/records",
        method = "get",
        operation_id = "attendance_records_list"
    )]
    async fn records(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        /// `YYYY-MM-DD`.
        from: Query<String>,
        /// `YYYY-MM-DD`, inclusive.
        to: Query<String>,
        /// Absent: the caller.
        user_id: Query<Option<String>>,
    ) -> ApiResult<Json<Days>> {
        let d = records::days(&state, &auth.0, user_id.0.as_deref(), &from.0, &to.0).await?;
        Ok(Json(Days {
            user_id: d.user_id,
            schedule: d.schedule.map(|s| ScheduleRef {
                id: s.id,
                name: s.name,
                zone: s.zone,
            }),
            days: d.days.into_iter().map(Into::into).collect(),
        }))
    }

    /// Correct a day
    ///
    /// Sets the check-in and/or check-out that count for a person's day, with a reason. The
    /// punches the person made stay visible as the original; every correction is kept and
    /// audited. A day without a record (a forgotten check-in) gets one. Needs
    /// `attendance.manage`.
    #[oai(
        path = "/attendance/records/:user_id/:date/corrections",
        method = "post",
        operation_id = "attendance_records_correct"
    )]
    async fn correct(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        user_id: Path<String>,
        /// `YYYY-MM-DD`.
        date: Path<String>,
        body: Json<CorrectionInput>,
    ) -> ApiResult<Json<Day>> {
        let b = body.0;
        let d = records::correct(
            &state,
            &auth.0,
            &user_id.0,
            &date.0,
            records::CorrectionInput {
                check_in_at: b.check_in_at,
                check_out_at: b.check_out_at,
                reason: b.reason,
            },
        )
        .await?;
        Ok(Json(d.into()))
    }

    /// A person's month
    ///
    /// Counts over a month (`YYYY-MM`). One's own need `attendance.checkin`; another
    /// person's (`user_id`) need `attendance.manage`.
    #[oai(
        path = "/attendance/summary",
        method = "get",
        operation_id = "attendance_summary_person"
    )]
    async fn summary(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        /// `YYYY-MM`.
        month: Query<String>,
        user_id: Query<Option<String>>,
    ) -> ApiResult<Json<PersonSummary>> {
        let m = summary::person_month(&state, &auth.0, user_id.0.as_deref(), &month.0).await?;
        Ok(Json(person_summary(m, month.0.trim())))
    }

    /// A department's month
    ///
    /// Counts over a month for everyone the department covers now (with `subtree`, the
    /// default, its sub-departments' members too), and their totals. Needs
    /// `attendance.manage`.
    #[oai(
        path = "/attendance/departments/:id/summary",
        method = "get",
        operation_id = "attendance_summary_department"
    )]
    async fn department_summary(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        /// `YYYY-MM`.
        month: Query<String>,
        subtree: Query<Option<bool>>,
    ) -> ApiResult<Json<DepartmentSummary>> {
        let (people, totals) =
            summary::department_month(&state, &auth.0, &id.0, subtree.0.unwrap_or(true), &month.0)
                .await?;
        let month = month.0.trim().to_string();
        Ok(Json(DepartmentSummary {
            department_id: id.0,
            people: people
                .into_iter()
                .map(|m| person_summary(m, &month))
                .collect(),
            month,
            totals: totals.into(),
        }))
    }

    /// Export a month as CSV
    ///
    /// One row per person and date of the month (`YYYY-MM`): everyone active, a department's
    /// people (with its sub-departments') or one person. Needs `attendance.manage`.
    #[oai(
        path = "/attendance/export",
        method = "get",
        operation_id = "attendance_export"
    )]
    async fn export(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        /// `YYYY-MM`.
        month: Query<String>,
        department_id: Query<Option<String>>,
        user_id: Query<Option<String>>,
    ) -> ApiResult<CsvResponse> {
        let months = summary::export_month(
            &state,
            &auth.0,
            &month.0,
            department_id.0.as_deref(),
            user_id.0.as_deref(),
        )
        .await?;
        let bytes = csv::render(&months)?;
        let file = crate::http::content_disposition(&format!("attendance-{}.csv", month.0.trim()));
        Ok(CsvResponse::Ok(Binary(bytes), file))
    }

    /// Excuse days
    ///
    /// Days on which a person is not expected (leave, a trip, other): no absence is flagged
    /// on them. Approved leave and business trips will be written here by approvals. Needs
    /// `attendance.manage`.
    #[oai(
        path = "/attendance/excused",
        method = "post",
        operation_id = "attendance_excused_create"
    )]
    async fn excuse(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<ExcusedInput>,
    ) -> ApiResult<ExcusedCreated> {
        let b = body.0;
        let row = excused::create_excused(
            &state,
            &auth.0,
            &b.user_id,
            &b.first_date,
            &b.last_date,
            &b.kind,
            b.note.as_deref(),
        )
        .await?;
        Ok(ExcusedCreated::Created(Json(row.into())))
    }

    /// List excused days
    ///
    /// Everyone's or one person's (`user_id`), latest first day first; with `from` and/or
    /// `to` (`YYYY-MM-DD`) only spans touching those days. Paged with `cursor` and `limit`.
    /// Needs `attendance.manage`.
    #[oai(
        path = "/attendance/excused",
        method = "get",
        operation_id = "attendance_excused_list"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn excused_list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        user_id: Query<Option<String>>,
        from: Query<Option<String>>,
        to: Query<Option<String>>,
        cursor: Query<Option<String>>,
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<ExcusedList>> {
        let (rows, next_cursor) = excused::list_excused(
            &state,
            &auth.0,
            user_id.0.as_deref(),
            from.0.as_deref(),
            to.0.as_deref(),
            cursor.0.as_deref(),
            limit.0,
        )
        .await?;
        Ok(Json(ExcusedList {
            items: rows.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// Remove excused days
    ///
    /// Needs `attendance.manage`.
    #[oai(
        path = "/attendance/excused/:id",
        method = "delete",
        operation_id = "attendance_excused_delete"
    )]
    async fn unexcuse(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        excused::delete_excused(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }
}
