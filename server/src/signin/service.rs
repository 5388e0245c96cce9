//! Sign-in with a password, accepting an invitation, changing one's password.

use crate::realtime::Kick;
use crate::{
    audit::{self, ActorKind, Entry},
    authn::{self, password, throttle, Principal},
    error::{ApiError, ApiResult, Code},
    ops::ctx::RequestCtx,
    tenants,
    users::{self, store::UserRow},
    AppState,
};

#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub session_id: String,
    pub expires_at: i64,
    pub user: UserRow,
}

/// What a sign-in step leads to: a session, or a second factor to give (or set up) first.
#[derive(Debug)]
pub enum Outcome {
    Session(Box<NewSession>),
    Challenge(crate::mfa::service::Challenge),
}

impl NewSession {
    fn new(s: authn::service::Started, user: UserRow) -> NewSession {
        NewSession {
            token: s.token,
            session_id: s.session_id,
            expires_at: s.expires_at,
            user,
        }
    }
}

/// The one answer for every failed sign-in, so it never tells whether an account exists.
fn invalid() -> ApiError {
    ApiError::new(
        Code::InvalidCredentials,
        "the tenant, login or password is not correct",
    )
}

#[tracing::instrument(skip_all, fields(tenant_id = tracing::field::Empty))]
pub async fn login(
    state: &AppState,
    ctx: &RequestCtx,
    tenant_slug: &str,
    login: &str,
    password_in: &str,
    device: &str,
) -> ApiResult<Outcome> {
    if tenant_slug.len() > 100 || login.len() > 320 || password_in.len() > password::MAX_LEN * 4 {
        return Err(invalid());
    }
    let limits = throttle::Limits::from_config(&state.cfg.login);
    let slug = tenant_slug.trim().to_lowercase();
    let normalized = users::validate::login(login).unwrap_or_else(|| login.trim().to_lowercase());
    let keys = throttle::Keys::new(&slug, &normalized, &ctx.ip);
    // The attempt is counted before the password is checked (see `throttle`): parallel guesses
    // cannot all be verified before the first failure is recorded.
    let reservation = throttle::reserve(&state.db, &keys, limits).await?;
    let (tenant, user) = {
        let mut conn = state.db.conn().await?;
        let tenant = tenants::service::by_slug(&mut conn, &slug).await?;
        let user = match &tenant {
            Some(t) => users::service::find_by_login(&mut conn, &t.id, &normalized).await?,
            None => None,
        };
        (tenant, user)
    };
    if let Some(t) = &tenant {
        tracing::Span::current().record("tenant_id", t.id.as_str());
    }
    let ok = password::verify(
        password_in,
        user.as_ref().and_then(|u| u.password_hash.as_deref()),
    )
    .await;
    let tenant_active = tenant.as_ref().is_some_and(|t| t.status == "active");
    let mut user = user;
    // Signing in during the grace period of one's own deletion request cancels it, when the
    // tenant allows it (only with the right password).
    if let (true, true, Some(u)) = (ok, tenant_active, user.as_mut()) {
        if u.status == "pending_erasure" {
            if let Some(status) =
                users::deletion::cancel_on_sign_in(state, &u.tenant_id, &u.id).await?
            {
                u.status = status;
            }
        }
    }
    let user_active = user.as_ref().is_some_and(|u| u.status == "active");
    let mut tx = state.db.begin().await?;
    if !(ok && tenant_active && user_active) {
        throttle::failed(&mut tx, &keys, reservation, limits).await?;
        if let Some(t) = &tenant {
            let reason = match (&user, ok) {
                (None, _) => "unknown_login",
                (Some(_), false) => "wrong_password",
                (Some(u), true) if u.status != "active" => "account_not_active",
                _ => "tenant_suspended",
            };
            let mut e = Entry::new(&t.id, "auth.login")
                .actor(ActorKind::Anonymous, "")
                .ctx(ctx)
                .failed()
                .details(serde_json::json!({ "reason": reason }));
            if let Some(u) = &user {
                e = e.target("user", &u.id);
            }
            audit::record(&mut tx, e).await?;
        }
        tx.commit().await?;
        return Err(invalid());
    }
    let (Some(_), Some(user)) = (tenant, user) else {
        return Err(invalid());
    };
    throttle::succeeded(&mut tx, &keys, reservation).await?;
    let outcome = finish(&mut tx, state, ctx, user, device, "password").await?;
    tx.commit().await?;
    Ok(outcome)
}

