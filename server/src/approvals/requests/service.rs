//! Requests: submit (the chain resolved and frozen under the current version) in one
//! transaction with its append-only action record, its audit entry, the notices it sends and
//! what it reaches beyond the request (mail, granted absences: [`super::reach`]); read; the
//! lists. Acting on a request is [`super::act`]'s, on what this module shares (reading, who
//! may read, notices).
//!
//! Concurrency: an action locks the request's row (`select … for update` on PostgreSQL;
//! SQLite's single writer, `BEGIN IMMEDIATE` under the process-wide write lock, serialises
//! write transactions anyway), runs the pure state machine ([`super::machine`]) on what it
//! read, and writes the next state only if the revision is still the one it read
//! (compare-and-set). Two approvers of an any-one node acting at once: the first decides, the
//! second reads the decided request and gets 409.
//!
//! Who may do what is decided on the current state every time: reading — the submitter, the
//! chain's approvers, the people copied, holders of `approvals.read_all` (404 for anyone
//! else); deciding — only a current approver of the active node (403 for another reader, 409
//! for an approver whose turn has passed).

use super::{
    machine::{Event, State, Status},
    reach,
    store::{self, ActionRow, Box_, Filter, RequestRow, CC},
    who::Who,
};
use crate::{
    approvals::{form, resolve, templates},
    audit,
    authn::Principal,
    authz::catalogue::perm,
    db::{is_id, new_id, now_ms, Tx},
    delivery::Sealer,
    error::{ApiError, ApiResult, Code},
    notices, search, AppState,
};
use serde_json::{json, Value};
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap};

/// The search kind of requests (`hooks` registers it).
pub const SEARCH_KIND: &str = "approval";

/// The notices' source.
pub const SOURCE: &str = "approval";
/// Longest comment, in characters.
pub const MAX_COMMENT: usize = 2_000;
/// Most files one action (a comment, an approval, …) attaches.
pub const MAX_FILES: usize = 10;
/// How often the submitter may urge the approvers of one request.
pub const URGE_EVERY_MS: i64 = 3_600_000;

pub fn not_found() -> ApiError {
    ApiError::not_found("approval request")
}

fn corrupt(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("stored approval request: {e}"))
}

/// A request as read: the row, its state, its history.
#[derive(Debug, Clone)]
pub struct View {
    pub row: RequestRow,
    pub state: State,
    pub answers: Value,
    pub actions: Vec<ActionRow>,
}

pub(super) fn parse_state(row: &RequestRow) -> ApiResult<State> {
    serde_json::from_str(&row.flow_state).map_err(corrupt)
}

pub(super) async fn view(
    conn: &mut AnyConnection,
    tenant_id: &str,
    row: RequestRow,
) -> ApiResult<View> {
    let state = parse_state(&row)?;
    let answers = serde_json::from_str(&row.answers).map_err(corrupt)?;
    let actions = store::actions(conn, tenant_id, &row.id).await?;
    Ok(View {
        row,
        state,
        answers,
        actions,
    })
}

/// Whether the person may read the request: a participant, or `approvals.read_all`.
pub(super) async fn may_read(state: &AppState, p: &Principal, s: &State) -> ApiResult<bool> {
    if s.is_participant(&p.user_id) {
        return Ok(true);
    }
    Ok(state
        .authz
        .permissions(p)
        .await?
        .contains(perm::APPROVALS_READ_ALL))
}

/// Files a person may attach to a request: plain uploads they can read (422 naming `field`
/// otherwise).
pub(super) async fn attachable(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    field: &str,
    ids: &[String],
) -> ApiResult<()> {
    for f in ids {
        let ok = is_id(f) && crate::files::service::attachable(state, conn, p, f).await;
        if !ok {
            return Err(ApiError::validation(
                field,
                "only files you uploaded (or can read) can be attached",
            ));
        }
    }
    Ok(())
}

/// What a submitter sends.
#[derive(Debug, Clone)]
pub struct Submission {
    pub template_id: String,
    /// The version the submitter saw (409 when the template moved on since).
    pub version: Option<i64>,
    pub answers: Value,
    pub chosen: BTreeMap<String, Vec<String>>,
}

