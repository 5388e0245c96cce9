//! Tasks: who may see and change them, and the changes themselves.
//!
//! Function level: `tasks.use` for everything; `tasks.assign` to give a task to someone else.
//! Object level, on the current row every time: the **owner** (who created it) may change
//! everything and delete it; the **assignee** may change its status and checklist and set
//! their own reminders; anyone else gets 404, as if it did not exist. Assigning notifies the
//! assignee (`notices`, with its realtime frame) in the transaction of the change.

pub use super::access::{access, not_found, reads, Access, Role, SOURCE};
pub use super::list::{can_read, due_between, list, search_doc, Filter};

use super::{
    due,
    store::{self, ItemRow, ReminderRow, TaskRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::{perm, Granted},
    db::{is_id, new_id, now_ms},
    error::{ApiError, ApiResult},
    files, messaging, notices, search, users, AppState,
};
use serde_json::json;
use sqlx::AnyConnection;

/// The search kind for tasks.
pub const KIND: &str = "task";
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 20_000;
pub const MAX_ATTACHMENTS: usize = 10;
pub const PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];
pub const STATUSES: &[&str] = &["todo", "in_progress", "done"];

/// Markdown text of at most `max` characters: line breaks and tabs allowed, other control
/// characters not. Empty is allowed.
pub fn markdown_text(field: &str, raw: &str, max: usize) -> ApiResult<String> {
    let t = raw.trim();
    if t.chars().count() > max {
        return Err(ApiError::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if t.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::validation(
            field,
            "must not contain control characters other than line breaks and tabs",
        ));
    }
    Ok(t.to_string())
}

/// A point on Earth as degrees × 10⁷ (WGS 84).
pub fn location(lat: f64, lon: f64) -> ApiResult<(i64, i64)> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(ApiError::validation(
            "location.latitude",
            "must be between -90 and 90",
        ));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(ApiError::validation(
            "location.longitude",
            "must be between -180 and 180",
        ));
    }
    Ok(((lat * 1e7).round() as i64, (lon * 1e7).round() as i64))
}

pub fn degrees(e7: i64) -> f64 {
    e7 as f64 / 1e7
}

