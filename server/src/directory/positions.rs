//! Rules for the tenant's positions (titles): a list read with `directory.read` and kept with
//! `directory.manage`; names unique ignoring case and accents; deleting one leaves the people
//! who held it without a position.

use super::{
    service::{name, name_key},
    store::{self, PositionRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{is_id, new_id, now_ms},
    error::{ApiError, ApiResult, Code},
    http::pagination,
    AppState,
};
use serde_json::json;
use sqlx::AnyConnection;

// ── positions ─────────────────────────────────────────────────────────────────────────────

fn position_not_found() -> ApiError {
    ApiError::not_found("position")
}

async fn load_position(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> ApiResult<PositionRow> {
    if !is_id(id) {
        return Err(position_not_found());
    }
    store::position(conn, tenant_id, id)
        .await?
        .ok_or_else(position_not_found)
}

fn position_taken() -> ApiError {
    ApiError::conflict(Code::Conflict, "another position has this name").with_field("name")
}

pub async fn list(
    state: &AppState,
    p: &Principal,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> ApiResult<(Vec<PositionRow>, Option<String>)> {
    state.authz.require(p, perm::DIRECTORY_READ).await?;
    let limit = pagination::limit(limit)?;
    let after = pagination::decode_key(cursor, 2)?;
    let mut conn = state.db.conn().await?;
    let rows = store::position_page(
        &mut conn,
        &p.tenant_id,
        after.as_ref().map(|a| (a[0].as_str(), a[1].as_str())),
        limit + 1,
    )
    .await?;
    Ok(pagination::page_key(rows, limit, |r| {
        vec![r.name.clone(), r.id.clone()]
    }))
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn create(state: &AppState, p: &Principal, raw: &str) -> ApiResult<PositionRow> {
    let g = state.authz.require(p, perm::DIRECTORY_MANAGE).await?;
    let name = name("name", raw, true)?;
    let key = name_key(&name);
    let mut tx = state.db.begin().await?;
    if store::position_by_name(&mut tx, &p.tenant_id, &key)
        .await?
        .is_some()
    {
        return Err(position_taken());
    }
    let now = now_ms();
    let row = PositionRow {
        id: new_id(),
        name,
        created_at: now,
        updated_at: now,
    };
    store::insert_position(&mut tx, &p.tenant_id, &row, &key).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("position.created")
            .target("position", &row.id)
            .details(json!({ "name": row.name })),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, position_id = id))]
pub async fn rename(
    state: &AppState,
    p: &Principal,
    id: &str,
    raw: &str,
) -> ApiResult<PositionRow> {
    let g = state.authz.require(p, perm::DIRECTORY_MANAGE).await?;
    let name = name("name", raw, true)?;
    let key = name_key(&name);
    let mut tx = state.db.begin().await?;
    let mut row = load_position(&mut tx, &p.tenant_id, id).await?;
    if let Some(other) = store::position_by_name(&mut tx, &p.tenant_id, &key).await? {
        if other.id != row.id {
            return Err(position_taken());
        }
    }
    let before = std::mem::replace(&mut row.name, name);
    row.updated_at = now_ms();
    store::rename_position(&mut tx, &p.tenant_id, &row, &key).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("position.renamed")
            .target("position", id)
            .details(json!({ "from": before, "to": row.name })),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Delete a position; the people who held it hold none afterwards.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, position_id = id))]
pub async fn delete(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let g = state.authz.require(p, perm::DIRECTORY_MANAGE).await?;
    let mut tx = state.db.begin().await?;
    let row = load_position(&mut tx, &p.tenant_id, id).await?;
    let held = store::delete_position(&mut tx, &p.tenant_id, id).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("position.deleted")
            .target("position", id)
            .details(json!({ "name": row.name, "held_by": held })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