/// Notices of what happened, written in the transaction (delivered after the commit).
pub(super) async fn tell(
    state: &AppState,
    conn: &mut AnyConnection,
    who: &Who<'_>,
    row: &RequestRow,
    before: Option<&State>,
    s: &State,
    events: &[Event],
) -> ApiResult<Vec<notices::Written>> {
    let submitted = before.is_none();
    let mut out = Vec::new();
    let batch = |kind: &'static str| notices::Batch {
        tenant_id: who.tenant_id.to_string(),
        source: SOURCE,
        kind,
        subject_id: row.id.clone(),
        actor_id: who.user_id.to_string(),
        title: row.title.clone(),
    };
    let p = who;
    let mut sends: Vec<(&'static str, Vec<String>)> = Vec::new();
    if submitted {
        sends.push(("cc", s.cc_on_submit.clone()));
    }
    for e in events {
        match e {
            Event::NodeStarted { .. } => {
                let now: Vec<String> = s
                    .current_approvers()
                    .into_iter()
                    .filter(|a| *a != p.user_id)
                    .map(String::from)
                    .collect();
                sends.push(("waiting", now));
            }
            Event::Finished { status } if *status != Status::Withdrawn => {
                let kind = if *status == Status::Approved {
                    "approved"
                } else {
                    "rejected"
                };
                let mut people = vec![s.submitter.clone()];
                people.extend(s.cc_on_complete.iter().cloned());
                people.retain(|x| *x != p.user_id);
                sends.push((kind, people));
            }
            Event::Transferred { to, .. } => sends.push(("waiting", vec![to.clone()])),
            Event::Urged { .. } => {
                let now: Vec<String> = s
                    .current_approvers()
                    .into_iter()
                    .map(String::from)
                    .collect();
                sends.push(("urged", now));
            }
            Event::SignerAdded {
                to, before: false, ..
            } => sends.push(("signer_added", vec![to.clone()])),
            Event::SentBack { to, .. } => {
                let kind = if to.is_some() {
                    "sent_back"
                } else {
                    "returned"
                };
                let mut people = vec![s.submitter.clone()];
                people.retain(|x| *x != p.user_id);
                sends.push((kind, people));
            }
            Event::Replaced { to, .. } => {
                let mut people = to.clone();
                people.push(s.submitter.clone());
                sends.push(("replaced", people));
            }
            Event::NodeApproved { .. } if s.status == Status::Pending => {
                // The submitter follows the request step by step.
                let mut people = vec![s.submitter.clone()];
                people.retain(|x| *x != p.user_id);
                sends.push(("progress", people));
            }
            Event::Commented { .. } => {
                let mut people = vec![s.submitter.clone()];
                people.extend(s.current_approvers().into_iter().map(String::from));
                people.retain(|x| *x != p.user_id);
                sends.push(("commented", people));
            }
            _ => {}
        }
    }
    // Whoever was waiting and no longer is, without having acted: the request was withdrawn,
    // or someone else decided (or sent back) the step they were waiting on.
    if let Some(b) = before {
        let now = s.current_approvers();
        let gone: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                Event::Replaced { from, .. } => Some(from.as_str()),
                _ => None,
            })
            .collect();
        let people: Vec<String> = b
            .current_approvers()
            .into_iter()
            .filter(|a| *a != p.user_id && !now.contains(a) && !gone.contains(a))
            .map(String::from)
            .collect();
        // A signer added before a node: its approvers wait for them, then are asked again.
        let paused = events
            .iter()
            .any(|e| matches!(e, Event::SignerAdded { before: true, .. }));
        let people = if paused { Vec::new() } else { people };
        let withdrawn = events.iter().any(|e| matches!(e, Event::Withdrawn { .. }));
        sends.push((if withdrawn { "withdrawn" } else { "decided" }, people));
    }
    for (kind, people) in sends {
        if people.is_empty() {
            continue;
        }
        out.push(notices::write(conn, state.db.backend, &state.hub, &batch(kind), &people).await?);
    }
    Ok(out)
}

