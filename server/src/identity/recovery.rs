//! Getting back in and keeping contact details true: a password-reset link by email (only to a
//! verified address), and proving a new email or phone number with a code before it is used.

use super::{
    mail,
    service::{send_code, sender_ready, tenant, CodeSent},
    settings::not_configured,
};
use crate::{
    audit::{self, ActorKind, Entry},
    authn::{
        self,
        codes::{self, Ask, CodeProof, Destination, Purpose, Target},
        password, Principal,
    },
    db::{now_ms, rfc3339},
    delivery::{self, Locale},
    error::{ApiError, ApiResult},
    ops::ctx::RequestCtx,
    realtime::Kick,
    tenants,
    users::{self, store::UserRow},
    AppState,
};

/// Ask for a password-reset link by email. Sent only to an active account whose email is
/// verified; the answer is the same whatever the address.
pub async fn request_password_reset(
    state: &AppState,
    ctx: &RequestCtx,
    tenant_slug: &str,
    email: &str,
) -> ApiResult<CodeSent> {
    if !state.senders.mail_enabled() {
        return Err(not_configured("mail (mail.transport)"));
    }
    let d = Destination::Email(users::validate::email("email", email)?);
    let ttl = state.cfg.codes.reset_link_ttl_secs;
    let Some((t, _)) = tenant(state, tenant_slug).await? else {
        return Ok(CodeSent {
            expires_at: now_ms() + ttl * 1000,
            resend_after_secs: state.cfg.codes.resend_cooldown_secs,
        });
    };
    let user = {
        let mut conn = state.db.conn().await?;
        users::service::find_by_login(&mut conn, &t.id, d.value())
            .await?
            .filter(|u| u.status == "active" && u.email_verified_at.is_some())
    };
    let sealer = delivery::sealer(state, &t.id).await?;
    let mut tx = state.db.begin().await?;
    let issued = codes::issue_link(
        &mut tx,
        &state.blobs.keys,
        &state.cfg.codes,
        Ask {
            tenant_id: &t.id,
            purpose: Purpose::PasswordReset,
            destination: &d,
            holder: "",
            user_id: user.as_ref().map(|u| u.id.as_str()),
            usable: user.is_some(),
            client_ip: &ctx.ip,
        },
    )
    .await?;
    let mut e = Entry::new(&t.id, "auth.password_reset_requested")
        .actor(ActorKind::Anonymous, "")
        .ctx(ctx);
    if let Some(u) = &user {
        let url = format!(
            "{}/reset#token={}",
            state.cfg.public_url.trim_end_matches('/'),
            issued.secret
        );
        let expires = rfc3339(issued.expires_at);
        let m = mail::reset_mail(
            Locale::choose(u.locale.as_deref(), Some(&ctx.accept_language)),
            d.value(),
            &u.display_name,
            &t.name,
            &url,
            expires.get(..16).unwrap_or(&expires),
        );
        delivery::queue(&mut tx, &t.id, &sealer.mail(&m)?).await?;
        e = e.target("user", &u.id);
    }
    audit::record(&mut tx, e).await?;
    tx.commit().await?;
    Ok(CodeSent {
        expires_at: issued.expires_at,
        resend_after_secs: state.cfg.codes.resend_cooldown_secs,
    })
}

/// Set a new password with a reset link's token: every session of the person ends.
pub async fn complete_password_reset(
    state: &AppState,
    ctx: &RequestCtx,
    token: &str,
    new_password: &str,
) -> ApiResult<()> {
    password::validate("new_password", new_password)?;
    let hash = password::hash(new_password).await?;
    let mut tx = state.db.begin().await?;
    let proof: CodeProof =
        codes::verify_link(&mut tx, &state.blobs.keys, Purpose::PasswordReset, token).await?;
    let user_id = proof.user_id().ok_or_else(codes::invalid_code)?.to_string();
    let tenant_id = proof.tenant_id().to_string();
    let user = users::service::load(&mut tx, &tenant_id, &user_id).await?;
    if user.status != "active" || user.email.as_deref() != Some(proof.destination().value()) {
        // Disabled since, or the email changed: the link no longer stands for this person.
        return Err(codes::invalid_code());
    }
    users::service::set_password(&mut tx, &tenant_id, &user_id, &hash).await?;
    let revoked = authn::service::revoke_user_sessions(&mut tx, &tenant_id, &user_id, "").await?;
    audit::record(
        &mut tx,
        Entry::new(&tenant_id, "user.password_reset")
            .actor(ActorKind::User, &user_id)
            .target("user", &user_id)
            .ctx(ctx)
            .details(serde_json::json!({ "sessions_revoked": revoked })),
    )
    .await?;
    tx.commit().await?;
    state
        .hub
        .kick_everywhere(&state.db, Kick::user(&tenant_id, &user_id))
        .await;
    Ok(())
}

/// Send a code to an email or phone number I want to use (or to confirm the one I have).
pub async fn request_contact_code(
    state: &AppState,
    p: &Principal,
    d: Destination,
) -> ApiResult<CodeSent> {
    sender_ready(state, &d)?;
    let (me, taken, tenant) = {
        let mut conn = state.db.conn().await?;
        let me = users::service::load(&mut conn, &p.tenant_id, &p.user_id).await?;
        let other = users::service::find_by_login(&mut conn, &p.tenant_id, d.value())
            .await?
            .filter(|u| u.id != p.user_id);
        let tenant = tenants::service::by_slug(&mut conn, &p.tenant_slug)
            .await?
            .ok_or_else(|| ApiError::not_found("tenant"))?;
        (me, other.is_some(), tenant)
    };
    // An address another account holds gets nothing (and the code cannot succeed): whether it
    // is taken is not told here.
    send_code(
        state,
        &p.ctx,
        &tenant,
        Ask {
            tenant_id: &p.tenant_id,
            purpose: Purpose::Verify,
            destination: &d,
            holder: &p.user_id,
            user_id: Some(&p.user_id),
            usable: !taken,
            client_ip: &p.ctx.ip,
        },
        Locale::choose(me.locale.as_deref(), Some(&p.ctx.accept_language)),
        None,
        None,
        Some(&p.user_id),
    )
    .await
}

/// Use the address a code was sent to: it becomes my (verified) email or phone number.
pub async fn confirm_contact(
    state: &AppState,
    p: &Principal,
    d: Destination,
    code: &str,
) -> ApiResult<UserRow> {
    let mut tx = state.db.begin().await?;
    let checked = codes::verify(
        &mut tx,
        &state.blobs.keys,
        &state.cfg.codes,
        Target {
            tenant_id: &p.tenant_id,
            purpose: Purpose::Verify,
            destination: &d,
            holder: &p.user_id,
        },
        code,
    )
    .await?;
    let proof = match checked {
        Ok(proof) => proof,
        Err(e) => {
            audit::record(
                &mut tx,
                p.audit("user.contact_changed")
                    .target("user", &p.user_id)
                    .failed()
                    .details(
                        serde_json::json!({ "channel": d.channel(), "reason": "invalid_code" }),
                    ),
            )
            .await?;
            tx.commit().await?;
            return Err(e);
        }
    };
    let user = users::service::set_proven_contact(&mut tx, &proof, &p.user_id).await?;
    audit::record(
        &mut tx,
        p.audit("user.contact_changed")
            .target("user", &p.user_id)
            .details(serde_json::json!({ "channel": d.channel() })),
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}
