//! iCalendar (RFC 5545) for meetings: a VCALENDAR with a VTIMEZONE per zone used and a VEVENT
//! per meeting (RRULE, EXDATE, and one VEVENT with RECURRENCE-ID per changed occurrence).
//!
//! Written here rather than with a crate: the `icalendar` crate builds VEVENTs but no
//! VTIMEZONE, and what a meeting needs — escaping (§3.3.11), line folding at 75 octets
//! (§3.1), wall-clock times with TZID, and the zone's transitions from chrono-tz — is small
//! and tested against a real parser (python `icalendar`) in the black-box suite. The agenda's
//! per-person feed uses [`calendar`] too.

use super::store::{AttendeeRow, ExceptionRow, MeetingRow, ReplyRow};
use chrono::{DateTime, Datelike, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, Tz};

/// One meeting with what its VEVENTs show.
pub struct Event<'a> {
    pub m: &'a MeetingRow,
    pub organiser_name: &'a str,
    /// People named as attendees, with their display names.
    pub people: Vec<(String, String)>,
    pub attendees: &'a [AttendeeRow],
    pub replies: &'a [ReplyRow],
    pub exceptions: &'a [ExceptionRow],
}

/// Text value escaping (§3.3.11).
fn text(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            ';' => o.push_str("\\;"),
            ',' => o.push_str("\\,"),
            '\n' => o.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}

/// A parameter value, quoted (§3.2): no quotes or control characters inside.
fn param(s: &str) -> String {
    let v: String = s.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    format!("\"{v}\"")
}

/// Append a content line folded at 75 octets (never inside a UTF-8 sequence), CRLF-ended.
fn line(out: &mut String, l: &str) {
    let mut width = 0;
    for c in l.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn utc(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

fn local(tz: Tz, ms: i64) -> String {
    at(tz, ms).format("%Y%m%dT%H%M%S").to_string()
}

fn date(tz: Tz, ms: i64) -> String {
    at(tz, ms).format("%Y%m%d").to_string()
}

fn at(tz: Tz, ms: i64) -> DateTime<Tz> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .with_timezone(&tz)
}

/// `DTSTART;TZID=…:…` or `DTSTART;VALUE=DATE:…`.
fn when(name: &str, tz: Tz, all_day: bool, ms: i64) -> String {
    if all_day {
        format!("{name};VALUE=DATE:{}", date(tz, ms))
    } else {
        format!("{name};TZID={}:{}", tz.name(), local(tz, ms))
    }
}

fn offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    format!("{sign}{:02}{:02}", a / 3600, (a % 3600) / 60)
}

/// The zone's VTIMEZONE: one STANDARD or DAYLIGHT per transition in `from_year..=to_year`
/// (found hour by hour between daily samples), or one STANDARD for a zone without them.
fn vtimezone(out: &mut String, tz: Tz, from_year: i32, to_year: i32) {
    let off = |t: i64| {
        let o = *at(tz, t * 1000).offset();
        (o.fix().local_minus_utc(), !o.dst_offset().is_zero())
    };
    line(out, "BEGIN:VTIMEZONE");
    line(out, &format!("TZID:{}", tz.name()));
    let start = Utc
        .with_ymd_and_hms(from_year, 1, 1, 0, 0, 0)
        .single()
        .map_or(0, |d| d.timestamp());
    let end = Utc
        .with_ymd_and_hms(to_year + 1, 1, 1, 0, 0, 0)
        .single()
        .map_or(0, |d| d.timestamp());
    let mut any = false;
    let mut t = start;
    let mut prev = off(t);
    while t < end {
        let next = t + 86_400;
        let cur = off(next);
        if cur != prev {
            // The change lies within this day: find its second.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if off(mid) == prev {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let kind = if cur.1 { "DAYLIGHT" } else { "STANDARD" };
            line(out, &format!("BEGIN:{kind}"));
            // The onset as local time in the offset before it (§3.6.5).
            let onset = Utc
                .timestamp_opt(hi + i64::from(prev.0), 0)
                .single()
                .unwrap_or_default()
                .format("%Y%m%dT%H%M%S");
            line(out, &format!("DTSTART:{onset}"));
            line(out, &format!("TZOFFSETFROM:{}", offset(prev.0)));
            line(out, &format!("TZOFFSETTO:{}", offset(cur.0)));
            line(out, &format!("END:{kind}"));
            any = true;
        }
        prev = cur;
        t = next;
    }
    if !any {
        let o = off(start).0;
        line(out, "BEGIN:STANDARD");
        line(out, "DTSTART:19700101T000000");
        line(out, &format!("TZOFFSETFROM:{}", offset(o)));
        line(out, &format!("TZOFFSETTO:{}", offset(o)));
        line(out, "END:STANDARD");
    }
    line(out, "END:VTIMEZONE");
}

fn partstat(s: &str) -> &'static str {
    match s {
        "accepted" => "ACCEPTED",
        "tentative" => "TENTATIVE",
        "declined" => "DECLINED",
        _ => "NEEDS-ACTION",
    }
}

