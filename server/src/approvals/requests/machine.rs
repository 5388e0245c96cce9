//! The state machine of one request, pure: no database, no clock, no I/O. A request's chain is
//! frozen when it is submitted ([`State::start`]); every action goes through [`apply`], which
//! either refuses it (a [`Refusal`], nothing changed) or returns the next state and what
//! happened ([`Event`]s, which the service records and tells people about).
//!
//! The rules:
//! - A pending request has exactly one **active** node; nodes before it are approved or
//!   skipped, nodes after it waiting or skipped. Skipped nodes (condition false, nobody to
//!   approve, the submitter auto-approved) are passed over.
//! - Who may decide now ([`State::current_approvers`]): on an any-one or all node every
//!   approver who has not decided yet; on an in-sequence node the first who has not.
//! - Approve: any-one → the node is approved; all and in-sequence → once every approver has
//!   approved. An approved node hands over to the next non-skipped node, or the request is
//!   approved when none is left. Reject: the node and the request are rejected at once.
//! - Withdraw: the submitter, while pending or returned. Comment: the submitter, the chain's
//!   approvers and the people copied, while pending or returned.
//! - Add a signer (a current approver of the active node): *before* oneself — a new any-one
//!   node for that person is inserted before the active node and becomes active; once they
//!   approve, the adder's node is active again (the node waits, whoever of it was to decide);
//!   *after* oneself — a new any-one node right after the active one.
//! - Send back (a current approver): to an earlier approved node, which restarts (it and
//!   every node up to the active one lose their approvals); or to the submitter: the request
//!   is **returned** (no active node, every node's approvals cleared) until the submitter
//!   resubmits (the frozen chain is kept and walked again from its first node) or withdraws.
//! - Replace (Stoa itself, [`replace`]): a departed approver's place on every node not yet
//!   decided goes to the people named (never the submitter); a node whose last undecided
//!   approver left may be complete by that.
//! - A finished request (approved, rejected, withdrawn) takes no action at all.
//!
//! Refusals distinguish a stale action (409: the actor was an approver of this request but the
//! decision is no longer theirs — someone else decided first, or they already did) from an
//! action that was never theirs (403).

use crate::approvals::model::{Chain, Mode, Skip};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    /// Sent back to the submitter for changes: waits for them to resubmit or withdraw.
    Returned,
    Approved,
    Rejected,
    Withdrawn,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Returned => "returned",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "pending" => Status::Pending,
            "returned" => Status::Returned,
            "approved" => Status::Approved,
            "rejected" => Status::Rejected,
            "withdrawn" => Status::Withdrawn,
            _ => return None,
        })
    }

    pub fn finished(self) -> bool {
        !matches!(self, Status::Pending | Status::Returned)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// Not reached yet.
    Waiting,
    /// The node the request is at.
    Active,
    Approved,
    Rejected,
    /// Passed over (see [`Skip`]).
    Skipped,
}

/// One node of a request's frozen chain and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeState {
    pub node_id: String,
    pub name: String,
    pub mode: Mode,
    /// The approvers frozen at submit time, in order.
    pub approvers: Vec<String>,
    pub skipped: Option<Skip>,
    /// The approval admins act on it (the rules found nobody).
    #[serde(default)]
    pub fallback: bool,
    pub status: NodeStatus,
    /// Approvers who approved this node, in the order they did.
    #[serde(default)]
    pub approved_by: Vec<String>,
    /// The approver who rejected it.
    #[serde(default)]
    pub rejected_by: Option<String>,
    /// A node a signer was added as: who added them.
    #[serde(default)]
    pub added_by: Option<String>,
}

/// A request's state: its status, its frozen chain and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub submitter: String,
    pub status: Status,
    /// The active node's index while pending.
    pub current: Option<usize>,
    pub nodes: Vec<NodeState>,
    /// People copied when it was submitted, and when it completes (approved or rejected).
    #[serde(default)]
    pub cc_on_submit: Vec<String>,
    #[serde(default)]
    pub cc_on_complete: Vec<String>,
    /// Approvers who handed their decision to someone else: they still read the request.
    #[serde(default)]
    pub former: Vec<String>,
    /// How many signers were added (names the added nodes uniquely).
    #[serde(default)]
    pub added: u32,
}

