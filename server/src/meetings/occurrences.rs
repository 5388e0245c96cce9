//! One occurrence changed or cancelled (keyed by its original start, RECURRENCE-ID), this
//! and following (splitting a series), and the expansion of meetings into occurrences in a
//! range — [`occurrences_for`] is what the agenda and feeds read.

pub use super::model::{expand, Span};
use super::{
    booking, recur, reminders,
    service::{
        apply, cancelled, description, get, location, notify, organised, people, series, times,
        Occurrence, Patch, View, MAX_OCCURRENCES, MAX_RANGE_MS, MAX_TITLE,
    },
    store::{self, ExceptionRow, MeetingRow},
};
use crate::{
    audit,
    authn::Principal,
    db::{new_id, now_ms},
    directory::audience,
    error::{ApiError, ApiResult},
    AppState,
};
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// The original start named in a path: RFC 3339 or epoch milliseconds; 404 when it is not
/// an occurrence of the series.
pub fn occurrence_key(m: &MeetingRow, raw: &str) -> ApiResult<i64> {
    let t = raw
        .parse::<i64>()
        .ok()
        .or_else(|| crate::db::parse_rfc3339(raw))
        .ok_or_else(|| {
            ApiError::validation(
                "occurrence",
                "expected the occurrence's original start as an RFC 3339 instant",
            )
        })?;
    // Years 1970 to 2200, like every time a meeting accepts.
    if !(0..=7_258_118_400_000).contains(&t) {
        return Err(ApiError::not_found("occurrence"));
    }
    if series(m)?.has(t) {
        Ok(t)
    } else {
        Err(ApiError::not_found("occurrence"))
    }
}

/// What a change of one occurrence sets (`None`: as the series has it).
#[derive(Debug, Clone, Default)]
pub struct OccurrencePatch {
    pub start: Option<String>,
    pub end: Option<String>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub cancelled: bool,
}

/// Change or cancel one occurrence (RECURRENCE-ID semantics): its replies reset when its
/// time or place changes, attendees are told, bookings are checked again.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn edit_occurrence(
    state: &AppState,
    p: &Principal,
    id: &str,
    key: &str,
    o: OccurrencePatch,
) -> ApiResult<View> {
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let m = organised(&mut tx, state, p, id).await?;
    if m.rrule.is_none() {
        return Err(ApiError::validation(
            "occurrence",
            "a single meeting has no occurrences to change; change the meeting",
        ));
    }
    let original = occurrence_key(&m, key)?;
    let s = series(&m)?;
    let x = if o.cancelled {
        cancelled(&m.id, original, now)
    } else {
        let (start_at, end_at) = match (&o.start, &o.end) {
            (None, None) => (None, None),
            (Some(a), Some(b)) => {
                let (a, b) = times(s.tz, s.all_day, a, b)?;
                (Some(a), Some(b))
            }
            _ => {
                return Err(ApiError::validation(
                    "start",
                    "a new time gives `start` and `end` together",
                ))
            }
        };
        ExceptionRow {
            meeting_id: m.id.clone(),
            original_start: original,
            cancelled: 0,
            start_at,
            end_at,
            title: match &o.title {
                Some(t) => Some(crate::http::validate::text("title", t, MAX_TITLE)?),
                None => None,
            },
            location: match &o.location {
                Some(l) => Some(location(Some(l))?),
                None => None,
            },
            description: match &o.description {
                Some(d) => Some(description(Some(d))?),
                None => None,
            },
            updated_at: now,
        }
    };
    store::upsert_exception(&mut tx, &p.tenant_id, &x).await?;
    let resources = store::resources::booked_by(&mut tx, &p.tenant_id, &m.id).await?;
    booking::rebook(state, &mut tx, &p.tenant_id, &m, &resources).await?;
    reminders::schedule(state, &mut tx, &p.tenant_id, &m.id).await?;
    audit::record(
        &mut tx,
        p.audit("meeting.occurrence_changed")
            .target("meeting", &m.id)
            .details(json!({ "occurrence": original, "cancelled": o.cancelled })),
    )
    .await?;
    let who = people(&mut tx, &p.tenant_id, &m).await?;
    let kind = if o.cancelled {
        "occurrence_cancelled"
    } else {
        "occurrence_changed"
    };
    let written = notify(state, &mut tx, p, &m, kind, &who).await?;
    tx.commit().await?;
    written.deliver(&state.hub);
    get(state, p, &m.id).await
}

