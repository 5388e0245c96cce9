//! Requests: submit (the chain resolved and frozen under the current version), read, decide
//! (approve, reject), withdraw, comment — each in one transaction with its append-only action
//! record, its audit entry, the notices it sends and what it reaches beyond the request (mail,
//! granted absences: [`super::reach`]).
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
    machine::{self, Action, Event, Refusal, State, Status},
    reach,
    store::{self, ActionRow, Box_, Filter, RequestRow, CC},
    who::Who,
};
use crate::{
    approvals::{form, resolve, templates},
    audit,
    authn::Principal,
    authz::catalogue::perm,
    db::{is_id, new_id, now_ms},
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

async fn view(conn: &mut AnyConnection, tenant_id: &str, row: RequestRow) -> ApiResult<View> {
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
async fn may_read(state: &AppState, p: &Principal, s: &State) -> ApiResult<bool> {
    if s.is_participant(&p.user_id) {
        return Ok(true);
    }
    Ok(state
        .authz
        .permissions(p)
        .await?
        .contains(perm::APPROVALS_READ_ALL))
}

fn comment(field: &str, raw: Option<&str>) -> ApiResult<Option<String>> {
    crate::http::validate::optional_text(field, raw, MAX_COMMENT)
}

/// Files a person may attach to a request: plain uploads they can read (422 naming `field`
/// otherwise).
async fn attachable(
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

/// The files attached to an action, once each in the order given: at most [`MAX_FILES`], each
/// a file id (422 naming `file_ids` otherwise; whether the caller may attach them is checked
/// in the action's transaction).
fn action_files(ids: &[String]) -> ApiResult<Vec<String>> {
    if ids.len() > MAX_FILES {
        return Err(ApiError::validation(
            "file_ids",
            format!("at most {MAX_FILES} files"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for f in ids {
        if !is_id(f) {
            return Err(ApiError::validation("file_ids", "not a file id"));
        }
        if !out.contains(f) {
            out.push(f.clone());
        }
    }
    Ok(out)
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
    s: &State,
    events: &[Event],
    submitted: bool,
) -> ApiResult<Vec<notices::Written>> {
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
            Event::Commented { .. } => {
                let mut people = vec![s.submitter.clone()];
                people.extend(s.current_approvers().into_iter().map(String::from));
                people.retain(|x| *x != p.user_id);
                sends.push(("commented", people));
            }
            _ => {}
        }
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
    search::enqueue_index(&mut tx, t, SEARCH_KIND, &row.id).await?;
    let who = Who::from(p);
    let written = tell(state, &mut tx, &who, &row, &s, &events, true).await?;
    reach::step(
        state,
        &mut tx,
        sealer.as_ref(),
        &who,
        &row,
        None,
        &s,
        &events,
    )
    .await?;
    tx.commit().await?;
    for w in written {
        w.deliver(&state.hub);
    }
    let mut conn = state.db.conn().await?;
    view(&mut conn, t, row).await
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

/// Act on a request: approve or reject (a current approver of the active node), withdraw (the
/// submitter, while pending), comment (the submitter, the chain's approvers, the people
/// copied). With `revision`, only if nobody acted since (409 otherwise). A finished request
/// takes no action (409). `files` are attached to the action (files the caller may attach:
/// 422 naming `file_ids` otherwise) and read by whoever may read the request.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id, action = action.as_str()))]
pub async fn act(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
    comment_raw: Option<&str>,
    revision: Option<i64>,
    files: &[String],
) -> ApiResult<View> {
    act_with(state, p, id, action, comment_raw, revision, None, files).await
}

/// Resubmit a request its approver returned: the submitter, with edited answers (or the same
/// when `answers` is absent), checked against the template version the request was made
/// under; the frozen chain is kept and walked again from its first node. The answers it
/// replaces stay in the history (the action's `answers`).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn resubmit(
    state: &AppState,
    p: &Principal,
    id: &str,
    answers: Option<Value>,
    comment_raw: Option<&str>,
    revision: Option<i64>,
) -> ApiResult<View> {
    act_with(
        state,
        p,
        id,
        Action::Resubmit,
        comment_raw,
        revision,
        answers,
        &[],
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn act_with(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
    comment_raw: Option<&str>,
    revision: Option<i64>,
    answers: Option<Value>,
    files: &[String],
) -> ApiResult<View> {
    let files = action_files(files)?;
    let text = if action == Action::Comment {
        Some(crate::http::validate::text(
            "comment",
            comment_raw.unwrap_or(""),
            MAX_COMMENT,
        )?)
    } else {
        comment("comment", comment_raw)?
    };
    if !is_id(id) {
        return Err(not_found());
    }
    let t = p.tenant_id.as_str();
    let sealer = reach::sealer(state, t).await?;
    let mut tx = state.db.begin().await?;
    let row = store::lock(&mut tx, state.db.backend, t, id)
        .await?
        .ok_or_else(not_found)?;
    let s = parse_state(&row)?;
    if !may_read(state, p, &s).await? {
        return Err(not_found());
    }
    if let Action::Transfer(to) | Action::AddSigner { to, .. } = &action {
        let ok = is_id(to)
            && !resolve::active(&mut tx, t, vec![to.clone()])
                .await?
                .is_empty();
        if !ok {
            return Err(ApiError::validation(
                "to",
                "not an active person of this tenant",
            ));
        }
    }
    if action == Action::Urge && s.status == Status::Pending && s.submitter == p.user_id {
        if let Some(last) = store::last_action_at(&mut tx, t, id, "urge").await? {
            let wait = last + URGE_EVERY_MS - now_ms();
            if wait > 0 {
                return Err(ApiError::rate_limited((wait as u64).div_ceil(1000)));
            }
        }
    }
    if revision.is_some_and(|r| r != row.revision) {
        return Err(
            stale("someone acted on the request since you read it: reload it")
                .with_field("revision"),
        );
    }
    let (next, events) = machine::apply(&s, &p.user_id, &action).map_err(refused)?;
    next.check().map_err(ApiError::internal)?;
    attachable(state, &mut tx, p, "file_ids", &files).await?;
    let mut before = None;
    let mut row = row;
    if action == Action::Resubmit {
        if let Some(a) = answers {
            let v = templates::version(&mut tx, t, &row.template_id, row.version).await?;
            let checked = form::check_answers(&mut tx, t, &v.form, &a).await?;
            attachable(state, &mut tx, p, "answers", &checked.attachments).await?;
            let text = checked.answers.to_string();
            store::set_answers(&mut tx, t, id, &text).await?;
            store::set_files(&mut tx, t, id, &checked.attachments).await?;
            before = Some(std::mem::replace(&mut row.answers, text));
        }
    }
    let now = now_ms();
    let node_id = match &action {
        Action::Approve
        | Action::Reject
        | Action::Transfer(_)
        | Action::AddSigner { .. }
        | Action::SendBack(_) => s.active().map(|n| n.node_id.clone()),
        _ => None,
    };
    let target_id = match &action {
        Action::Transfer(to) | Action::AddSigner { to, .. } => Some(to.clone()),
        Action::SendBack(node) => node.clone(),
        _ => None,
    };
    let from = row.revision;
    let new = RequestRow {
        state: next.status.as_str().into(),
        flow_state: serde_json::to_string(&next).map_err(ApiError::internal)?,
        revision: from + 1,
        updated_at: now,
        finished_at: next.status.finished().then_some(now),
        ..row
    };
    if !store::advance(&mut tx, t, from, &new).await? {
        return Err(stale("someone acted on the request first: reload it"));
    }
    store::insert_action(
        &mut tx,
        t,
        &new.id,
        &ActionRow {
            seq: new.revision,
            actor_id: Some(p.user_id.clone()),
            action: action.as_str().into(),
            node_id: node_id.clone(),
            target_id: target_id.clone(),
            comment: text,
            created_at: now,
            answers: before,
            files: Vec::new(),
        },
    )
    .await?;
    store::add_action_files(&mut tx, t, &new.id, new.revision, &files).await?;
    if !matches!(action, Action::Comment | Action::Urge) {
        store::set_waiting(&mut tx, t, &new.id, &next.current_approvers()).await?;
    }
    if matches!(next.status, Status::Approved | Status::Rejected) {
        let cc: Vec<&str> = next.cc_on_complete.iter().map(String::as_str).collect();
        store::add_people(&mut tx, t, &new.id, CC, &cc).await?;
    }
    let verb = match action {
        Action::Approve => "approval_request.approved",
        Action::Reject => "approval_request.rejected",
        Action::Withdraw => "approval_request.withdrawn",
        Action::Comment => "approval_request.commented",
        Action::Transfer(_) => "approval_request.transferred",
        Action::Urge => "approval_request.urged",
        Action::AddSigner { .. } => "approval_request.signer_added",
        Action::SendBack(_) => "approval_request.sent_back",
        Action::Resubmit => "approval_request.resubmitted",
    };
    audit::record(
        &mut tx,
        p.audit(verb)
            .target("approval_request", &new.id)
            .details(json!({
                "node_id": node_id, "target_id": target_id, "state": new.state,
                "revision": new.revision,
            })),
    )
    .await?;
    search::enqueue_index(&mut tx, t, SEARCH_KIND, &new.id).await?;
    let who = Who::from(p);
    let written = tell(state, &mut tx, &who, &new, &next, &events, false).await?;
    reach::step(
        state,
        &mut tx,
        sealer.as_ref(),
        &who,
        &new,
        Some(&s),
        &next,
        &events,
    )
    .await?;
    tx.commit().await?;
    for w in written {
        w.deliver(&state.hub);
    }
    let mut conn = state.db.conn().await?;
    view(&mut conn, t, new).await
}

pub(super) fn stale(detail: &str) -> ApiError {
    ApiError::conflict(Code::Conflict, detail)
}

fn refused(r: Refusal) -> ApiError {
    match r {
        Refusal::Finished => stale("the request is finished: it takes no more actions"),
        Refusal::Stale => stale(
            "this is no longer yours to do: someone acted first, you already did, or the \
                 request is not at that step",
        ),
        Refusal::BadTarget => ApiError::validation(
            "to",
            "name someone who is not yet on this node, not yourself and not the submitter",
        ),
        Refusal::BadNode => ApiError::validation(
            "node_id",
            "send it back to an earlier node that was approved, or leave it out to return it \
             to the submitter",
        ),
        Refusal::TooMany => ApiError::validation(
            "to",
            format!(
                "the request has {} steps already: no more signers can be added",
                machine::MAX_NODES
            ),
        ),
        Refusal::NotAllowed => ApiError::new(
            Code::Forbidden,
            "only the request's current approvers decide, transfer, add signers or send it \
             back; only its submitter withdraws, urges or resubmits it",
        ),
    }
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
