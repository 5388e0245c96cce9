//! The flow of a template: ordered nodes, each with a mode, an optional condition on the
//! answers ([`super::expr`]) and approver rules (unioned in order), plus who is copied on
//! submit and on completion, what happens when a node finds nobody, and whether a submitter
//! who is one of a node's approvers approves it automatically. [`Flow::validate`] checks a
//! flow against its form when a template is saved; [`check_refs`] that the people and roles it
//! names are the tenant's.

use super::{
    expr,
    form::{schema::valid_id, FieldKind, Form},
    model::Mode,
};
use crate::{
    directory,
    error::{ApiError, ApiResult},
    roles,
};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use std::collections::BTreeSet;

pub const MAX_NODES: usize = 20;
pub const MAX_RULES: usize = 10;
pub const MAX_PEOPLE: usize = 50;
pub const MAX_LEVELS: u32 = 10;
/// The most people a submitter may choose for one node (and the default: 1).
pub const MAX_CHOSEN: u32 = 20;

/// How the approvers of a node decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case", rename = "ApprovalNodeMode")]
pub enum NodeMode {
    /// Any one approver decides (or-sign).
    AnyOne,
    /// Every approver must approve (countersign).
    All,
    /// One after another, in the order resolved.
    Sequence,
}

impl From<NodeMode> for Mode {
    fn from(m: NodeMode) -> Mode {
        match m {
            NodeMode::AnyOne => Mode::AnyOne,
            NodeMode::All => Mode::All,
            NodeMode::Sequence => Mode::Sequence,
        }
    }
}

impl From<Mode> for NodeMode {
    fn from(m: Mode) -> NodeMode {
        match m {
            Mode::AnyOne => NodeMode::AnyOne,
            Mode::All => NodeMode::All,
            Mode::Sequence => NodeMode::Sequence,
        }
    }
}

/// Who an approver (or CC) rule names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case", rename = "ApprovalRuleKind")]
pub enum RuleKind {
    /// `people`: these people.
    People,
    /// `role_id`: everyone holding the role now.
    Role,
    /// The submitter's manager `levels` up (1: the direct manager); with `up_to`, every
    /// manager from the direct one up to that level, nearest first.
    Manager,
    /// The head of the submitter's primary department (`levels` 2: of its parent, …), or of
    /// the department answered in the form's department field `field`.
    DepartmentHead,
    /// People the submitter chooses when submitting (at most `max`, default 1). Nodes only.
    Chosen,
    /// The tenant's approval admins (holders of `approvals.admin`).
    Admins,
}

/// One approver or CC rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[oai(rename = "ApprovalRule")]
pub struct Rule {
    pub kind: RuleKind,
    /// `people`: user ids (1–50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<Vec<String>>,
    /// `role`: the role's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
    /// `manager` and `department_head`: how many levels up (1–10, default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<u32>,
    /// `manager`: every manager up to `levels`, nearest first (default: only that level).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[oai(default)]
    pub up_to: bool,
    /// `department_head`: the id of a department field of the form (default: the
    /// submitter's primary department).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `chosen`: the most people the submitter may choose (1–20, default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
}

impl Rule {
    /// A rule of a kind with no settings (starter templates build on it).
    pub fn of(kind: RuleKind) -> Rule {
        Rule {
            kind,
            people: None,
            role_id: None,
            levels: None,
            up_to: false,
            field: None,
            max: None,
        }
    }

    pub fn levels(&self) -> u32 {
        self.levels.unwrap_or(1)
    }

    pub fn chosen_max(&self) -> u32 {
        self.max.unwrap_or(1)
    }
}

/// One node of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[oai(rename = "ApprovalNode")]
pub struct Node {
    /// Stable within a version: `[a-z][a-z0-9_]*`, at most 40 characters, unique in the flow.
    pub id: String,
    pub name: String,
    pub mode: NodeMode,
    /// The node applies only when this condition holds for the answers (see the README's
    /// condition language); absent: always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// The rules whose people act on the node, unioned in order (1–10 rules).
    pub approvers: Vec<Rule>,
}

/// When a node's rules find nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case", rename = "ApprovalWhenEmpty")]
pub enum WhenEmpty {
    /// The request passes over the node.
    Skip,
    /// The tenant's approval admins act on it (skipped if there are none).
    #[default]
    Admins,
}

/// When the submitter is one of a node's approvers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case", rename = "ApprovalSubmitterRule")]
pub enum SubmitterRule {
    /// The submitter is taken off the node's approvers: a node they alone would approve is
    /// approved automatically (skipped as `submitter`); others on it still decide.
    #[default]
    AutoApprove,
    /// The submitter stays an approver and decides like anyone else.
    Approve,
}

