//! Authentication: who is calling. Bearer session tokens for people (the admin console carries
//! the same sessions in a cookie: [`browser`]), a separate credential for the platform operator.
//!
//! [`Session`] is the extractor every tenant operation takes; it resolves the token against the
//! current state of the session, the user and the tenant on every request, so a revoked session,
//! a disabled account or a suspended tenant answers 401 on the very next call. The same lookup
//! says whether the person must consent to the tenant's privacy policy first (the condition is
//! the privacy feature's, registered in `app.rs`): [`Session`] then answers 403
//! `consent_required`, and only operations that take [`SessionPendingConsent`] go ahead.

pub mod browser;
pub mod cache;
pub mod codes;
pub mod export;
pub mod invite_page;
pub mod lifecycle;
pub mod oidc;
pub mod password;
pub mod proof;
pub mod service;
pub mod setup_token;
pub mod store;
pub mod throttle;
pub mod tokens;

use crate::{db::now_ms, error::ApiError, ops::ctx::RequestCtx, AppState};
use poem::Request;
use poem_openapi::{auth::Bearer, SecurityScheme};
use std::sync::Arc;

pub use proof::{InstallActor, OperatorProof, SetupProof};
/// The consent gate a feature hands the session lookup (privacy builds it).
pub use store::Gate;

/// An authenticated person, resolved from the current state of the database.
#[derive(Clone, Debug)]
pub struct Principal {
    pub tenant_id: String,
    pub tenant_slug: String,
    pub user_id: String,
    pub session_id: String,
    /// The authorization policy version current when this request started.
    pub policy_version: i64,
    /// The person must consent to the tenant's privacy policy before anything else (checked
    /// when this request started). Only [`SessionPendingConsent`] lets such a principal through.
    pub consent_pending: bool,
    pub ctx: RequestCtx,
}

impl Principal {
    /// An audit entry of an action this person takes in this request: tenant, actor and the
    /// request's address and id filled in.
    pub fn audit(&self, action: &'static str) -> crate::audit::Entry {
        crate::audit::Entry::new(&self.tenant_id, action)
            .actor(crate::audit::ActorKind::User, &self.user_id)
            .ctx(&self.ctx)
    }
}

// The two extractors below share one scheme in the spec ("BearerAuth"), so they share its
// description word for word: the spec shows whichever registered last.

/// A person's session: `Authorization: Bearer <token>` from `POST /api/v1/auth/login`.
///
/// While the person must consent to the tenant's privacy policy, operations answer 403
/// `consent_required`, except the few that take `SessionPendingConsent`: reading and accepting
/// the privacy policy, signing out, exporting one's data and asking for one's deletion.
#[derive(SecurityScheme)]
#[oai(rename = "BearerAuth", ty = "bearer", checker = "check_bearer")]
pub struct Session(pub Principal);

/// A person's session: `Authorization: Bearer <token>` from `POST /api/v1/auth/login`.
///
/// While the person must consent to the tenant's privacy policy, operations answer 403
/// `consent_required`, except the few that take `SessionPendingConsent`: reading and accepting
/// the privacy policy, signing out, exporting one's data and asking for one's deletion.
#[derive(SecurityScheme)]
#[oai(
    rename = "BearerAuth",
    ty = "bearer",
    checker = "check_bearer_pending_consent"
)]
pub struct SessionPendingConsent(pub Principal);

/// The platform operator: `Authorization: Bearer <operator token>` (see `operator.token`).
#[derive(SecurityScheme)]
#[oai(rename = "OperatorAuth", ty = "bearer", checker = "check_operator")]
pub struct Operator(pub OperatorProof);

fn state_of(req: &Request) -> poem::Result<&Arc<AppState>> {
    req.data::<Arc<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing").into())
}

pub fn ctx_of(req: &Request) -> RequestCtx {
    req.data::<RequestCtx>().cloned().unwrap_or_default()
}

/// A session this request already resolved (the idempotency middleware resolves it to find
/// whose key it is), so the endpoint does not look it up twice within one request.
#[derive(Clone)]
struct Resolved {
    token: String,
    principal: Principal,
}

/// Keep a session resolved for this request.
pub fn remember(req: &mut Request, token: &str, principal: Principal) {
    req.set_data(Resolved {
        token: token.to_string(),
        principal,
    });
}

async fn check_bearer(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let principal = check_bearer_pending_consent(req, bearer).await?;
    if principal.consent_pending {
        return Err(ApiError::consent_required().into());
    }
    Ok(principal)
}

async fn check_bearer_pending_consent(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let state = state_of(req)?;
    let principal = match req.data::<Resolved>() {
        Some(r) if r.token == bearer.token => r.principal.clone(),
        _ => resolve(state, &bearer.token, ctx_of(req)).await?,
    };
    tracing::Span::current().record("tenant_id", principal.tenant_id.as_str());
    Ok(principal)
}

async fn check_operator(req: &Request, bearer: Bearer) -> poem::Result<OperatorProof> {
    let state = state_of(req)?;
    if tokens::digests_equal(&tokens::hash(&bearer.token), &state.operator_token_hash) {
        Ok(OperatorProof::checked(ctx_of(req)))
    } else {
        Err(ApiError::unauthenticated().into())
    }
}

