//! Stoa replacing an approver who left ([`replace`]).

use super::{dedup, Event, NodeStatus, Refusal, State, Status};

/// Stoa replaces `gone` (an approver who left: disabled or erased) on every node not yet
/// decided where they have not approved, by `with` in their place (those not on the node
/// already, never the submitter nor `gone`). A node `gone` was the last approver of and for
/// which nobody is left keeps them (nobody else could decide it). When the active node is
/// complete without them, it is approved and the request moves on; a waiting node left complete
/// (its others approved before a signer was added ahead of it) is approved when it is reached.
/// No events: nothing changed.
pub fn replace(state: &State, gone: &str, with: &[String]) -> Result<(State, Vec<Event>), Refusal> {
    if state.status.finished() {
        return Err(Refusal::Finished);
    }
    let mut s = state.clone();
    let mut events = Vec::new();
    for (i, n) in s.nodes.iter_mut().enumerate() {
        let open = matches!(n.status, NodeStatus::Waiting | NodeStatus::Active);
        if !open || n.approved_by.iter().any(|a| a == gone) {
            continue;
        }
        let Some(at) = n.approvers.iter().position(|a| a == gone) else {
            continue;
        };
        let add: Vec<String> = dedup(with)
            .into_iter()
            .filter(|w| *w != s.submitter && w != gone && !n.approvers.contains(w))
            .collect();
        if add.is_empty() && n.approvers.len() == 1 {
            continue;
        }
        n.approvers.splice(at..=at, add.iter().cloned());
        events.push(Event::Replaced {
            node: i,
            from: gone.into(),
            to: add,
        });
    }
    if events.is_empty() {
        return Ok((s, events));
    }
    if !s.former.iter().any(|f| f == gone) {
        s.former.push(gone.into());
    }
    if let Some(c) = s.current.filter(|_| s.status == Status::Pending) {
        let n = &mut s.nodes[c];
        if n.complete() {
            n.status = NodeStatus::Approved;
            events.push(Event::NodeApproved { node: c });
            s.advance_from(c + 1, &mut events);
        }
    }
    Ok((s, events))
}
