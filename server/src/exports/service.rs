//! Rules for data exports: who may ask for one (the person; an admin holding `users.manage`
//! for an account within their reach), one in the making per person at a time, who may see
//! and fetch it (the person, and the admin who asked), download links, expiry.

use super::{build, store, store::ExportRow};
use crate::{
    audit::{self, ActorKind, Entry},
    authn::{tokens, Principal},
    authz::{contain_account, perm, Contained},
    db::{self, new_id, now_ms, outbox},
    error::{ApiError, ApiResult, Code},
    ops::ctx::RequestCtx,
    AppState, BoxError,
};
use std::sync::Arc;

/// The newest exports a list shows.
const LIST_LIMIT: i64 = 50;

fn not_found() -> ApiError {
    ApiError::not_found("export")
}

/// Ask for an export of one's own data.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn request_own(state: &Arc<AppState>, p: &Principal) -> ApiResult<ExportRow> {
    let entry = p.audit("export.requested").target("user", &p.user_id);
    request(state, p, &p.user_id, entry).await
}

/// An admin asks for an export of a user's data (`users.manage`, and only for an account
/// holding no permission the admin lacks).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn request_for(
    state: &Arc<AppState>,
    p: &Principal,
    user_id: &str,
) -> ApiResult<ExportRow> {
    state.authz.require(p, perm::USERS_MANAGE).await?;
    {
        let mut conn = state.db.conn().await?;
        let u = crate::users::service::load(&mut conn, &p.tenant_id, user_id).await?;
        let _: Contained = contain_account(&mut conn, p, &u.id).await?;
    }
    let entry = p.audit("export.requested").target("user", user_id);
    request(state, p, user_id, entry).await
}

async fn request(
    state: &Arc<AppState>,
    p: &Principal,
    subject: &str,
    entry: Entry,
) -> ApiResult<ExportRow> {
    let row = ExportRow {
        tenant_id: p.tenant_id.clone(),
        id: new_id(),
        user_id: subject.to_string(),
        requested_by: p.user_id.clone(),
        status: "queued".into(),
        progress: 0,
        attempts: 0,
        counts: "{}".into(),
        items: 0,
        files: 0,
        blob_key: None,
        key_version: 0,
        size_bytes: 0,
        sha256: String::new(),
        error: String::new(),
        created_at: now_ms(),
        started_at: None,
        ready_at: None,
        expires_at: None,
        link_by: None,
        link_expires_at: None,
        downloads: 0,
    };
    let busy = || {
        ApiError::conflict(
            Code::Conflict,
            "an export of this account is being prepared; wait for it to finish",
        )
    };
    let mut tx = state.db.begin().await?;
    if store::live_of_user(&mut tx, &p.tenant_id, subject)
        .await?
        .is_some()
    {
        return Err(busy());
    }
    let per_day = state.cfg.exports.max_per_day;
    if per_day > 0 {
        let day = 86_400_000;
        let (n, oldest) =
            store::asked_since(&mut tx, &p.tenant_id, subject, row.created_at - day).await?;
        if n >= per_day {
            let wait_ms = oldest.unwrap_or(row.created_at) + day - row.created_at;
            return Err(ApiError::rate_limited(
                u64::try_from(wait_ms / 1000).unwrap_or(1),
            ));
        }
    }
    match store::insert(&mut tx, &row).await {
        Ok(()) => {}
        // Two requests at once: the partial unique index lets one through.
        Err(e) if db::is_unique_violation(&e) => return Err(busy()),
        Err(e) => return Err(e.into()),
    }
    audit::record(
        &mut tx,
        entry.details(serde_json::json!({ "export_id": row.id, "by_admin": subject != p.user_id })),
    )
    .await?;
    tx.commit().await?;
    let (s, tenant, id) = (state.clone(), row.tenant_id.clone(), row.id.clone());
    tokio::spawn(async move {
        if let Err(e) = build::try_build(&s, &tenant, &id).await {
            tracing::warn!(tenant_id = %tenant, export_id = %id, error = %e, "export build failed");
        }
    });
    Ok(row)
}

/// One's own exports, newest first.
pub async fn list_own(state: &AppState, p: &Principal) -> ApiResult<Vec<ExportRow>> {
    let mut conn = state.db.conn().await?;
    Ok(store::of_user(&mut conn, &p.tenant_id, &p.user_id, LIST_LIMIT).await?)
}

/// One of one's own exports.
pub async fn get_own(state: &AppState, p: &Principal, id: &str) -> ApiResult<ExportRow> {
    if !db::is_id(id) {
        return Err(not_found());
    }
    let mut conn = state.db.conn().await?;
    store::get(&mut conn, &p.tenant_id, id)
        .await?
        .filter(|r| r.user_id == p.user_id)
        .ok_or_else(not_found)
}