/// The most nodes a request's chain may grow to by added signers.
pub const MAX_NODES: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Approve,
    Reject,
    Withdraw,
    Comment,
    /// Hand one's decision on the active node to this person (who takes one's place).
    Transfer(String),
    /// Remind the current approvers (the submitter; the service limits how often).
    Urge,
    /// Add this person as a signer before (`before`) or after oneself on the active node.
    AddSigner {
        to: String,
        before: bool,
    },
    /// Send the request back to the earlier node with this id, or (`None`) to the submitter.
    SendBack(Option<String>),
    /// The submitter sends a returned request on again (with edited answers).
    Resubmit,
}

impl Action {
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Withdraw => "withdraw",
            Action::Comment => "comment",
            Action::Transfer(_) => "transfer",
            Action::Urge => "urge",
            Action::AddSigner { before: true, .. } => "add_signer_before",
            Action::AddSigner { before: false, .. } => "add_signer_after",
            Action::SendBack(_) => "send_back",
            Action::Resubmit => "resubmit",
        }
    }
}

/// What an action (or submitting) made happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The actor approved node `node` (it may need others still).
    Approved {
        node: usize,
        actor: String,
    },
    Rejected {
        node: usize,
        actor: String,
    },
    Commented {
        actor: String,
    },
    Withdrawn {
        actor: String,
    },
    /// `from` handed their place on node `node` to `to`.
    Transferred {
        node: usize,
        from: String,
        to: String,
    },
    Urged {
        actor: String,
    },
    /// `actor` added `to` as node `node`, before or after themselves.
    SignerAdded {
        node: usize,
        actor: String,
        to: String,
        before: bool,
    },
    /// `actor` sent the request back from node `from` to node `to`, or to the submitter.
    SentBack {
        from: usize,
        to: Option<usize>,
        actor: String,
    },
    Resubmitted {
        actor: String,
    },
    /// Stoa replaced `from`, who left, by `to` on node `node`.
    Replaced {
        node: usize,
        from: String,
        to: Vec<String>,
    },
    /// Node `node` became active: its current approvers are to be told.
    NodeStarted {
        node: usize,
    },
    /// Node `node` is approved as a whole.
    NodeApproved {
        node: usize,
    },
    /// The request finished (approved, rejected or withdrawn).
    Finished {
        status: Status,
    },
}

/// Why an action was refused; nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The request is approved, rejected or withdrawn: it takes no more actions (409).
    Finished,
    /// The actor was an approver here, but the decision is not theirs now: someone decided
    /// first, or they already did (409).
    Stale,
    /// The action is not the actor's to take (403).
    NotAllowed,
    /// A transfer or added signer to the submitter, to oneself or to someone already on the
    /// node (422).
    BadTarget,
    /// Sending back to a node that is not an earlier approved node of the chain (422).
    BadNode,
    /// The chain has as many nodes as it may have (422).
    TooMany,
}

impl NodeState {
    /// Every approval the node's mode asks for is in (not whether it was rejected).
    pub fn complete(&self) -> bool {
        !self.approvers.is_empty()
            && match self.mode {
                Mode::AnyOne => !self.approved_by.is_empty(),
                Mode::All | Mode::Sequence => self.approved_by.len() == self.approvers.len(),
            }
    }
}

impl State {
    /// A freshly submitted request on its frozen chain: skipped nodes passed over, the first
    /// other node active — or approved at once when every node is skipped.
    pub fn start(submitter: &str, chain: &Chain) -> (State, Vec<Event>) {
        let nodes = chain.nodes.iter().map(NodeState::frozen).collect();
        let mut s = State {
            submitter: submitter.to_string(),
            status: Status::Pending,
            current: None,
            nodes,
            cc_on_submit: dedup(&chain.cc_on_submit),
            cc_on_complete: dedup(&chain.cc_on_complete),
            former: Vec::new(),
            added: 0,
        };
        let mut events = Vec::new();
        s.advance_from(0, &mut events);
        (s, events)
    }

