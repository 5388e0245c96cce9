//! Meetings: who may see and change them, their fields, and their occurrences.
//!
//! Creating needs `meetings.use`. The organiser alone changes a meeting; its attendees
//! (people, or members of a department now) read it; anyone else gets 404 (and sees only busy
//! time in free/busy). A change of time or place puts every reply back to needs-action,
//! bumps the ICS sequence and notifies the attendees; booked rooms and resources are checked
//! again (see [`super::booking`]); the reminder chain is rescheduled (see
//! [`super::reminders`]).

use super::{
    booking, recur, reminders,
    store::{self, AttendeeRow, ExceptionRow, MeetingRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{is_id, new_id, now_ms},
    directory::audience::{self, Target},
    error::{ApiError, ApiResult, Code},
    files, notices, AppState,
};
use serde_json::json;
use sqlx::AnyConnection;

pub use super::input::{
    attachments, attendee_rows, coordinates, description, exdates, location, online_url,
    parse_reminders, reminder_list, times, visibility,
};
pub use super::model::{
    load, not_found, people, role_of, series, AttendeeIn, Role, MAX_ATTACHMENTS, MAX_ATTENDEES,
    MAX_DESCRIPTION, MAX_DURATION_MS, MAX_LOCATION, MAX_OCCURRENCES, MAX_RANGE_MS, MAX_REMINDERS,
    MAX_REMINDER_MINUTES, MAX_TITLE, SOURCE,
};

/// Everything a meeting is made of, as the API gives it.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub online_url: Option<String>,
    pub time_zone: String,
    pub all_day: bool,
    /// Wall-clock date-time (or an RFC 3339 instant); a date for all-day meetings.
    pub start: String,
    /// For all-day meetings: the last day (inclusive).
    pub end: String,
    pub rrule: Option<String>,
    /// Original starts to leave out (EXDATE).
    pub exdates: Vec<String>,
    pub attendees: Vec<AttendeeIn>,
    pub visibility: Option<String>,
    pub reminders: Vec<i64>,
    pub resource_ids: Vec<String>,
    pub attachment_ids: Vec<String>,
}

/// What an edit changes (`None`: unchanged). A new time needs `start` and `end` together.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub location: Option<String>,
    pub coordinates: Option<Option<(f64, f64)>>,
    pub online_url: Option<Option<String>>,
    pub time_zone: Option<String>,
    pub all_day: Option<bool>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub rrule: Option<Option<String>>,
    pub attendees: Option<Vec<AttendeeIn>>,
    pub visibility: Option<String>,
    pub reminders: Option<Vec<i64>>,
    pub resource_ids: Option<Vec<String>>,
    pub attachment_ids: Option<Vec<String>>,
}

/// A meeting as its organiser and attendees see it.
#[derive(Debug, Clone)]
pub struct View {
    pub m: MeetingRow,
    pub role: Role,
    pub attendees: Vec<AttendeeRow>,
    pub exceptions: Vec<ExceptionRow>,
    pub resource_ids: Vec<String>,
    pub attachments: Vec<files::store::FileRow>,
    /// The caller's own series reply and reminders.
    pub my_status: String,
    pub my_comment: String,
    pub my_reminders: Option<Vec<i64>>,
}

/// One occurrence of a meeting in a range.
#[derive(Debug, Clone)]
pub struct Occurrence {
    pub meeting_id: String,
    /// The start the rule gives it (its key for changes and replies).
    pub original_start: i64,
    pub start_at: i64,
    pub end_at: i64,
    pub all_day: bool,
    pub time_zone: String,
    /// Only for the organiser and attendees; `None` when the caller sees busy time only.
    pub title: Option<String>,
    pub location: Option<String>,
    pub recurring: bool,
    /// The caller's answer for this occurrence (its own, else the series').
    pub my_status: Option<String>,
}

