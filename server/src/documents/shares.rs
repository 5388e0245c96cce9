//! Sharing a folder or document with a person or a role, as viewer or editor. A folder's
//! shares reach everything below it; access is computed from the shares on every request (see
//! [`super::service::access`]), so a revocation holds from the very next request, downloads and
//! search included.

use super::{
    docs,
    service::{self, Access},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{new_id, now_ms},
    error::{ApiError, ApiResult},
    search, AppState,
};
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShareRow {
    pub id: String,
    pub space_id: String,
    pub target_kind: String,
    pub target_id: String,
    pub grantee_kind: String,
    pub grantee_id: String,
    pub role: String,
    pub created_by: String,
    pub created_at: i64,
}

const SHARE: &str = "id, space_id, target_kind, target_id, grantee_kind, grantee_id, role, \
                     created_by, created_at";

/// A live folder or document the caller sees: (space id, access).
async fn target(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    kind: &str,
    id: &str,
) -> ApiResult<(String, Access)> {
    match kind {
        "folder" => {
            let (f, a) = service::folder_access(state, conn, p, id).await?;
            Ok((f.space_id, a))
        }
        "document" => {
            let (d, a) = docs::document(state, conn, p, id).await?;
            Ok((d.space_id, a))
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
async fn may_share(state: &AppState, p: &Principal, a: &Access) -> ApiResult<()> {
    state.authz.require(p, perm::DOCUMENTS_SHARE).await?;
    service::need_space_editor(a)
}

async fn reindex_target(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: &str,
    id: &str,
) -> ApiResult<()> {
    if kind == "folder" {
        docs::reindex_subtree(conn, tenant_id, id).await
    } else {
        Ok(search::enqueue_index(conn, tenant_id, docs::KIND, id).await?)
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
    may_share(state, p, &a).await?;
    let role = match n.role.as_str() {
        "viewer" | "editor" => n.role.clone(),
        _ => return Err(ApiError::validation("role", "`viewer` or `editor`")),
    };
    match n.grantee_kind.as_str() {
        "user" => {
            let ok = crate::db::is_id(&n.grantee_id)
                && crate::users::store::get(&mut tx, &p.tenant_id, &n.grantee_id)
                    .await?
                    .is_some_and(|u| u.status != "disabled");
            if !ok {
                return Err(ApiError::validation(
                    "grantee_id",
                    "no active user of this tenant has this id",
                ));
            }
        }
        "role" => {
            let ok = crate::db::is_id(&n.grantee_id)
                && sqlx::query_scalar::<_, String>(
                    "select id from roles where tenant_id = $1 and id = $2",
                )
                .bind(&p.tenant_id)
                .bind(&n.grantee_id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if !ok {
                return Err(ApiError::validation(
                    "grantee_id",
                    "no role of this tenant has this id",
                ));
            }
        }
        _ => return Err(ApiError::validation("grantee_kind", "`user` or `role`")),
    }
    let existing: Option<ShareRow> = sqlx::query_as(&format!(
        "select {SHARE} from shares where tenant_id = $1 and target_kind = $2 and target_id = $3
            and grantee_kind = $4 and grantee_id = $5"
    ))
    .bind(&p.tenant_id)
    .bind(&n.target_kind)
    .bind(&n.target_id)
    .bind(&n.grantee_kind)
    .bind(&n.grantee_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (row, created) = match existing {
        Some(mut s) => {
            sqlx::query("update shares set role = $1 where tenant_id = $2 and id = $3")
                .bind(&role)
                .bind(&p.tenant_id)
                .bind(&s.id)
                .execute(&mut *tx)
                .await?;
            s.role = role;
            (s, false)
        }
        None => {
            let s = ShareRow {
                id: new_id(),
                space_id,
                target_kind: n.target_kind.clone(),
                target_id: n.target_id.clone(),
                grantee_kind: n.grantee_kind.clone(),
                grantee_id: n.grantee_id.clone(),
                role,
                created_by: p.user_id.clone(),
                created_at: now_ms(),
            };
            sqlx::query(&format!(
                "insert into shares (tenant_id, {SHARE}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            ))
            .bind(&p.tenant_id)
            .bind(&s.id)
            .bind(&s.space_id)
            .bind(&s.target_kind)
            .bind(&s.target_id)
            .bind(&s.grantee_kind)
            .bind(&s.grantee_id)
            .bind(&s.role)
            .bind(&s.created_by)
            .bind(s.created_at)
            .execute(&mut *tx)
            .await?;
            (s, true)
        }
    };
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
    state.outbox_wake.notify_one();
    Ok((row, created))
}

/// The shares on a folder or document (those who may share it).
pub async fn list(
    state: &AppState,
    p: &Principal,
    kind: &str,
    id: &str,
) -> ApiResult<Vec<ShareRow>> {
    let mut conn = state.db.conn().await?;
    let (_, a) = target(state, &mut conn, p, kind, id).await?;
    may_share(state, p, &a).await?;
    Ok(sqlx::query_as(&format!(
        "select {SHARE} from shares where tenant_id = $1 and target_kind = $2 and target_id = $3
         order by created_at, id limit 1000"
    ))
    .bind(&p.tenant_id)
    .bind(kind)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Revoke a share: effective on the very next request.
pub async fn revoke(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let not_found = || ApiError::not_found("share");
    if !crate::db::is_id(id) {
        return Err(not_found());
    }
    let mut tx = state.db.begin().await?;
    let s: ShareRow = sqlx::query_as(&format!(
        "select {SHARE} from shares where tenant_id = $1 and id = $2"
    ))
    .bind(&p.tenant_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(not_found)?;
    let (_, a) = target(state, &mut tx, p, &s.target_kind, &s.target_id)
        .await
        .map_err(|_| not_found())?;
    may_share(state, p, &a).await?;
    sqlx::query("delete from shares where tenant_id = $1 and id = $2")
        .bind(&p.tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
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
    state.outbox_wake.notify_one();
    Ok(())
}

/// Something shared with the caller (directly or through a role).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SharedItem {
    pub target_kind: String,
    pub target_id: String,
    pub space_id: String,
    pub name: String,
    pub role: String,
    pub created_by: String,
    pub created_at: i64,
}

/// Folders and documents shared with the caller, newest first (live ones only).
pub async fn shared_with_me(state: &AppState, p: &Principal) -> ApiResult<Vec<SharedItem>> {
    state.authz.require(p, perm::DOCUMENTS_USE).await?;
    let mut conn = state.db.conn().await?;
    let rows: Vec<SharedItem> = sqlx::query_as(
        "select s.target_kind, s.target_id, s.space_id,
                coalesce(f.name, d.name, '') as name, s.role, s.created_by, s.created_at
         from shares s
         left join folders f on s.target_kind = 'folder' and f.tenant_id = s.tenant_id
              and f.id = s.target_id and f.trashed_at is null
         left join documents d on s.target_kind = 'document' and d.tenant_id = s.tenant_id
              and d.id = s.target_id and d.trashed_at is null
         where s.tenant_id = $1 and (f.id is not null or d.id is not null) and (
            (s.grantee_kind = 'user' and s.grantee_id = $2)
            or (s.grantee_kind = 'role' and s.grantee_id in
                (select role_id from role_bindings where tenant_id = $1 and user_id = $2)))
         order by s.created_at desc limit 1000",
    )
    .bind(&p.tenant_id)
    .bind(&p.user_id)
    .fetch_all(&mut *conn)
    .await?;
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
