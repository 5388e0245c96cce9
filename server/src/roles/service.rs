//! Rules for roles: built-in roles are fixed, custom roles draw only from the catalogue, every
//! change bumps the policy version and is audited in the same transaction.

use crate::{
    audit::{self, Entry},
    authn::Principal,
    authz::{
        bump_version, catalogue, contain, perm, store, store::RoleRow, Contained, Granted, Subject,
    },
    error::{ApiError, ApiResult, Code},
    http::validate,
    AppState,
};
use sqlx::AnyConnection;

// What roles grant and the containment checks on them are authorization's (the policy tables
// are its store); re-exported here where the roles service used to define them.
pub use crate::authz::{
    contain_account, contain_grant, permissions_of, permissions_of_roles, user_permissions,
};

/// A role with its effective permissions and member count.
#[derive(Debug, Clone)]
pub struct RoleView {
    pub row: RoleRow,
    pub permissions: Vec<String>,
    pub members: i64,
}

fn audit_role(g: &Granted<'_>, action: &'static str, role_id: &str) -> Entry {
    g.principal().audit(action).target("role", role_id)
}

async fn view(conn: &mut AnyConnection, tenant_id: &str, row: RoleRow) -> ApiResult<RoleView> {
    let permissions = permissions_of(&mut *conn, tenant_id, &row).await?;
    let members = store::member_count(conn, tenant_id, &row.id).await?;
    Ok(RoleView {
        row,
        permissions,
        members,
    })
}