/// A meeting the caller organises or attends, or 404.
pub async fn visible(
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<(MeetingRow, Role)> {
    let m = load(conn, &p.tenant_id, id).await?;
    match role_of(conn, &p.tenant_id, &p.user_id, &m).await? {
        Some(r) => Ok((m, r)),
        None => Err(not_found()),
    }
}

/// The meeting locked for the organiser's change: 404 for strangers, 403 for attendees.
pub(super) async fn organised(
    conn: &mut AnyConnection,
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<MeetingRow> {
    if !is_id(id) {
        return Err(not_found());
    }
    let m = store::get_for_update(conn, state.db.backend, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    match role_of(conn, &p.tenant_id, &p.user_id, &m).await? {
        Some(Role::Organiser) => Ok(m),
        Some(Role::Attendee) => Err(ApiError::new(
            Code::Forbidden,
            "only the organiser may change a meeting",
        )),
        None => Err(not_found()),
    }
}

pub(super) async fn notify(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    m: &MeetingRow,
    kind: &'static str,
    people: &[String],
) -> ApiResult<notices::Written> {
    let people: Vec<String> = people
        .iter()
        .filter(|u| **u != p.user_id)
        .cloned()
        .collect();
    Ok(notices::write(
        conn,
        state.db.backend,
        &state.hub,
        &notices::Batch {
            tenant_id: p.tenant_id.clone(),
            source: SOURCE,
            kind,
            subject_id: m.id.clone(),
            actor_id: p.user_id.clone(),
            title: m.title.clone(),
        },
        &people,
    )
    .await?)
}

/// Create a meeting: the row, attendees, bookings (checked), attachments, audit, a notice to
/// the invited, the first reminder scheduled; then the realtime frames.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn create(state: &AppState, p: &Principal, n: Input) -> ApiResult<View> {
    let g = state.authz.require(p, perm::MEETINGS_USE).await?;
    let now = now_ms();
    let title = crate::http::validate::text("title", &n.title, MAX_TITLE)?;
    let tz = recur::zone("time_zone", &n.time_zone)?;
    let (start_at, end_at) = times(tz, n.all_day, &n.start, &n.end)?;
    let rrule = match n.rrule.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(recur::check_rule(r, tz, start_at)?),
        None => None,
    };
    let coords = coordinates(n.latitude, n.longitude)?;
    let mut m = MeetingRow {
        id: new_id(),
        organiser_id: p.user_id.clone(),
        title,
        description: description(n.description.as_deref())?,
        location: location(n.location.as_deref())?,
        latitude: coords.map(|c| c.0),
        longitude: coords.map(|c| c.1),
        online_url: online_url(n.online_url.as_deref())?,
        all_day: i64::from(n.all_day),
        time_zone: tz.name().to_string(),
        start_at,
        end_at,
        rrule,
        last_end_at: None,
        visibility: visibility(n.visibility.as_deref())?,
        reminders: json!(reminder_list("reminders", &n.reminders)?).to_string(),
        remind_gen: 0,
        sequence: 0,
        created_at: now,
        updated_at: now,
    };
    m.last_end_at = series(&m)?.last_end();
    let ex = exdates(&series(&m)?, &n.exdates)?;
    let attendees = attendee_rows(&p.user_id, &n.attendees)?;
    let mut tx = state.db.begin().await?;
    let targets: Vec<Target> = attendees.iter().map(|(t, _)| t.clone()).collect();
    audience::validate(&mut tx, &p.tenant_id, "attendees", &targets).await?;
    let files = attachments(state, &mut tx, p, &n.attachment_ids).await?;
    store::insert(&mut tx, &p.tenant_id, &m).await?;
    let rows: Vec<(String, bool)> = attendees.iter().map(|(t, o)| (t.token(), *o)).collect();
    store::set_attendees(&mut tx, &p.tenant_id, &m.id, &rows).await?;
    for x in ex {
        store::upsert_exception(&mut tx, &p.tenant_id, &cancelled(&m.id, x, now)).await?;
    }
    store::set_attachments(&mut tx, &p.tenant_id, &m.id, &files).await?;
    booking::rebook(state, &mut tx, &p.tenant_id, &m, &n.resource_ids).await?;
    reminders::schedule(state, &mut tx, &p.tenant_id, &m.id).await?;
    crate::search::enqueue_index(&mut tx, &p.tenant_id, super::model::KIND, &m.id).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("meeting.created")
            .target("meeting", &m.id)
            .details(json!({ "attendees": rows.len(), "recurring": m.rrule.is_some() })),
    )
    .await?;
    let invited = people(&mut tx, &p.tenant_id, &m).await?;
    let written = notify(state, &mut tx, p, &m, "invited", &invited).await?;
    tx.commit().await?;
    written.deliver(&state.hub);
    get(state, p, &m.id).await
}

