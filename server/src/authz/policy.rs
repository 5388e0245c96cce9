//! What roles grant, read from the policy tables on the caller's connection (inside its
//! transaction, so a containment check sees the state it is about to change, never the
//! enforcer's cached copy).

use super::{catalogue, store, store::RoleRow};
use crate::error::ApiResult;
use sqlx::AnyConnection;
use std::collections::HashSet;

/// The permissions a role grants: the catalogue for built-in roles, its rows otherwise.
pub async fn permissions_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    r: &RoleRow,
) -> ApiResult<Vec<String>> {
    Ok(match r.builtin.as_str() {
        "admin" => catalogue::CATALOGUE
            .iter()
            .map(|p| p.key.to_string())
            .collect(),
        "staff" => catalogue::CATALOGUE
            .iter()
            .filter(|p| p.staff)
            .map(|p| p.key.to_string())
            .collect(),
        _ => store::permissions(conn, tenant_id, &r.id).await?,
    })
}

/// The union of the permissions of these roles (ids already checked to be the tenant's).
pub async fn permissions_of_roles(
    conn: &mut AnyConnection,
    tenant_id: &str,
    role_ids: &[String],
) -> ApiResult<HashSet<String>> {
    let mut out = HashSet::new();
    for id in role_ids {
        if let Some(r) = store::get(&mut *conn, tenant_id, id).await? {
            out.extend(permissions_of(&mut *conn, tenant_id, &r).await?);
        }
    }
    Ok(out)
}

/// What a user holds now.
pub async fn user_permissions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<HashSet<String>> {
    let mut out = HashSet::new();
    for r in store::roles_of_user(&mut *conn, tenant_id, user_id).await? {
        out.extend(permissions_of(&mut *conn, tenant_id, &r).await?);
    }
    Ok(out)
}

/// The users holding a permission of the catalogue now, by id (whatever their account's
/// status: the caller keeps the active ones).
pub async fn holders(
    conn: &mut AnyConnection,
    tenant_id: &str,
    permission: &str,
) -> ApiResult<Vec<String>> {
    let staff = catalogue::find(permission).is_some_and(|p| p.staff);
    Ok(store::holders_of_permission(conn, tenant_id, permission, staff).await?)
}
