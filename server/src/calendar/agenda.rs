//! The agenda: a person's meeting occurrences (expanded from their rules, with changed and
//! cancelled occurrences applied) and the tasks due to them, merged in time order over a
//! range, in the person's time zone (their profile's, or one the request names; UTC when
//! neither), paged by cursor and bounded (a range of at most 366 days).
//!
//! What each part shows is its feature's business: meetings decide which occurrences a person
//! sees and with which details (`meetings::occurrences::occurrences_for`), tasks which are due
//! to them (`tasks::service::due_between`, tasks they own or are assigned, not done). Someone
//! without `tasks.use` simply has no tasks in their agenda.

use crate::{
    authn::Principal,
    db::parse_rfc3339,
    error::{ApiError, ApiResult, Code},
    http::pagination,
    meetings, tasks, users, AppState,
};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// Most items on one page.
pub const MAX_LIMIT: u32 = 500;
/// Occurrences and tasks read for one page at most (per part).
const READ_CAP: usize = 2000;
const DAY_MS: i64 = 86_400_000;

/// One thing on the agenda.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// `meeting` or `task`.
    pub kind: &'static str,
    pub id: String,
    /// A meeting occurrence's key (the start its rule gives it); `None` for tasks.
    pub occurrence: Option<i64>,
    /// `None` when the person sees busy time only.
    pub title: Option<String>,
    pub location: Option<String>,
    pub start_at: i64,
    pub end_at: i64,
    pub all_day: bool,
    /// The zone the item's own wall clock is in (the meeting's, the task's due zone).
    pub item_zone: String,
    /// A meeting's reply of the person, a task's status.
    pub status: Option<String>,
    pub priority: Option<String>,
    pub recurring: bool,
}

impl Item {
    fn key(&self) -> (i64, &'static str, &str, i64) {
        (
            self.start_at,
            self.kind,
            self.id.as_str(),
            self.occurrence.unwrap_or(0),
        )
    }
}

/// A page of the agenda.
#[derive(Debug, Clone)]
pub struct Page {
    pub zone: Tz,
    pub from: i64,
    pub to: i64,
    pub items: Vec<Item>,
    pub next_cursor: Option<String>,
}

/// The zone the agenda is shown in: the one asked for, else the person's, else UTC.
pub async fn zone_for(state: &AppState, p: &Principal, asked: Option<&str>) -> ApiResult<Tz> {
    if let Some(z) = asked.map(str::trim).filter(|z| !z.is_empty()) {
        return z.parse::<Tz>().map_err(|_| {
            ApiError::validation(
                "zone",
                "must be an IANA time zone such as `Asia/Ho_Chi_Minh`",
            )
        });
    }
    let mut conn = state.db.conn().await?;
    let mine = users::service::find(&mut conn, &p.tenant_id, &p.user_id)
        .await?
        .and_then(|u| u.time_zone);
    Ok(mine.and_then(|z| z.parse::<Tz>().ok()).unwrap_or(Tz::UTC))
}

/// Midnight starting `d` in `tz` (the first instant of the day when a DST change skips it).
fn midnight(tz: Tz, d: NaiveDate) -> i64 {
    let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map_or_else(
            || Utc.from_utc_datetime(&local).timestamp_millis(),
            |t| t.timestamp_millis(),
        )
}

/// A bound: an RFC 3339 instant, or a date in `tz` (`to` as a date includes that day).
fn bound(field: &str, raw: &str, tz: Tz, end: bool) -> ApiResult<i64> {
    if let Some(ms) = parse_rfc3339(raw) {
        return Ok(ms);
    }
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        ApiError::validation(field, "must be a date (YYYY-MM-DD) or an RFC 3339 instant")
    })?;
    Ok(if end {
        midnight(tz, d.succ_opt().unwrap_or(d))
    } else {
        midnight(tz, d)
    })
}

/// The range asked for: default today and the six days after it, in the agenda's zone.
pub fn range(tz: Tz, from: Option<&str>, to: Option<&str>, now: i64) -> ApiResult<(i64, i64)> {
    let today = Utc
        .timestamp_millis_opt(now)
        .single()
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive();
    let from = match from.map(str::trim).filter(|s| !s.is_empty()) {
        Some(f) => bound("from", f, tz, false)?,
        None => midnight(tz, today),
    };
    let to = match to.map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => bound("to", t, tz, true)?,
        None => from + 7 * DAY_MS,
    };
    meetings::occurrences::range(from, to)?;
    Ok((from, to))
}

