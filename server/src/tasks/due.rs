//! When a task is due: a day, or a day and a time of day, in an IANA zone (`chrono-tz`). The
//! stored instants are computed once, here: `due_at` (a timed task: that instant; an all-day
//! task: the start of its day in its zone) and `overdue_at` (a timed task: the same instant; an
//! all-day task: the start of the next day — it is overdue only once its day is over).
//!
//! A local time that does not exist (skipped by a daylight-saving change) moves forward to the
//! first valid instant after the gap; one that happens twice (the clocks went back) is the
//! earlier of the two, as calendar applications do (RFC 5545 §3.3.5).

use crate::error::{ApiError, ApiResult};
use chrono::{Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// A due date as given and as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM:SS`; `None`: all day.
    pub time: Option<String>,
    /// An IANA zone name (`Europe/Berlin`, `Asia/Ho_Chi_Minh`, `UTC`).
    pub zone: String,
    pub due_at: i64,
    pub overdue_at: i64,
}

fn zone(raw: &str) -> ApiResult<Tz> {
    raw.trim().parse::<Tz>().map_err(|_| {
        ApiError::validation(
            "due.zone",
            "expected an IANA time zone such as Europe/Berlin or Asia/Ho_Chi_Minh",
        )
    })
}

/// The first instant at or after a local date-time in `tz`.
fn instant(tz: Tz, local: NaiveDateTime) -> Option<i64> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.timestamp_millis()),
        LocalResult::Ambiguous(a, b) => Some(a.timestamp_millis().min(b.timestamp_millis())),
        // In a gap: the first minute after it (gaps last at most a few hours).
        LocalResult::None => (1..=24 * 60).find_map(|m| {
            tz.from_local_datetime(&(local + Duration::minutes(m)))
                .earliest()
                .map(|t| t.timestamp_millis())
        }),
    }
}

/// Parse and compute a due date: `date` (YYYY-MM-DD), an optional `time` (HH:MM or HH:MM:SS)
/// and a `zone` (default `UTC`).
pub fn parse(date: &str, time: Option<&str>, tz: Option<&str>) -> ApiResult<Due> {
    let day = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::validation("due.date", "expected a day as YYYY-MM-DD"))?;
    if !(1970..=9999).contains(&chrono::Datelike::year(&day)) {
        return Err(ApiError::validation(
            "due.date",
            "must be between 1970 and 9999",
        ));
    }
    let zone_name = tz.map(str::trim).filter(|z| !z.is_empty()).unwrap_or("UTC");
    let tz = zone(zone_name)?;
    let time = match time.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(
            NaiveTime::parse_from_str(t, "%H:%M:%S")
                .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
                .map_err(|_| ApiError::validation("due.time", "expected HH:MM or HH:MM:SS"))?,
        ),
        None => None,
    };
    let bad = || ApiError::validation("due", "that day and time cannot be placed in the zone");
    let (due_at, overdue_at) = match time {
        Some(t) => {
            let at = instant(tz, day.and_time(t)).ok_or_else(bad)?;
            (at, at)
        }
        None => {
            let start = instant(tz, day.and_time(NaiveTime::MIN)).ok_or_else(bad)?;
            let next = day.succ_opt().ok_or_else(bad)?;
            let end = instant(tz, next.and_time(NaiveTime::MIN)).ok_or_else(bad)?;
            (start, end)
        }
    };
    Ok(Due {
        date: day.format("%Y-%m-%d").to_string(),
        time: time.map(|t| t.format("%H:%M:%S").to_string()),
        zone: tz.name().to_string(),
        due_at,
        overdue_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_and_all_day() {
        let d = parse("2026-03-01", Some("09:30"), Some("Asia/Ho_Chi_Minh")).unwrap();
        assert_eq!(crate::db::rfc3339(d.due_at), "2026-03-01T02:30:00.000Z");
        assert_eq!(d.due_at, d.overdue_at);
        assert_eq!(d.time.as_deref(), Some("09:30:00"));
        let d = parse("2026-03-01", None, Some("Europe/Berlin")).unwrap();
        assert_eq!(crate::db::rfc3339(d.due_at), "2026-02-28T23:00:00.000Z");
        assert_eq!(crate::db::rfc3339(d.overdue_at), "2026-03-01T23:00:00.000Z");
        let d = parse("2026-03-01", None, None).unwrap();
        assert_eq!(d.zone, "UTC");
    }

    #[test]
    fn daylight_saving_changes() {
        // Berlin skips 02:00–03:00 on 2026-03-29: 02:30 becomes 03:00 (01:00Z).
        let d = parse("2026-03-29", Some("02:30"), Some("Europe/Berlin")).unwrap();
        assert_eq!(crate::db::rfc3339(d.due_at), "2026-03-29T01:00:00.000Z");
        // …and has 02:30 twice on 2026-10-25: the earlier (00:30Z).
        let d = parse("2026-10-25", Some("02:30"), Some("Europe/Berlin")).unwrap();
        assert_eq!(crate::db::rfc3339(d.due_at), "2026-10-25T00:30:00.000Z");
        // The day of the change is 23 or 25 hours long.
        let d = parse("2026-03-29", None, Some("Europe/Berlin")).unwrap();
        assert_eq!(d.overdue_at - d.due_at, 23 * 3_600_000);
    }

    #[test]
    fn bad_input() {
        assert!(parse("2026-02-30", None, None).is_err());
        assert!(parse("tomorrow", None, None).is_err());
        assert!(parse("2026-03-01", Some("25:00"), None).is_err());
        assert!(parse("2026-03-01", None, Some("Mars/Olympus")).is_err());
    }
}