/// Submit a request under the template's current version: answers checked, the chain resolved
/// on the current organisation and frozen with the request. Idempotent with `Idempotency-Key`
/// (the key commits with the request). Needs `approvals.submit` and a template the caller may
/// submit (404 otherwise).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, template_id = %sub.template_id))]
pub async fn submit(state: &AppState, p: &Principal, sub: Submission) -> ApiResult<View> {
    state.authz.require(p, perm::APPROVALS_SUBMIT).await?;
    let t = p.tenant_id.as_str();
    let sealer = reach::sealer(state, t).await?;
    let mut tx = state.db.begin().await?;
    let v = templates::current(&mut tx, t, &sub.template_id).await?;
    if !templates::may_submit(&mut tx, t, &v, &p.user_id).await? {
        return Err(ApiError::not_found("approval template"));
    }
    if sub.version.is_some_and(|x| x != v.version) {
        return Err(ApiError::conflict(
            Code::Conflict,
            "the template changed since you opened it: preview it again and resubmit",
        )
        .with_field("version"));
    }
    let checked = form::check_answers(&mut tx, t, &v.form, &sub.answers).await?;
    attachable(state, &mut tx, p, "answers", &checked.attachments).await?;
    let chain = resolve::chain(&mut tx, t, &v, &p.user_id, &checked.answers, &sub.chosen).await?;
    resolve::require_choices(&v, chain.taking_part(), &sub.chosen)?;
    let (s, events) = State::start(&p.user_id, &chain);
    s.check().map_err(ApiError::internal)?;
    let now = now_ms();
    let row = RequestRow {
        id: new_id(),
        template_id: v.template_id.clone(),
        version: v.version,
        submitter_id: p.user_id.clone(),
        title: v.name.clone(),
        answers: checked.answers.to_string(),
        state: s.status.as_str().into(),
        flow_state: serde_json::to_string(&s).map_err(ApiError::internal)?,
        revision: 1,
        created_at: now,
        updated_at: now,
        finished_at: s.status.finished().then_some(now),
    };
    store::insert(&mut tx, t, &row).await?;
    store::insert_action(
        &mut tx,
        t,
        &row.id,
        &ActionRow {
            seq: 1,
            actor_id: Some(p.user_id.clone()),
            action: "submit".into(),
            node_id: None,
            target_id: None,
            comment: None,
            created_at: now,
            answers: None,
            files: Vec::new(),
        },
    )
    .await?;
    store::set_files(&mut tx, t, &row.id, &checked.attachments).await?;
    store::set_waiting(&mut tx, t, &row.id, &s.current_approvers()).await?;
    let cc: Vec<&str> = s.cc_on_submit.iter().map(String::as_str).collect();
    store::add_people(&mut tx, t, &row.id, CC, &cc).await?;
    if s.status == Status::Approved {
        let cc: Vec<&str> = s.cc_on_complete.iter().map(String::as_str).collect();
        store::add_people(&mut tx, t, &row.id, CC, &cc).await?;
    }
    audit::record(
        &mut tx,
        p.audit("approval_request.submitted")
            .target("approval_request", &row.id)
            .details(json!({
                "template_id": row.template_id, "version": row.version, "state": row.state,
            })),
    )
    .await?;
    settle(
        state,
        tx,
        sealer.as_ref(),
        &Who::from(p),
        &row,
        None,
        &s,
        &events,
    )
    .await?;
    let mut conn = state.db.conn().await?;
    view(&mut conn, t, row).await
}

/// The end every step of a request shares (submission, an action, a departed approver's
/// replacement): in the step's transaction the request is queued for the search index, its
/// notices written ([`tell`]) and what it reaches beyond the request queued
/// ([`reach::step`]); then the commit, and the notices delivered to open sockets. `before`
/// is the state the step started from (`None`: a submission).
#[allow(clippy::too_many_arguments)]
pub(super) async fn settle(
    state: &AppState,
    mut tx: Tx,
    sealer: Option<&Sealer>,
    who: &Who<'_>,
    row: &RequestRow,
    before: Option<&State>,
    after: &State,
    events: &[Event],
) -> ApiResult<()> {
    search::enqueue_index(&mut tx, who.tenant_id, SEARCH_KIND, &row.id).await?;
    let written = tell(state, &mut tx, who, row, before, after, events).await?;
    reach::step(state, &mut tx, sealer, who, row, before, after, events).await?;
    tx.commit().await?;
    for w in written {
        w.deliver(&state.hub);
    }
    Ok(())
}

/// One request the caller may read (404 otherwise).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<View> {
    if !is_id(id) {
        return Err(not_found());
    }
    let mut conn = state.db.conn().await?;
    let row = store::get(&mut conn, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    let s = parse_state(&row)?;
    if !may_read(state, p, &s).await? {
        return Err(not_found());
    }
    view(&mut conn, &p.tenant_id, row).await
}

/// 409: the request is not as the caller read it (someone acted first, or it is finished).
pub(super) fn stale(detail: &str) -> ApiError {
    ApiError::conflict(Code::Conflict, detail)
}

/// A page of a box, newest first; `all` needs `approvals.read_all`.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn list(
    state: &AppState,
    p: &Principal,
    which: Box_,
    f: Filter,
    limit: i64,
) -> ApiResult<Vec<RequestRow>> {
    if which == Box_::All {
        state.authz.require(p, perm::APPROVALS_READ_ALL).await?;
    }
    let mut conn = state.db.conn().await?;
    Ok(store::list(&mut conn, &p.tenant_id, &p.user_id, which, &f, limit).await?)
}

/// The state of a stored row (for lists).
pub fn state_of(row: &RequestRow) -> ApiResult<State> {
    parse_state(row)
}

/// Display names of the people named (active people; others are absent).
pub async fn names(
    state: &AppState,
    tenant_id: &str,
    ids: &[String],
) -> ApiResult<HashMap<String, String>> {
    let mut conn = state.db.conn().await?;
    crate::directory::service::names(&mut conn, tenant_id, ids).await
}