/// A template's flow.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Object)]
#[oai(rename = "ApprovalFlow")]
pub struct Flow {
    /// The nodes in order (1–20).
    pub nodes: Vec<Node>,
    /// Copied when a request is submitted (no `chosen` rules).
    #[serde(default)]
    #[oai(default)]
    pub cc_on_submit: Vec<Rule>,
    /// Copied when a request completes (no `chosen` rules).
    #[serde(default)]
    #[oai(default)]
    pub cc_on_complete: Vec<Rule>,
    /// When a node's rules find nobody (default `admins`).
    #[serde(default)]
    #[oai(default)]
    pub when_empty: WhenEmpty,
    /// When the submitter is one of a node's approvers (default `auto_approve`).
    #[serde(default)]
    #[oai(default)]
    pub submitter_is_approver: SubmitterRule,
}

fn bad(at: &str, detail: impl Into<String>) -> ApiError {
    ApiError::validation(at, detail)
}

fn check_rule(at: &str, r: &Rule, form: &Form, in_node: bool) -> ApiResult<()> {
    let stray = |name: &str, present: bool, allowed: bool| -> ApiResult<()> {
        if present && !allowed {
            return Err(bad(
                &format!("{at}.{name}"),
                "this setting does not apply to this kind",
            ));
        }
        Ok(())
    };
    let k = r.kind;
    stray("people", r.people.is_some(), k == RuleKind::People)?;
    stray("role_id", r.role_id.is_some(), k == RuleKind::Role)?;
    stray(
        "levels",
        r.levels.is_some(),
        matches!(k, RuleKind::Manager | RuleKind::DepartmentHead),
    )?;
    stray("up_to", r.up_to, k == RuleKind::Manager)?;
    stray("field", r.field.is_some(), k == RuleKind::DepartmentHead)?;
    stray("max", r.max.is_some(), k == RuleKind::Chosen)?;
    match k {
        RuleKind::People => {
            let n = r.people.as_ref().map_or(0, Vec::len);
            if n == 0 || n > MAX_PEOPLE {
                return Err(bad(
                    &format!("{at}.people"),
                    format!("1 to {MAX_PEOPLE} people"),
                ));
            }
        }
        RuleKind::Role => {
            if r.role_id.as_deref().is_none_or(|s| s.is_empty()) {
                return Err(bad(&format!("{at}.role_id"), "name the role"));
            }
        }
        RuleKind::Manager | RuleKind::DepartmentHead => {
            if !(1..=MAX_LEVELS).contains(&r.levels()) {
                return Err(bad(
                    &format!("{at}.levels"),
                    format!("1 to {MAX_LEVELS} levels"),
                ));
            }
            if let Some(field) = &r.field {
                match form.field(field) {
                    Some(f) if f.kind == FieldKind::Department => {}
                    _ => {
                        return Err(bad(
                            &format!("{at}.field"),
                            "name a department field of the form",
                        ))
                    }
                }
            }
        }
        RuleKind::Chosen => {
            if !in_node {
                return Err(bad(
                    &format!("{at}.kind"),
                    "only a node's approvers are chosen",
                ));
            }
            if !(1..=MAX_CHOSEN).contains(&r.chosen_max()) {
                return Err(bad(&format!("{at}.max"), format!("1 to {MAX_CHOSEN}")));
            }
        }
        RuleKind::Admins => {}
    }
    Ok(())
}

fn check_rules(at: &str, rules: &[Rule], form: &Form, in_node: bool) -> ApiResult<()> {
    if rules.len() > MAX_RULES {
        return Err(bad(at, format!("at most {MAX_RULES} rules")));
    }
    if rules.iter().filter(|r| r.kind == RuleKind::Chosen).count() > 1 {
        return Err(bad(at, "at most one `chosen` rule"));
    }
    for (i, r) in rules.iter().enumerate() {
        check_rule(&format!("{at}[{i}]"), r, form, in_node)?;
    }
    Ok(())
}

