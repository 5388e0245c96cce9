//! Preview: the chain a request would follow if the caller submitted these answers now —
//! answers checked exactly as submit checks them, the chain resolved on the current directory
//! and roles, with people's names.

use super::{
    dto::{ApprovalPerson, ApprovalPreview, ApprovalPreviewNode},
    form, resolve, templates,
};
use crate::{
    authn::Principal, authz::catalogue::perm, directory, error::ApiError, error::ApiResult,
    AppState,
};
use serde_json::Value;
use std::collections::BTreeMap;

/// Preview a request of an active template the caller may submit (`approvals.submit`; 404
/// for a template they may not submit).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, template_id = %template_id))]
pub async fn preview(
    state: &AppState,
    p: &Principal,
    template_id: &str,
    answers: &Value,
    chosen: &BTreeMap<String, Vec<String>>,
) -> ApiResult<ApprovalPreview> {
    state.authz.require(p, perm::APPROVALS_SUBMIT).await?;
    let mut conn = state.db.conn().await?;
    let t = p.tenant_id.as_str();
    let v = templates::current(&mut conn, t, template_id).await?;
    if !templates::may_submit(&mut conn, t, &v, &p.user_id).await? {
        return Err(ApiError::not_found("approval template"));
    }
    let checked = form::check_answers(&mut conn, t, &v.form, answers).await?;
    let chain = resolve::chain(&mut conn, t, &v, &p.user_id, &checked.answers, chosen).await?;
    let mut ids: Vec<String> = chain.cc_on_submit.clone();
    ids.extend(chain.cc_on_complete.iter().cloned());
    for n in &chain.nodes {
        ids.extend(n.approvers.iter().cloned());
    }
    let names = directory::service::names(&mut conn, t, &ids).await?;
    let people = |list: &[String]| -> Vec<ApprovalPerson> {
        list.iter()
            .map(|id| ApprovalPerson {
                id: id.clone(),
                display_name: names.get(id).cloned().unwrap_or_default(),
            })
            .collect()
    };
    Ok(ApprovalPreview {
        template_id: v.template_id.clone(),
        version: v.version,
        answers: checked.answers,
        nodes: chain
            .nodes
            .iter()
            .map(|n| ApprovalPreviewNode {
                node_id: n.node_id.clone(),
                name: n.name.clone(),
                mode: n.mode.into(),
                approvers: people(&n.approvers),
                skipped: n.skipped.map(Into::into),
                fallback: n.fallback,
            })
            .collect(),
        cc_on_submit: people(&chain.cc_on_submit),
        cc_on_complete: people(&chain.cc_on_complete),
    })
}