    /// Who may approve or reject now (empty unless pending).
    pub fn current_approvers(&self) -> Vec<&str> {
        let Some(n) = self.active() else {
            return Vec::new();
        };
        let open = n
            .approvers
            .iter()
            .filter(|a| !n.approved_by.contains(a))
            .map(String::as_str);
        match n.mode {
            Mode::AnyOne | Mode::All => open.collect(),
            Mode::Sequence => open.take(1).collect(),
        }
    }

    /// The active node, while pending.
    pub fn active(&self) -> Option<&NodeState> {
        if self.status != Status::Pending {
            return None;
        }
        self.current.and_then(|i| self.nodes.get(i))
    }

    /// Whether the person is an approver of any node of the chain.
    pub fn is_approver(&self, who: &str) -> bool {
        self.nodes
            .iter()
            .any(|n| n.approvers.iter().any(|a| a == who))
    }

    /// Whether the person takes part: submitter, approver of any node, or copied.
    pub fn is_participant(&self, who: &str) -> bool {
        self.submitter == who
            || self.is_approver(who)
            || self.cc_on_submit.iter().any(|c| c == who)
            || self.cc_on_complete.iter().any(|c| c == who)
            || self.former.iter().any(|c| c == who)
    }

    /// Activate the first non-skipped node from `from` on, or approve the request.
    fn advance_from(&mut self, from: usize, events: &mut Vec<Event>) {
        for i in from..self.nodes.len() {
            if self.nodes[i].status == NodeStatus::Waiting {
                // A node that waited behind a signer added before it may be complete already:
                // its other approvers had approved, and Stoa took out one who left (`replace`).
                if self.nodes[i].complete() {
                    self.nodes[i].status = NodeStatus::Approved;
                    events.push(Event::NodeApproved { node: i });
                    continue;
                }
                self.nodes[i].status = NodeStatus::Active;
                self.current = Some(i);
                events.push(Event::NodeStarted { node: i });
                return;
            }
        }
        self.current = None;
        self.status = Status::Approved;
        events.push(Event::Finished {
            status: Status::Approved,
        });
    }
}

