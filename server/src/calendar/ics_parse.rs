//! Reading an iCalendar file someone imports (RFC 5545), **inside the sandboxed converter
//! child** (`jobs::convert`): the file is untrusted, so the server never parses it itself.
//!
//! The child turns the file into [`Parsed`] JSON: one [`Event`] per VEVENT it can carry over
//! (title, description, place, coordinates, start and end in an IANA zone or all-day, RRULE,
//! EXDATE), and one [`Skipped`] per VEVENT it cannot, with the reason (a changed occurrence
//! of a series, extra dates, a zone that is not an IANA name, a cancelled event, no start…).
//! Parsing uses the `icalendar` crate's parser; the meaning of the values (zones, dates,
//! durations) is read here.

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::parser::{read_calendar, unfold, Component, Property};
use serde::{Deserialize, Serialize};

/// The converter's job name.
pub const JOB: &str = "calendar.ics";
/// Events read from one file at most (the rest are reported as skipped).
pub const MAX_EVENTS: usize = 2000;

/// What the server hands the child besides the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Args {
    /// The zone of times the file gives without one ("floating" times): the importer's.
    pub zone: String,
}

/// One event to create.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub uid: String,
    pub title: String,
    pub description: String,
    pub location: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub all_day: bool,
    /// An IANA zone (`UTC` for times the file gave in UTC).
    pub time_zone: String,
    /// Wall-clock `YYYY-MM-DDTHH:MM:SS` in `time_zone`, or `YYYY-MM-DD` when all-day.
    pub start: String,
    /// Wall-clock end, or the last day (inclusive) when all-day.
    pub end: String,
    /// The rule without its `RRULE:` name.
    pub rrule: Option<String>,
    /// Starts left out: RFC 3339 instants, or dates when all-day.
    pub exdates: Vec<String>,
}

/// An event left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub uid: String,
    pub title: String,
    pub reason: String,
}

/// What the child writes back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Parsed {
    pub events: Vec<Event>,
    pub skipped: Vec<Skipped>,
    /// Components other than events (to-dos, journals…), which are not imported.
    pub other_components: usize,
}

/// The converter: `args` is [`Args`], `input` the file.
pub fn convert(args: &serde_json::Value, input: &[u8]) -> Result<Vec<u8>, String> {
    let args: Args = serde_json::from_value(args.clone()).map_err(|e| e.to_string())?;
    let floating: Tz = args
        .zone
        .parse()
        .map_err(|_| "the importer's time zone is not an IANA zone".to_string())?;
    let text = std::str::from_utf8(input).map_err(|_| "the file is not UTF-8 text".to_string())?;
    let parsed = parse(text, floating)?;
    serde_json::to_vec(&parsed).map_err(|e| e.to_string())
}

/// Read a calendar's events (see the module note).
pub fn parse(text: &str, floating: Tz) -> Result<Parsed, String> {
    let unfolded = unfold(&text.replace("\r\n", "\n"));
    let cal = read_calendar(&unfolded).map_err(|_| {
        "this is not an iCalendar file (BEGIN:VCALENDAR … END:VCALENDAR)".to_string()
    })?;
    let mut out = Parsed::default();
    for c in &cal.components {
        if !c.name.as_str().eq_ignore_ascii_case("VEVENT") {
            if !c.name.as_str().eq_ignore_ascii_case("VTIMEZONE") {
                out.other_components += 1;
            }
            continue;
        }
        let uid = text_of(c, "UID");
        let title = text_of(c, "SUMMARY");
        if out.events.len() >= MAX_EVENTS {
            out.skipped.push(Skipped {
                uid,
                title,
                reason: format!("more than {MAX_EVENTS} events in one file"),
            });
            continue;
        }
        match event(c, floating) {
            Ok(e) => out.events.push(e),
            Err(reason) => out.skipped.push(Skipped { uid, title, reason }),
        }
    }
    if out.events.is_empty() && out.skipped.is_empty() && cal.components.is_empty() {
        return Err("the calendar holds no events".into());
    }
    Ok(out)
}

