//! The requests API's request and response types.

use super::{
    machine::{NodeStatus, State, Status},
    service::View,
    store::{ActionRow, RequestRow},
};
use crate::{
    approvals::{
        dto::{ApprovalPerson, ApprovalSkipReason},
        flow::NodeMode,
    },
    db::rfc3339,
};
use poem_openapi::{payload::Json, ApiResponse, Enum, Object};
use std::collections::{BTreeMap, HashMap};

/// A request to submit.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ApprovalRequestInput {
    pub template_id: String,
    /// The template version the submitter filled in (from the template or the preview); 409
    /// when the template has a newer version since. Absent: the current version.
    pub version: Option<i64>,
    /// The form's answers, keyed by field id.
    pub answers: serde_json::Value,
    /// For nodes whose approvers the submitter chooses: node id → user ids.
    #[oai(default)]
    pub chosen: BTreeMap<String, Vec<String>>,
}

/// Approve, reject, withdraw or urge, with an optional comment and files.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ApprovalDecisionInput {
    /// At most 2,000 characters.
    #[oai(validator(max_length = 8000))]
    pub comment: Option<String>,
    /// Files to attach to the action (ids of files the caller uploaded or may read: 422
    /// naming `file_ids` otherwise), at most 10. Read by whoever may read the request.
    #[oai(validator(max_items = 10))]
    pub file_ids: Option<Vec<String>>,
    /// The request's revision as read: 409 when someone acted since.
    pub revision: Option<i64>,
}

/// Hand one's decision to another person.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ApprovalTransferInput {
    /// The user id of an active person of the tenant, not yet on the node and not the
    /// submitter: they take the caller's place.
    pub to: String,
    /// At most 2,000 characters.
    #[oai(validator(max_length = 8000))]
    pub comment: Option<String>,
    /// The request's revision as read: 409 when someone acted since.
    pub revision: Option<i64>,
}

/// Where an added signer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ApprovalSignerPosition {
    /// They approve first; then the node comes back to the one who added them.
    Before,
    /// A new step right after the current node.
    After,
}

/// Add a signer before or after oneself.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ApprovalAddSignerInput {
    /// The user id of an active person of the tenant, not yet on the node, not the caller and
    /// not the submitter.
    pub to: String,
    pub position: ApprovalSignerPosition,
    /// At most 2,000 characters.
    #[oai(validator(max_length = 8000))]
    pub comment: Option<String>,
    /// The request's revision as read: 409 when someone acted since.
    pub revision: Option<i64>,
}

/// Send a request back.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ApprovalSendBackInput {
    /// An earlier node of the chain that was approved: it restarts. Absent: back to the
    /// submitter for changes (the request is `returned`).
    pub node_id: Option<String>,
    /// At most 2,000 characters.
    #[oai(validator(max_length = 8000))]
    pub comment: Option<String>,
    /// Files to attach to the action (ids of files the caller uploaded or may read: 422
    /// naming `file_ids` otherwise), at most 10. Read by whoever may read the request.
    #[oai(validator(max_items = 10))]
    pub file_ids: Option<Vec<String>>,
    /// The request's revision as read: 409 when someone acted since.
    pub revision: Option<i64>,
}

/// Resubmit a returned request.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ApprovalResubmitInput {
    /// The edited answers, checked against the template version the request was made under.
    /// Absent: the answers stay as they are.
    pub answers: Option<serde_json::Value>,
    /// People chosen for steps the edited answers bring in whose approvers the submitter
    /// chooses (node id → user ids), as at submit.
    #[oai(default)]
    pub chosen: BTreeMap<String, Vec<String>>,
    /// At most 2,000 characters.
    #[oai(validator(max_length = 8000))]
    pub comment: Option<String>,
    /// The request's revision as read: 409 when someone acted since.
    pub revision: Option<i64>,
}

/// A comment on a request.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ApprovalCommentInput {
    /// 1–2,000 characters.
    #[oai(validator(max_length = 8000))]
    pub comment: String,
    /// Files to attach to the action (ids of files the caller uploaded or may read: 422
    /// naming `file_ids` otherwise), at most 10. Read by whoever may read the request.
    #[oai(validator(max_items = 10))]
    pub file_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ApprovalRequestState {
    Pending,
    /// Sent back to its submitter for changes: open until they resubmit or withdraw it.
    Returned,
    Approved,
    Rejected,
    Withdrawn,
}

impl From<Status> for ApprovalRequestState {
    fn from(s: Status) -> Self {
        match s {
            Status::Pending => ApprovalRequestState::Pending,
            Status::Returned => ApprovalRequestState::Returned,
            Status::Approved => ApprovalRequestState::Approved,
            Status::Rejected => ApprovalRequestState::Rejected,
            Status::Withdrawn => ApprovalRequestState::Withdrawn,
        }
    }
}