pub(super) fn cancelled(meeting_id: &str, original_start: i64, now: i64) -> ExceptionRow {
    ExceptionRow {
        meeting_id: meeting_id.to_string(),
        original_start,
        cancelled: 1,
        start_at: None,
        end_at: None,
        title: None,
        location: None,
        description: None,
        updated_at: now,
    }
}

/// A meeting as the caller sees it (organiser or attendee).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<View> {
    let mut conn = state.db.conn().await?;
    let (m, role) = visible(&mut conn, p, id).await?;
    describe(&mut conn, p, m, role).await
}

async fn describe(
    conn: &mut AnyConnection,
    p: &Principal,
    m: MeetingRow,
    role: Role,
) -> ApiResult<View> {
    let t = &p.tenant_id;
    let attendees = store::attendees(conn, t, &m.id).await?;
    let exceptions = store::exceptions(conn, t, std::slice::from_ref(&m.id)).await?;
    let resource_ids = store::resources::booked_by(conn, t, &m.id).await?;
    let mut files_out = Vec::new();
    for f in store::attachments(conn, t, &m.id).await? {
        if let Some(f) = files::service::stored(conn, t, &f).await? {
            files_out.push(f);
        }
    }
    let mine = store::replies(conn, t, &m.id)
        .await?
        .into_iter()
        .find(|r| r.user_id == p.user_id && r.occurrence == 0);
    Ok(View {
        role,
        attendees,
        exceptions,
        resource_ids,
        attachments: files_out,
        my_status: mine
            .as_ref()
            .map_or_else(|| "needs_action".to_string(), |r| r.status.clone()),
        my_comment: mine.as_ref().map(|r| r.comment.clone()).unwrap_or_default(),
        my_reminders: mine.and_then(|r| r.reminders).map(|s| parse_reminders(&s)),
        m,
    })
}

/// Change a meeting (organiser only). A change of time or place resets every reply,
/// notifies the attendees and bumps the sequence; bookings are checked again.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn update(state: &AppState, p: &Principal, id: &str, e: Patch) -> ApiResult<View> {
    let mut tx = state.db.begin().await?;
    let m = organised(&mut tx, state, p, id).await?;
    let id = m.id.clone();
    let written = apply(state, &mut tx, p, m, e).await?;
    tx.commit().await?;
    written.deliver(&state.hub);
    get(state, p, &id).await
}