fn dedup(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

/// Apply one action by one person. Refused: nothing changed. Accepted: the next state and
/// what happened, in order.
pub fn apply(state: &State, actor: &str, action: &Action) -> Result<(State, Vec<Event>), Refusal> {
    if state.status.finished() {
        return Err(Refusal::Finished);
    }
    let mut s = state.clone();
    let mut events = Vec::new();
    match action {
        Action::Comment => {
            if !s.is_participant(actor) {
                return Err(Refusal::NotAllowed);
            }
            events.push(Event::Commented {
                actor: actor.into(),
            });
        }
        Action::Withdraw => {
            if s.submitter != actor {
                return Err(Refusal::NotAllowed);
            }
            if let Some(c) = s.current.take() {
                // The active node goes back to waiting: nobody decided it.
                if let Some(n) = s.nodes.get_mut(c) {
                    n.status = NodeStatus::Waiting;
                }
            }
            s.status = Status::Withdrawn;
            events.push(Event::Withdrawn {
                actor: actor.into(),
            });
            events.push(Event::Finished {
                status: Status::Withdrawn,
            });
        }
        Action::Urge => {
            if s.submitter != actor {
                return Err(Refusal::NotAllowed);
            }
            if s.status == Status::Returned {
                // Nobody to remind: it waits for the submitter.
                return Err(Refusal::Stale);
            }
            events.push(Event::Urged {
                actor: actor.into(),
            });
        }
        Action::Resubmit => {
            if s.submitter != actor {
                return Err(Refusal::NotAllowed);
            }
            if s.status != Status::Returned {
                return Err(Refusal::Stale);
            }
            s.status = Status::Pending;
            events.push(Event::Resubmitted {
                actor: actor.into(),
            });
            s.advance_from(0, &mut events);
        }
        Action::AddSigner { to, before } => {
            let c = deciding(&s, actor)?;
            if *to == s.submitter || *to == actor || s.nodes[c].approvers.contains(to) {
                return Err(Refusal::BadTarget);
            }
            if s.nodes.len() >= MAX_NODES {
                return Err(Refusal::TooMany);
            }
            s.added += 1;
            let base = &s.nodes[c];
            let mut added = NodeState {
                node_id: format!("{}+{}", base.node_id, s.added),
                name: base.name.clone(),
                mode: Mode::AnyOne,
                approvers: vec![to.clone()],
                skipped: None,
                fallback: false,
                status: NodeStatus::Waiting,
                approved_by: Vec::new(),
                rejected_by: None,
                added_by: Some(actor.into()),
            };
            let at = if *before {
                // The adder's node waits until the added person has approved.
                s.nodes[c].status = NodeStatus::Waiting;
                added.status = NodeStatus::Active;
                c
            } else {
                c + 1
            };
            s.nodes.insert(at, added);
            events.push(Event::SignerAdded {
                node: at,
                actor: actor.into(),
                to: to.clone(),
                before: *before,
            });
            if *before {
                s.current = Some(c);
                events.push(Event::NodeStarted { node: c });
            }
        }
        Action::SendBack(target) => {
            let c = deciding(&s, actor)?;
            let to = match target {
                None => None,
                Some(id) => {
                    let i = s.nodes[..c]
                        .iter()
                        .position(|n| n.node_id == *id && n.status == NodeStatus::Approved)
                        .ok_or(Refusal::BadNode)?;
                    Some(i)
                }
            };
            let from = to.unwrap_or(0);
            // Every node from there on restarts (a node waiting on a signer added before it
            // may hold approvals already).
            for n in &mut s.nodes[from..] {
                if n.status != NodeStatus::Skipped {
                    n.status = NodeStatus::Waiting;
                    n.approved_by.clear();
                }
            }
            events.push(Event::SentBack {
                from: c,
                to,
                actor: actor.into(),
            });
            match to {
                Some(i) => {
                    s.nodes[i].status = NodeStatus::Active;
                    s.current = Some(i);
                    events.push(Event::NodeStarted { node: i });
                }
                None => {
                    s.current = None;
                    s.status = Status::Returned;
                }
            }
        }
        Action::Transfer(to) => {
            let c = deciding(&s, actor)?;
            let node = &mut s.nodes[c];
            if *to == s.submitter || node.approvers.contains(to) {
                return Err(Refusal::BadTarget);
            }
            for a in node.approvers.iter_mut() {
                if a == actor {
                    *a = to.clone();
                }
            }
            if !s.former.iter().any(|f| f == actor) {
                s.former.push(actor.into());
            }
            events.push(Event::Transferred {
                node: c,
                from: actor.into(),
                to: to.clone(),
            });
        }
        Action::Approve | Action::Reject => {
            let c = deciding(&s, actor)?;
            let node = &mut s.nodes[c];
            if *action == Action::Reject {
                node.status = NodeStatus::Rejected;
                node.rejected_by = Some(actor.into());
                s.current = None;
                s.status = Status::Rejected;
                events.push(Event::Rejected {
                    node: c,
                    actor: actor.into(),
                });
                events.push(Event::Finished {
                    status: Status::Rejected,
                });
            } else {
                node.approved_by.push(actor.into());
                events.push(Event::Approved {
                    node: c,
                    actor: actor.into(),
                });
                if node.complete() {
                    node.status = NodeStatus::Approved;
                    events.push(Event::NodeApproved { node: c });
                    s.advance_from(c + 1, &mut events);
                } else if node.mode == Mode::Sequence {
                    // The next in line is to be told.
                    events.push(Event::NodeStarted { node: c });
                }
            }
        }
    }
    Ok((s, events))
}

/// The active node's index, when the actor may decide on it now.
fn deciding(s: &State, actor: &str) -> Result<usize, Refusal> {
    if !s.current_approvers().contains(&actor) {
        return Err(if s.is_approver(actor) {
            Refusal::Stale
        } else {
            Refusal::NotAllowed
        });
    }
    s.current.ok_or(Refusal::Finished)
}

#[path = "machine_check.rs"]
mod check;
#[path = "machine_replace.rs"]
mod replace;
#[path = "machine_route.rs"]
mod route;
pub use replace::replace;

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;
