//! Daily records, computed at read time: for every date of a range, the person's schedule
//! (the one that applies **now**: changing a schedule re-judges past days), the times that
//! count (the latest correction's, else the punches), their excused days, and the present
//! moment give the day's status and flags ([`rules::judge`]). Nothing is stored per day but
//! the punches and corrections, so no periodic pass is needed: a scheduled work day whose end
//! has passed without a check-in reads as absent from then on, unless excused.
//!
//! A person reads their own days (`attendance.checkin`); `attendance.manage` reads
//! everyone's, corrects them (with a reason; the original punches stay visible), sets excused
//! days by hand ([`super::excused`]: the seam for leave and business trips), and reads monthly
//! summaries per person and per department and the CSV export ([`super::summary`]).

use super::{
    rules::{self, Day},
    schedules::{self, rules_of},
    store::{self, CorrectionRow, RecordRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{is_id, new_id, now_ms, parse_rfc3339},
    error::{ApiError, ApiResult},
    users, AppState,
};
use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// The longest range of days one read covers.
pub const MAX_DAYS: i64 = 62;
/// Longest correction reason or excused-day note, in characters.
pub const MAX_REASON: usize = 500;

/// One correction of a day.
#[derive(Debug, Clone)]
pub struct Correction {
    pub row: CorrectionRow,
}

/// One day of a person, as judged now.
#[derive(Debug, Clone)]
pub struct DayView {
    pub date: NaiveDate,
    pub record_id: Option<String>,
    pub day: Day,
    pub excused: Option<String>,
    /// The times that count (corrected when corrected).
    pub check_in_at: Option<i64>,
    pub check_out_at: Option<i64>,
    /// The punches as made.
    pub original_check_in_at: Option<i64>,
    pub original_check_out_at: Option<i64>,
    pub corrections: Vec<CorrectionRow>,
}

/// A person's days over a range, with the schedule they were judged by.
#[derive(Debug, Clone)]
pub struct Days {
    pub user_id: String,
    pub schedule: Option<store::ScheduleRow>,
    pub days: Vec<DayView>,
}

/// `YYYY-MM-DD`.
pub fn parse_date(field: &str, raw: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::validation(field, "must be a date YYYY-MM-DD"))
}

/// `YYYY-MM`: its first and last day.
pub fn parse_month(field: &str, raw: &str) -> ApiResult<(NaiveDate, NaiveDate)> {
    let bad = || ApiError::validation(field, "must be a month YYYY-MM");
    let first =
        NaiveDate::parse_from_str(&format!("{}-01", raw.trim()), "%Y-%m-%d").map_err(|_| bad())?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    let last = next.and_then(|n| n.pred_opt()).ok_or_else(bad)?;
    Ok((first, last))
}

pub(super) fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(super) fn person_not_found() -> ApiError {
    ApiError::not_found("person")
}

/// A person whose days are judged: from the users feature's account.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub display_name: String,
    /// Days before the account existed are nobody's work days.
    pub created_at: i64,
}

/// A person of the tenant (any status: a disabled person's history stays readable), or
/// `None`.
pub(super) async fn find_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> ApiResult<Option<Person>> {
    if !is_id(id) {
        return Ok(None);
    }
    Ok(users::service::find(conn, tenant_id, id)
        .await?
        .map(|u| Person {
            id: u.id,
            display_name: u.display_name,
            created_at: u.created_at,
        }))
}

/// [`find_person`], or 404.
pub(super) async fn known_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> ApiResult<Person> {
    find_person(conn, tenant_id, id)
        .await?
        .ok_or_else(person_not_found)
}

/// Whose days the caller may read: their own with `attendance.checkin`, anyone's with
/// `attendance.manage`.
pub(super) async fn reader_of(
    state: &AppState,
    p: &Principal,
    user_id: Option<&str>,
) -> ApiResult<String> {
    match user_id.filter(|u| !u.is_empty() && *u != p.user_id) {
        None => {
            state.authz.require(p, perm::ATTENDANCE_CHECKIN).await?;
            Ok(p.user_id.clone())
        }
        Some(other) => {
            state.authz.require(p, perm::ATTENDANCE_MANAGE).await?;
            Ok(other.to_string())
        }
    }
}