/// The person's agenda over `[from, to)`, after `cursor`, at most `limit` items.
pub async fn agenda(
    state: &AppState,
    p: &Principal,
    tz: Tz,
    (from, to): (i64, i64),
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<Page> {
    let limit = limit.unwrap_or(100).clamp(1, MAX_LIMIT) as usize;
    let after = pagination::decode_key(cursor, 4)?
        .map(|k| -> ApiResult<(i64, String, String, i64)> {
            let bad = || ApiError::validation("cursor", "is not a cursor of this agenda");
            Ok((
                k[0].parse().map_err(|_| bad())?,
                k[1].clone(),
                k[2].clone(),
                k[3].parse().map_err(|_| bad())?,
            ))
        })
        .transpose()?;
    // A page reads from where the previous one ended, so a long range never needs more than
    // one bounded read per part.
    let read_from = after.as_ref().map_or(from, |a| a.0.max(from));
    let mut items: Vec<Item> = Vec::new();
    for o in meetings::occurrences::occurrences_for(state, p, read_from, to, READ_CAP).await? {
        items.push(Item {
            kind: "meeting",
            id: o.meeting_id,
            occurrence: Some(o.original_start),
            title: o.title,
            location: o.location,
            start_at: o.start_at,
            end_at: o.end_at,
            all_day: o.all_day,
            item_zone: o.time_zone,
            status: o.my_status,
            priority: None,
            recurring: o.recurring,
        });
    }
    match tasks::service::due_between(state, p, read_from, to - 1, READ_CAP as i64).await {
        Ok(ts) => {
            for t in ts {
                let Some(due) = t.due_at else { continue };
                let all_day = t.due_time.is_none();
                items.push(Item {
                    kind: "task",
                    id: t.id,
                    occurrence: None,
                    title: Some(t.title),
                    location: None,
                    start_at: due,
                    end_at: if all_day { due + DAY_MS } else { due },
                    all_day,
                    item_zone: t.due_zone.unwrap_or_else(|| tz.name().to_string()),
                    status: Some(t.status),
                    priority: Some(t.priority),
                    recurring: false,
                });
            }
        }
        // Without `tasks.use` a person has no tasks to show.
        Err(e) if e.code == Code::Forbidden => {}
        Err(e) => return Err(e),
    }
    // Occurrences that began before the range and still run belong in it (meetings give
    // those); one that began before the cursor's item was on an earlier page.
    items.sort_by(|a, b| a.key().cmp(&b.key()));
    if let Some((at, kind, id, occ)) = &after {
        let k = (*at, kind.as_str(), id.as_str(), *occ);
        items.retain(|i| {
            let (s, kd, d, o) = i.key();
            (s, kd, d, o) > k
        });
    }
    let more = items.len() > limit;
    items.truncate(limit);
    let next_cursor = if more {
        items.last().map(|i| {
            let (s, k, d, o) = i.key();
            pagination::encode_key(&[&s.to_string(), k, d, &o.to_string()])
        })
    } else {
        None
    };
    Ok(Page {
        zone: tz,
        from,
        to,
        items,
        next_cursor,
    })
}

/// Wall clock of an instant in `tz` (`YYYY-MM-DDTHH:MM:SS`).
pub fn local(tz: Tz, ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// The date an all-day item falls on, in its own zone.
pub fn date_in(zone: &str, ms: i64) -> String {
    let tz = zone.parse::<Tz>().unwrap_or(Tz::UTC);
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .with_timezone(&tz)
        .format("%Y-%m-%d")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_in_the_zone() {
        let hcm: Tz = "Asia/Ho_Chi_Minh".parse().unwrap();
        // 2026-03-02T00:00+07:00 = 2026-03-01T17:00Z.
        let (f, t) = range(hcm, Some("2026-03-02"), Some("2026-03-02"), 0).unwrap();
        assert_eq!(f, parse_rfc3339("2026-03-01T17:00:00Z").unwrap());
        assert_eq!(t - f, DAY_MS);
        // Berlin's spring-forward day has 23 hours.
        let ber: Tz = "Europe/Berlin".parse().unwrap();
        let (f, t) = range(ber, Some("2026-03-29"), Some("2026-03-29"), 0).unwrap();
        assert_eq!(t - f, 23 * 3_600_000);
        assert!(range(hcm, Some("2026-03-02"), Some("2026-03-01"), 0).is_err());
        assert!(range(hcm, Some("2026-01-01"), Some("2027-06-01"), 0).is_err());
        assert!(range(hcm, Some("yesterday"), None, 0).is_err());
        let now = parse_rfc3339("2026-03-02T20:00:00Z").unwrap();
        let (f, t) = range(hcm, None, None, now).unwrap();
        assert_eq!(f, parse_rfc3339("2026-03-02T17:00:00Z").unwrap());
        assert_eq!(t - f, 7 * DAY_MS);
    }
}
