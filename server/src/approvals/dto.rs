//! The approval templates API's request and response types (the form and flow types are the
//! stored ones: `form::Form`, `flow::Flow`).

use super::{
    flow::{Flow, NodeMode},
    form::Form,
    model::Skip,
    version::{AttendanceLink, TemplateVersion, ACTIVE},
};
use crate::{db::rfc3339, directory::audience::AudienceTarget};
use poem_openapi::{payload::Json, ApiResponse, Enum, Object};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ApprovalTemplateState {
    Active,
    Archived,
}

/// A template as an admin writes it (create, or edit: the next version).
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ApprovalTemplateInput {
    /// 1–100 characters.
    #[oai(validator(max_length = 400))]
    pub name: String,
    /// Groups templates in lists (1–50 characters; default `General`).
    #[oai(validator(max_length = 200))]
    pub category: Option<String>,
    /// At most 1,000 characters.
    #[oai(validator(max_length = 4000))]
    pub description: Option<String>,
    /// One of `leave`, `expense`, `purchase`, `trip`, `overtime`, `document`, `contract`,
    /// `payment`, `equipment`, `vehicle`, `meeting`, `hiring`, `training`, `general` (the
    /// default), or an emoji.
    #[oai(validator(max_length = 64))]
    pub icon: Option<String>,
    /// Who may submit: `everyone`, departments (with `subtree`: their sub-departments too) or
    /// roles (default: everyone).
    #[oai(default)]
    pub submitters: Vec<AudienceTarget>,
    pub form: Form,
    pub flow: Flow,
    /// Approved requests excuse the days of this date range field in attendance.
    pub attendance: Option<AttendanceLink>,
    /// Edit only: the version being edited; 409 when the template has moved on since.
    pub expected_version: Option<i64>,
}

/// A template's version in full.
#[derive(Debug, Clone, Object)]
pub struct ApprovalTemplate {
    pub id: String,
    pub version: i64,
    pub state: ApprovalTemplateState,
    /// The starter it began as (`leave`, `expense`, `purchase`, `trip`), if any.
    pub starter: Option<String>,
    pub name: String,
    pub category: String,
    pub description: String,
    pub icon: String,
    pub submitters: Vec<AudienceTarget>,
    pub form: Form,
    pub flow: Flow,
    pub attendance: Option<AttendanceLink>,
    /// When the template was created.
    pub created_at: String,
    /// When this version was made, and by whom (absent: Stoa, for starters).
    pub version_created_at: String,
    pub version_created_by: Option<String>,
}

fn state_of(s: &str) -> ApprovalTemplateState {
    if s == ACTIVE {
        ApprovalTemplateState::Active
    } else {
        ApprovalTemplateState::Archived
    }
}

impl From<TemplateVersion> for ApprovalTemplate {
    fn from(v: TemplateVersion) -> Self {
        ApprovalTemplate {
            id: v.template_id,
            version: v.version,
            state: state_of(&v.state),
            starter: v.starter,
            name: v.name,
            category: v.category,
            description: v.description,
            icon: v.icon,
            submitters: v.submitters.iter().map(AudienceTarget::of).collect(),
            form: v.form,
            flow: v.flow,
            attendance: v.attendance,
            created_at: rfc3339(v.template_created_at),
            version_created_at: rfc3339(v.created_at),
            version_created_by: v.created_by,
        }
    }
}

/// A template in a list (its current version; `GET /approvals/templates/{id}` has the form and
/// flow).
#[derive(Debug, Clone, Object)]
pub struct ApprovalTemplateSummary {
    pub id: String,
    pub version: i64,
    pub state: ApprovalTemplateState,
    pub starter: Option<String>,
    pub name: String,
    pub category: String,
    pub description: String,
    pub icon: String,
    pub attendance: Option<AttendanceLink>,
    pub version_created_at: String,
}

impl From<TemplateVersion> for ApprovalTemplateSummary {
    fn from(v: TemplateVersion) -> Self {
        ApprovalTemplateSummary {
            id: v.template_id,
            version: v.version,
            state: state_of(&v.state),
            starter: v.starter,
            name: v.name,
            category: v.category,
            description: v.description,
            icon: v.icon,
            attendance: v.attendance,
            version_created_at: rfc3339(v.created_at),
        }
    }
}

/// Templates, by category and name (every one: there is no next page).
#[derive(Debug, Clone, Object)]
pub struct ApprovalTemplateList {
    pub items: Vec<ApprovalTemplateSummary>,
}

/// A template's versions, newest first.
#[derive(Debug, Clone, Object)]
pub struct ApprovalTemplateVersions {
    pub items: Vec<ApprovalTemplate>,
}

#[derive(ApiResponse)]
pub enum TemplateCreated {
    #[oai(status = 201)]
    Created(Json<ApprovalTemplate>),
}

/// What a preview resolves: the answers as they would be submitted.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ApprovalPreviewInput {
    pub template_id: String,
    /// The form's answers, keyed by field id.
    pub answers: serde_json::Value,
    /// For nodes whose approvers the submitter chooses: node id → user ids.
    #[oai(default)]
    pub chosen: BTreeMap<String, Vec<String>>,
}

/// A person in a resolved chain.
#[derive(Debug, Clone, Object)]
pub struct ApprovalPerson {
    pub id: String,
    pub display_name: String,
}

/// Why nobody acts on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ApprovalSkipReason {
    /// The node's condition is false for these answers.
    Condition,
    /// The rules found nobody and the flow skips such nodes (or there are no approval admins).
    NoApprover,
    /// The submitter was its only approver and the flow approves that automatically.
    Submitter,
}

impl From<Skip> for ApprovalSkipReason {
    fn from(s: Skip) -> Self {
        match s {
            Skip::Condition => ApprovalSkipReason::Condition,
            Skip::NoApprover => ApprovalSkipReason::NoApprover,
            Skip::Submitter => ApprovalSkipReason::Submitter,
        }
    }
}

/// One node of a resolved chain.
#[derive(Debug, Clone, Object)]
pub struct ApprovalPreviewNode {
    pub node_id: String,
    pub name: String,
    pub mode: NodeMode,
    /// Who acts on it, in order.
    pub approvers: Vec<ApprovalPerson>,
    pub skipped: Option<ApprovalSkipReason>,
    /// The rules found nobody, so the approval admins act on it.
    pub fallback: bool,
}

/// The chain a request would follow if submitted now.
#[derive(Debug, Clone, Object)]
pub struct ApprovalPreview {
    pub template_id: String,
    pub version: i64,
    /// The answers as checked and normalised (computed durations, column sums).
    pub answers: serde_json::Value,
    pub nodes: Vec<ApprovalPreviewNode>,
    pub cc_on_submit: Vec<ApprovalPerson>,
    pub cc_on_complete: Vec<ApprovalPerson>,
}