/// The end of every sign-in (password, phone code, registration, single sign-on) once the
/// person is known and active, inside the caller's transaction: the second factor the
/// tenant's policy asks for, else a session. `method` is recorded in the audit entry.
pub async fn finish(
    tx: &mut sqlx::AnyConnection,
    state: &AppState,
    ctx: &RequestCtx,
    user: UserRow,
    device: &str,
    method: &'static str,
) -> ApiResult<Outcome> {
    if let Some(c) =
        crate::mfa::service::after_password(&mut *tx, &user.tenant_id, &user.id, device).await?
    {
        // The first factor was right; the session waits for the second.
        audit::record(
            &mut *tx,
            Entry::new(&user.tenant_id, "auth.login")
                .actor(ActorKind::User, &user.id)
                .target("user", &user.id)
                .ctx(ctx)
                .details(serde_json::json!({ "second_factor": c.kind, "method": method })),
        )
        .await?;
        return Ok(Outcome::Challenge(c));
    }
    let started =
        authn::service::start_session(&mut *tx, state, &user.tenant_id, &user.id, device, ctx)
            .await?;
    audit::record(
        &mut *tx,
        Entry::new(&user.tenant_id, "auth.login")
            .actor(ActorKind::User, &user.id)
            .target("session", &started.session_id)
            .ctx(ctx)
            .details(serde_json::json!({ "method": method })),
    )
    .await?;
    Ok(Outcome::Session(Box::new(NewSession::new(started, user))))
}

/// Sign in a person whose identity another mechanism proved (single sign-on's exchange code),
/// inside the caller's transaction: the account and tenant must be active now; then
/// [`finish`], so the tenant's two-factor policy applies exactly as after a password.
pub async fn after_identity(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    ctx: &RequestCtx,
    tenant_id: &str,
    user_id: &str,
    device: &str,
    method: &'static str,
) -> ApiResult<Outcome> {
    let tenant_active = tenants::service::by_id(&mut *conn, tenant_id)
        .await?
        .is_some_and(|t| t.status == "active");
    let user = users::service::find(&mut *conn, tenant_id, user_id)
        .await?
        .filter(|u| u.status == "active" && tenant_active)
        .ok_or_else(invalid)?;
    finish(conn, state, ctx, user, device, method).await
}

/// A session for someone who passed their second factor.
async fn session_after_second_factor(
    state: &AppState,
    ctx: &RequestCtx,
    (tenant_id, user_id, device): crate::mfa::service::Passed,
) -> ApiResult<NewSession> {
    let mut tx = state.db.begin().await?;
    let user = users::service::find(&mut tx, &tenant_id, &user_id)
        .await?
        .filter(|u| u.status == "active")
        .ok_or_else(invalid)?;
    let started =
        authn::service::start_session(&mut tx, state, &tenant_id, &user_id, &device, ctx).await?;
    audit::record(
        &mut tx,
        Entry::new(&tenant_id, "auth.login")
            .actor(ActorKind::User, &user_id)
            .target("session", &started.session_id)
            .ctx(ctx),
    )
    .await?;
    tx.commit().await?;
    Ok(NewSession::new(started, user))
}

/// Finish signing in with a code from the authenticator (or a recovery code).
pub async fn second_factor(
    state: &AppState,
    ctx: &RequestCtx,
    challenge: &str,
    code: Option<&str>,
    recovery_code: Option<&str>,
) -> ApiResult<NewSession> {
    let passed = crate::mfa::service::answer(state, ctx, challenge, code, recovery_code).await?;
    session_after_second_factor(state, ctx, passed).await
}

