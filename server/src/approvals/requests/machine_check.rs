//! The invariants every reachable state of the machine keeps ([`State::check`]).

use super::{NodeStatus, State, Status};
use crate::approvals::model::Mode;

impl State {
    /// Check the invariants every reachable state keeps (for tests and as a guard on what is
    /// read back from the database): `Err` names the first one broken.
    pub fn check(&self) -> Result<(), String> {
        for (i, n) in self.nodes.iter().enumerate() {
            let mut seen = Vec::new();
            for a in &n.approvers {
                if seen.contains(&a) {
                    return Err(format!("node {i}: duplicate approver"));
                }
                seen.push(a);
            }
            if n.approved_by.iter().any(|a| !n.approvers.contains(a)) {
                return Err(format!("node {i}: approved by a non-approver"));
            }
            if n.mode == Mode::Sequence && !n.approvers.starts_with(&n.approved_by) {
                return Err(format!("node {i}: sequence approved out of order"));
            }
            if n.rejected_by
                .as_ref()
                .is_some_and(|r| !n.approvers.contains(r))
            {
                return Err(format!("node {i}: rejected by a non-approver"));
            }
            if (n.status == NodeStatus::Skipped) != n.skipped.is_some() {
                return Err(format!("node {i}: skipped without a reason"));
            }
            if n.status != NodeStatus::Skipped && n.approvers.is_empty() {
                return Err(format!("node {i}: no approvers"));
            }
            // A waiting node may be complete already (approved when it is reached: see
            // `replace`); any other node is approved exactly when it is complete.
            let complete = n.complete() && n.rejected_by.is_none();
            if n.status != NodeStatus::Waiting && (n.status == NodeStatus::Approved) != complete {
                return Err(format!("node {i}: approved state does not match approvals"));
            }
            if (n.status == NodeStatus::Rejected) != n.rejected_by.is_some() {
                return Err(format!("node {i}: rejected state does not match"));
            }
        }
        let before_after = |cur: usize, past: &[NodeStatus], future: &[NodeStatus]| {
            self.nodes.iter().enumerate().all(|(i, n)| {
                if i < cur {
                    past.contains(&n.status)
                } else if i > cur {
                    future.contains(&n.status)
                } else {
                    true
                }
            })
        };
        let done = [NodeStatus::Approved, NodeStatus::Skipped];
        let later = [NodeStatus::Waiting, NodeStatus::Skipped];
        match self.status {
            Status::Pending => {
                let Some(c) = self.current else {
                    return Err("pending without an active node".into());
                };
                let Some(n) = self.nodes.get(c) else {
                    return Err("active node out of range".into());
                };
                if n.status != NodeStatus::Active {
                    return Err("current node is not active".into());
                }
                if !before_after(c, &done, &later) {
                    return Err("nodes around the active one out of order".into());
                }
                if self.current_approvers().is_empty() {
                    return Err("pending with nobody to decide".into());
                }
            }
            Status::Approved => {
                if self.current.is_some() || !self.nodes.iter().all(|n| done.contains(&n.status)) {
                    return Err("approved with a node not done".into());
                }
            }
            Status::Rejected => {
                if self.current.is_some() {
                    return Err("rejected with an active node".into());
                }
                let rejected: Vec<usize> = (0..self.nodes.len())
                    .filter(|&i| self.nodes[i].status == NodeStatus::Rejected)
                    .collect();
                let [r] = rejected[..] else {
                    return Err("rejected without exactly one rejected node".into());
                };
                if !before_after(r, &done, &later) {
                    return Err("nodes around the rejected one out of order".into());
                }
            }
            Status::Returned => {
                if self.current.is_some() {
                    return Err("returned with an active node".into());
                }
                if self.nodes.iter().any(|n| {
                    !matches!(n.status, NodeStatus::Waiting | NodeStatus::Skipped)
                        || !n.approved_by.is_empty()
                }) {
                    return Err("returned with a node started".into());
                }
            }
            Status::Withdrawn => {
                if self.current.is_some() {
                    return Err("withdrawn with an active node".into());
                }
                if self.nodes.iter().any(|n| n.status == NodeStatus::Rejected) {
                    return Err("withdrawn with a rejected node".into());
                }
                if self.nodes.iter().any(|n| n.status == NodeStatus::Active) {
                    return Err("withdrawn with an active node".into());
                }
            }
        }
        Ok(())
    }
}