impl ApprovalRequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalRequestState::Pending => "pending",
            ApprovalRequestState::Returned => "returned",
            ApprovalRequestState::Approved => "approved",
            ApprovalRequestState::Rejected => "rejected",
            ApprovalRequestState::Withdrawn => "withdrawn",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ApprovalNodeState {
    /// Not reached yet.
    Waiting,
    /// The node the request is at.
    Active,
    Approved,
    Rejected,
    Skipped,
}

impl From<NodeStatus> for ApprovalNodeState {
    fn from(s: NodeStatus) -> Self {
        match s {
            NodeStatus::Waiting => ApprovalNodeState::Waiting,
            NodeStatus::Active => ApprovalNodeState::Active,
            NodeStatus::Approved => ApprovalNodeState::Approved,
            NodeStatus::Rejected => ApprovalNodeState::Rejected,
            NodeStatus::Skipped => ApprovalNodeState::Skipped,
        }
    }
}

/// Which requests a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ApprovalBox {
    /// Submitted by me.
    Mine,
    /// Waiting for my decision now.
    Waiting,
    /// Approved, rejected, transferred, sent back or given an added signer by me.
    Handled,
    /// Copied to me.
    Cc,
    /// Every request of the tenant (`approvals.read_all`).
    All,
}

/// One node of a request's frozen chain.
#[derive(Debug, Clone, Object)]
pub struct ApprovalRequestNode {
    pub node_id: String,
    pub name: String,
    pub mode: NodeMode,
    /// Who acts on it, frozen at submit time, in order.
    pub approvers: Vec<ApprovalPerson>,
    pub skipped: Option<ApprovalSkipReason>,
    /// The rules found nobody, so the approval admins act on it.
    pub fallback: bool,
    pub state: ApprovalNodeState,
    /// Who approved it, in order.
    pub approved_by: Vec<String>,
    pub rejected_by: Option<String>,
    /// A node added as a signer: who added it.
    pub added_by: Option<String>,
}

/// One action on a request (append-only).
#[derive(Debug, Clone, Object)]
pub struct ApprovalRequestAction {
    /// The request's revision this action made (1: submitting).
    pub seq: i64,
    /// Who acted (absent: Stoa itself).
    pub actor: Option<ApprovalPerson>,
    /// `submit`, `approve`, `reject`, `withdraw`, `comment`, `transfer`, `urge`,
    /// `add_signer_before`, `add_signer_after`, `send_back`, `resubmit`, or `replace` (by Stoa:
    /// an approver who left was replaced).
    pub action: String,
    /// The node acted on (approved, rejected, transferred, added to, sent back from, or where
    /// a departed approver was replaced first).
    pub node_id: Option<String>,
    /// Transfer: who the decision went to; add signer: who was added; send back: the node it
    /// went back to (absent: to the submitter); replace: the person who left.
    pub target_id: Option<String>,
    pub comment: Option<String>,
    /// Resubmit: the answers before it (every round stays in the history).
    pub answers: Option<serde_json::Value>,
    /// The files attached to the action (download with `GET /files/{id}`).
    pub file_ids: Vec<String>,
    pub created_at: String,
}