/// A VCALENDAR of these meetings. `now` is the DTSTAMP; zones are described from the
/// earliest start's year to five years past `now` (or the last end, when later).
pub fn calendar(name: &str, events: &[Event<'_>], now: i64) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Stoa//Meetings//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    let mut zones: Vec<(Tz, i32, i32)> = Vec::new();
    let now_year = at(Tz::UTC, now).year();
    for e in events {
        let Ok(tz) = e.m.time_zone.parse::<Tz>() else {
            continue;
        };
        if e.m.all_day == 1 {
            continue;
        }
        let from = at(tz, e.m.start_at).year();
        let to = e.m.last_end_at.map_or(now_year + 5, |t| {
            at(tz, t).year().max(now_year + 5).min(from + 50)
        });
        match zones.iter_mut().find(|z| z.0 == tz) {
            Some(z) => {
                z.1 = z.1.min(from);
                z.2 = z.2.max(to);
            }
            None => zones.push((tz, from, to)),
        }
    }
    for (tz, from, to) in &zones {
        vtimezone(&mut out, *tz, *from, (*to).min(*from + 60));
    }
    for e in events {
        vevent(&mut out, e, now, None);
        for x in e.exceptions.iter().filter(|x| x.cancelled == 0) {
            vevent(&mut out, e, now, Some(x));
        }
    }
    line(&mut out, "END:VCALENDAR");
    out
}

fn vevent(out: &mut String, e: &Event<'_>, now: i64, x: Option<&ExceptionRow>) {
    let m = e.m;
    let tz: Tz = m.time_zone.parse().unwrap_or(Tz::UTC);
    let all_day = m.all_day == 1;
    line(out, "BEGIN:VEVENT");
    line(out, &format!("UID:{}@stoa", m.id));
    line(out, &format!("DTSTAMP:{}", utc(now)));
    line(out, &format!("SEQUENCE:{}", m.sequence));
    let duration = m.end_at - m.start_at;
    let (start, end, title, loc, desc) = match x {
        None => (m.start_at, m.end_at, &m.title, &m.location, &m.description),
        Some(x) => {
            let s = x.start_at.unwrap_or(x.original_start);
            (
                s,
                x.end_at.unwrap_or(s + duration),
                x.title.as_ref().unwrap_or(&m.title),
                x.location.as_ref().unwrap_or(&m.location),
                x.description.as_ref().unwrap_or(&m.description),
            )
        }
    };
    if let Some(x) = x {
        line(out, &when("RECURRENCE-ID", tz, all_day, x.original_start));
    }
    line(out, &when("DTSTART", tz, all_day, start));
    line(out, &when("DTEND", tz, all_day, end));
    line(out, &format!("SUMMARY:{}", text(title)));
    if !desc.is_empty() {
        line(out, &format!("DESCRIPTION:{}", text(desc)));
    }
    if !loc.is_empty() {
        line(out, &format!("LOCATION:{}", text(loc)));
    }
    if let (Some(a), Some(o)) = (m.latitude, m.longitude) {
        line(out, &format!("GEO:{a};{o}"));
    }
    if let Some(u) = &m.online_url {
        line(out, &format!("URL:{}", u.replace(['\r', '\n'], "")));
    }
    line(
        out,
        &format!(
            "CLASS:{}",
            if m.visibility == "public" {
                "PUBLIC"
            } else {
                "PRIVATE"
            }
        ),
    );
    if x.is_none() {
        if let Some(r) = &m.rrule {
            line(out, &format!("RRULE:{r}"));
        }
        let ex: Vec<String> = e
            .exceptions
            .iter()
            .filter(|x| x.cancelled == 1)
            .map(|x| {
                if all_day {
                    date(tz, x.original_start)
                } else {
                    local(tz, x.original_start)
                }
            })
            .collect();
        if !ex.is_empty() {
            let p = if all_day {
                ";VALUE=DATE".to_string()
            } else {
                format!(";TZID={}", tz.name())
            };
            line(out, &format!("EXDATE{p}:{}", ex.join(",")));
        }
    }
    line(
        out,
        &format!(
            "ORGANIZER;CN={}:urn:uuid:{}",
            param(e.organiser_name),
            m.organiser_id
        ),
    );
    for (id, name) in &e.people {
        let optional = e
            .attendees
            .iter()
            .any(|a| a.token == format!("user:{id}") && a.optional == 1);
        let occ = x.map_or(0, |x| x.original_start);
        let status = e
            .replies
            .iter()
            .find(|r| r.user_id == *id && r.occurrence == occ)
            .or_else(|| {
                e.replies
                    .iter()
                    .find(|r| r.user_id == *id && r.occurrence == 0)
            })
            .map_or("needs_action", |r| r.status.as_str());
        line(
            out,
            &format!(
                "ATTENDEE;CN={};ROLE={};PARTSTAT={}:urn:uuid:{id}",
                param(name),
                if optional {
                    "OPT-PARTICIPANT"
                } else {
                    "REQ-PARTICIPANT"
                },
                partstat(status)
            ),
        );
    }
    line(out, "END:VEVENT");
}

/// What one meeting's VEVENTs are made of, loaded (owned) so [`Event`]s can borrow it.
struct Loaded {
    m: MeetingRow,
    organiser_name: String,
    people: Vec<(String, String)>,
    attendees: Vec<AttendeeRow>,
    replies: Vec<ReplyRow>,
    exceptions: Vec<ExceptionRow>,
}

impl Loaded {
    fn event(&self) -> Event<'_> {
        Event {
            m: &self.m,
            organiser_name: &self.organiser_name,
            people: self.people.clone(),
            attendees: &self.attendees,
            replies: &self.replies,
            exceptions: &self.exceptions,
        }
    }
}