fn prop<'a>(c: &'a Component<'_>, name: &str) -> Option<&'a Property<'a>> {
    c.properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn props<'a>(c: &'a Component<'_>, name: &'a str) -> impl Iterator<Item = &'a Property<'a>> {
    c.properties
        .iter()
        .filter(move |p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn param<'a>(p: &'a Property<'_>, key: &str) -> Option<&'a str> {
    p.params
        .iter()
        .find(|x| x.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|x| x.val.as_ref())
        .map(|v| v.as_str().trim_matches('"'))
}

/// A text value, unescaped (§3.3.11), without control characters other than newlines.
fn text_of(c: &Component<'_>, name: &str) -> String {
    prop(c, name)
        .map(|p| {
            p.val
                .clone()
                .unescape_text()
                .as_str()
                .chars()
                .filter(|ch| *ch == '\n' || !ch.is_control())
                .collect::<String>()
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}

/// A DATE-TIME or DATE value as read: its kind and, for a date-time, the instant.
#[derive(Debug, Clone, Copy, PartialEq)]
enum When {
    Date(NaiveDate),
    /// An instant, and the zone its wall clock was given in.
    At(i64, Tz),
}

/// The zone a `TZID` names: an IANA name, also when a producer prefixes it with its own path
/// (`/mozilla.org/20070129_1/Europe/Berlin`, `/citadel.org/…/Asia/Ho_Chi_Minh`).
fn zone_of(tzid: &str) -> Option<Tz> {
    if let Ok(tz) = tzid.parse::<Tz>() {
        return Some(tz);
    }
    let parts: Vec<&str> = tzid.split('/').collect();
    (1..parts.len())
        .rev()
        .find_map(|i| parts[parts.len() - i..].join("/").parse::<Tz>().ok())
}

fn when(p: &Property<'_>, floating: Tz) -> Result<When, String> {
    let raw = p.val.as_str().trim();
    let is_date = param(p, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
        || (raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit()));
    if is_date {
        return NaiveDate::parse_from_str(raw, "%Y%m%d")
            .map(When::Date)
            .map_err(|_| format!("{} is not a date", p.name.as_str()));
    }
    let (wall, utc) = match raw.strip_suffix('Z').or_else(|| raw.strip_suffix('z')) {
        Some(w) => (w, true),
        None => (raw, false),
    };
    let local = NaiveDateTime::parse_from_str(wall, "%Y%m%dT%H%M%S")
        .map_err(|_| format!("{} is not a date-time", p.name.as_str()))?;
    let tz = if utc {
        Tz::UTC
    } else if let Some(id) = param(p, "TZID") {
        zone_of(id).ok_or_else(|| format!("the time zone {id:?} is not an IANA time zone"))?
    } else {
        floating
    };
    let at = if utc {
        Utc.from_utc_datetime(&local).timestamp_millis()
    } else {
        // A wall-clock time a DST change skips is read as the instant after the gap; a
        // repeated one as its first occurrence (§3.3.5).
        tz.from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(local + Duration::hours(1)))
                    .earliest()
            })
            .map(|d| d.timestamp_millis())
            .ok_or_else(|| format!("{} does not exist in {}", p.name.as_str(), tz.name()))?
    };
    Ok(When::At(at, tz))
}

/// An ISO 8601 / RFC 5545 duration (`PT1H30M`, `P1D`, `P2W`) in milliseconds.
fn duration_ms(raw: &str) -> Option<i64> {
    let (neg, rest) = match raw.trim().strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, raw.trim().strip_prefix('+').unwrap_or(raw.trim())),
    };
    let rest = rest.strip_prefix('P')?;
    let (mut total, mut num, mut in_time, mut any) = (0i64, String::new(), false, false);
    for ch in rest.chars() {
        match ch {
            '0'..='9' => num.push(ch),
            'T' if num.is_empty() => in_time = true,
            unit => {
                let n: i64 = num.parse().ok()?;
                num.clear();
                any = true;
                let ms = match (unit, in_time) {
                    ('W', false) => 7 * 86_400_000,
                    ('D', false) => 86_400_000,
                    ('H', true) => 3_600_000,
                    ('M', true) => 60_000,
                    ('S', true) => 1000,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(ms)?)?;
            }
        }
    }
    (any && num.is_empty()).then_some(if neg { -total } else { total })
}

