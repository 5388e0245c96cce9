//! Rules for spaces: every person has a personal space (created on first use), each tenant one
//! company space (everyone reads, `documents.manage` manages), and permitted people create
//! team spaces with members as viewer, editor or manager.

use super::{
    access::{self, Role, SpaceManage},
    meta::clean_name,
    store::{self, SpaceRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{is_unique_violation, new_id, now_ms},
    error::{ApiError, ApiResult, Code},
    users, AppState,
};

/// A team space's members: (user id, role).
pub type Members = Vec<(String, String)>;

/// Create the space with this unique key unless it exists; its id.
pub(super) async fn ensure_space(
    state: &AppState,
    tenant_id: &str,
    created_by: &str,
    kind: &str,
    key: &str,
    name: &str,
) -> ApiResult<String> {
    let mut conn = state.db.conn().await?;
    let exists = store::spaces::by_key(&mut conn, tenant_id, key).await?;
    if let Some(id) = exists {
        return Ok(id);
    }
    let mut tx = state.db.begin().await?;
    let s = SpaceRow {
        id: new_id(),
        kind: kind.into(),
        name: name.into(),
        created_by: created_by.to_string(),
        created_at: now_ms(),
    };
    match store::spaces::insert(&mut tx, tenant_id, &s, Some(key)).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(s.id)
        }
        // Created concurrently: fine.
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            store::spaces::by_key(&mut conn, tenant_id, key)
                .await?
                .ok_or_else(|| ApiError::internal("a space vanished while it was created"))
        }
        Err(e) => Err(e.into()),
    }
}

/// A person's personal space (created unless it exists).
pub(super) async fn personal_space(
    state: &AppState,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<String> {
    ensure_space(
        state,
        tenant_id,
        user_id,
        "personal",
        &format!("p:{user_id}"),
        "My documents",
    )
    .await
}

/// The company space (created unless it exists).
pub(super) async fn company_space(
    state: &AppState,
    tenant_id: &str,
    created_by: &str,
) -> ApiResult<String> {
    ensure_space(
        state, tenant_id, created_by, "company", "company", "Company",
    )
    .await
}

/// The spaces the caller sees: their personal space, the company space, their team spaces.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn list(state: &AppState, p: &Principal) -> ApiResult<Vec<(SpaceRow, Role)>> {
    state.authz.require(p, perm::DOCUMENTS_USE).await?;
    personal_space(state, &p.tenant_id, &p.user_id).await?;
    company_space(state, &p.tenant_id, &p.user_id).await?;
    let mut conn = state.db.conn().await?;
    let all_teams = state
        .authz
        .permissions(p)
        .await?
        .contains(perm::DOCUMENTS_MANAGE);
    let rows = store::spaces::visible(&mut conn, &p.tenant_id, &p.user_id, all_teams).await?;
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        if let Some(r) = access::sees_space(state, &mut conn, p, &s).await? {
            out.push((s, r));
        }
    }
    Ok(out)
}

/// Create a team space (`documents.spaces.create`); the creator manages it.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn create_team(state: &AppState, p: &Principal, name: &str) -> ApiResult<SpaceRow> {
    state
        .authz
        .require(p, perm::DOCUMENTS_SPACES_CREATE)
        .await?;
    let name = clean_name("name", name)?;
    let now = now_ms();
    let s = SpaceRow {
        id: new_id(),
        kind: "team".into(),
        name,
        created_by: p.user_id.clone(),
        created_at: now,
    };
    let mut tx = state.db.begin().await?;
    store::spaces::insert(&mut tx, &p.tenant_id, &s, None).await?;
    store::spaces::add_member(&mut tx, &p.tenant_id, &s.id, &p.user_id, "manager", now).await?;
    audit::record(&mut tx, p.audit("space.created").target("space", &s.id)).await?;
    tx.commit().await?;
    Ok(s)
}

/// A space with the caller's role and its members: (user id, role).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, space_id = %space_id))]
pub async fn members(
    state: &AppState,
    p: &Principal,
    space_id: &str,
) -> ApiResult<(SpaceRow, Role, Members)> {
    let mut conn = state.db.conn().await?;
    let (s, a) = access::space(state, &mut conn, p, space_id).await?;
    let rows = store::spaces::members(&mut conn, &p.tenant_id, &s.id).await?;
    Ok((s, a.role(), rows))
}

/// Whether `user_id` names a person of the tenant who is not disabled.
pub(super) async fn active_user(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<bool> {
    match users::service::load(conn, tenant_id, user_id).await {
        Ok(u) => Ok(u.status != "disabled"),
        Err(e) if e.status() == poem::http::StatusCode::NOT_FOUND => Ok(false),
        Err(e) => Err(e),
    }
}

/// Add a person to a team space, or change their role, or (`role` `None`) remove them
/// (the space's managers).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, space_id = %space_id))]
pub async fn set_member(
    state: &AppState,
    p: &Principal,
    space_id: &str,
    user_id: &str,
    role: Option<&str>,
) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let (s, a) = access::space(state, &mut tx, p, space_id).await?;
    let proof = a.manage()?;
    if s.kind != "team" {
        return Err(ApiError::conflict(
            Code::Conflict,
            "only team spaces have members",
        ));
    }
    let role = match role {
        Some(r) => Some(
            Role::parse(r)
                .ok_or_else(|| ApiError::validation("role", "`viewer`, `editor` or `manager`"))?,
        ),
        None => None,
    };
    if role.is_some() && !active_user(&mut tx, &p.tenant_id, user_id).await? {
        return Err(ApiError::validation(
            "user_id",
            "no active user of this tenant has this id",
        ));
    }
    write_member(&mut tx, &proof, user_id, role).await?;
    audit::record(
        &mut tx,
        p.audit("space.member_set")
            .target("space", &s.id)
            .details(serde_json::json!({ "user_id": user_id, "role": role.map(Role::as_str) })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Replace a person's membership of the space; a team space keeps at least one manager.
async fn write_member(
    conn: &mut sqlx::AnyConnection,
    proof: &SpaceManage,
    user_id: &str,
    role: Option<Role>,
) -> ApiResult<()> {
    let (tenant_id, space_id) = (proof.tenant_id(), proof.space_id());
    store::spaces::remove_member(conn, tenant_id, space_id, user_id).await?;
    if let Some(r) = role {
        store::spaces::add_member(conn, tenant_id, space_id, user_id, r.as_str(), now_ms()).await?;
    }
    if store::spaces::manager_count(conn, tenant_id, space_id).await? == 0 {
        return Err(ApiError::conflict(
            Code::Conflict,
            "a team space keeps at least one manager",
        ));
    }
    Ok(())
}
