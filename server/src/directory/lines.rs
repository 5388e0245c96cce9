//! Reporting lines, read on current state for features that route work along them
//! (approvals): a person's managers up the chain, a department with its ancestors, and
//! departments' heads. Ids only, whatever the people's status: callers keep those who are
//! active.

use super::{audience, service::Tree, store};
use crate::error::ApiResult;
use sqlx::AnyConnection;

/// A person's managers, nearest first, at most `levels` of them (fewer when the chain ends;
/// a manager link that loops back stops the walk).
pub async fn managers(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    levels: u32,
) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let mut at = user_id.to_string();
    while out.len() < levels as usize {
        match store::manager_of(&mut *conn, tenant_id, &at).await? {
            Some(m) if m != user_id && !out.contains(&m) => {
                out.push(m.clone());
                at = m;
            }
            _ => break,
        }
    }
    Ok(out)
}

/// A person's primary department and its ancestors, nearest first (empty without one).
pub async fn primary_departments(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<Vec<String>> {
    audience::primary_chain(conn, tenant_id, user_id).await
}

/// A department and its ancestors, nearest first (empty when it is not the tenant's).
pub async fn departments_up(
    conn: &mut AnyConnection,
    tenant_id: &str,
    department_id: &str,
) -> ApiResult<Vec<String>> {
    if store::department(&mut *conn, tenant_id, department_id)
        .await?
        .is_none()
    {
        return Ok(Vec::new());
    }
    let tree = Tree::load(conn, tenant_id).await?;
    let mut out = vec![department_id.to_string()];
    out.extend(tree.ancestors(department_id));
    Ok(out)
}

/// The head of a department of the tenant, if it has one.
pub async fn head_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    department_id: &str,
) -> ApiResult<Option<String>> {
    Ok(store::department(conn, tenant_id, department_id)
        .await?
        .and_then(|d| d.head_id))
}