fn wall(tz: Tz, ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

fn rfc3339(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn event(c: &Component<'_>, floating: Tz) -> Result<Event, String> {
    if prop(c, "RECURRENCE-ID").is_some() {
        return Err(
            "a change to one occurrence of a series (RECURRENCE-ID) is not imported".into(),
        );
    }
    if prop(c, "RDATE").is_some() {
        return Err("extra dates of a series (RDATE) are not supported".into());
    }
    if prop(c, "STATUS").is_some_and(|p| p.val.as_str().eq_ignore_ascii_case("CANCELLED")) {
        return Err("the event is cancelled".into());
    }
    let start = when(
        prop(c, "DTSTART").ok_or("the event has no start")?,
        floating,
    )?;
    let mut e = Event {
        uid: text_of(c, "UID"),
        title: text_of(c, "SUMMARY"),
        description: text_of(c, "DESCRIPTION"),
        location: text_of(c, "LOCATION"),
        ..Event::default()
    };
    if e.title.is_empty() {
        e.title = "(no title)".into();
    }
    if let Some(g) = prop(c, "GEO") {
        let v = g.val.as_str();
        let mut it = v.split([';', ',']).map(|s| s.trim().parse::<f64>());
        if let (Some(Ok(lat)), Some(Ok(lon))) = (it.next(), it.next()) {
            e.latitude = Some(lat);
            e.longitude = Some(lon);
        }
    }
    let end = prop(c, "DTEND").map(|p| when(p, floating)).transpose()?;
    let duration = prop(c, "DURATION")
        .map(|p| duration_ms(p.val.as_str()).ok_or("DURATION is not a duration"))
        .transpose()?;
    match start {
        When::Date(d) => {
            e.all_day = true;
            e.time_zone = floating.name().to_string();
            // DTEND of an all-day event is the day after the last (exclusive).
            let last = match (end, duration) {
                (Some(When::Date(x)), _) => x.pred_opt().unwrap_or(x),
                (Some(When::At(..)), _) => return Err("an all-day start with a timed end".into()),
                (None, Some(ms)) => d + Duration::days((ms / 86_400_000 - 1).max(0)),
                (None, None) => d,
            };
            if last < d {
                return Err("the event ends before it starts".into());
            }
            e.start = d.format("%Y-%m-%d").to_string();
            e.end = last.format("%Y-%m-%d").to_string();
        }
        When::At(at, tz) => {
            e.time_zone = tz.name().to_string();
            let end_at = match (end, duration) {
                (Some(When::At(x, _)), _) => x,
                (Some(When::Date(_)), _) => return Err("a timed start with an all-day end".into()),
                (None, Some(ms)) => at + ms,
                // §3.6.1: a date-time start without end or duration takes no time.
                (None, None) => at,
            };
            if end_at < at {
                return Err("the event ends before it starts".into());
            }
            e.start = wall(tz, at);
            e.end = wall(tz, end_at);
        }
    }
    if let Some(r) = prop(c, "RRULE") {
        let v = r.val.as_str().trim();
        e.rrule = Some(v.strip_prefix("RRULE:").unwrap_or(v).to_string());
    }
    for x in props(c, "EXDATE") {
        for v in x.val.as_str().split(',') {
            let one = Property {
                name: x.name.clone(),
                val: v.trim().to_string().into(),
                params: x.params.clone(),
            };
            match when(&one, floating)? {
                When::Date(d) => e.exdates.push(d.format("%Y-%m-%d").to_string()),
                When::At(ms, _) => e.exdates.push(rfc3339(ms)),
            }
        }
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hcm() -> Tz {
        "Asia/Ho_Chi_Minh".parse().unwrap()
    }

    const FILE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:weekly-1\r\nSUMMARY:Stand-up\\, team A\r\nDESCRIPTION:line one\\nline two\r\n\
DTSTART;TZID=Europe/Berlin:20260302T090000\r\nDTEND;TZID=Europe/Berlin:20260302T091500\r\n\
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10\r\nEXDATE;TZID=Europe/Berlin:20260309T090000,20260316T090000\r\n\
LOCATION:Room 1\r\nGEO:52.52;13.405\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:allday\r\nSUMMARY:Tết\r\nDTSTART;VALUE=DATE:20270206\r\nDTEND;VALUE=DATE:20270209\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:utc\r\nSUMMARY:Call\r\nDTSTART:20260401T020000Z\r\nDURATION:PT45M\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:floating\r\nSUMMARY:Lunch\r\nDTSTART:20260401T120000\r\nDTEND:20260401T130000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:weekly-1\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260323T090000\r\nSUMMARY:Moved\r\nDTSTART;TZID=Europe/Berlin:20260323T100000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:win\r\nSUMMARY:Outlook\r\nDTSTART;TZID=W. Europe Standard Time:20260401T090000\r\nEND:VEVENT\r\n\
BEGIN:VTODO\r\nUID:todo\r\nSUMMARY:Not an event\r\nEND:VTODO\r\n\
END:VCALENDAR\r\n";

    #[test]
    fn reads_events_and_reports_the_rest() {
        let p = parse(FILE, hcm()).unwrap();
        assert_eq!(p.events.len(), 4, "{p:?}");
        let w = &p.events[0];
        assert_eq!(w.title, "Stand-up, team A");
        assert_eq!(w.description, "line one\nline two");
        assert_eq!(w.time_zone, "Europe/Berlin");
        assert_eq!(w.start, "2026-03-02T09:00:00");
        assert_eq!(w.end, "2026-03-02T09:15:00");
        assert_eq!(w.rrule.as_deref(), Some("FREQ=WEEKLY;BYDAY=MO;COUNT=10"));
        // 09:00 in Berlin is 08:00 UTC in winter.
        assert_eq!(
            w.exdates,
            vec!["2026-03-09T08:00:00Z", "2026-03-16T08:00:00Z"]
        );
        assert_eq!((w.latitude, w.longitude), (Some(52.52), Some(13.405)));
        let a = &p.events[1];
        assert!(a.all_day);
        assert_eq!(
            (a.start.as_str(), a.end.as_str()),
            ("2027-02-06", "2027-02-08")
        );
        let u = &p.events[2];
        assert_eq!(u.time_zone, "UTC");
        assert_eq!(
            (u.start.as_str(), u.end.as_str()),
            ("2026-04-01T02:00:00", "2026-04-01T02:45:00")
        );
        let f = &p.events[3];
        assert_eq!(f.time_zone, "Asia/Ho_Chi_Minh");
        assert_eq!(f.start, "2026-04-01T12:00:00");
        assert_eq!(p.skipped.len(), 2);
        assert!(p.skipped[0].reason.contains("RECURRENCE-ID"));
        assert!(p.skipped[1].reason.contains("W. Europe Standard Time"));
        assert_eq!(p.other_components, 1);
    }

    #[test]
    fn prefixed_zone_ids_and_durations() {
        assert_eq!(
            zone_of("/mozilla.org/20070129_1/Europe/Berlin").map(|t| t.name()),
            Some("Europe/Berlin")
        );
        assert_eq!(zone_of("Nowhere/Else"), None);
        assert_eq!(duration_ms("PT1H30M"), Some(5_400_000));
        assert_eq!(duration_ms("P1W"), Some(604_800_000));
        assert_eq!(duration_ms("P1DT2H"), Some(93_600_000));
        assert_eq!(duration_ms("PT"), None);
        assert_eq!(duration_ms("P1H"), None);
        assert_eq!(duration_ms("1H"), None);
    }

    #[test]
    fn garbage_is_refused_not_a_panic() {
        for bad in [
            "",
            "BEGIN:",
            "hello",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n",
            "\u{0}\u{1}",
        ] {
            let _ = parse(bad, hcm());
        }
        assert!(convert(&serde_json::json!({"zone": "UTC"}), &[0xff, 0xfe]).is_err());
        let p = parse(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            hcm(),
        )
        .unwrap();
        assert_eq!(p.skipped.len(), 1);
    }
}
