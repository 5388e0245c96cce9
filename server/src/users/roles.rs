//! The roles a person holds: reading them, and replacing them within the caller's own reach
//! (containment: nobody grants a role holding permissions they do not hold, and the tenant's
//! last admin keeps the role).

use super::service::{audit_user, ensure_other_admin, load};
use crate::{
    audit,
    authn::Principal,
    authz::{self, bump_version, contain_account, contain_grant, perm, store::RoleRow, Contained},
    error::ApiResult,
    roles, AppState,
};

/// Roles a user holds.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn user_roles(state: &AppState, p: &Principal, user_id: &str) -> ApiResult<Vec<RoleRow>> {
    let mut conn = state.db.conn().await?;
    if user_id != p.user_id {
        state.authz.require(p, perm::USERS_READ).await?;
        load(&mut conn, &p.tenant_id, user_id).await?;
    }
    Ok(authz::store::roles_of_user(&mut conn, &p.tenant_id, user_id).await?)
}

/// Replace the roles a user holds. Takes effect on the user's very next request.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn set_user_roles(
    state: &AppState,
    p: &Principal,
    user_id: &str,
    role_ids: &[String],
) -> ApiResult<Vec<RoleRow>> {
    let g = state.authz.require(p, perm::ROLES_MANAGE).await?;
    let mut tx = state.db.begin().await?;
    load(&mut tx, &p.tenant_id, user_id).await?;
    let ids = roles::service::check_role_ids(&mut tx, &p.tenant_id, role_ids).await?;
    // Only accounts within one's own reach, and only roles within it (oneself included: no
    // granting oneself `admin`).
    let _: Contained = contain_account(&mut tx, p, user_id).await?;
    let _: Contained = contain_grant(&mut tx, p, &ids).await?;
    let before: Vec<String> = authz::store::roles_of_user(&mut tx, &p.tenant_id, user_id)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let admin = authz::store::get_builtin(&mut tx, &p.tenant_id, "admin")
        .await?
        .map(|r| r.id)
        .unwrap_or_default();
    if before.contains(&admin) && !ids.contains(&admin) {
        ensure_other_admin(&mut tx, &p.tenant_id, user_id).await?;
    }
    authz::store::set_user_roles(&mut tx, &p.tenant_id, user_id, &ids).await?;
    let changed = bump_version(&mut tx, &p.tenant_id).await?;
    audit::record(
        &mut tx,
        audit_user(&g, "user.roles_changed", user_id)
            .details(serde_json::json!({ "before": before, "after": ids })),
    )
    .await?;
    let roles = authz::store::roles_of_user(&mut tx, &p.tenant_id, user_id).await?;
    tx.commit().await?;
    state.policy_changed(changed).await;
    Ok(roles)
}