/// A request in full.
#[derive(Debug, Clone, Object)]
pub struct ApprovalRequest {
    pub id: String,
    pub template_id: String,
    /// The template version it was submitted under.
    pub version: i64,
    /// The template's name at that version.
    pub title: String,
    pub submitter: ApprovalPerson,
    pub state: ApprovalRequestState,
    /// Bumped by every action; send it back as `revision` to act only on what you read.
    pub revision: i64,
    pub answers: serde_json::Value,
    pub nodes: Vec<ApprovalRequestNode>,
    /// Who may approve or reject now.
    pub waiting_for: Vec<ApprovalPerson>,
    pub cc_on_submit: Vec<ApprovalPerson>,
    pub cc_on_complete: Vec<ApprovalPerson>,
    /// What the caller may do now: `approve`, `reject`, `transfer`, `add_signer`,
    /// `send_back`, `withdraw`, `urge`, `resubmit`, `comment`.
    pub can: Vec<String>,
    /// Every action, oldest first.
    pub history: Vec<ApprovalRequestAction>,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

/// A request in a list.
#[derive(Debug, Clone, Object)]
pub struct ApprovalRequestSummary {
    pub id: String,
    pub template_id: String,
    pub version: i64,
    pub title: String,
    pub submitter: ApprovalPerson,
    pub state: ApprovalRequestState,
    pub revision: i64,
    /// Who may approve or reject now.
    pub waiting_for: Vec<ApprovalPerson>,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

/// A page of requests, newest first.
#[derive(Debug, Clone, Object)]
pub struct ApprovalRequestPage {
    pub items: Vec<ApprovalRequestSummary>,
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
pub enum RequestCreated {
    #[oai(status = 201)]
    Created(Json<ApprovalRequest>),
}

/// Display names of people (active ones; others show an empty name).
pub type Names = HashMap<String, String>;

fn person(names: &Names, id: &str) -> ApprovalPerson {
    ApprovalPerson {
        id: id.to_string(),
        display_name: names.get(id).cloned().unwrap_or_default(),
    }
}

fn people(names: &Names, ids: &[String]) -> Vec<ApprovalPerson> {
    ids.iter().map(|i| person(names, i)).collect()
}

/// Every person a view names (for one names lookup).
pub fn ids_of(row: &RequestRow, s: &State, actions: &[ActionRow]) -> Vec<String> {
    let mut ids = vec![row.submitter_id.clone()];
    ids.extend(s.cc_on_submit.iter().cloned());
    ids.extend(s.cc_on_complete.iter().cloned());
    for n in &s.nodes {
        ids.extend(n.approvers.iter().cloned());
    }
    ids.extend(s.former.iter().cloned());
    ids.extend(actions.iter().filter_map(|a| a.actor_id.clone()));
    ids
}

/// What `me` may do now on a request in state `s`.
pub fn can(s: &State, me: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.status.finished() {
        return out;
    }
    if s.current_approvers().contains(&me) {
        out.push("approve".into());
        out.push("reject".into());
        out.push("transfer".into());
        out.push("add_signer".into());
        out.push("send_back".into());
    }
    if s.submitter == me {
        out.push("withdraw".into());
        if s.status == Status::Returned {
            out.push("resubmit".into());
        } else {
            out.push("urge".into());
        }
    }
    if s.is_participant(me) {
        out.push("comment".into());
    }
    out
}

pub fn request(v: View, names: &Names, me: &str) -> ApprovalRequest {
    let s = &v.state;
    let waiting: Vec<String> = s
        .current_approvers()
        .into_iter()
        .map(String::from)
        .collect();
    ApprovalRequest {
        id: v.row.id.clone(),
        template_id: v.row.template_id.clone(),
        version: v.row.version,
        title: v.row.title.clone(),
        submitter: person(names, &v.row.submitter_id),
        state: s.status.into(),
        revision: v.row.revision,
        answers: v.answers.clone(),
        nodes: s
            .nodes
            .iter()
            .map(|n| ApprovalRequestNode {
                node_id: n.node_id.clone(),
                name: n.name.clone(),
                mode: n.mode.into(),
                approvers: people(names, &n.approvers),
                skipped: n.skipped.map(Into::into),
                fallback: n.fallback,
                state: n.status.into(),
                approved_by: n.approved_by.clone(),
                rejected_by: n.rejected_by.clone(),
                added_by: n.added_by.clone(),
            })
            .collect(),
        waiting_for: people(names, &waiting),
        cc_on_submit: people(names, &s.cc_on_submit),
        cc_on_complete: people(names, &s.cc_on_complete),
        can: can(s, me),
        history: v
            .actions
            .iter()
            .map(|a| ApprovalRequestAction {
                seq: a.seq,
                actor: a.actor_id.as_deref().map(|x| person(names, x)),
                action: a.action.clone(),
                node_id: a.node_id.clone(),
                target_id: a.target_id.clone(),
                comment: a.comment.clone(),
                answers: a
                    .answers
                    .as_deref()
                    .and_then(|x| serde_json::from_str(x).ok()),
                file_ids: a.files.clone(),
                created_at: rfc3339(a.created_at),
            })
            .collect(),
        created_at: rfc3339(v.row.created_at),
        updated_at: rfc3339(v.row.updated_at),
        finished_at: v.row.finished_at.map(rfc3339),
    }
}

pub fn summary(row: &RequestRow, s: &State, names: &Names) -> ApprovalRequestSummary {
    let waiting: Vec<String> = s
        .current_approvers()
        .into_iter()
        .map(String::from)
        .collect();
    ApprovalRequestSummary {
        id: row.id.clone(),
        template_id: row.template_id.clone(),
        version: row.version,
        title: row.title.clone(),
        submitter: person(names, &row.submitter_id),
        state: s.status.into(),
        revision: row.revision,
        waiting_for: people(names, &waiting),
        created_at: rfc3339(row.created_at),
        updated_at: rfc3339(row.updated_at),
        finished_at: row.finished_at.map(rfc3339),
    }
}
