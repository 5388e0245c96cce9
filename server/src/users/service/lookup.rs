//! Reading accounts: listing and searching people, loading one by id or login, and the
//! tenant-wide reads other features make (display names, counts).

use crate::{
    authn::Principal,
    authz::perm,
    error::{ApiError, ApiResult},
    users::store::{self, UserRow},
    AppState,
};
use sqlx::AnyConnection;

/// The display names of these accounts (those that exist), by id; for features that name
/// what belongs to people.
pub async fn names_among(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> ApiResult<std::collections::HashMap<String, String>> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(store::names_among(conn, tenant_id, ids)
        .await?
        .into_iter()
        .collect())
}

/// How many accounts the tenant has, per status shown. Needs `users.read`.
pub async fn counts(state: &AppState, p: &Principal) -> ApiResult<Vec<(String, i64)>> {
    state.authz.require(p, perm::USERS_READ).await?;
    let mut conn = state.db.conn().await?;
    Ok(store::count_by_status(&mut conn, &p.tenant_id).await?)
}

/// What a listing of people keeps: a search, a status, the holders of a role.
#[derive(Debug, Default, Clone, Copy)]
pub struct ListFilter<'a> {
    pub q: Option<&'a str>,
    pub status: Option<&'a str>,
    pub role_id: Option<&'a str>,
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn list(
    state: &AppState,
    p: &Principal,
    f: ListFilter<'_>,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<(Vec<UserRow>, Option<String>)> {
    state.authz.require(p, perm::USERS_READ).await?;
    let limit = crate::pagination::limit(limit)?;
    let after = crate::pagination::decode(cursor)?;
    if let Some(s) = f.status {
        if !matches!(
            s,
            "invited" | "active" | "disabled" | "pending_erasure" | "erased"
        ) {
            return Err(ApiError::validation(
                "status",
                "status is one of invited, active, disabled, pending_erasure, erased",
            ));
        }
    }
    if f.q.is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::validation("q", "the search text is too long"));
    }
    if f.role_id.is_some_and(|r| !crate::db::is_id(r)) {
        return Err(ApiError::validation("role_id", "role_id is a role's id"));
    }
    let mut conn = state.db.conn().await?;
    let rows = store::list(
        &mut conn,
        &p.tenant_id,
        store::Filter {
            q: f.q.filter(|q| !q.trim().is_empty()).map(str::trim),
            status: f.status,
            role_id: f.role_id,
        },
        after.as_deref(),
        limit + 1,
    )
    .await?;
    Ok(crate::pagination::page(rows, limit, |u| u.id.clone()))
}

/// A user of the tenant, if there is one (sign-in and invitations).
pub async fn find(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> ApiResult<Option<UserRow>> {
    Ok(store::get(conn, tenant_id, id).await?)
}

/// The account a login (normalised email or phone) names in a tenant.
pub async fn find_by_login(
    conn: &mut AnyConnection,
    tenant_id: &str,
    login: &str,
) -> ApiResult<Option<UserRow>> {
    Ok(store::find_by_login(conn, tenant_id, login).await?)
}

/// Load a user of the caller's tenant; unknown or foreign ids are 404.
pub async fn load(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> ApiResult<UserRow> {
    if !crate::db::is_id(id) {
        return Err(ApiError::not_found("user"));
    }
    store::get(conn, tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<UserRow> {
    state.authz.require(p, perm::USERS_READ).await?;
    let mut conn = state.db.conn().await?;
    load(&mut conn, &p.tenant_id, id).await
}
/// Every user of a tenant as (id, display name), by id: for features that show people beside
/// their own data (storage per person); the caller checked who may see it.
pub async fn display_names(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> ApiResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store::list(
            conn,
            tenant_id,
            store::Filter::default(),
            after.as_deref(),
            1000,
        )
        .await?;
        let done = page.len() < 1000;
        after = page.last().map(|u| u.id.clone());
        out.extend(page.into_iter().map(|u| (u.id, u.display_name)));
        if done || after.is_none() {
            return Ok(out);
        }
    }
}

/// How many accounts a tenant has (the operator's tenant list).
pub async fn count(conn: &mut AnyConnection, tenant_id: &str) -> ApiResult<i64> {
    Ok(store::count(conn, tenant_id).await?)
}