/// This and following: the series ends before the occurrence `key`; a new series (same
/// attendees, resources, attachments; the patch applied) starts there. Returns the new one.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn split(
    state: &AppState,
    p: &Principal,
    id: &str,
    key: &str,
    e: Patch,
) -> ApiResult<View> {
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let mut old = organised(&mut tx, state, p, id).await?;
    let Some(rule) = old.rrule.clone() else {
        return Err(ApiError::validation(
            "occurrence",
            "a single meeting cannot be split; change the meeting",
        ));
    };
    let at = occurrence_key(&old, key)?;
    if at == old.start_at {
        return Err(ApiError::validation(
            "occurrence",
            "that is the first occurrence: change the whole series instead",
        ));
    }
    let s = series(&old)?;
    let done = s.count_before(at);
    let duration = old.end_at - old.start_at;
    let mut new = old.clone();
    new.id = new_id();
    new.start_at = at;
    new.end_at = s.end_of(at).max(at + duration.min(1));
    new.rrule = Some(recur::remaining(&rule, done));
    new.sequence = 0;
    new.remind_gen = 0;
    new.created_at = now;
    new.updated_at = now;
    new.last_end_at = series(&new)?.last_end();
    old.rrule = Some(recur::until_before(&rule, at));
    old.last_end_at = series(&old)?.last_end();
    old.updated_at = now;
    old.sequence += 1;
    store::update(&mut tx, &p.tenant_id, &old).await?;
    store::delete_exceptions_from(&mut tx, &p.tenant_id, &old.id, at).await?;
    store::insert(&mut tx, &p.tenant_id, &new).await?;
    let attendees: Vec<(String, bool)> = store::attendees(&mut tx, &p.tenant_id, &old.id)
        .await?
        .into_iter()
        .map(|a| (a.token, a.optional == 1))
        .collect();
    store::set_attendees(&mut tx, &p.tenant_id, &new.id, &attendees).await?;
    let files = store::attachments(&mut tx, &p.tenant_id, &old.id).await?;
    store::set_attachments(&mut tx, &p.tenant_id, &new.id, &files).await?;
    let resources = store::resources::booked_by(&mut tx, &p.tenant_id, &old.id).await?;
    // The old series gives its later slots back before the new one takes them.
    booking::rebook(state, &mut tx, &p.tenant_id, &old, &resources).await?;
    booking::rebook(state, &mut tx, &p.tenant_id, &new, &resources).await?;
    reminders::schedule(state, &mut tx, &p.tenant_id, &old.id).await?;
    reminders::schedule(state, &mut tx, &p.tenant_id, &new.id).await?;
    crate::search::enqueue_index(&mut tx, &p.tenant_id, super::model::KIND, &old.id).await?;
    audit::record(
        &mut tx,
        p.audit("meeting.split")
            .target("meeting", &old.id)
            .details(json!({ "from": at, "new_meeting": new.id })),
    )
    .await?;
    // The patch applies to the new series as an ordinary edit, in the same transaction.
    let created = new.id.clone();
    let written = apply(state, &mut tx, p, new, e).await?;
    tx.commit().await?;
    written.deliver(&state.hub);
    get(state, p, &created).await
}

/// A checked range: `from < to`, at most [`MAX_RANGE_MS`].
pub fn range(from: i64, to: i64) -> ApiResult<()> {
    if to <= from {
        return Err(ApiError::validation("to", "must be after `from`"));
    }
    if to - from > MAX_RANGE_MS {
        return Err(ApiError::validation("to", "a range spans at most 366 days"));
    }
    Ok(())
}

/// The occurrences of every meeting a person organises or attends (now) in `[from, to)`,
/// expanded with their exceptions, earliest first, at most `limit` (≤ 2,000). For the
/// agenda, the ICS feed and the caller's own list.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn occurrences_for(
    state: &AppState,
    p: &Principal,
    from: i64,
    to: i64,
    limit: usize,
) -> ApiResult<Vec<Occurrence>> {
    range(from, to)?;
    let limit = limit.clamp(1, MAX_OCCURRENCES);
    let mut conn = state.db.conn().await?;
    let tokens = audience::tokens_of(&mut conn, &p.tenant_id, &p.user_id).await?;
    let ms = store::for_person(&mut conn, &p.tenant_id, &p.user_id, &tokens, from, to).await?;
    occurrences_of(
        &mut conn,
        &p.tenant_id,
        &p.user_id,
        &ms,
        from,
        to,
        limit,
        true,
    )
    .await
}

/// Expand meetings for a person; `details`: whether titles and places are shown.
#[allow(clippy::too_many_arguments)]
pub async fn occurrences_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    ms: &[MeetingRow],
    from: i64,
    to: i64,
    limit: usize,
    details: bool,
) -> ApiResult<Vec<Occurrence>> {
    let ids: Vec<String> = ms.iter().map(|m| m.id.clone()).collect();
    let exceptions = store::exceptions(conn, tenant_id, &ids).await?;
    let mut out = Vec::new();
    for m in ms {
        let xs: Vec<&ExceptionRow> = exceptions.iter().filter(|x| x.meeting_id == m.id).collect();
        let replies = store::replies(conn, tenant_id, &m.id).await?;
        let mine: HashMap<i64, &str> = replies
            .iter()
            .filter(|r| r.user_id == user_id)
            .map(|r| (r.occurrence, r.status.as_str()))
            .collect();
        for (orig, a, b, title, loc) in expand(m, &xs, from, to, limit)? {
            out.push(Occurrence {
                meeting_id: m.id.clone(),
                original_start: orig,
                start_at: a,
                end_at: b,
                all_day: m.all_day == 1,
                time_zone: m.time_zone.clone(),
                title: details.then(|| title.unwrap_or(&m.title).to_string()),
                location: details.then(|| loc.unwrap_or(&m.location).to_string()),
                recurring: m.rrule.is_some(),
                my_status: mine
                    .get(&orig)
                    .or_else(|| mine.get(&0))
                    .map(|s| s.to_string())
                    .or_else(|| (m.organiser_id != user_id).then(|| "needs_action".into())),
            });
        }
    }
    out.sort_by(|x, y| (x.start_at, &x.meeting_id).cmp(&(y.start_at, &y.meeting_id)));
    out.truncate(limit);
    Ok(out)
}