/// Finish signing in by confirming the factor the tenant requires; the recovery codes too.
pub async fn enrol_and_sign_in(
    state: &AppState,
    ctx: &RequestCtx,
    challenge: &str,
    code: &str,
) -> ApiResult<(NewSession, Vec<String>)> {
    let (passed, codes) =
        crate::mfa::service::confirm_challenge(state, ctx, challenge, code).await?;
    Ok((
        session_after_second_factor(state, ctx, passed).await?,
        codes,
    ))
}

/// Accept an invitation: set the password, activate the account and sign in.
#[tracing::instrument(skip_all, fields(tenant_id = tracing::field::Empty))]
pub async fn accept_invitation(
    state: &AppState,
    ctx: &RequestCtx,
    token: &str,
    new_password: &str,
    device: &str,
) -> ApiResult<Outcome> {
    password::validate("password", new_password)?;
    let gone = || {
        ApiError::new(
            Code::InvitationInvalid,
            "this invitation is invalid, used or expired; ask an admin for a new one",
        )
    };
    if token.len() > 200 {
        return Err(gone());
    }
    let hash = password::hash(new_password).await?;
    let mut tx = state.db.begin().await?;
    let (tenant_id, user_id) = authn::service::take_invitation(&mut tx, token)
        .await?
        .ok_or_else(gone)?;
    tracing::Span::current().record("tenant_id", tenant_id.as_str());
    let tenant = tenants::service::by_id(&mut tx, &tenant_id)
        .await?
        .ok_or_else(gone)?;
    let user = users::service::find(&mut tx, &tenant_id, &user_id)
        .await?
        .ok_or_else(gone)?;
    if user.status == "disabled" || tenant.status != "active" {
        return Err(gone());
    }
    let user = users::service::activate_with_password(&mut tx, user, &hash).await?;
    // Whoever held the old password no longer does.
    authn::service::revoke_user_sessions(&mut tx, &tenant_id, &user_id, "").await?;
    audit::record(
        &mut tx,
        Entry::new(&tenant_id, "user.invitation_accepted")
            .actor(ActorKind::User, &user_id)
            .target("user", &user_id)
            .ctx(ctx),
    )
    .await?;
    // A factor the person had (a reset password) or the tenant requires comes first.
    if let Some(c) =
        crate::mfa::service::after_password(&mut tx, &tenant_id, &user_id, device).await?
    {
        tx.commit().await?;
        state
            .hub
            .kick_everywhere(&state.db, Kick::user(&tenant_id, &user_id))
            .await;
        return Ok(Outcome::Challenge(c));
    }
    let started =
        authn::service::start_session(&mut tx, state, &tenant_id, &user_id, device, ctx).await?;
    tx.commit().await?;
    // Sockets of the sessions the old password opened close now (the new one has none yet).
    state
        .hub
        .kick_everywhere(&state.db, Kick::user(&tenant_id, &user_id))
        .await;
    Ok(Outcome::Session(Box::new(NewSession::new(started, user))))
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn change_password(
    state: &AppState,
    p: &Principal,
    current: &str,
    new: &str,
) -> ApiResult<()> {
    password::validate("new_password", new)?;
    let user = {
        let mut conn = state.db.conn().await?;
        users::service::load(&mut conn, &p.tenant_id, &p.user_id).await?
    };
    if !password::verify(current, user.password_hash.as_deref()).await {
        return Err(ApiError::validation(
            "current_password",
            "the current password is not correct",
        ));
    }
    let hash = password::hash(new).await?;
    let mut tx = state.db.begin().await?;
    users::service::set_password(&mut tx, &p.tenant_id, &p.user_id, &hash).await?;
    let revoked =
        authn::service::revoke_user_sessions(&mut tx, &p.tenant_id, &p.user_id, &p.session_id)
            .await?;
    audit::record(
        &mut tx,
        p.audit("user.password_changed")
            .target("user", &p.user_id)
            .details(serde_json::json!({ "other_sessions_revoked": revoked })),
    )
    .await?;
    tx.commit().await?;
    // Other sessions' sockets close now; this session's stay open.
    state
        .hub
        .kick_everywhere(
            &state.db,
            Kick::user(&p.tenant_id, &p.user_id).keeping(&p.session_id),
        )
        .await;
    Ok(())
}