/// An edit inside the caller's transaction, of a meeting the caller organises (locked).
pub(super) async fn apply(
    state: &AppState,
    tx: &mut crate::db::Tx,
    p: &Principal,
    mut m: MeetingRow,
    e: Patch,
) -> ApiResult<notices::Written> {
    let now = now_ms();
    let before = m.clone();
    let mut changed: Vec<&str> = Vec::new();
    if let Some(t) = &e.title {
        m.title = crate::http::validate::text("title", t, MAX_TITLE)?;
        changed.push("title");
    }
    if let Some(d) = &e.description {
        m.description = description(Some(d))?;
        changed.push("description");
    }
    if let Some(l) = &e.location {
        m.location = location(Some(l))?;
    }
    if let Some(c) = e.coordinates {
        let c = match c {
            Some((a, o)) => coordinates(Some(a), Some(o))?,
            None => None,
        };
        m.latitude = c.map(|c| c.0);
        m.longitude = c.map(|c| c.1);
    }
    if let Some(u) = &e.online_url {
        m.online_url = online_url(u.as_deref())?;
    }
    if let Some(v) = &e.visibility {
        m.visibility = visibility(Some(v))?;
        changed.push("visibility");
    }
    let time_given = e.start.is_some() || e.end.is_some();
    if e.time_zone.is_some() || e.all_day.is_some() || time_given {
        let (Some(start), Some(end)) = (&e.start, &e.end) else {
            return Err(ApiError::validation(
                "start",
                "a new time gives `start` and `end` together",
            ));
        };
        let tz = recur::zone("time_zone", e.time_zone.as_deref().unwrap_or(&m.time_zone))?;
        let all_day = e.all_day.unwrap_or(m.all_day == 1);
        let (s, en) = times(tz, all_day, start, end)?;
        m.time_zone = tz.name().to_string();
        m.all_day = i64::from(all_day);
        m.start_at = s;
        m.end_at = en;
    }
    if let Some(r) = &e.rrule {
        m.rrule = r.clone();
    }
    if let Some(r) = m.rrule.clone() {
        if e.rrule.is_some() || time_given || e.time_zone.is_some() {
            let tz = recur::zone("time_zone", &m.time_zone)?;
            m.rrule = Some(recur::check_rule(&r, tz, m.start_at)?);
        }
    }
    if let Some(r) = &e.reminders {
        m.reminders = json!(reminder_list("reminders", r)?).to_string();
        changed.push("reminders");
    }
    let when_changed = m.start_at != before.start_at
        || m.end_at != before.end_at
        || m.time_zone != before.time_zone
        || m.all_day != before.all_day
        || m.rrule != before.rrule;
    let place_changed = m.location != before.location
        || m.latitude != before.latitude
        || m.longitude != before.longitude
        || m.online_url != before.online_url;
    if when_changed {
        changed.push("time");
        // Changed or cancelled occurrences belonged to the old rule.
        store::delete_exceptions_from(tx, &p.tenant_id, &m.id, i64::MIN).await?;
    }
    if place_changed {
        changed.push("place");
    }
    m.last_end_at = series(&m)?.last_end();
    if let Some(a) = &e.attendees {
        let rows = attendee_rows(&m.organiser_id, a)?;
        let targets: Vec<Target> = rows.iter().map(|(t, _)| t.clone()).collect();
        audience::validate(tx, &p.tenant_id, "attendees", &targets).await?;
        let rows: Vec<(String, bool)> = rows.iter().map(|(t, o)| (t.token(), *o)).collect();
        store::set_attendees(tx, &p.tenant_id, &m.id, &rows).await?;
        changed.push("attendees");
    }
    if let Some(a) = &e.attachment_ids {
        let files = attachments(state, tx, p, a).await?;
        store::set_attachments(tx, &p.tenant_id, &m.id, &files).await?;
        changed.push("attachments");
    }
    if when_changed || place_changed {
        m.sequence += 1;
        store::reset_replies(tx, &p.tenant_id, &m.id, now).await?;
    }
    m.updated_at = now;
    store::update(tx, &p.tenant_id, &m).await?;
    let resources = match &e.resource_ids {
        Some(r) => Some(r.clone()),
        None if when_changed => Some(store::resources::booked_by(tx, &p.tenant_id, &m.id).await?),
        None => None,
    };
    if let Some(r) = resources {
        booking::rebook(state, tx, &p.tenant_id, &m, &r).await?;
        changed.push("resources");
    }
    if when_changed || e.reminders.is_some() || e.attendees.is_some() {
        reminders::schedule(state, tx, &p.tenant_id, &m.id).await?;
    }
    crate::search::enqueue_index(tx, &p.tenant_id, super::model::KIND, &m.id).await?;
    audit::record(
        tx,
        p.audit("meeting.updated")
            .target("meeting", &m.id)
            .details(json!({ "changed": changed })),
    )
    .await?;
    if when_changed || place_changed {
        let who = people(tx, &p.tenant_id, &m).await?;
        notify(state, tx, p, &m, "changed", &who).await
    } else {
        Ok(notices::Written::none())
    }
}

/// Cancel a whole meeting (organiser only): attendees are told; the row and everything on it go.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn delete(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let m = organised(&mut tx, state, p, id).await?;
    let who = people(&mut tx, &p.tenant_id, &m).await?;
    store::delete(&mut tx, &p.tenant_id, &m.id).await?;
    notices::delete_subject(&mut tx, &p.tenant_id, SOURCE, &m.id).await?;
    crate::search::enqueue_delete(&mut tx, &p.tenant_id, super::model::KIND, &m.id).await?;
    audit::record(
        &mut tx,
        p.audit("meeting.deleted")
            .target("meeting", &m.id)
            .details(json!({ "recurring": m.rrule.is_some() })),
    )
    .await?;
    let written = notify(state, &mut tx, p, &m, "cancelled", &who).await?;
    tx.commit().await?;
    written.deliver(&state.hub);
    Ok(())
}
