//! The shapes the two halves of approvals share. Templates (forms, flows, their versions)
//! produce a [`Chain`] for one submitter and one set of answers; requests walk it.

use serde::{Deserialize, Serialize};

/// How the approvers of one node decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Any one approver decides for the node (or-sign).
    AnyOne,
    /// Every approver must approve; one rejection rejects (countersign).
    All,
    /// The approvers decide one after another, in order; one rejection rejects.
    Sequence,
}

/// Why a node of the flow has no one to act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// The node's condition is false for these answers.
    Condition,
    /// The rules found nobody and the flow says to skip such a node.
    NoApprover,
    /// The submitter is the node's only approver and the flow auto-approves that.
    Submitter,
}

/// One node of a resolved chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainNode {
    /// The node's id in the template version's flow (stable within a version).
    pub node_id: String,
    pub name: String,
    pub mode: Mode,
    /// The people who act on the node, in order (order matters for [`Mode::Sequence`]):
    /// user ids of active people of the tenant, without duplicates. Empty when skipped.
    pub approvers: Vec<String>,
    /// Set when nobody acts on this node; the request passes over it.
    pub skipped: Option<Skip>,
    /// The rules found nobody and the flow sends such a node to the tenant's approval admins
    /// (holders of `approvals.admin`): `approvers` are those admins.
    pub fallback: bool,
}

/// The resolved chain of one request: the nodes in order and who is copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Chain {
    pub nodes: Vec<ChainNode>,
    /// People copied when the request is submitted (user ids, active, deduplicated).
    pub cc_on_submit: Vec<String>,
    /// People copied when the request completes (approved or rejected).
    pub cc_on_complete: Vec<String>,
}

impl Chain {
    /// The ids of the nodes whose condition holds (whether or not anyone was found for them).
    pub fn taking_part(&self) -> impl Iterator<Item = &str> {
        self.nodes
            .iter()
            .filter(|n| n.skipped != Some(Skip::Condition))
            .map(|n| n.node_id.as_str())
    }
}
