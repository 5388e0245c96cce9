//! Time zones and recurrence (RFC 5545 §3.3.10) for meetings.
//!
//! A series keeps its first occurrence's wall-clock start in its IANA zone; the rule repeats
//! that wall-clock time, so a weekly 09:00 in Europe/Berlin stays 09:00 local across daylight
//! saving changes (its UTC instant moves). Expansion is the `rrule` crate's (the RFC's
//! algorithm, as python-dateutil has it); this module checks rules strictly before they are
//! stored, bounds every expansion, and turns wall-clock input into instants.
//!
//! Accepted rule parts: FREQ (DAILY, WEEKLY, MONTHLY, YEARLY), INTERVAL, COUNT or UNTIL,
//! BYDAY (with ordinals for monthly and yearly rules: `2TU`, `-1FR`), BYMONTHDAY, BYMONTH,
//! BYSETPOS and WKST. Anything else is a 422 naming the part.

use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// At most this many occurrences in a series with COUNT.
pub const MAX_COUNT: u32 = 5_000;
/// Expansion steps per series and request: a series that started long ago is walked from
/// its start, and no request walks further than this.
pub const MAX_STEPS: usize = 20_000;
/// The furthest year a rule may reach.
const MAX_YEAR: i32 = 2200;

const PARTS: &[&str] = &[
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
];

/// An IANA zone name, or a 422 naming the field.
pub fn zone(field: &str, name: &str) -> ApiResult<Tz> {
    name.trim().parse::<Tz>().map_err(|_| {
        ApiError::validation(
            field,
            "expected an IANA time zone such as Europe/Berlin or Asia/Ho_Chi_Minh",
        )
    })
}

/// A wall-clock time in `tz` as an instant: a time that occurs twice (the hour clocks go
/// back) is its first, one that does not occur (the hour clocks skip) is a 422.
pub fn local_to_instant(field: &str, tz: Tz, local: NaiveDateTime) -> ApiResult<i64> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Ok(t.timestamp_millis()),
        chrono::LocalResult::Ambiguous(a, _) => Ok(a.timestamp_millis()),
        chrono::LocalResult::None => Err(ApiError::validation(
            field,
            format!("{local} does not exist in {tz} (clocks skip it)"),
        )),
    }
}

/// A date-time from the API: wall-clock (`2026-03-02T09:00` or with seconds) read in `tz`,
/// or an RFC 3339 instant with an offset.
pub fn parse_time(field: &str, tz: Tz, raw: &str) -> ApiResult<i64> {
    let s = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            check_year(field, n.year())?;
            return local_to_instant(field, tz, n);
        }
    }
    Err(ApiError::validation(
        field,
        "expected a wall-clock date-time such as 2026-03-02T09:00 (read in `time_zone`) or an \
         RFC 3339 instant",
    ))
}

/// A date (`2026-03-02`) for all-day meetings.
pub fn parse_date(field: &str, raw: &str) -> ApiResult<NaiveDate> {
    let d = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::validation(field, "expected a date such as 2026-03-02"))?;
    check_year(field, d.year())?;
    Ok(d)
}

fn check_year(field: &str, y: i32) -> ApiResult<()> {
    if !(1970..=MAX_YEAR).contains(&y) {
        return Err(ApiError::validation(
            field,
            format!("must be between 1970 and {MAX_YEAR}"),
        ));
    }
    Ok(())
}

/// Midnight starting `d` in `tz` (the first instant of the day where midnight is skipped).
pub fn midnight(tz: Tz, d: NaiveDate) -> i64 {
    let mut t = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        match tz.from_local_datetime(&t) {
            chrono::LocalResult::Single(x) | chrono::LocalResult::Ambiguous(x, _) => {
                return x.timestamp_millis()
            }
            chrono::LocalResult::None => t += Duration::minutes(30),
        }
    }
    Utc.from_utc_datetime(&t).timestamp_millis()
}

/// The wall-clock form of an instant in `tz` (`2026-03-02T09:00:00`).
pub fn local_string(tz: Tz, ms: i64) -> String {
    instant(tz, ms).format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The local date of an instant in `tz`.
pub fn local_date(tz: Tz, ms: i64) -> NaiveDate {
    instant(tz, ms).date_naive()
}

fn instant(tz: Tz, ms: i64) -> DateTime<Tz> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .with_timezone(&tz)
}

