//! The org chart: a subtree of departments with their heads and counts of people.

use super::{
    service::{load, names, Tree},
    store,
};
use crate::{authn::Principal, authz::perm, error::ApiResult, AppState};
use std::collections::{HashMap, HashSet};

/// One department of the org chart.
#[derive(Debug, Clone)]
pub struct ChartNode {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub depth: i64,
    pub head: Option<(String, String)>,
    /// Active people in this department.
    pub member_count: i64,
    /// Active people in it or below it (each counted once).
    pub total_member_count: i64,
    pub child_count: i64,
    /// Departments below it.
    pub descendant_count: i64,
}

/// The org chart: the subtree from `department_id` (or the whole tenant), in pre-order.
pub async fn chart(
    state: &AppState,
    p: &Principal,
    department_id: Option<&str>,
) -> ApiResult<Vec<ChartNode>> {
    state.authz.require(p, perm::DIRECTORY_READ).await?;
    let mut conn = state.db.conn().await?;
    let tree = Tree::load(&mut conn, &p.tenant_id).await?;
    let starts: Vec<String> = match department_id.filter(|s| !s.is_empty()) {
        Some(d) => {
            load(&mut conn, &p.tenant_id, d).await?;
            vec![d.to_string()]
        }
        None => tree.roots.clone(),
    };
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    for m in store::active_memberships(&mut conn, &p.tenant_id).await? {
        members.entry(m.department_id).or_default().push(m.user_id);
    }
    let order: Vec<String> = starts.iter().flat_map(|s| tree.subtree(s)).collect();
    let heads: Vec<String> = order
        .iter()
        .filter_map(|d| tree.by_id.get(d).and_then(|r| r.head_id.clone()))
        .collect();
    let heads = names(&mut conn, &p.tenant_id, &heads).await?;
    let base = |id: &str| tree.ancestors(id).len() as i64;
    let top = starts.first().map_or(0, |s| base(s));
    let mut out = Vec::with_capacity(order.len());
    for id in order {
        let Some(row) = tree.by_id.get(&id) else {
            continue;
        };
        let sub = tree.subtree(&id);
        let people: HashSet<&String> = sub
            .iter()
            .filter_map(|d| members.get(d))
            .flatten()
            .collect();
        out.push(ChartNode {
            depth: base(&id) - top,
            parent_id: row.parent_id.clone(),
            name: row.name.clone(),
            head: row
                .head_id
                .as_ref()
                .and_then(|h| heads.get(h).map(|n| (h.clone(), n.clone()))),
            member_count: members.get(&id).map_or(0, Vec::len) as i64,
            total_member_count: people.len() as i64,
            child_count: tree.children(&id).len() as i64,
            descendant_count: sub.len() as i64 - 1,
            id,
        });
    }
    Ok(out)
}
