//! Sharing a folder or document with a person, a role or a department (its members and its
//! sub-departments' members), as viewer or editor. A folder's
//! shares reach everything below it; access is computed from the shares on every request (see
//! [`super::access`]), so a revocation holds from the very next request, downloads and search
//! included.

use super::{
    access::{self, Checked, SpaceEdit},
    folders::reindex_subtree,
    record::KIND,
    spaces::active_user,
    store::{self, ShareRow, SharedItem},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{new_id, now_ms},
    directory::audience::{self, Target},
    error::{ApiError, ApiResult},
    roles, search, AppState,
};
use sqlx::AnyConnection;

/// A live folder or document the caller sees: (space id, checked access).
async fn target(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    kind: &str,
    id: &str,
) -> ApiResult<(String, Checked)> {
    match kind {
        "folder" => {
            let (f, a) = access::folder(state, conn, p, id).await?;
            Ok((f.space_id, a.checked().clone()))
        }
        "document" => {
            let (d, a) = access::document(state, conn, p, id).await?;
            Ok((d.space_id, a.checked().clone()))
        }
        _ => Err(ApiError::validation(
            "target_kind",
            "`folder` or `document`",
        )),
    }
}

fn static_kind(kind: &str) -> &'static str {
    if kind == "folder" {
        "folder"
    } else {
        "document"
    }
}

/// Sharing needs `documents.share` and an editor role in the space itself.
async fn may_share(state: &AppState, p: &Principal, a: &Checked) -> ApiResult<SpaceEdit> {
    state.authz.require(p, perm::DOCUMENTS_SHARE).await?;
    a.space_edit()
}

async fn reindex_target(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: &str,
    id: &str,
) -> ApiResult<()> {
    if kind == "folder" {
        reindex_subtree(conn, tenant_id, id).await
    } else {
        Ok(search::enqueue_index(conn, tenant_id, KIND, id).await?)
    }
}

pub struct NewShare {
    pub target_kind: String,
    pub target_id: String,
    pub grantee_kind: String,
    pub grantee_id: String,
    pub role: String,
}

/// Share, or change the role of an existing share with the same grantee. `true` when created.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, target_id = %n.target_id))]
pub async fn share(state: &AppState, p: &Principal, n: NewShare) -> ApiResult<(ShareRow, bool)> {
    let mut tx = state.db.begin().await?;
    let (space_id, a) = target(state, &mut tx, p, &n.target_kind, &n.target_id)
        .await
        .map_err(|e| {
            if e.status() == poem::http::StatusCode::NOT_FOUND {
                ApiError::not_found(&n.target_kind)
            } else {
                e
            }
        })?;
    let proof = may_share(state, p, &a).await?;
    let role = match n.role.as_str() {
        "viewer" | "editor" => n.role.clone(),
        _ => return Err(ApiError::validation("role", "`viewer` or `editor`")),
    };
    match n.grantee_kind.as_str() {
        "user" => {
            if !active_user(&mut tx, &p.tenant_id, &n.grantee_id).await? {
                return Err(ApiError::validation(
                    "grantee_id",
                    "no active user of this tenant has this id",
                ));
            }
        }
        "role" => {
            if !roles::service::exists(&mut tx, &p.tenant_id, &n.grantee_id).await? {
                return Err(ApiError::validation(
                    "grantee_id",
                    "no role of this tenant has this id",
                ));
            }
        }
        "department" => {
            let d = Target::Department {
                id: n.grantee_id.clone(),
                subtree: true,
            };
            audience::validate(&mut tx, &p.tenant_id, "grantee_id", &[d]).await?;
        }
        _ => {
            return Err(ApiError::validation(
                "grantee_kind",
                "`user`, `role` or `department`",
            ))
        }
    }
    let (row, created) = write(&mut tx, &proof, p, &space_id, &n, role).await?;
    reindex_target(&mut tx, &p.tenant_id, &row.target_kind, &row.target_id).await?;
    audit::record(
        &mut tx,
        p.audit("share.granted")
            .target(static_kind(&row.target_kind), &row.target_id)
            .details(serde_json::json!({
                "share_id": row.id, "grantee_kind": row.grantee_kind,
                "grantee_id": row.grantee_id, "role": row.role,
            })),
    )
    .await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok((row, created))
}

