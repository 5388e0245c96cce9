//! Approvers who leave: when a person is disabled or erased, Stoa replaces them on every
//! open request they were to decide (the state machine's [`machine::replace`]): their manager
//! when active, otherwise the tenant's approval admins. The user lifecycle reaches this through
//! the registries (`hooks`), never by name.

use super::{
    machine::{self, Event, Status},
    reach,
    service::{parse_state, settle, stale},
    store::{self, ActionRow, RequestRow, CC},
    who::Who,
};
use crate::{
    approvals::resolve,
    audit,
    db::now_ms,
    error::{ApiError, ApiResult},
    AppState,
};
use serde_json::json;

/// Replace a person who left (disabled or erased) on every open request they were to decide:
/// their manager when active, otherwise the tenant's approval admins
/// ([`resolve::replacement`]), recorded as Stoa's `replace` action (target: the person who
/// left), audited, the people taking over and the submitter told. Idempotent: a request they
/// are no longer on is left alone. How many requests changed.
#[tracing::instrument(skip_all, fields(tenant_id = %tenant_id))]
pub async fn replace_departed(state: &AppState, tenant_id: &str, gone: &str) -> ApiResult<u64> {
    let mut after = String::new();
    let mut changed = 0;
    loop {
        let ids = {
            let mut conn = state.db.conn().await?;
            store::open_naming(&mut conn, tenant_id, gone, &after, 100).await?
        };
        let Some(last) = ids.last().cloned() else {
            return Ok(changed);
        };
        for id in &ids {
            if replace_in(state, tenant_id, id, gone).await? {
                changed += 1;
            }
        }
        after = last;
    }
}

async fn replace_in(state: &AppState, t: &str, id: &str, gone: &str) -> ApiResult<bool> {
    let sealer = reach::sealer(state, t).await?;
    let mut tx = state.db.begin().await?;
    let Some(row) = store::lock(&mut tx, state.db.backend, t, id).await? else {
        return Ok(false);
    };
    let s = parse_state(&row)?;
    if s.status.finished() {
        return Ok(false);
    }
    let with = resolve::replacement(&mut tx, t, gone, &s.submitter).await?;
    let Ok((next, events)) = machine::replace(&s, gone, &with) else {
        return Ok(false);
    };
    if events.is_empty() {
        return Ok(false);
    }
    next.check().map_err(ApiError::internal)?;
    let now = now_ms();
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
        return Err(stale("the request changed while its approver was replaced"));
    }
    let node_id = events.iter().find_map(|e| match e {
        Event::Replaced { node, .. } => next.nodes.get(*node).map(|n| n.node_id.clone()),
        _ => None,
    });
    store::insert_action(
        &mut tx,
        t,
        &new.id,
        &ActionRow {
            seq: new.revision,
            actor_id: None,
            action: "replace".into(),
            node_id: node_id.clone(),
            target_id: Some(gone.to_string()),
            comment: None,
            created_at: now,
            answers: None,
            files: Vec::new(),
        },
    )
    .await?;
    store::set_waiting(&mut tx, t, &new.id, &next.current_approvers()).await?;
    if next.status == Status::Approved {
        let cc: Vec<&str> = next.cc_on_complete.iter().map(String::as_str).collect();
        store::add_people(&mut tx, t, &new.id, CC, &cc).await?;
    }
    audit::record(
        &mut tx,
        audit::Entry::new(t, "approval_request.approver_replaced")
            .actor(audit::ActorKind::System, "")
            .target("approval_request", &new.id)
            .details(json!({
                "node_id": node_id, "departed": gone, "replacement": with,
                "state": new.state, "revision": new.revision,
            })),
    )
    .await?;
    let who = Who {
        tenant_id: t,
        user_id: "",
    };
    // Mail to the people taking over; an approval completed by the replacement reaches
    // attendance like any other.
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
    Ok(true)
}
