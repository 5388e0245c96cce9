//! Who approves: a template version's flow resolved for one submitter and one set of
//! (normalised) answers into a [`Chain`], on the **current** state of the directory and the
//! roles — the same for preview and submit.
//!
//! Node by node: a node whose condition is false is skipped (`condition`). Otherwise its rules
//! are resolved in order and unioned; only active people of the tenant remain, each once, in
//! the order found. A node that finds nobody follows the flow's `when_empty`: `skip`
//! (skipped as `no_approver`) or `admins` (the tenant's approval admins act, `fallback`; with
//! no admins either it is skipped as `no_approver`). Then the submitter rule: with
//! `auto_approve` the submitter is taken off the node's approvers — a node they alone would
//! approve is skipped as `submitter` (approved automatically), and a node with others on it
//! is left to the others (nobody approves their own request); with `approve` they stay.
//! CC lists are resolved the same way, without the submitter (who hears of their own request
//! anyway) and without duplicates.

use super::{
    expr,
    flow::{Node, Rule, RuleKind, SubmitterRule, WhenEmpty},
    model::{Chain, ChainNode, Skip},
    version::TemplateVersion,
};
use crate::{
    authz::{self, catalogue::perm},
    db::is_id,
    directory::{self, lines},
    error::{ApiError, ApiResult},
};
use serde_json::Value;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// Keep the active people of the tenant among `ids`, each once, in order.
pub async fn active(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: Vec<String>,
) -> ApiResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(ids);
    }
    let names = directory::service::names(conn, tenant_id, &ids).await?;
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if names.contains_key(&id) && !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// The tenant's approval admins: active holders of `approvals.admin`, by id.
pub async fn admins(conn: &mut AnyConnection, tenant_id: &str) -> ApiResult<Vec<String>> {
    let holders = authz::policy::holders(&mut *conn, tenant_id, perm::APPROVALS_ADMIN).await?;
    active(conn, tenant_id, holders).await
}

/// Who takes over from an approver who left or was disabled, on a request of `submitter`:
/// their manager when that manager is active and is not the submitter, otherwise the
/// approval admins — never the departed person, never the submitter (nobody approves their
/// own request).
pub async fn replacement(
    conn: &mut AnyConnection,
    tenant_id: &str,
    departed_user_id: &str,
    submitter: &str,
) -> ApiResult<Vec<String>> {
    let managers = lines::managers(&mut *conn, tenant_id, departed_user_id, 1).await?;
    let mut manager = active(&mut *conn, tenant_id, managers).await?;
    manager.retain(|id| id != submitter);
    if !manager.is_empty() {
        return Ok(manager);
    }
    let mut out = admins(conn, tenant_id).await?;
    out.retain(|id| id != departed_user_id && id != submitter);
    Ok(out)
}

/// Check what the submitter chose: only for nodes with a `chosen` rule, at most its `max`,
/// active people of the tenant other than the submitter — nobody chooses themselves to
/// approve their own request (422 naming `chosen.<node id>`).
pub async fn check_chosen(
    conn: &mut AnyConnection,
    tenant_id: &str,
    v: &TemplateVersion,
    submitter: &str,
    chosen: &BTreeMap<String, Vec<String>>,
) -> ApiResult<()> {
    for (node_id, people) in chosen {
        let at = format!("chosen.{node_id}");
        if people.iter().any(|p| p == submitter) {
            return Err(ApiError::validation(
                &at,
                "you cannot choose yourself to approve your own request",
            ));
        }
        let rule = v
            .flow
            .node(node_id)
            .and_then(|n| n.approvers.iter().find(|r| r.kind == RuleKind::Chosen));
        let Some(rule) = rule else {
            if people.is_empty() {
                continue;
            }
            return Err(ApiError::validation(
                &at,
                "this node has no approvers for the submitter to choose",
            ));
        };
        let max = rule.chosen_max() as usize;
        if people.len() > max {
            return Err(ApiError::validation(
                &at,
                format!("choose at most {max} people"),
            ));
        }
        let ok = active(
            &mut *conn,
            tenant_id,
            people.iter().filter(|p| is_id(p)).cloned().collect(),
        )
        .await?;
        if let Some(bad) = people.iter().find(|p| !ok.contains(p)) {
            return Err(ApiError::validation(
                &at,
                format!("{bad} is no active person of this tenant"),
            ));
        }
    }
    Ok(())
}

/// Nodes among `node_ids` whose approvers only the submitter's choice names must have
/// someone chosen: a submit (or a resubmit that brings such a node in) without a choice for
/// them is refused (422 naming `chosen.<node id>`) instead of passing the node over.
pub fn require_choices<'a>(
    v: &TemplateVersion,
    node_ids: impl IntoIterator<Item = &'a str>,
    chosen: &BTreeMap<String, Vec<String>>,
) -> ApiResult<()> {
    for id in node_ids {
        let Some(n) = v.flow.node(id) else { continue };
        let only_chosen =
            !n.approvers.is_empty() && n.approvers.iter().all(|r| r.kind == RuleKind::Chosen);
        if only_chosen && chosen.get(id).is_none_or(Vec::is_empty) {
            return Err(ApiError::validation(
                &format!("chosen.{id}"),
                "choose who approves this step",
            ));
        }
    }
    Ok(())
}