/// Create the share, or set the role of the grantee's existing one.
async fn write(
    conn: &mut AnyConnection,
    proof: &SpaceEdit,
    p: &Principal,
    space_id: &str,
    n: &NewShare,
    role: String,
) -> ApiResult<(ShareRow, bool)> {
    proof.covers(space_id, &n.target_kind)?;
    let tenant_id = proof.tenant_id();
    let existing = store::shares::find(
        conn,
        tenant_id,
        &n.target_kind,
        &n.target_id,
        &n.grantee_kind,
        &n.grantee_id,
    )
    .await?;
    Ok(match existing {
        Some(mut s) => {
            store::shares::set_role(conn, tenant_id, &s.id, &role).await?;
            s.role = role;
            (s, false)
        }
        None => {
            let s = ShareRow {
                id: new_id(),
                space_id: space_id.to_string(),
                target_kind: n.target_kind.clone(),
                target_id: n.target_id.clone(),
                grantee_kind: n.grantee_kind.clone(),
                grantee_id: n.grantee_id.clone(),
                role,
                created_by: p.user_id.clone(),
                created_at: now_ms(),
            };
            store::shares::insert(conn, tenant_id, &s).await?;
            (s, true)
        }
    })
}

/// The shares on a folder or document (those who may share it).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, target_id = %id))]
pub async fn list(
    state: &AppState,
    p: &Principal,
    kind: &str,
    id: &str,
) -> ApiResult<Vec<ShareRow>> {
    let mut conn = state.db.conn().await?;
    let (_, a) = target(state, &mut conn, p, kind, id).await?;
    may_share(state, p, &a).await?;
    Ok(store::shares::on_target(&mut conn, &p.tenant_id, kind, id).await?)
}

/// Revoke a share: effective on the very next request.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, share_id = %id))]
pub async fn revoke(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let not_found = || ApiError::not_found("share");
    if !crate::db::is_id(id) {
        return Err(not_found());
    }
    let mut tx = state.db.begin().await?;
    let s = store::shares::get(&mut tx, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    let (_, a) = target(state, &mut tx, p, &s.target_kind, &s.target_id)
        .await
        .map_err(|_| not_found())?;
    let proof = may_share(state, p, &a).await?;
    proof.covers(&s.space_id, "share")?;
    store::shares::delete(&mut tx, proof.tenant_id(), id).await?;
    reindex_target(&mut tx, &p.tenant_id, &s.target_kind, &s.target_id).await?;
    audit::record(
        &mut tx,
        p.audit("share.revoked")
            .target(static_kind(&s.target_kind), &s.target_id)
            .details(serde_json::json!({
                "share_id": s.id, "grantee_kind": s.grantee_kind, "grantee_id": s.grantee_id,
            })),
    )
    .await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(())
}

/// A department was merged into another (the directory's `directory.changed` notice): its
/// shares go to that department, and the items they are on are indexed again (their readers
/// changed).
pub async fn on_department_merged(
    state: &AppState,
    tenant_id: &str,
    from: &str,
    into: &str,
) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let items = store::shares::retarget_department(&mut tx, tenant_id, from, into).await?;
    for (kind, id) in &items {
        reindex_target(&mut tx, tenant_id, kind, id).await?;
    }
    tx.commit().await?;
    if !items.is_empty() {
        state.outbox_wake.noted();
    }
    Ok(())
}

/// Folders and documents shared with the caller, newest first (live ones only).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn shared_with_me(state: &AppState, p: &Principal) -> ApiResult<Vec<SharedItem>> {
    state.authz.require(p, perm::DOCUMENTS_USE).await?;
    let mut conn = state.db.conn().await?;
    let role_ids = roles::service::role_ids_of(&mut conn, &p.tenant_id, &p.user_id).await?;
    let (_, within) = audience::departments_of(&mut conn, &p.tenant_id, &p.user_id).await?;
    let rows =
        store::shares::with_person(&mut conn, &p.tenant_id, &p.user_id, &role_ids, &within).await?;
    // One entry per item, with the strongest role.
    let mut out: Vec<SharedItem> = Vec::new();
    for r in rows {
        match out
            .iter_mut()
            .find(|o| o.target_kind == r.target_kind && o.target_id == r.target_id)
        {
            Some(o) if r.role == "editor" => o.role = r.role,
            Some(_) => {}
            None => out.push(r),
        }
    }
    Ok(out)
}