/// Judge a person's days from `first` to `last` (inclusive), at `now`.
pub async fn judge_days(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user: &Person,
    first: NaiveDate,
    last: NaiveDate,
    now: i64,
) -> ApiResult<Days> {
    let schedule = schedules::schedule_of(conn, tenant_id, &user.id).await?;
    let rules = schedule.as_ref().map(rules_of);
    let zone = rules.as_ref().map_or(Tz::UTC, |r| r.zone);
    let joined = rules::local_date(zone, user.created_at);
    let (a, b) = (ymd(first), ymd(last));
    let records: HashMap<String, RecordRow> = store::records(conn, tenant_id, &user.id, &a, &b)
        .await?
        .into_iter()
        .map(|r| (r.work_date.clone(), r))
        .collect();
    let mut corrections: HashMap<String, Vec<CorrectionRow>> = HashMap::new();
    for c in store::corrections(conn, tenant_id, &user.id, &a, &b).await? {
        corrections.entry(c.record_id.clone()).or_default().push(c);
    }
    let excused = store::excused(conn, tenant_id, &user.id, &a, &b).await?;
    let mut days = Vec::new();
    let mut d = first;
    while d <= last {
        let key = ymd(d);
        let record = records.get(&key);
        let fixes = record
            .and_then(|r| corrections.remove(&r.id))
            .unwrap_or_default();
        let (ci, co) = match (fixes.last(), record) {
            (Some(c), _) => (c.check_in_at, c.check_out_at),
            (None, Some(r)) => (r.check_in_at, r.check_out_at),
            (None, None) => (None, None),
        };
        let exc = excused
            .iter()
            .find(|e| e.first_date <= key && key <= e.last_date)
            .map(|e| e.kind.clone());
        // Before the account existed a day without a check-in is nobody's work day.
        let applies = rules.as_ref().filter(|_| d >= joined || ci.is_some());
        days.push(DayView {
            date: d,
            record_id: record.map(|r| r.id.clone()),
            day: rules::judge(applies, d, ci, co, exc.is_some(), now),
            excused: exc,
            check_in_at: ci,
            check_out_at: co,
            original_check_in_at: record.and_then(|r| r.check_in_at),
            original_check_out_at: record.and_then(|r| r.check_out_at),
            corrections: fixes,
        });
        d = match d.succ_opt() {
            Some(n) => n,
            None => break,
        };
    }
    Ok(Days {
        user_id: user.id.clone(),
        schedule,
        days,
    })
}

/// A person's days over a range (at most [`MAX_DAYS`]): one's own, or with
/// `attendance.manage` anyone's.
pub async fn days(
    state: &AppState,
    p: &Principal,
    user_id: Option<&str>,
    from: &str,
    to: &str,
) -> ApiResult<Days> {
    let who = reader_of(state, p, user_id).await?;
    let first = parse_date("from", from)?;
    let last = parse_date("to", to)?;
    if last < first {
        return Err(ApiError::validation("to", "must not be before `from`"));
    }
    if (last - first).num_days() >= MAX_DAYS {
        return Err(ApiError::validation(
            "to",
            format!("at most {MAX_DAYS} days at a time"),
        ));
    }
    let mut conn = state.db.conn().await?;
    let user = known_person(&mut conn, &p.tenant_id, &who).await?;
    judge_days(&mut conn, &p.tenant_id, &user, first, last, now_ms()).await
}

/// One day of a person, as judged now.
pub async fn day_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user: &Person,
    date: NaiveDate,
) -> ApiResult<DayView> {
    judge_days(conn, tenant_id, user, date, date, now_ms())
        .await?
        .days
        .pop()
        .ok_or_else(|| ApiError::not_found("day"))
}

/// A correction to make: absent fields keep the times that count now.
#[derive(Debug, Clone)]
pub struct CorrectionInput {
    pub check_in_at: Option<String>,
    pub check_out_at: Option<String>,
    pub reason: String,
}

