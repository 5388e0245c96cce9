//! Acting on a request: approve, reject, transfer, add a signer, send back, resubmit, withdraw,
//! urge, comment (with files) — each in one transaction: the row locked, the state machine run
//! on what was read, the next state written by revision compare-and-set, with the action
//! record, its files, the audit entry, the notices and what the step reaches. Reading, lists
//! and submitting are [`super::service`]'s.

use super::{
    machine::{self, Action, Refusal, Status},
    reach,
    service::{
        attachable, may_read, not_found, parse_state, settle, stale, view, View, MAX_COMMENT,
        MAX_FILES, URGE_EVERY_MS,
    },
    store::{self, ActionRow, RequestRow, CC},
    who::Who,
};
use crate::{
    approvals::{form, resolve, templates},
    audit,
    authn::Principal,
    db::{is_id, now_ms},
    error::{ApiError, ApiResult, Code},
    AppState,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn comment(field: &str, raw: Option<&str>) -> ApiResult<Option<String>> {
    crate::http::validate::optional_text(field, raw, MAX_COMMENT)
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
/// under; the frozen chain is walked again from its first node, routed again where the
/// answers change what a step's condition decides ([`machine::State::reroute`]; `chosen` for
/// the steps that brings in). The answers it replaces stay in the history (the action's
/// `answers`).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn resubmit(
    state: &AppState,
    p: &Principal,
    id: &str,
    answers: Option<Value>,
    chosen: &BTreeMap<String, Vec<String>>,
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
        Some((answers, chosen)),
        &[],
    )
    .await
}

/// A resubmission's edited answers (absent: unchanged) and the people chosen for steps they
/// bring in.
type Resubmission<'a> = (Option<Value>, &'a BTreeMap<String, Vec<String>>);

#[allow(clippy::too_many_arguments)]
async fn act_with(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
    comment_raw: Option<&str>,
    revision: Option<i64>,
    resubmission: Option<Resubmission<'_>>,
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
    let mut s = parse_state(&row)?;
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
    let mut before = None;
    let mut row = row;
    if let Some((answers, chosen)) = resubmission {
        // Routed again only for the submitter of a returned request (the machine refuses
        // anyone else, and a request in another state, below).
        if s.submitter == p.user_id && s.status == Status::Returned {
            let v = templates::version(&mut tx, t, &row.template_id, row.version).await?;
            let edited = match answers {
                Some(a) => {
                    let checked = form::check_answers(&mut tx, t, &v.form, &a).await?;
                    attachable(state, &mut tx, p, "answers", &checked.attachments).await?;
                    let text = checked.answers.to_string();
                    store::set_answers(&mut tx, t, id, &text).await?;
                    store::set_files(&mut tx, t, id, &checked.attachments).await?;
                    before = Some(std::mem::replace(&mut row.answers, text));
                    checked.answers
                }
                None => serde_json::from_str(&row.answers).map_err(ApiError::internal)?,
            };
            let fresh = resolve::chain(&mut tx, t, &v, &s.submitter, &edited, chosen).await?;
            let joined = s.reroute(&fresh);
            resolve::require_choices(&v, joined.iter().map(String::as_str), chosen)?;
        }
    }
    let (next, events) = machine::apply(&s, &p.user_id, &action).map_err(refused)?;
    next.check().map_err(ApiError::internal)?;
    attachable(state, &mut tx, p, "file_ids", &files).await?;
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
    let who = Who::from(p);
    settle(
        state,
        tx,
        sealer.as_ref(),
        &who,
        &new,
        Some(&s),
        &next,
        &events,
    )
    .await?;
    let mut conn = state.db.conn().await?;
    view(&mut conn, t, new).await
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
