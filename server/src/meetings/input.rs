//! Input rules for meetings: text fields, coordinates, online link, visibility, reminders,
//! start and end (wall-clock or dates), attendees, attachments and EXDATEs.

use super::{
    model::{
        AttendeeIn, MAX_ATTACHMENTS, MAX_ATTENDEES, MAX_DESCRIPTION, MAX_DURATION_MS, MAX_LOCATION,
        MAX_REMINDERS, MAX_REMINDER_MINUTES,
    },
    recur,
    recur::Series,
};
use crate::{
    authn::Principal,
    db::is_id,
    directory::audience::Target,
    error::{ApiError, ApiResult},
    files, AppState,
};
use chrono_tz::Tz;
use sqlx::AnyConnection;

pub fn description(raw: Option<&str>) -> ApiResult<String> {
    let t = raw.map(str::trim).unwrap_or_default();
    if t.chars().count() > MAX_DESCRIPTION {
        return Err(ApiError::validation(
            "description",
            format!("must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    if t.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::validation(
            "description",
            "must not contain control characters other than line breaks and tabs",
        ));
    }
    Ok(t.to_string())
}

pub fn location(raw: Option<&str>) -> ApiResult<String> {
    Ok(crate::http::validate::optional_text("location", raw, MAX_LOCATION)?.unwrap_or_default())
}

/// Latitude and longitude together, in range.
pub fn coordinates(lat: Option<f64>, lon: Option<f64>) -> ApiResult<Option<(f64, f64)>> {
    match (lat, lon) {
        (None, None) => Ok(None),
        (Some(a), Some(o)) => {
            if !a.is_finite() || !(-90.0..=90.0).contains(&a) {
                return Err(ApiError::validation("latitude", "must be -90 to 90"));
            }
            if !o.is_finite() || !(-180.0..=180.0).contains(&o) {
                return Err(ApiError::validation("longitude", "must be -180 to 180"));
            }
            Ok(Some((a, o)))
        }
        _ => Err(ApiError::validation(
            "latitude",
            "give latitude and longitude together",
        )),
    }
}

/// An `http` or `https` URL with a host, at most 2,000 characters.
pub fn online_url(raw: Option<&str>) -> ApiResult<Option<String>> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let bad = || ApiError::validation("online_url", "expected an http or https URL");
    if s.len() > 2000 {
        return Err(bad());
    }
    let u = url::Url::parse(s).map_err(|_| bad())?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(Some(u.to_string()))
}

pub fn visibility(raw: Option<&str>) -> ApiResult<String> {
    match raw.unwrap_or("busy") {
        v @ ("busy" | "public") => Ok(v.to_string()),
        _ => Err(ApiError::validation(
            "visibility",
            "expected busy or public",
        )),
    }
}

pub fn reminder_list(field: &str, raw: &[i64]) -> ApiResult<Vec<i64>> {
    let mut out: Vec<i64> = Vec::new();
    for m in raw {
        if !(0..=MAX_REMINDER_MINUTES).contains(m) {
            return Err(ApiError::validation(
                field,
                format!("minutes before: 0 to {MAX_REMINDER_MINUTES}"),
            ));
        }
        if !out.contains(m) {
            out.push(*m);
        }
    }
    if out.len() > MAX_REMINDERS {
        return Err(ApiError::validation(
            field,
            format!("at most {MAX_REMINDERS} reminders"),
        ));
    }
    out.sort_unstable();
    Ok(out)
}

pub fn parse_reminders(s: &str) -> Vec<i64> {
    serde_json::from_str(s).unwrap_or_default()
}

/// Start and end as instants: wall-clock in the zone, or dates (end inclusive) for all-day.
pub fn times(tz: Tz, all_day: bool, start: &str, end: &str) -> ApiResult<(i64, i64)> {
    let (s, e) = if all_day {
        let s = recur::parse_date("start", start)?;
        let e = recur::parse_date("end", end)?;
        if e < s {
            return Err(ApiError::validation("end", "must not be before the start"));
        }
        (
            recur::midnight(tz, s),
            recur::midnight(tz, e + chrono::Duration::days(1)),
        )
    } else {
        let s = recur::parse_time("start", tz, start)?;
        let e = recur::parse_time("end", tz, end)?;
        if e <= s {
            return Err(ApiError::validation("end", "must be after the start"));
        }
        (s, e)
    };
    if e - s > MAX_DURATION_MS {
        return Err(ApiError::validation(
            "end",
            "a meeting lasts at most 31 days",
        ));
    }
    Ok((s, e))
}

pub fn attendee_rows(organiser: &str, raw: &[AttendeeIn]) -> ApiResult<Vec<(Target, bool)>> {
    if raw.len() > MAX_ATTENDEES {
        return Err(ApiError::validation(
            "attendees",
            format!("at most {MAX_ATTENDEES} attendees"),
        ));
    }
    let mut out: Vec<(Target, bool)> = Vec::new();
    for a in raw {
        match &a.target {
            Target::Person(id) | Target::Department { id, .. } if is_id(id) => {}
            Target::Person(_) | Target::Department { .. } => {
                return Err(ApiError::validation(
                    "attendees",
                    "each attendee needs its id",
                ))
            }
            _ => {
                return Err(ApiError::validation(
                    "attendees",
                    "attendees are people or departments",
                ))
            }
        }
        if a.target == Target::Person(organiser.to_string()) {
            continue;
        }
        if !out.iter().any(|(t, _)| *t == a.target) {
            out.push((a.target.clone(), a.optional));
        }
    }
    Ok(out)
}

/// Files the organiser may attach: their own (or readable) plain uploads, at most 10.
pub async fn attachments(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    raw: &[String],
) -> ApiResult<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    for f in raw {
        if !ids.contains(f) {
            ids.push(f.clone());
        }
    }
    if ids.len() > MAX_ATTACHMENTS {
        return Err(ApiError::validation(
            "attachment_ids",
            format!("at most {MAX_ATTACHMENTS} attachments"),
        ));
    }
    for f in &ids {
        let ok = files::service::attachable(state, conn, p, f).await;
        if !ok {
            return Err(ApiError::validation(
                "attachment_ids",
                "only files you uploaded (or can read) can be attached",
            ));
        }
    }
    Ok(ids)
}

/// The original starts given as EXDATEs, each an occurrence of the series.
pub fn exdates(s: &Series<'_>, raw: &[String]) -> ApiResult<Vec<i64>> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    if s.rrule.is_none() {
        return Err(ApiError::validation(
            "exdates",
            "only a recurring meeting has them",
        ));
    }
    if raw.len() > 500 {
        return Err(ApiError::validation("exdates", "at most 500"));
    }
    let mut out = Vec::new();
    for x in raw {
        let t = if s.all_day {
            recur::midnight(s.tz, recur::parse_date("exdates", x)?)
        } else {
            recur::parse_time("exdates", s.tz, x)?
        };
        if !s.has(t) {
            return Err(ApiError::validation(
                "exdates",
                format!("{x} is not an occurrence of the rule"),
            ));
        }
        out.push(t);
    }
    Ok(out)
}