/// The rule, checked strictly and normalised (upper case, no `RRULE:` prefix), against the
/// series' first start in its zone.
pub fn check_rule(raw: &str, tz: Tz, start_at: i64) -> ApiResult<String> {
    let bad = |m: String| ApiError::validation("rrule", m);
    let s = raw.trim();
    let s = s
        .strip_prefix("RRULE:")
        .or_else(|| s.strip_prefix("rrule:"))
        .unwrap_or(s)
        .to_ascii_uppercase();
    if s.is_empty() || s.len() > 500 {
        return Err(bad(
            "a rule of 1 to 500 characters, e.g. FREQ=WEEKLY;BYDAY=MO".into(),
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for part in s.split(';') {
        let Some((k, v)) = part.split_once('=') else {
            return Err(bad(format!("`{part}` is not NAME=VALUE")));
        };
        if !PARTS.contains(&k) {
            return Err(bad(format!(
                "`{k}` is not supported (use {})",
                PARTS.join(", ")
            )));
        }
        if seen.contains(&k) {
            return Err(bad(format!("`{k}` given twice")));
        }
        seen.push(k);
        if v.is_empty() {
            return Err(bad(format!("`{k}` has no value")));
        }
        match k {
            "FREQ" if !matches!(v, "DAILY" | "WEEKLY" | "MONTHLY" | "YEARLY") => {
                return Err(bad("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY".into()))
            }
            "COUNT" => match v.parse::<u32>() {
                Ok(n) if (1..=MAX_COUNT).contains(&n) => {}
                _ => return Err(bad(format!("COUNT must be 1 to {MAX_COUNT}"))),
            },
            "INTERVAL" => match v.parse::<u16>() {
                Ok(n) if (1..=1000).contains(&n) => {}
                _ => return Err(bad("INTERVAL must be 1 to 1000".into())),
            },
            _ => {}
        }
    }
    if !seen.contains(&"FREQ") {
        return Err(bad("FREQ is required".into()));
    }
    if seen.contains(&"COUNT") && seen.contains(&"UNTIL") {
        return Err(bad("COUNT and UNTIL exclude each other".into()));
    }
    let set = build(&s, tz, start_at, &[]).map_err(bad)?;
    if let Some(u) = set.get_rrule().first().and_then(|r| r.get_until()) {
        if u.timestamp_millis() < start_at {
            return Err(bad("UNTIL is before the first start".into()));
        }
    }
    // A rule that yields nothing (BYMONTHDAY=31 with BYMONTH=2) is refused.
    if (&set).into_iter().next().is_none() {
        return Err(bad("the rule yields no occurrence".into()));
    }
    Ok(s)
}

fn build(rule: &str, tz: Tz, start_at: i64, exdates: &[i64]) -> Result<rrule::RRuleSet, String> {
    let start = instant(tz, start_at);
    let rtz = rrule::Tz::Tz(tz);
    let dt_start = start.with_timezone(&rtz);
    let parsed: rrule::RRule<rrule::Unvalidated> =
        rule.parse().map_err(|e: rrule::RRuleError| e.to_string())?;
    let mut set = parsed.build(dt_start).map_err(|e| e.to_string())?;
    for x in exdates {
        set = set.exdate(instant(tz, *x).with_timezone(&rtz));
    }
    Ok(set)
}

/// What expansion needs of a series.
#[derive(Debug, Clone)]
pub struct Series<'a> {
    pub tz: Tz,
    pub all_day: bool,
    pub start_at: i64,
    pub end_at: i64,
    pub rrule: Option<&'a str>,
}

impl Series<'_> {
    /// The end of the occurrence starting at `start` (all-day: the same number of local days).
    pub fn end_of(&self, start: i64) -> i64 {
        if self.all_day {
            let days = (local_date(self.tz, self.end_at) - local_date(self.tz, self.start_at))
                .num_days()
                .max(1);
            midnight(self.tz, local_date(self.tz, start) + Duration::days(days))
        } else {
            start + (self.end_at - self.start_at)
        }
    }

    /// Original starts of the occurrences that overlap `[from, to)`, at most `limit`.
    pub fn starts(&self, from: i64, to: i64, limit: usize) -> Vec<i64> {
        let mut out = Vec::new();
        let Some(rule) = self.rrule else {
            if self.start_at < to && self.end_of(self.start_at) > from {
                out.push(self.start_at);
            }
            return out;
        };
        let Ok(set) = build(rule, self.tz, self.start_at, &[]) else {
            return out;
        };
        for (n, t) in (&set).into_iter().enumerate() {
            let s = t.timestamp_millis();
            if s >= to || n >= MAX_STEPS || out.len() >= limit {
                break;
            }
            if self.end_of(s) > from {
                out.push(s);
            }
        }
        out
    }

    /// The end of the last occurrence, or `None` for a series without end (or one longer
    /// than [`MAX_STEPS`]).
    pub fn last_end(&self) -> Option<i64> {
        let Some(rule) = self.rrule else {
            return Some(self.end_at);
        };
        if !rule.contains("COUNT=") && !rule.contains("UNTIL=") {
            return None;
        }
        let set = build(rule, self.tz, self.start_at, &[]).ok()?;
        let mut last = None;
        for (n, t) in (&set).into_iter().enumerate() {
            if n >= MAX_STEPS {
                return None;
            }
            last = Some(t.timestamp_millis());
        }
        last.map(|s| self.end_of(s))
    }

    /// Whether `start` is an occurrence's original start.
    pub fn has(&self, start: i64) -> bool {
        self.starts(start, start + 1, 1)
            .first()
            .is_some_and(|s| *s == start)
    }

    /// How many occurrences start before `t`.
    pub fn count_before(&self, t: i64) -> usize {
        let Some(rule) = self.rrule else {
            return usize::from(self.start_at < t);
        };
        let Ok(set) = build(rule, self.tz, self.start_at, &[]) else {
            return 0;
        };
        (&set)
            .into_iter()
            .take(MAX_STEPS)
            .take_while(|d| d.timestamp_millis() < t)
            .count()
    }
}

/// The rule with its end replaced: UNTIL just before `t` (the series ends before the
/// occurrence at `t`).
pub fn until_before(rule: &str, t: i64) -> String {
    let until = Utc
        .timestamp_millis_opt(t - 1000)
        .single()
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ");
    let mut parts: Vec<String> = rule
        .split(';')
        .filter(|p| !p.starts_with("COUNT=") && !p.starts_with("UNTIL="))
        .map(str::to_string)
        .collect();
    parts.push(format!("UNTIL={until}"));
    parts.join(";")
}

/// The rule of the part of a series from its occurrence number `done` on: a COUNT counts
/// only what is left.
pub fn remaining(rule: &str, done: usize) -> String {
    rule.split(';')
        .map(|p| {
            match p
                .strip_prefix("COUNT=")
                .and_then(|n| n.parse::<usize>().ok())
            {
                Some(n) => format!("COUNT={}", n.saturating_sub(done).max(1)),
                None => p.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tz: Tz, s: &str) -> i64 {
        parse_time("t", tz, s).unwrap()
    }

    #[test]
    fn weekly_stays_at_nine_local_across_dst() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let start = at(tz, "2026-03-16T09:00");
        let rule = check_rule("FREQ=WEEKLY;COUNT=4", tz, start).unwrap();
        let s = Series {
            tz,
            all_day: false,
            start_at: start,
            end_at: start + 3_600_000,
            rrule: Some(&rule),
        };
        let got: Vec<String> = s
            .starts(0, i64::MAX, 10)
            .into_iter()
            .map(|t| local_string(tz, t))
            .collect();
        assert_eq!(
            got,
            [
                "2026-03-16T09:00:00",
                "2026-03-23T09:00:00",
                "2026-03-30T09:00:00",
                "2026-04-06T09:00:00"
            ]
        );
        // Across the change the UTC hour moves from 08:00 to 07:00.
        let all = s.starts(0, i64::MAX, 10);
        assert_eq!((all[2] - all[1]) / 3_600_000, 167);
        assert_eq!(s.last_end(), Some(all[3] + 3_600_000));
    }

    #[test]
    fn strict_rules() {
        let tz: Tz = "Asia/Ho_Chi_Minh".parse().unwrap();
        let start = at(tz, "2026-01-05T09:00");
        for bad in [
            "",
            "FREQ=HOURLY",
            "FREQ=WEEKLY;COUNT=2;UNTIL=20260201T000000Z",
            "FREQ=WEEKLY;FOO=1",
            "FREQ=WEEKLY;COUNT=0",
            "INTERVAL=2",
            "FREQ=MONTHLY;BYDAY=9TU",
            "FREQ=WEEKLY;FREQ=DAILY",
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31",
        ] {
            assert!(check_rule(bad, tz, start).is_err(), "{bad}");
        }
        assert_eq!(
            check_rule("rrule:freq=monthly;byday=2tu,-1fr", tz, start).unwrap(),
            "FREQ=MONTHLY;BYDAY=2TU,-1FR"
        );
    }

    #[test]
    fn split_rules() {
        assert_eq!(
            until_before("FREQ=DAILY;COUNT=5", 86_400_000),
            "FREQ=DAILY;UNTIL=19700101T235959Z"
        );
        assert_eq!(remaining("FREQ=DAILY;COUNT=5", 2), "FREQ=DAILY;COUNT=3");
    }

    #[test]
    fn wall_clock_gaps_are_refused() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        assert!(parse_time("start", tz, "2026-03-29T02:30").is_err());
        assert!(parse_time("start", tz, "2026-03-29T03:30").is_ok());
        assert_eq!(
            parse_time("start", tz, "2026-03-02T08:00:00Z").unwrap(),
            at(tz, "2026-03-02T09:00")
        );
    }
}