fn instant(field: &str, raw: &str) -> ApiResult<i64> {
    parse_rfc3339(raw.trim())
        .ok_or_else(|| ApiError::validation(field, "must be an RFC 3339 date-time"))
}

/// Correct a person's day. The record's punches stay as they were (shown as the original);
/// the correction's times count from now on. Needs `attendance.manage`.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, user_id = %user_id))]
pub async fn correct(
    state: &AppState,
    p: &Principal,
    user_id: &str,
    date: &str,
    c: CorrectionInput,
) -> ApiResult<DayView> {
    let g = state.authz.require(p, perm::ATTENDANCE_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    let user = known_person(&mut conn, &p.tenant_id, user_id).await?;
    drop(conn);
    let date = parse_date("date", date)?;
    let reason = crate::http::validate::text("reason", &c.reason, MAX_REASON)?;
    let new_in = c
        .check_in_at
        .as_deref()
        .map(|s| instant("check_in_at", s))
        .transpose()?;
    let new_out = c
        .check_out_at
        .as_deref()
        .map(|s| instant("check_out_at", s))
        .transpose()?;
    if new_in.is_none() && new_out.is_none() {
        return Err(ApiError::validation(
            "check_in_at",
            "give check_in_at, check_out_at or both",
        ));
    }
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let current = day_of(&mut tx, &p.tenant_id, &user, date).await?;
    let record = store::record(&mut tx, &p.tenant_id, &user.id, &ymd(date)).await?;
    let zone: Tz = match &record {
        Some(r) => r.zone.parse().unwrap_or(Tz::UTC),
        None => schedules::schedule_of(&mut tx, &p.tenant_id, &user.id)
            .await?
            .map_or(Tz::UTC, |s| rules_of(&s).zone),
    };
    let ci = new_in.or(current.check_in_at);
    let co = new_out.or(current.check_out_at);
    if let Some(ci) = ci {
        if rules::local_date(zone, ci) != date {
            return Err(ApiError::validation(
                "check_in_at",
                format!("must fall on {} in {}", ymd(date), zone.name()),
            ));
        }
        if ci > now {
            return Err(ApiError::validation(
                "check_in_at",
                "must not be in the future",
            ));
        }
    }
    if let Some(co) = co {
        if co > now {
            return Err(ApiError::validation(
                "check_out_at",
                "must not be in the future",
            ));
        }
        match ci {
            None => {
                return Err(ApiError::validation(
                    "check_in_at",
                    "a day with a check-out needs a check-in",
                ))
            }
            Some(ci) if co <= ci || co - ci > Duration::hours(24).num_milliseconds() => {
                return Err(ApiError::validation(
                    "check_out_at",
                    "must be after the check-in and within 24 hours of it",
                ))
            }
            Some(_) => {}
        }
    }
    let record_id = match record {
        Some(r) => r.id,
        None => {
            let r = RecordRow {
                id: new_id(),
                user_id: user.id.clone(),
                work_date: ymd(date),
                zone: zone.name().to_string(),
                created_at: now,
                updated_at: now,
                ..RecordRow::default()
            };
            store::insert_record(&mut tx, &p.tenant_id, &r).await?;
            r.id
        }
    };
    let row = CorrectionRow {
        id: new_id(),
        record_id: record_id.clone(),
        check_in_at: ci,
        check_out_at: co,
        reason: reason.clone(),
        corrected_by: p.user_id.clone(),
        created_at: now,
    };
    store::insert_correction(&mut tx, &p.tenant_id, &user.id, &row).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("attendance.corrected")
            // The person's entry: its details (the reason) go when the person is erased.
            .target("user", &user.id)
            .details(json!({
                "record_id": record_id, "date": ymd(date),
                "before": { "check_in_at": current.check_in_at, "check_out_at": current.check_out_at },
                "after": { "check_in_at": ci, "check_out_at": co },
                "reason": reason,
            })),
    )
    .await?;
    tx.commit().await?;
    let mut conn = state.db.conn().await?;
    day_of(&mut conn, &p.tenant_id, &user, date).await
}