/// Resolve a bearer token to a principal on current state. One query on the hot path; the
/// last-seen time is written at most once a minute per session. The principal may be held at
/// the consent gate ([`Principal::consent_pending`]): callers other than the extractors refuse
/// it themselves where they must.
pub async fn resolve(
    state: &AppState,
    token: &str,
    ctx: RequestCtx,
) -> Result<Principal, ApiError> {
    if token.len() > 200 {
        return Err(ApiError::unauthenticated());
    }
    resolve_hash(state, &tokens::hash(token), ctx).await
}

/// [`resolve`] from the token's digest (WebSocket tickets keep the digest, never the token).
pub async fn resolve_hash(
    state: &AppState,
    hash: &str,
    ctx: RequestCtx,
) -> Result<Principal, ApiError> {
    let now = now_ms();
    // A fresh cached lookup saves the query ([`cache`]: revocations drop entries at once).
    let cached = state.sessions.get(hash, now);
    let generation = state.sessions.generation();
    let from_cache = cached.is_some();
    state
        .metrics
        .session_lookups
        .with_label_values(&[if from_cache { "cache" } else { "database" }])
        .inc();
    let mut row = match cached {
        Some(row) => row,
        None => {
            let mut conn = state.db.conn().await?;
            store::lookup(&mut conn, &state.session_lookup, hash, now)
                .await?
                .ok_or_else(ApiError::unauthenticated)?
        }
    };
    let idle_ms = state.cfg.session.idle_timeout_secs * 1000;
    if row.expires_at <= now
        || row.last_seen_at + idle_ms <= now
        || row.user_status != "active"
        || row.tenant_status != "active"
    {
        return Err(ApiError::unauthenticated());
    }
    if now - row.last_seen_at > 60_000 {
        let mut conn = state.db.conn().await?;
        store::touch(&mut conn, &row.tenant_id, &row.session_id, now, &ctx.ip).await?;
        row.last_seen_at = now;
        if from_cache {
            state.sessions.touched(hash, now);
        }
    }
    // Only a lookup that lets the request through is kept: one that refuses (or holds the
    // person at the consent gate) is read afresh, so it works the moment that changes.
    if !from_cache && row.consent_pending == 0 {
        state.sessions.put(hash, &row, generation);
    }
    Ok(Principal {
        tenant_id: row.tenant_id,
        tenant_slug: row.tenant_slug,
        user_id: row.user_id,
        session_id: row.session_id,
        policy_version: row.policy_version,
        consent_pending: row.consent_pending != 0,
        ctx,
    })
}

/// The principal of a person who acts through a capability that is not a session — the secret
/// address of their calendar feed — checked like a session on current state: the person and
/// their tenant active, the tenant's policy version, the consent gate (refused while it holds
/// them). `session_id` is empty: nothing that needs a session (signing out, the session list)
/// can be done with it. The caller has already checked the capability itself.
pub async fn delegated(
    state: &AppState,
    tenant_id: &str,
    user_id: &str,
    ctx: RequestCtx,
) -> Result<Principal, ApiError> {
    let row = {
        let mut conn = state.db.conn().await?;
        store::lookup_person(
            &mut conn,
            &state.session_lookup,
            tenant_id,
            user_id,
            now_ms(),
        )
        .await?
    };
    let Some(row) = row else {
        return Err(ApiError::unauthenticated());
    };
    if row.user_status != "active" || row.tenant_status != "active" {
        return Err(ApiError::unauthenticated());
    }
    if row.consent_pending != 0 {
        return Err(ApiError::consent_required());
    }
    Ok(Principal {
        tenant_id: row.tenant_id,
        tenant_slug: row.tenant_slug,
        user_id: row.user_id,
        session_id: row.session_id,
        policy_version: row.policy_version,
        consent_pending: false,
        ctx,
    })
}

/// The digest of the token behind a principal's session, while the session is not revoked.
pub async fn session_token_hash(
    state: &AppState,
    p: &Principal,
) -> Result<Option<String>, ApiError> {
    let mut conn = state.db.conn().await?;
    Ok(store::token_hash(&mut conn, &p.tenant_id, &p.session_id).await?)
}

/// Where a principal's session stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Valid, and nothing is pending.
    Valid,
    /// Revoked or expired, account or tenant no longer active.
    Ended,
    /// Valid, but the person must consent to the privacy policy first.
    ConsentPending,
}

/// Where a principal's session stands now (not revoked or expired, account and tenant active,
/// consent not pending): long-lived connections ask this on a timer.
pub async fn standing(state: &AppState, p: &Principal) -> Result<Standing, ApiError> {
    let Some(hash) = session_token_hash(state, p).await? else {
        return Ok(Standing::Ended);
    };
    match resolve_hash(state, &hash, p.ctx.clone()).await {
        Ok(now) if now.consent_pending => Ok(Standing::ConsentPending),
        Ok(_) => Ok(Standing::Valid),
        Err(e) if e.code == crate::error::Code::Unauthenticated => Ok(Standing::Ended),
        Err(e) => Err(e),
    }
}