impl Flow {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// Check the flow against its form (errors name `flow.nodes[i].…`).
    pub fn validate(&self, form: &Form) -> ApiResult<()> {
        if self.nodes.is_empty() || self.nodes.len() > MAX_NODES {
            return Err(bad(
                "flow.nodes",
                format!("a flow has 1 to {MAX_NODES} nodes"),
            ));
        }
        let mut ids = BTreeSet::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let at = format!("flow.nodes[{i}]");
            if !valid_id(&n.id) {
                return Err(bad(
                    &format!("{at}.id"),
                    "1-40 characters of a-z, 0-9 and _, starting with a letter",
                ));
            }
            if !ids.insert(n.id.as_str()) {
                return Err(bad(&format!("{at}.id"), "node ids are unique in a flow"));
            }
            crate::http::validate::text(&format!("{at}.name"), &n.name, 100)?;
            if let Some(c) = &n.condition {
                expr::compile(&format!("{at}.condition"), form, c)?;
            }
            if n.approvers.is_empty() {
                return Err(bad(&format!("{at}.approvers"), "at least one rule"));
            }
            check_rules(&format!("{at}.approvers"), &n.approvers, form, true)?;
        }
        check_rules("flow.cc_on_submit", &self.cc_on_submit, form, false)?;
        check_rules("flow.cc_on_complete", &self.cc_on_complete, form, false)?;
        Ok(())
    }

    /// Every rule of the flow, with where it is written.
    pub fn rules(&self) -> Vec<(String, &Rule)> {
        let mut out = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            for (j, r) in n.approvers.iter().enumerate() {
                out.push((format!("flow.nodes[{i}].approvers[{j}]"), r));
            }
        }
        for (name, rules) in [
            ("cc_on_submit", &self.cc_on_submit),
            ("cc_on_complete", &self.cc_on_complete),
        ] {
            for (j, r) in rules.iter().enumerate() {
                out.push((format!("flow.{name}[{j}]"), r));
            }
        }
        out
    }
}

/// The people and roles a flow names are the tenant's (people: accounts not disabled).
pub async fn check_refs(conn: &mut AnyConnection, tenant_id: &str, flow: &Flow) -> ApiResult<()> {
    for (at, r) in flow.rules() {
        for (k, p) in r.people.iter().flatten().enumerate() {
            directory::service::person(conn, tenant_id, &format!("{at}.people[{k}]"), p).await?;
        }
        if let Some(role) = &r.role_id {
            if !roles::service::exists(conn, tenant_id, role).await? {
                return Err(bad(&format!("{at}.role_id"), "no such role in this tenant"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approvals::form::Field;

    fn form() -> Form {
        Form {
            fields: vec![
                Field::new("dept", "Department", FieldKind::Department, false),
                Field::new("note", "Note", FieldKind::Text, false),
            ],
        }
    }

    fn node(id: &str, rules: Vec<Rule>) -> Node {
        Node {
            id: id.into(),
            name: "Step".into(),
            mode: NodeMode::AnyOne,
            condition: None,
            approvers: rules,
        }
    }

    fn field_of(r: ApiResult<()>) -> Option<String> {
        r.err().and_then(|e| e.to_problem(None).field)
    }

    #[test]
    fn flows_are_checked_against_their_form() {
        let ok = Flow {
            nodes: vec![
                node("manager", vec![Rule::of(RuleKind::Manager)]),
                node(
                    "head",
                    vec![Rule {
                        field: Some("dept".into()),
                        ..Rule::of(RuleKind::DepartmentHead)
                    }],
                ),
            ],
            ..Flow::default()
        };
        ok.validate(&form()).unwrap();
        let dup = Flow {
            nodes: vec![
                node("a", vec![Rule::of(RuleKind::Admins)]),
                node("a", vec![Rule::of(RuleKind::Admins)]),
            ],
            ..Flow::default()
        };
        assert_eq!(
            field_of(dup.validate(&form())).as_deref(),
            Some("flow.nodes[1].id")
        );
        let wrong_field = Flow {
            nodes: vec![node(
                "h",
                vec![Rule {
                    field: Some("note".into()),
                    ..Rule::of(RuleKind::DepartmentHead)
                }],
            )],
            ..Flow::default()
        };
        assert_eq!(
            field_of(wrong_field.validate(&form())).as_deref(),
            Some("flow.nodes[0].approvers[0].field")
        );
        let mut cond = ok.clone();
        cond.nodes[0].condition = Some("missing = 1".into());
        assert_eq!(
            field_of(cond.validate(&form())).as_deref(),
            Some("flow.nodes[0].condition")
        );
        let cc_chosen = Flow {
            cc_on_submit: vec![Rule::of(RuleKind::Chosen)],
            ..ok.clone()
        };
        assert_eq!(
            field_of(cc_chosen.validate(&form())).as_deref(),
            Some("flow.cc_on_submit[0].kind")
        );
        let no_people = Flow {
            nodes: vec![node("p", vec![Rule::of(RuleKind::People)])],
            ..Flow::default()
        };
        assert_eq!(
            field_of(no_people.validate(&form())).as_deref(),
            Some("flow.nodes[0].approvers[0].people")
        );
        let stray = Flow {
            nodes: vec![node(
                "m",
                vec![Rule {
                    max: Some(2),
                    ..Rule::of(RuleKind::Manager)
                }],
            )],
            ..Flow::default()
        };
        assert_eq!(
            field_of(stray.validate(&form())).as_deref(),
            Some("flow.nodes[0].approvers[0].max")
        );
        assert!(Flow::default().validate(&form()).is_err());
    }
}
