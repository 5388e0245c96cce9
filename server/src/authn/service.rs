//! Sessions: starting one for an account that proved who it is, listing, revoking; and the
//! invitation and session credentials other modules issue or end inside their transactions.
//! Signing in with a password (which reads accounts) is the `signin` feature's.

use super::{store, tokens, Principal};
use crate::realtime::Kick;
use crate::{
    audit,
    db::{new_id, now_ms},
    error::{ApiError, ApiResult},
    ops::ctx::RequestCtx,
    AppState,
};
use sqlx::AnyConnection;

/// A session just started: the token to hand over (only its digest is stored).
#[derive(Debug)]
pub struct Started {
    pub token: String,
    pub session_id: String,
    pub expires_at: i64,
}

/// Start a session for a user inside the caller's transaction.
pub async fn start_session(
    conn: &mut AnyConnection,
    state: &AppState,
    tenant_id: &str,
    user_id: &str,
    device: &str,
    ctx: &RequestCtx,
) -> ApiResult<Started> {
    let token = tokens::generate("stoa_s_");
    let id = new_id();
    let expires_at = now_ms() + state.cfg.session.absolute_timeout_secs * 1000;
    let device: String = if device.trim().is_empty() {
        ctx.user_agent.clone()
    } else {
        device.trim().chars().take(200).collect()
    };
    store::insert_session(
        conn,
        tenant_id,
        &id,
        user_id,
        &tokens::hash(&token),
        &device,
        &ctx.ip,
        expires_at,
    )
    .await?;
    Ok(Started {
        token,
        session_id: id,
        expires_at,
    })
}

/// End every session of a user except `keep` (empty keeps none); how many ended.
pub async fn revoke_user_sessions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    keep: &str,
) -> ApiResult<u64> {
    Ok(store::revoke_all_for_user(conn, tenant_id, user_id, keep).await?)
}

/// Withdraw a person's unused invitations (their links stop working at once); how many.
pub async fn withdraw_invitations(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<u64> {
    Ok(store::delete_invitations(conn, tenant_id, user_id).await?)
}

/// End every session of a tenant (suspension); how many ended.
pub async fn revoke_tenant_sessions(conn: &mut AnyConnection, tenant_id: &str) -> ApiResult<u64> {
    Ok(store::revoke_all_for_tenant(conn, tenant_id).await?)
}

/// Store a new invitation (replacing any unused one of the user) inside the caller's
/// transaction; returns the token to hand over and when it expires.
pub async fn issue_invitation_token(
    conn: &mut AnyConnection,
    state: &AppState,
    tenant_id: &str,
    user_id: &str,
    created_by: &str,
) -> ApiResult<(String, i64)> {
    let token = tokens::generate("stoa_i_");
    let expires_at = now_ms() + state.cfg.invitation.ttl_secs * 1000;
    store::insert_invitation(
        conn,
        tenant_id,
        user_id,
        &tokens::hash(&token),
        created_by,
        expires_at,
    )
    .await?;
    Ok((token, expires_at))
}

/// Consume an invitation token: (tenant id, user id) when it is valid and unused.
pub async fn take_invitation(
    conn: &mut AnyConnection,
    token: &str,
) -> ApiResult<Option<(String, String)>> {
    Ok(store::take_invitation(conn, &tokens::hash(token)).await?)
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn logout(state: &AppState, p: &Principal) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    store::revoke(&mut tx, &p.tenant_id, &p.user_id, &p.session_id).await?;
    audit::record(
        &mut tx,
        p.audit("auth.logout").target("session", &p.session_id),
    )
    .await?;
    tx.commit().await?;
    // The session's sockets close now, on every node.
    state
        .hub
        .kick_everywhere(
            &state.db,
            Kick::session(&p.tenant_id, &p.user_id, &p.session_id),
        )
        .await;
    Ok(())
}

/// Sign out everywhere: end every session of this person, this one included (bearer tokens
/// and browser cookies alike); their sockets close on every node. How many ended.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn logout_everywhere(state: &AppState, p: &Principal) -> ApiResult<u64> {
    let mut tx = state.db.begin().await?;
    let n = store::revoke_all_for_user(&mut tx, &p.tenant_id, &p.user_id, "").await?;
    audit::record(
        &mut tx,
        p.audit("auth.logout_everywhere")
            .target("user", &p.user_id)
            .details(serde_json::json!({ "sessions_ended": n })),
    )
    .await?;
    tx.commit().await?;
    state
        .hub
        .kick_everywhere(&state.db, Kick::user(&p.tenant_id, &p.user_id))
        .await;
    Ok(n)
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn sessions(state: &AppState, p: &Principal) -> ApiResult<Vec<store::SessionRow>> {
    let mut conn = state.db.conn().await?;
    Ok(store::list_for_user(&mut conn, &p.tenant_id, &p.user_id, now_ms()).await?)
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn revoke_session(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    revoke_session_of(state, p, &p.user_id, id).await
}

/// Another person's live sessions, newest first. The caller checked that it may see them and
/// that `user_id` is a person of its tenant.
pub async fn sessions_of(
    state: &AppState,
    p: &Principal,
    user_id: &str,
) -> ApiResult<Vec<store::SessionRow>> {
    let mut conn = state.db.conn().await?;
    Ok(store::list_for_user(&mut conn, &p.tenant_id, user_id, now_ms()).await?)
}

/// Ends one live session of `user_id` (the caller's own, or, when the caller checked it may,
/// another person's of its tenant), audited as the caller's act; its connections are closed.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn revoke_session_of(
    state: &AppState,
    p: &Principal,
    user_id: &str,
    id: &str,
) -> ApiResult<()> {
    if !crate::db::is_id(id) {
        return Err(ApiError::not_found("session"));
    }
    let mut tx = state.db.begin().await?;
    if !store::revoke(&mut tx, &p.tenant_id, user_id, id).await? {
        return Err(ApiError::not_found("session"));
    }
    let mut entry = p.audit("auth.session_revoked").target("session", id);
    if user_id != p.user_id {
        entry = entry.details(serde_json::json!({ "user_id": user_id }));
    }
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;
    state
        .hub
        .kick_everywhere(&state.db, Kick::session(&p.tenant_id, user_id, id))
        .await;
    Ok(())
}
