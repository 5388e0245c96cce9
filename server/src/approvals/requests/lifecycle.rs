//! Approval requests in the lifecycle registry.
//!
//! `approval_requests_finished`: requests that finished (approved, rejected, withdrawn), by
//! when they finished; kept forever unless the tenant sets a period. A pending request is never
//! due. A purge removes each from every store: the request, its append-only history, who it
//! waited for and copied, the links to the files its answers and actions attach, the notices
//! about it and its search entry. A legal hold on the submitter keeps their requests.
//!
//! Erasure of a person keeps the **record** — every request and every action stays, with the
//! person's id as a pseudonymous id (the account's name is the pseudonym from then on) — and
//! removes what the person said in it:
//! - the answers of the requests they submitted are erased (`{}`); a request of theirs still
//!   open (pending or returned) is withdrawn by Stoa first (nobody is left to see it through);
//! - the comments they wrote on any request, and the files they attached to their actions, are
//!   cleared when the tenant deletes what erased people authored (`authored_messages = delete`),
//!   kept under the pseudonym otherwise, as messages are;
//! - they are no longer copied on requests.
//!
//! A legal hold on the person, on the request's submitter or on anyone who acted on it
//! (within the hold's dates) keeps that request as it is.
//! Requests the person was to decide are another rule's business (the flow's replacement of an
//! approver who left).

use super::{
    machine::{self, Action, State, Status},
    service::{SEARCH_KIND, SOURCE},
    store::{self, ActionRow},
};
use crate::{
    authz::Proof,
    db::now_ms,
    lifecycle::{
        erase::{AuthoredMessages, Erased, Erasure, Forecast, Foreseen},
        forever,
        holds::Item,
        one_day, DataClass, Due, Lifecycle, Purge, Purged,
    },
    notices, search, AppState, BoxError,
};
use async_trait::async_trait;
use std::collections::BTreeSet;

pub const FINISHED: &str = "approval_requests_finished";

const FEATURE: &str = "approvals";

/// The answers an erased submitter's requests keep.
const ERASED_ANSWERS: &str = "{}";

const CLASSES: &[DataClass] = &[DataClass {
    name: FINISHED,
    feature: FEATURE,
    description: "Finished approval requests (approved, rejected, withdrawn), counted from when \
                  they finished, with their answers, history of actions and comments, and \
                  notices; pending requests are never removed",
    tables: &[
        "approval_requests",
        "approval_request_actions",
        "approval_request_people",
        "approval_request_files",
        "approval_action_files",
    ],
    source: &store::FINISHED,
    container: None,
    default_days: forever,
    min_days: one_day,
}];

/// Approval requests in the lifecycle registry (`app::lifecycle`).
pub struct Requests;