/// The people one rule names now (not yet filtered to active ones).
async fn rule_people(
    conn: &mut AnyConnection,
    tenant_id: &str,
    rule: &Rule,
    node: Option<&Node>,
    submitter: &str,
    answers: &Value,
    chosen: &BTreeMap<String, Vec<String>>,
) -> ApiResult<Vec<String>> {
    let levels = rule.levels();
    Ok(match rule.kind {
        RuleKind::People => rule.people.clone().unwrap_or_default(),
        RuleKind::Role => match &rule.role_id {
            Some(role) => authz::store::holders_of_role(conn, tenant_id, role).await?,
            None => Vec::new(),
        },
        RuleKind::Manager => {
            let up = lines::managers(conn, tenant_id, submitter, levels).await?;
            if rule.up_to {
                up
            } else if up.len() == levels as usize {
                up.into_iter().last().into_iter().collect()
            } else {
                Vec::new()
            }
        }
        RuleKind::DepartmentHead => {
            let chain = match &rule.field {
                Some(f) => match answers.get(f).and_then(Value::as_str) {
                    Some(d) => lines::departments_up(&mut *conn, tenant_id, d).await?,
                    None => Vec::new(),
                },
                None => lines::primary_departments(&mut *conn, tenant_id, submitter).await?,
            };
            match chain.get(levels as usize - 1) {
                Some(d) => lines::head_of(conn, tenant_id, d)
                    .await?
                    .into_iter()
                    .collect(),
                None => Vec::new(),
            }
        }
        RuleKind::Chosen => node
            .and_then(|n| chosen.get(&n.id))
            .cloned()
            .unwrap_or_default(),
        RuleKind::Admins => admins(conn, tenant_id).await?,
    })
}

async fn rules_people(
    conn: &mut AnyConnection,
    tenant_id: &str,
    rules: &[Rule],
    node: Option<&Node>,
    submitter: &str,
    answers: &Value,
    chosen: &BTreeMap<String, Vec<String>>,
) -> ApiResult<Vec<String>> {
    let mut all = Vec::new();
    for r in rules {
        all.extend(rule_people(&mut *conn, tenant_id, r, node, submitter, answers, chosen).await?);
    }
    active(conn, tenant_id, all).await
}

/// Resolve the chain of a template version for a submitter and their normalised answers
/// (checked by `form::check_answers`), with the people they chose per node id.
pub async fn chain(
    conn: &mut AnyConnection,
    tenant_id: &str,
    v: &TemplateVersion,
    submitter: &str,
    answers: &Value,
    chosen: &BTreeMap<String, Vec<String>>,
) -> ApiResult<Chain> {
    check_chosen(&mut *conn, tenant_id, v, submitter, chosen).await?;
    let flow = &v.flow;
    let mut nodes = Vec::with_capacity(flow.nodes.len());
    for (i, n) in flow.nodes.iter().enumerate() {
        let mut out = ChainNode {
            node_id: n.id.clone(),
            name: n.name.clone(),
            mode: n.mode.into(),
            approvers: Vec::new(),
            skipped: None,
            fallback: false,
        };
        if let Some(c) = &n.condition {
            // Checked when the version was saved; a version that no longer parses is ours.
            let e = expr::parse(&format!("flow.nodes[{i}].condition"), c)
                .map_err(|e| ApiError::internal(format!("stored condition: {e:?}")))?;
            if !super::eval::eval(&e, answers) {
                out.skipped = Some(Skip::Condition);
                nodes.push(out);
                continue;
            }
        }
        let mut people = rules_people(
            &mut *conn,
            tenant_id,
            &n.approvers,
            Some(n),
            submitter,
            answers,
            chosen,
        )
        .await?;
        if people.is_empty() && flow.when_empty == WhenEmpty::Admins {
            people = admins(&mut *conn, tenant_id).await?;
            out.fallback = !people.is_empty();
        }
        if people.is_empty() {
            out.skipped = Some(Skip::NoApprover);
            nodes.push(out);
            continue;
        }
        if flow.submitter_is_approver == SubmitterRule::AutoApprove {
            people.retain(|p| p != submitter);
            if people.is_empty() {
                out.skipped = Some(Skip::Submitter);
                nodes.push(out);
                continue;
            }
        }
        out.approvers = people;
        nodes.push(out);
    }
    let mut cc = Vec::new();
    for rules in [&flow.cc_on_submit, &flow.cc_on_complete] {
        let mut people = rules_people(
            &mut *conn, tenant_id, rules, None, submitter, answers, chosen,
        )
        .await?;
        people.retain(|p| p != submitter);
        cc.push(people);
    }
    let cc_on_complete = cc.pop().unwrap_or_default();
    let cc_on_submit = cc.pop().unwrap_or_default();
    Ok(Chain {
        nodes,
        cc_on_submit,
        cc_on_complete,
    })
}
