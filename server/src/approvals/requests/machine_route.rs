//! Where a request's nodes come from: a node frozen from a resolved chain
//! ([`NodeState::frozen`]), and a returned request routed again on edited answers
//! ([`State::reroute`]).

use super::{dedup, NodeState, NodeStatus, State};
use crate::approvals::model::{Chain, ChainNode, Skip};

impl NodeState {
    /// A node as a chain resolved it: waiting, or passed over when nobody acts on it (a node
    /// with nobody on it is passed over whatever the resolver said).
    pub(super) fn frozen(n: &ChainNode) -> NodeState {
        let skipped = match (n.skipped, n.approvers.is_empty()) {
            (Some(s), _) => Some(s),
            (None, true) => Some(Skip::NoApprover),
            (None, false) => None,
        };
        NodeState {
            node_id: n.node_id.clone(),
            name: n.name.clone(),
            mode: n.mode,
            approvers: if skipped.is_some() {
                Vec::new()
            } else {
                dedup(&n.approvers)
            },
            skipped,
            fallback: n.fallback,
            status: if skipped.is_some() {
                NodeStatus::Skipped
            } else {
                NodeStatus::Waiting
            },
            approved_by: Vec::new(),
            rejected_by: None,
            added_by: None,
        }
    }
}

impl State {
    /// Route a returned request again on edited answers: every node of the template whose
    /// condition now decides otherwise than when it was frozen takes its place from `fresh`
    /// (the chain resolved now for the new answers) — a node the condition skipped before is
    /// resolved now and waits, a node it skips now is passed over. Nodes whose condition
    /// decides as before keep their frozen approvers, and added signers stay. Approvers taken
    /// off keep reading the request (`former`). Returns the ids of the nodes that now take
    /// part and did not before.
    pub fn reroute(&mut self, fresh: &Chain) -> Vec<String> {
        let mut joined = Vec::new();
        for n in &mut self.nodes {
            let Some(f) = fresh.nodes.iter().find(|f| f.node_id == n.node_id) else {
                continue;
            };
            let before = n.skipped == Some(Skip::Condition);
            let now = f.skipped == Some(Skip::Condition);
            if before == now {
                continue;
            }
            for a in &n.approvers {
                if !self.former.contains(a) {
                    self.former.push(a.clone());
                }
            }
            *n = NodeState::frozen(f);
            if before {
                joined.push(n.node_id.clone());
            }
        }
        joined
    }
}