#[async_trait]
impl Lifecycle for Requests {
    fn classes(&self) -> &'static [DataClass] {
        CLASSES
    }

    async fn purge(
        &self,
        proof: &Purge,
        state: &AppState,
        class: &str,
        items: &[Due],
    ) -> Result<Purged, BoxError> {
        if class != FINISHED {
            return Err(format!("approvals keep no data class `{class}`").into());
        }
        let tenant_id = proof.tenant_id();
        let mut tx = state.db.begin().await?;
        let mut out = Purged::default();
        for d in items {
            // Gone already (a batch redone after a crash), or pending again it cannot be: a
            // request is due only once finished, and a finished request never changes.
            match store::get(&mut tx, tenant_id, &d.id).await? {
                Some(r) if Status::parse(&r.state).is_some_and(Status::finished) => {}
                _ => continue,
            }
            let rows = store::delete(&mut tx, tenant_id, &d.id).await?;
            let n = notices::delete_subject(&mut tx, tenant_id, SOURCE, &d.id).await?;
            search::enqueue_delete(&mut tx, tenant_id, SEARCH_KIND, &d.id).await?;
            let mut p = Purged::rows_of(d, 1);
            p.rows = rows + n;
            p.index_entries = 1;
            out += p;
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn foresee(&self, e: &Erasure, state: &AppState) -> Result<Forecast, BoxError> {
        let tenant_id = e.tenant_id();
        let person = e.person.as_str();
        let mut conn = state.db.conn().await?;
        let mut submitted =
            Foreseen::of(FEATURE, "requests submitted (answers erased, record kept)");
        let mut withdrawn = Foreseen::of(FEATURE, "pending requests withdrawn");
        for row in store::submitted_by(&mut conn, tenant_id, person).await? {
            if held(e, &mut conn, tenant_id, person, &row.id, row.created_at).await? {
                submitted.held += 1;
                continue;
            }
            if Status::parse(&row.state).is_some_and(|s| !s.finished()) {
                withdrawn.items += 1;
            }
            submitted.kept += 1;
        }
        let mut comments = Foreseen::of(FEATURE, "comments on requests");
        for a in store::actions_by(&mut conn, tenant_id, person).await? {
            if a.comment.is_none() && a.files == 0 {
                continue;
            }
            if held(
                e,
                &mut conn,
                tenant_id,
                &a.submitter_id,
                &a.request_id,
                a.request_created_at,
            )
            .await?
            {
                comments.held += 1;
            } else if e.messages == AuthoredMessages::Delete {
                comments.items += 1;
            } else {
                comments.kept += 1;
            }
        }
        Ok(Forecast::erased(vec![submitted, withdrawn, comments]))
    }

    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let tenant_id = e.tenant_id();
        let person = e.person.as_str();
        let mut tx = state.db.begin().await?;
        let mut reindex = BTreeSet::new();
        let mut submitted = Erased::of(FEATURE, "requests submitted (answers erased, record kept)");
        let mut withdrawn = Erased::of(FEATURE, "pending requests withdrawn");
        for row in store::submitted_by(&mut tx, tenant_id, person).await? {
            let held = held(e, &mut tx, tenant_id, person, &row.id, row.created_at).await?;
            if held {
                submitted.held += 1;
                continue;
            }
            if Status::parse(&row.state).is_some_and(|s| !s.finished()) {
                withdrawn.rows += withdraw(&mut tx, tenant_id, &row).await?;
                withdrawn.items += 1;
            }
            let n = store::set_answers(&mut tx, tenant_id, &row.id, ERASED_ANSWERS).await?
                + store::clear_round_answers(&mut tx, tenant_id, &row.id).await?;
            submitted.items += 1;
            submitted.rows += n;
            submitted.kept += 1;
            reindex.insert(row.id);
        }
        let mut comments = Erased::of(FEATURE, "comments on requests");
        for a in store::actions_by(&mut tx, tenant_id, person).await? {
            if a.comment.is_none() && a.files == 0 {
                continue;
            }
            let item_held = held(
                e,
                &mut tx,
                tenant_id,
                &a.submitter_id,
                &a.request_id,
                a.request_created_at,
            )
            .await?;
            if item_held {
                comments.held += 1;
            } else if e.messages == AuthoredMessages::Delete {
                let n = store::clear_comment(&mut tx, tenant_id, &a.request_id, a.seq).await?;
                comments.items += n;
                comments.rows += n;
                reindex.insert(a.request_id);
            } else {
                comments.kept += 1;
            }
        }
        let cc = store::remove_cc(&mut tx, tenant_id, person).await?;
        let copied = Erased::rows(FEATURE, "copies of requests", cc.len() as u64);
        for id in &reindex {
            search::enqueue_index(&mut tx, tenant_id, SEARCH_KIND, id).await?;
        }
        submitted.index_entries = reindex.len() as u64;
        tx.commit().await?;
        Ok(vec![submitted, withdrawn, comments, copied])
    }
}

/// Whether a legal hold keeps the request: one on its submitter or on anyone who acted on it
/// (approvers, people who commented), within the hold's dates.
async fn held(
    e: &Erasure,
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    submitter: &str,
    request_id: &str,
    at: i64,
) -> Result<bool, BoxError> {
    if e.holds.is_empty() {
        return Ok(false);
    }
    let mut people = store::actors(conn, tenant_id, request_id).await?;
    people.push(submitter.to_string());
    let people: Vec<&str> = people.iter().map(String::as_str).collect();
    Ok(e.held_by(&Item {
        people: &people,
        room: None,
        space: None,
        at,
    })
    .is_some())
}

/// Withdraw a pending request whose submitter is being erased, as Stoa (the action has no
/// actor); rows written.
async fn withdraw(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    row: &store::RequestRow,
) -> Result<u64, BoxError> {
    let s: State = serde_json::from_str(&row.flow_state)?;
    let (next, _) = machine::apply(&s, &row.submitter_id, &Action::Withdraw)
        .map_err(|r| format!("withdrawing request {}: {r:?}", row.id))?;
    let now = now_ms();
    let new = store::RequestRow {
        state: next.status.as_str().into(),
        flow_state: serde_json::to_string(&next)?,
        revision: row.revision + 1,
        updated_at: now,
        finished_at: Some(now),
        ..row.clone()
    };
    if !store::advance(conn, tenant_id, row.revision, &new).await? {
        // Someone acted on it meanwhile: the next run of the erasure sees its new state.
        return Err(format!("request {} changed during the erasure", row.id).into());
    }
    store::insert_action(
        conn,
        tenant_id,
        &new.id,
        &ActionRow {
            seq: new.revision,
            actor_id: None,
            action: Action::Withdraw.as_str().into(),
            node_id: None,
            target_id: None,
            comment: Some("Withdrawn by Stoa: the submitter's account was erased".into()),
            created_at: now,
            answers: None,
            files: Vec::new(),
        },
    )
    .await?;
    store::set_waiting(conn, tenant_id, &new.id, &[]).await?;
    Ok(2)
}
