//! The meeting itself, beneath the rest of the feature: its limits, how a person stands to
//! it, who its attendees are now, and its occurrences ([`series`], [`expand`]). Service,
//! occurrences, booking, reminders and hooks build on this; it builds on none of them.

use super::{
    recur::{self, Series},
    store::{self, ExceptionRow, MeetingRow},
};
use crate::{
    db::is_id,
    directory::audience::{self, Target},
    error::{ApiError, ApiResult},
};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// The search kind of meetings.
pub const KIND: &str = "meeting";

/// The notices' source for meetings.
pub const SOURCE: &str = "meeting";
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 10_000;
pub const MAX_LOCATION: usize = 500;
pub const MAX_ATTENDEES: usize = 500;
pub const MAX_ATTACHMENTS: usize = 10;
pub const MAX_REMINDERS: usize = 5;
/// Reminders at most four weeks before.
pub const MAX_REMINDER_MINUTES: i64 = 40_320;
/// One occurrence lasts at most this long.
pub const MAX_DURATION_MS: i64 = 31 * 86_400_000;
/// A range of occurrences or free/busy spans at most this long, and returns at most
/// [`MAX_OCCURRENCES`].
pub const MAX_RANGE_MS: i64 = 366 * 86_400_000;
pub const MAX_OCCURRENCES: usize = 2_000;

/// An attendee as given: a person or a department (with its sub-departments or not).
#[derive(Debug, Clone)]
pub struct AttendeeIn {
    pub target: Target,
    pub optional: bool,
}

/// One expanded occurrence: original start, start, end, and the title and place it has of
/// its own (a changed occurrence), if any.
pub type Span<'a> = (i64, i64, i64, Option<&'a str>, Option<&'a str>);

pub fn not_found() -> ApiError {
    ApiError::not_found("meeting")
}

/// How the caller stands to a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Organiser,
    Attendee,
}

pub fn series(m: &MeetingRow) -> ApiResult<Series<'_>> {
    Ok(Series {
        tz: recur::zone("time_zone", &m.time_zone)?,
        all_day: m.all_day == 1,
        start_at: m.start_at,
        end_at: m.end_at,
        rrule: m.rrule.as_deref(),
    })
}

/// A meeting of the tenant, or 404.
pub async fn load(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> ApiResult<MeetingRow> {
    if !is_id(id) {
        return Err(not_found());
    }
    store::get(conn, tenant_id, id).await?.ok_or_else(not_found)
}

/// How a person stands to a meeting now, if at all.
pub async fn role_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    m: &MeetingRow,
) -> ApiResult<Option<Role>> {
    if m.organiser_id == user_id {
        return Ok(Some(Role::Organiser));
    }
    let tokens = audience::tokens_of(conn, tenant_id, user_id).await?;
    Ok(store::addressed_to(conn, tenant_id, &m.id, &tokens)
        .await?
        .then_some(Role::Attendee))
}

/// The people a meeting's attendees cover now (the organiser not among them).
pub async fn people(
    conn: &mut AnyConnection,
    tenant_id: &str,
    m: &MeetingRow,
) -> ApiResult<Vec<String>> {
    let targets: Vec<Target> = store::attendees(conn, tenant_id, &m.id)
        .await?
        .iter()
        .filter_map(|a| Target::from_token(&a.token))
        .collect();
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    Ok(audience::people(conn, tenant_id, &targets)
        .await?
        .into_iter()
        .filter(|u| *u != m.organiser_id)
        .collect())
}

/// Occurrences of one meeting in `[from, to)` with its exceptions applied (cancelled ones
/// left out, moved ones where they moved to).
pub fn expand<'a>(
    m: &'a MeetingRow,
    exceptions: &[&'a ExceptionRow],
    from: i64,
    to: i64,
    limit: usize,
) -> ApiResult<Vec<Span<'a>>> {
    let s = series(m)?;
    let by_start: HashMap<i64, &ExceptionRow> =
        exceptions.iter().map(|x| (x.original_start, *x)).collect();
    let mut out = Vec::new();
    for st in s.starts(from, to, limit) {
        match by_start.get(&st) {
            Some(x) if x.cancelled == 1 => {}
            Some(x) => {
                let (a, b) = (
                    x.start_at.unwrap_or(st),
                    x.end_at.unwrap_or_else(|| s.end_of(st)),
                );
                if a < to && b > from {
                    out.push((st, a, b, x.title.as_deref(), x.location.as_deref()));
                }
            }
            None => out.push((st, st, s.end_of(st), None, None)),
        }
    }
    // Occurrences moved into the range from outside it.
    for x in exceptions {
        if x.cancelled == 1 || out.iter().any(|o| o.0 == x.original_start) {
            continue;
        }
        if let (Some(a), Some(b)) = (x.start_at, x.end_at) {
            if a < to && b > from {
                out.push((
                    x.original_start,
                    a,
                    b,
                    x.title.as_deref(),
                    x.location.as_deref(),
                ));
            }
        }
    }
    out.sort_by_key(|o| (o.1, o.0));
    out.truncate(limit);
    Ok(out)
}