/// A user's exports, newest first (`users.manage`).
pub async fn list_for(state: &AppState, p: &Principal, user_id: &str) -> ApiResult<Vec<ExportRow>> {
    state.authz.require(p, perm::USERS_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    let u = crate::users::service::load(&mut conn, &p.tenant_id, user_id).await?;
    Ok(store::of_user(&mut conn, &p.tenant_id, &u.id, LIST_LIMIT).await?)
}

/// A download link: where, and until when it works.
pub struct Link {
    pub url: String,
    pub expires_at: i64,
}

/// A fresh short-lived download link for a ready export, for the person whose data it is or
/// the admin who asked for it (a new link replaces the previous one).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn link(state: &AppState, p: &Principal, id: &str) -> ApiResult<Link> {
    if !db::is_id(id) {
        return Err(not_found());
    }
    let mut tx = state.db.begin().await?;
    let r = store::get(&mut tx, &p.tenant_id, id)
        .await?
        .filter(|r| r.user_id == p.user_id || r.requested_by == p.user_id)
        .ok_or_else(not_found)?;
    if r.requested_by != r.user_id && r.requested_by == p.user_id {
        // An admin's reach is checked again now: a role change since the request counts.
        state.authz.require(p, perm::USERS_MANAGE).await?;
    }
    if r.status != "ready" {
        return Err(ApiError::conflict(
            Code::Conflict,
            format!("the export is {}, not ready to download", r.status),
        ));
    }
    let token = tokens::generate("stoa_dl_");
    let expires_at = now_ms() + state.cfg.exports.link_ttl_secs.max(1) * 1000;
    if !store::set_link(
        &mut tx,
        &p.tenant_id,
        id,
        &tokens::hash(&token),
        &p.user_id,
        expires_at,
    )
    .await?
    {
        return Err(ApiError::conflict(Code::Conflict, "the export expired"));
    }
    audit::record(
        &mut tx,
        p.audit("export.link_created")
            .target("data_export", id)
            .details(
                serde_json::json!({ "user_id": r.user_id, "expires_at": db::rfc3339(expires_at) }),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(Link {
        url: format!("/api/v1/exports/{id}/download?token={token}"),
        expires_at,
    })
}

/// The export a download link opens; 404 for an unknown, expired or replaced link. The
/// download is audited (the whole archive once per request that starts at its first byte).
pub async fn open_by_link(
    state: &AppState,
    id: &str,
    token: &str,
    first_byte: bool,
    ctx: &RequestCtx,
) -> ApiResult<ExportRow> {
    if !db::is_id(id) || token.is_empty() || token.len() > 200 {
        return Err(not_found());
    }
    let mut tx = state.db.begin().await?;
    let r = store::by_link(&mut tx, id, &tokens::hash(token), now_ms())
        .await?
        .filter(|r| r.status == "ready" && r.blob_key.is_some())
        .ok_or_else(|| ApiError::not_found("export (or the link expired)"))?;
    if first_byte {
        store::count_download(&mut tx, &r.tenant_id, &r.id).await?;
        audit::record(
            &mut tx,
            Entry::new(&r.tenant_id, "export.downloaded")
                .actor(ActorKind::User, r.link_by.as_deref().unwrap_or(""))
                .ctx(ctx)
                .target("data_export", &r.id)
                .details(serde_json::json!({ "user_id": r.user_id, "size": r.size_bytes })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(r)
}

/// Remove every export of a person, archives included (account erasure), inside the caller's
/// transaction: the rows now, the archives' blobs through the outbox. (exports, archives)
/// removed. A build still going on finds its row gone and drops what it stored.
pub async fn erase_user(
    proof: &dyn crate::authz::Proof,
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
) -> Result<(u64, u64), sqlx::Error> {
    let tenant_id = proof.tenant_id();
    let (rows, keys) = store::delete_of_user(&mut *conn, tenant_id, user_id).await?;
    for key in &keys {
        outbox::enqueue(
            &mut *conn,
            tenant_id,
            crate::files::service::TOPIC_BLOB_DELETE,
            &serde_json::json!({ "key": key }),
        )
        .await?;
    }
    Ok((rows, keys.len() as u64))
}

/// Purge one ready export's archive (expired): the row stays as a record, marked expired.
async fn expire(state: &AppState, tenant_id: &str, id: &str) -> Result<bool, BoxError> {
    let mut tx = state.db.begin_unclaimed().await?;
    let Some(key) = store::expire(&mut tx, tenant_id, id).await? else {
        return Ok(false);
    };
    if !key.is_empty() {
        outbox::enqueue(
            &mut tx,
            tenant_id,
            crate::files::service::TOPIC_BLOB_DELETE,
            &serde_json::json!({ "key": key }),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        Entry::new(tenant_id, "export.expired")
            .actor(ActorKind::System, "exports")
            .target("data_export", id),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The background pass on every node: take over builds that no node holds (queued, or cut
/// short by a crash), then purge archives whose time is up. Items handled.
pub async fn sweep(state: &AppState) -> Result<u64, BoxError> {
    let mut n = 0;
    let unfinished = {
        let mut conn = state.db.conn().await?;
        store::unfinished(&mut conn).await?
    };
    for (tenant_id, id) in unfinished {
        if build::try_build(state, &tenant_id, &id).await? {
            n += 1;
        }
    }
    let due = {
        let mut conn = state.db.conn().await?;
        store::due_to_expire(&mut conn, now_ms()).await?
    };
    let mut expired = 0;
    for (tenant_id, id) in due {
        if expire(state, &tenant_id, &id).await? {
            expired += 1;
        }
    }
    if expired > 0 {
        state.outbox_wake.noted();
    }
    let cleaned = build::clean_work_dir(state).await?;
    Ok(n + expired + cleaned)
}