pub(super) fn one_of(field: &str, v: &str, allowed: &[&'static str]) -> ApiResult<&'static str> {
    allowed
        .iter()
        .find(|a| **a == v)
        .copied()
        .ok_or_else(|| ApiError::validation(field, format!("one of {}", allowed.join(", "))))
}

/// Files the caller may attach: plain uploads they can read, at most 10, each once.
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

/// Where a task was made from, as its reader may see it now.
#[derive(Debug, Clone)]
pub struct SourceLink {
    /// The room and message, while the reader may read that message; `None` once it is
    /// deleted or they lost access (the link then says only that it is unavailable).
    pub message: Option<(String, String)>,
}

/// A task as its owner or assignee sees it.
#[derive(Debug, Clone)]
pub struct View {
    pub row: TaskRow,
    pub role: Role,
    pub checklist: Vec<ItemRow>,
    pub attachments: Vec<files::store::FileRow>,
    /// The reader's own reminders.
    pub reminders: Vec<ReminderRow>,
    pub source: Option<SourceLink>,
}

/// The task with its checklist, attachments (files still there), the reader's reminders and
/// the link to its message (checked on the reader's access now).
pub async fn view(
    conn: &mut AnyConnection,
    p: &Principal,
    row: TaskRow,
    role: Role,
) -> ApiResult<View> {
    let checklist = store::items(conn, &p.tenant_id, &row.id).await?;
    let mut shown = Vec::new();
    for f in store::attachments(conn, &p.tenant_id, &row.id).await? {
        if let Some(f) = files::service::stored(conn, &p.tenant_id, &f).await? {
            shown.push(f);
        }
    }
    let reminders = store::reminders(conn, &p.tenant_id, &row.id)
        .await?
        .into_iter()
        .filter(|r| r.user_id == p.user_id)
        .collect();
    let source = match &row.source_message_id {
        Some(m) => {
            let room = messaging::messages::readable_room(conn, p, m).await?;
            Some(SourceLink {
                message: room.map(|r| (r, m.clone())),
            })
        }
        None => None,
    };
    Ok(View {
        row,
        role,
        checklist,
        attachments: shown,
        reminders,
        source,
    })
}

/// An active (or invited) person of the tenant to assign to, else 422.
async fn assignee(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> ApiResult<String> {
    let bad = || ApiError::validation("assignee_id", "not a person of this tenant");
    if !is_id(id) {
        return Err(bad());
    }
    match users::service::find(conn, tenant_id, id).await? {
        Some(u) if matches!(u.status.as_str(), "active" | "invited") => Ok(u.id),
        _ => Err(bad()),
    }
}

/// A due date as the API gives it.
#[derive(Debug, Clone)]
pub struct DueInput {
    pub date: String,
    pub time: Option<String>,
    pub zone: Option<String>,
}

fn parse_due(d: &DueInput) -> ApiResult<due::Due> {
    due::parse(&d.date, d.time.as_deref(), d.zone.as_deref())
}

fn set_due(t: &mut TaskRow, d: Option<due::Due>) {
    match d {
        Some(d) => {
            t.due_date = Some(d.date);
            t.due_time = d.time;
            t.due_zone = Some(d.zone);
            t.due_at = Some(d.due_at);
            t.overdue_at = Some(d.overdue_at);
        }
        None => {
            t.due_date = None;
            t.due_time = None;
            t.due_zone = None;
            t.due_at = None;
            t.overdue_at = None;
        }
    }
}

fn set_status(t: &mut TaskRow, status: &'static str, now: i64) {
    if t.status != status {
        t.completed_at = (status == "done").then_some(now);
        t.status = status.into();
    }
}

/// A task to create.
#[derive(Debug, Clone, Default)]
pub struct NewTask {
    pub title: String,
    pub description: String,
    pub due: Option<DueInput>,
    pub priority: Option<String>,
    pub status: Option<String>,
    pub assignee_id: Option<String>,
    pub location: Option<(f64, f64)>,
    pub attachment_ids: Vec<String>,
    pub source_message_id: Option<String>,
}

fn entry(p: &Principal, action: &'static str, id: &str) -> audit::Entry {
    p.audit(action).target("task", id)
}

/// Inside the transaction: a notice to the assignee that the task is theirs now.
async fn notify_assigned(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    t: &TaskRow,
) -> ApiResult<notices::Written> {
    match &t.assignee_id {
        Some(a) if *a != p.user_id => Ok(notices::write(
            conn,
            state.db.backend,
            &state.hub,
            &notices::Batch {
                tenant_id: p.tenant_id.clone(),
                source: SOURCE,
                kind: "assigned",
                subject_id: t.id.clone(),
                actor_id: p.user_id.clone(),
                title: t.title.clone(),
            },
            std::slice::from_ref(a),
        )
        .await?),
        _ => Ok(notices::Written::none()),
    }
}

/// `tasks.assign` when the task goes to someone other than the caller.
async fn may_assign<'a>(
    state: &AppState,
    p: &'a Principal,
    to: Option<&str>,
) -> ApiResult<Option<Granted<'a>>> {
    match to {
        Some(a) if a != p.user_id => Ok(Some(state.authz.require(p, perm::TASKS_ASSIGN).await?)),
        _ => Ok(None),
    }
}

/// Create a task: personal, or assigned (with `tasks.assign`, and a notice to the assignee),
/// optionally made from a message the caller may read now.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn create(state: &AppState, p: &Principal, n: NewTask) -> ApiResult<View> {
    state.authz.require(p, perm::TASKS_USE).await?;
    let _assigns = may_assign(state, p, n.assignee_id.as_deref()).await?;
    let now = now_ms();
    let title = crate::http::validate::text("title", &n.title, MAX_TITLE)?;
    let description = markdown_text("description", &n.description, MAX_DESCRIPTION)?;
    let due = n.due.as_ref().map(parse_due).transpose()?;
    let priority = one_of(
        "priority",
        n.priority.as_deref().unwrap_or("normal"),
        PRIORITIES,
    )?;
    let status = one_of("status", n.status.as_deref().unwrap_or("todo"), STATUSES)?;
    let loc = n.location.map(|(a, b)| location(a, b)).transpose()?;
    let mut tx = state.db.begin().await?;
    let assignee_id = match n.assignee_id.as_deref() {
        Some(a) => Some(assignee(&mut tx, &p.tenant_id, a).await?),
        None => None,
    };
    let files = attachments(state, &mut tx, p, &n.attachment_ids).await?;
    let source_room_id = match &n.source_message_id {
        Some(m) => Some(
            messaging::messages::readable_room(&mut tx, p, m)
                .await?
                .ok_or_else(|| {
                    ApiError::validation("source_message_id", "not a message you can read")
                })?,
        ),
        None => None,
    };
    let mut t = TaskRow {
        id: new_id(),
        owner_id: p.user_id.clone(),
        assignee_id,
        title,
        description,
        due_date: None,
        due_time: None,
        due_zone: None,
        due_at: None,
        overdue_at: None,
        priority: priority.into(),
        status: "todo".into(),
        completed_at: None,
        latitude_e7: loc.map(|l| l.0),
        longitude_e7: loc.map(|l| l.1),
        source_room_id,
        source_message_id: n.source_message_id.clone(),
        created_at: now,
        updated_at: now,
    };
    set_due(&mut t, due);
    set_status(&mut t, status, now);
    store::insert(&mut tx, &p.tenant_id, &t).await?;
    store::set_attachments(&mut tx, &p.tenant_id, &t.id, &files).await?;
    audit::record(
        &mut tx,
        entry(p, "task.created", &t.id).details(json!({
            "assignee_id": t.assignee_id, "source_message_id": t.source_message_id,
        })),
    )
    .await?;
    search::enqueue_index(&mut tx, &p.tenant_id, KIND, &t.id).await?;
    let written = notify_assigned(state, &mut tx, p, &t).await?;
    tx.commit().await?;
    written.deliver(&state.hub);
    let mut conn = state.db.conn().await?;
    view(&mut conn, p, t, Role::Owner).await
}