/// A person's display name, remembered in `names` for the next meeting that shows them.
async fn display_name(
    conn: &mut sqlx::AnyConnection,
    t: &str,
    id: &str,
    names: &mut std::collections::HashMap<String, String>,
) -> crate::error::ApiResult<String> {
    if let Some(n) = names.get(id) {
        return Ok(n.clone());
    }
    let n = crate::users::service::find(conn, t, id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    names.insert(id.to_string(), n.clone());
    Ok(n)
}

async fn load(
    conn: &mut sqlx::AnyConnection,
    t: &str,
    m: MeetingRow,
    names: &mut std::collections::HashMap<String, String>,
) -> crate::error::ApiResult<Loaded> {
    let attendees = super::store::attendees(&mut *conn, t, &m.id).await?;
    let replies = super::store::replies(&mut *conn, t, &m.id).await?;
    let exceptions = super::store::exceptions(&mut *conn, t, std::slice::from_ref(&m.id)).await?;
    let organiser_name = display_name(&mut *conn, t, &m.organiser_id, names).await?;
    let mut people = Vec::new();
    for a in &attendees {
        if let Some(u) = a.token.strip_prefix("user:") {
            people.push((u.to_string(), display_name(&mut *conn, t, u, names).await?));
        }
    }
    Ok(Loaded {
        m,
        organiser_name,
        people,
        attendees,
        replies,
        exceptions,
    })
}

/// The `.ics` of one meeting, for its organiser and attendees (404 for anyone else).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn of_meeting(
    state: &crate::AppState,
    p: &crate::authn::Principal,
    id: &str,
) -> crate::error::ApiResult<String> {
    let mut conn = state.db.conn().await?;
    let (m, _) = super::service::visible(&mut conn, p, id).await?;
    let title = m.title.clone();
    let one = load(&mut conn, &p.tenant_id, m, &mut Default::default()).await?;
    Ok(calendar(&title, &[one.event()], crate::db::now_ms()))
}

/// Most meetings one feed carries.
pub const FEED_MAX_MEETINGS: usize = 2000;

/// The calendar of every meeting a person organises or attends **now** (their departments'
/// included) with an occurrence in `[from, to)`, each with its rule, left-out dates and
/// changed occurrences: what their calendar feed serves (`calendar::feed`).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn for_person(
    state: &crate::AppState,
    p: &crate::authn::Principal,
    from: i64,
    to: i64,
) -> crate::error::ApiResult<String> {
    let t = &p.tenant_id;
    let mut conn = state.db.conn().await?;
    let tokens = crate::directory::audience::tokens_of(&mut conn, t, &p.user_id).await?;
    let mut ms = super::store::for_person(&mut conn, t, &p.user_id, &tokens, from, to).await?;
    ms.truncate(FEED_MAX_MEETINGS);
    let mut names = std::collections::HashMap::new();
    let mut loaded = Vec::with_capacity(ms.len());
    for m in ms {
        loaded.push(load(&mut conn, t, m, &mut names).await?);
    }
    let events: Vec<Event<'_>> = loaded.iter().map(Loaded::event).collect();
    Ok(calendar("Stoa", &events, crate::db::now_ms()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_escapes() {
        let mut o = String::new();
        line(&mut o, &format!("SUMMARY:{}", text(&"é;,\\\nx".repeat(20))));
        assert!(o.split("\r\n").all(|l| l.len() <= 75));
        assert!(o.starts_with("SUMMARY:é\\;\\,\\\\\\nx"));
    }

    #[test]
    fn berlin_has_two_transitions_a_year() {
        let mut o = String::new();
        vtimezone(&mut o, "Europe/Berlin".parse().unwrap(), 2026, 2026);
        assert!(o.contains(
            "BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200"
        ));
        assert!(o.contains(
            "BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100"
        ));
        let mut o = String::new();
        vtimezone(&mut o, "Asia/Ho_Chi_Minh".parse().unwrap(), 2026, 2027);
        assert!(o.contains("TZOFFSETTO:+0700") && !o.contains("DAYLIGHT"));
    }
}