fn check_permissions(perms: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for p in perms {
        if catalogue::find(p).is_none() {
            return Err(ApiError::validation(
                "permissions",
                format!("`{p}` is not in the permission catalogue"),
            ));
        }
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    out.sort();
    Ok(out)
}

/// Check that every id names a role of the tenant; returns them de-duplicated.
pub async fn check_role_ids(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let known = crate::db::is_id(id) && store::get(&mut *conn, tenant_id, id).await?.is_some();
        if !known {
            return Err(ApiError::validation(
                "role_ids",
                format!("`{id}` is not a role of this tenant"),
            ));
        }
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    if out.len() > 50 {
        return Err(ApiError::validation(
            "role_ids",
            "at most 50 roles per user",
        ));
    }
    Ok(out)
}

fn role_name(name: &str) -> ApiResult<String> {
    validate::text("name", name, 64)
}

async fn load(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> ApiResult<RoleRow> {
    if !crate::db::is_id(id) {
        return Err(ApiError::not_found("role"));
    }
    store::get(conn, tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("role"))
}

async fn ensure_name_free(
    conn: &mut AnyConnection,
    tenant_id: &str,
    name: &str,
    except: &str,
) -> ApiResult<()> {
    let taken = store::list(conn, tenant_id)
        .await?
        .into_iter()
        .any(|r| r.id != except && r.name.to_lowercase() == name.to_lowercase());
    if taken {
        return Err(
            ApiError::conflict(Code::RoleNameTaken, "another role has this name")
                .with_field("name"),
        );
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn list(state: &AppState, p: &Principal) -> ApiResult<Vec<RoleView>> {
    state.authz.require(p, perm::ROLES_READ).await?;
    let mut conn = state.db.conn().await?;
    let rows = store::list(&mut conn, &p.tenant_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(&mut conn, &p.tenant_id, r).await?);
    }
    Ok(out)
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<RoleView> {
    state.authz.require(p, perm::ROLES_READ).await?;
    let mut conn = state.db.conn().await?;
    let r = load(&mut conn, &p.tenant_id, id).await?;
    view(&mut conn, &p.tenant_id, r).await
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn create(
    state: &AppState,
    p: &Principal,
    name: &str,
    description: &str,
    perms: &[String],
) -> ApiResult<RoleView> {
    let g = state.authz.require(p, perm::ROLES_MANAGE).await?;
    let name = role_name(name)?;
    let description =
        validate::optional_text("description", Some(description), 500)?.unwrap_or_default();
    let perms = check_permissions(perms)?;
    let mut tx = state.db.begin().await?;
    // No self-escalation through `roles.manage`: a new role holds only what its author holds.
    let mine = user_permissions(&mut tx, &p.tenant_id, &p.user_id).await?;
    let _: Contained = contain(&mine, &perms, Subject::Role)?;
    ensure_name_free(&mut tx, &p.tenant_id, &name, "").await?;
    let row = RoleRow::new(name, description, "");
    store::insert(&mut tx, &p.tenant_id, &row).await?;
    store::set_permissions(&mut tx, &p.tenant_id, &row.id, &perms).await?;
    let changed = bump_version(&mut tx, &p.tenant_id).await?;
    audit::record(
        &mut tx,
        audit_role(&g, "role.created", &row.id)
            .details(serde_json::json!({ "name": row.name, "permissions": perms })),
    )
    .await?;
    tx.commit().await?;
    state.policy_changed(changed).await;
    Ok(RoleView {
        row,
        permissions: perms,
        members: 0,
    })
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    name: Option<&str>,
    description: Option<&str>,
    perms: Option<&[String]>,
) -> ApiResult<RoleView> {
    let g = state.authz.require(p, perm::ROLES_MANAGE).await?;
    let mut tx = state.db.begin().await?;
    let mut row = load(&mut tx, &p.tenant_id, id).await?;
    if !row.builtin.is_empty() {
        return Err(ApiError::conflict(
            Code::BuiltinRole,
            "built-in roles cannot be changed; create a custom role",
        ));
    }
    if let Some(n) = name {
        row.name = role_name(n)?;
        ensure_name_free(&mut tx, &p.tenant_id, &row.name, &row.id).await?;
    }
    if let Some(d) = description {
        row.description = validate::optional_text("description", Some(d), 500)?.unwrap_or_default();
    }
    let before = store::permissions(&mut tx, &p.tenant_id, &row.id).await?;
    let after = match perms {
        Some(perms) => check_permissions(perms)?,
        None => before.clone(),
    };
    // A role that reaches further than its editor is not theirs to change (narrowing it would
    // demote whoever holds it), and an edit may not add what the editor lacks.
    let mine = user_permissions(&mut tx, &p.tenant_id, &p.user_id).await?;
    let _: Contained = contain(&mine, before.iter().chain(&after), Subject::Role)?;
    store::update(&mut tx, &p.tenant_id, &row).await?;
    if perms.is_some() {
        store::set_permissions(&mut tx, &p.tenant_id, &row.id, &after).await?;
    }
    let changed = bump_version(&mut tx, &p.tenant_id).await?;
    audit::record(
        &mut tx,
        audit_role(&g, "role.updated", &row.id)
            .details(serde_json::json!({ "name": row.name, "permissions_before": before, "permissions_after": after })),
    )
    .await?;
    let members = store::member_count(&mut tx, &p.tenant_id, &row.id).await?;
    tx.commit().await?;
    state.policy_changed(changed).await;
    Ok(RoleView {
        row,
        permissions: after,
        members,
    })
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn delete(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let g = state.authz.require(p, perm::ROLES_MANAGE).await?;
    let mut tx = state.db.begin().await?;
    let row = load(&mut tx, &p.tenant_id, id).await?;
    if !row.builtin.is_empty() {
        return Err(ApiError::conflict(
            Code::BuiltinRole,
            "built-in roles cannot be deleted",
        ));
    }
    // Deleting a role takes its permissions from everyone holding it: only within one's own.
    let mine = user_permissions(&mut tx, &p.tenant_id, &p.user_id).await?;
    let role_perms = store::permissions(&mut tx, &p.tenant_id, &row.id).await?;
    let _: Contained = contain(&mine, &role_perms, Subject::Role)?;
    let members = store::member_count(&mut tx, &p.tenant_id, &row.id).await?;
    store::delete(&mut tx, &p.tenant_id, &row.id).await?;
    let changed = bump_version(&mut tx, &p.tenant_id).await?;
    audit::record(
        &mut tx,
        audit_role(&g, "role.deleted", &row.id)
            .details(serde_json::json!({ "name": row.name, "members": members })),
    )
    .await?;
    tx.commit().await?;
    state.policy_changed(changed).await;
    Ok(())
}
/// Ids of the roles a user holds, for features that grant access to roles (document shares).
pub async fn role_ids_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<Vec<String>> {
    Ok(store::roles_of_user(conn, tenant_id, user_id)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Whether `id` names a role of the tenant.
pub async fn exists(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> ApiResult<bool> {
    Ok(crate::db::is_id(id) && store::get(conn, tenant_id, id).await?.is_some())
}