/// One task the caller owns or is assigned.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<View> {
    state.authz.require(p, perm::TASKS_USE).await?;
    let mut conn = state.db.conn().await?;
    let a = access(state, &mut conn, p, id, false).await?;
    let role = a.role();
    view(&mut conn, p, a.into_row(), role).await
}

/// What an edit changes (`None`: unchanged; `Some(None)`: cleared).
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub title: Option<String>,
    pub description: Option<String>,
    pub due: Option<Option<DueInput>>,
    pub priority: Option<String>,
    pub status: Option<String>,
    pub assignee_id: Option<Option<String>>,
    pub location: Option<Option<(f64, f64)>>,
    pub attachment_ids: Option<Vec<String>>,
}

/// Edit a task: the owner anything, the assignee only its status. A new assignee gets a
/// notice; a moved due date moves every reminder; a removed one drops them.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn update(state: &AppState, p: &Principal, id: &str, e: Edit) -> ApiResult<View> {
    state.authz.require(p, perm::TASKS_USE).await?;
    let now = now_ms();
    let title = e
        .title
        .as_deref()
        .map(|t| crate::http::validate::text("title", t, MAX_TITLE))
        .transpose()?;
    let description = e
        .description
        .as_deref()
        .map(|d| markdown_text("description", d, MAX_DESCRIPTION))
        .transpose()?;
    let due = match &e.due {
        Some(Some(d)) => Some(Some(parse_due(d)?)),
        Some(None) => Some(None),
        None => None,
    };
    let priority = e
        .priority
        .as_deref()
        .map(|v| one_of("priority", v, PRIORITIES))
        .transpose()?;
    let status = e
        .status
        .as_deref()
        .map(|v| one_of("status", v, STATUSES))
        .transpose()?;
    let loc = match e.location {
        Some(Some((a, b))) => Some(Some(location(a, b)?)),
        Some(None) => Some(None),
        None => None,
    };
    let mut tx = state.db.begin().await?;
    let a = access(state, &mut tx, p, id, true).await?;
    let only_status = title.is_none()
        && description.is_none()
        && due.is_none()
        && priority.is_none()
        && e.assignee_id.is_none()
        && loc.is_none()
        && e.attachment_ids.is_none();
    if !only_status {
        a.owner_only("change anything but its status and checklist")?;
    }
    let before = a.row().clone();
    let mut t = a.into_row();
    let mut changed: Vec<&str> = Vec::new();
    if let Some(v) = title {
        t.title = v;
        changed.push("title");
    }
    if let Some(v) = description {
        t.description = v;
        changed.push("description");
    }
    if let Some(v) = priority {
        t.priority = v.into();
        changed.push("priority");
    }
    if let Some(v) = status {
        set_status(&mut t, v, now);
        changed.push("status");
    }
    if let Some(d) = due {
        set_due(&mut t, d);
        changed.push("due");
    }
    if let Some(l) = loc {
        t.latitude_e7 = l.map(|l| l.0);
        t.longitude_e7 = l.map(|l| l.1);
        changed.push("location");
    }
    if let Some(raw) = &e.assignee_id {
        let new = match raw.as_deref() {
            Some(x) => Some(assignee(&mut tx, &p.tenant_id, x).await?),
            None => None,
        };
        if new != t.assignee_id {
            let _assigns = may_assign(state, p, new.as_deref()).await?;
            if let Some(old) = &t.assignee_id {
                store::delete_reminders(&mut tx, &p.tenant_id, &t.id, old).await?;
            }
            t.assignee_id = new;
            changed.push("assignee_id");
        }
    }
    if let Some(raw) = &e.attachment_ids {
        let files = attachments(state, &mut tx, p, raw).await?;
        store::set_attachments(&mut tx, &p.tenant_id, &t.id, &files).await?;
        changed.push("attachment_ids");
    }
    t.updated_at = now;
    store::update(&mut tx, &p.tenant_id, &t).await?;
    if t.due_at != before.due_at {
        super::reminders::reschedule(&mut tx, &p.tenant_id, &t).await?;
    }
    audit::record(
        &mut tx,
        entry(p, "task.updated", &t.id).details(json!({ "changed": changed })),
    )
    .await?;
    search::enqueue_index(&mut tx, &p.tenant_id, KIND, &t.id).await?;
    let written = if t.assignee_id != before.assignee_id {
        notify_assigned(state, &mut tx, p, &t).await?
    } else {
        notices::Written::none()
    };
    tx.commit().await?;
    written.deliver(&state.hub);
    let role = if t.owner_id == p.user_id {
        Role::Owner
    } else {
        Role::Assignee
    };
    let mut conn = state.db.conn().await?;
    view(&mut conn, p, t, role).await
}

/// Delete a task (its owner only), with its checklist, attachment links, reminders and the
/// notices about it. Attached files stay their uploaders' files.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn delete(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    state.authz.require(p, perm::TASKS_USE).await?;
    let mut tx = state.db.begin().await?;
    let a = access(state, &mut tx, p, id, true).await?;
    a.owner_only("delete it")?;
    let t = a.into_row();
    let mut people = vec![t.owner_id.as_str()];
    if let Some(x) = &t.assignee_id {
        people.push(x.as_str());
    }
    crate::lifecycle::holds::refuse(
        &mut tx,
        &p.tenant_id,
        &crate::lifecycle::holds::Item {
            people: &people,
            room: None,
            space: None,
            at: t.created_at,
        },
    )
    .await?;
    store::delete(&mut tx, &p.tenant_id, &t.id).await?;
    notices::delete_subject(&mut tx, &p.tenant_id, SOURCE, &t.id).await?;
    search::enqueue_delete(&mut tx, &p.tenant_id, KIND, &t.id).await?;
    audit::record(
        &mut tx,
        entry(p, "task.deleted", &t.id).details(json!({ "assignee_id": t.assignee_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
