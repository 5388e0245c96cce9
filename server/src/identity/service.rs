//! Signing up with a code and signing in with a phone code, and the pieces the other identity
//! flows share (which tenant, which sender, sending a code). The codes themselves (digits,
//! digests, lifetimes, guesses, quotas) are `authn::codes`; what is sent is in [`super::mail`];
//! the registration settings are [`super::settings`], password reset and proving an address
//! [`super::recovery`].
//!
//! Public requests never tell whether an address has an account: a code is "sent" either way
//! (see `authn::codes`); only its owner can tell, by receiving it.

use super::{
    mail,
    settings::{not_configured, Registration},
    store,
};
use crate::{
    audit::{self, ActorKind, Entry},
    authn::{
        codes::{self, Ask, Destination, Purpose, Target},
        password,
    },
    delivery::{self, Locale, Sealer},
    error::{ApiError, ApiResult, Code},
    ops::ctx::RequestCtx,
    signin::service::{finish, Outcome},
    tenants::{self, store::TenantRow},
    users::{self, service::AccountCreator, store::UserRow},
    AppState,
};
use sqlx::AnyConnection;

/// A code on its way: when it expires and when another may be asked for.
#[derive(Debug, Clone)]
pub struct CodeSent {
    pub expires_at: i64,
    pub resend_after_secs: i64,
}

/// Exactly one of an email and a phone number, normalised.
pub fn destination(email: Option<&str>, phone: Option<&str>) -> ApiResult<Destination> {
    let email = email.map(str::trim).filter(|s| !s.is_empty());
    let phone = phone.map(str::trim).filter(|s| !s.is_empty());
    match (email, phone) {
        (Some(e), None) => Ok(Destination::Email(users::validate::email("email", e)?)),
        (None, Some(p)) => Ok(Destination::Phone(users::validate::phone("phone", p)?)),
        _ => Err(ApiError::validation(
            "email",
            "give either an email address or a phone number",
        )),
    }
}

pub(super) fn sender_ready(state: &AppState, d: &Destination) -> ApiResult<()> {
    match d {
        Destination::Email(_) if !state.senders.mail_enabled() => {
            Err(not_configured("mail (mail.transport)"))
        }
        Destination::Phone(_) if !state.senders.sms_enabled() => {
            Err(not_configured("text messages (sms.sender)"))
        }
        _ => Ok(()),
    }
}

/// The active tenant of a slug with its registration settings.
pub(super) async fn tenant(
    state: &AppState,
    slug: &str,
) -> ApiResult<Option<(TenantRow, Registration)>> {
    if slug.len() > 100 {
        return Ok(None);
    }
    let mut conn = state.db.conn().await?;
    let Some(t) = tenants::service::by_slug(&mut conn, &slug.trim().to_lowercase()).await? else {
        return Ok(None);
    };
    if t.status != "active" {
        return Ok(None);
    }
    let r = store::registration(&mut conn, &t.id).await?.into();
    Ok(Some((t, r)))
}

fn registration_closed() -> ApiError {
    ApiError::new(
        Code::RegistrationClosed,
        "this organisation does not accept sign-ups this way: ask an admin for an invitation",
    )
}

fn phone_sign_in_off() -> ApiError {
    ApiError::new(
        Code::Forbidden,
        "signing in with a phone code is not enabled for this organisation",
    )
}

/// Whether this registration is open: the tenant's mode, channel and email domains.
fn may_register(r: &Registration, d: &Destination) -> ApiResult<()> {
    let open = r.mode == "open";
    match d {
        Destination::Email(e) if open && r.by_email => {
            let domain = e.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
            if r.email_domains.is_empty() || r.email_domains.iter().any(|d| d == domain) {
                Ok(())
            } else {
                Err(ApiError::validation(
                    "email",
                    format!(
                        "this organisation accepts sign-ups only from {}",
                        r.email_domains.join(", ")
                    ),
                ))
            }
        }
        Destination::Phone(_) if open && r.by_phone => Ok(()),
        _ => Err(registration_closed()),
    }
}

/// Issue a code and queue what goes with it (the code, or a notice, or nothing) in one
/// transaction, with its audit entry.
#[allow(clippy::too_many_arguments)]
pub(super) async fn send_code(
    state: &AppState,
    ctx: &RequestCtx,
    tenant: &TenantRow,
    ask: Ask<'_>,
    locale: Locale,
    notice: Option<delivery::Mail>,
    notice_sms: Option<delivery::Sms>,
    actor: Option<&str>,
) -> ApiResult<CodeSent> {
    let sealer: Sealer = delivery::sealer(state, &tenant.id).await?;
    let mut tx = state.db.begin().await?;
    let issued = codes::issue(&mut tx, &state.blobs.keys, &state.cfg.codes, ask).await?;
    let ttl = state.cfg.codes.ttl_secs;
    let to = ask.destination.value();
    let message = match (ask.usable, ask.destination) {
        (true, Destination::Email(_)) => Some(sealer.mail(&mail::code_mail(
            locale,
            to,
            &tenant.name,
            &issued.secret,
            ask.purpose,
            ttl,
        ))?),
        (true, Destination::Phone(_)) => Some(sealer.sms(&mail::code_sms(
            locale,
            to,
            &tenant.name,
            &issued.secret,
            ask.purpose,
            ttl,
        ))?),
        (false, _) => match (notice, notice_sms) {
            (Some(m), _) => Some(sealer.mail(&m)?),
            (_, Some(s)) => Some(sealer.sms(&s)?),
            _ => None,
        },
    };
    if let Some(m) = &message {
        delivery::queue(&mut tx, &tenant.id, m).await?;
    }
    let mut e = Entry::new(&tenant.id, "auth.code_sent")
        .ctx(ctx)
        .details(serde_json::json!({
            "purpose": ask.purpose.as_str(),
            "channel": ask.destination.channel(),
        }));
    e = match actor {
        Some(a) => e.actor(ActorKind::User, a),
        None => e.actor(ActorKind::Anonymous, ""),
    };
    if let Some(u) = ask.user_id {
        e = e.target("user", u);
    }
    audit::record(&mut tx, e).await?;
    tx.commit().await?;
    Ok(CodeSent {
        expires_at: issued.expires_at,
        resend_after_secs: state.cfg.codes.resend_cooldown_secs,
    })
}

/// Ask for a code: to sign up (`register`) or to sign in with a phone number (`sign_in`).
pub async fn request_code(
    state: &AppState,
    ctx: &RequestCtx,
    tenant_slug: &str,
    purpose: &str,
    d: Destination,
) -> ApiResult<CodeSent> {
    let purpose = match purpose {
        "register" => Purpose::Register,
        "sign_in" => Purpose::SignIn,
        _ => return Err(ApiError::validation("purpose", "one of register, sign_in")),
    };
    let Some((t, r)) = tenant(state, tenant_slug).await? else {
        return Err(match purpose {
            Purpose::SignIn => phone_sign_in_off(),
            _ => registration_closed(),
        });
    };
    if purpose == Purpose::SignIn {
        if !matches!(d, Destination::Phone(_)) {
            return Err(ApiError::validation(
                "phone",
                "sign-in codes go to phone numbers",
            ));
        }
        if !r.phone_sign_in {
            return Err(phone_sign_in_off());
        }
    } else {
        may_register(&r, &d)?;
    }
    sender_ready(state, &d)?;
    let existing = {
        let mut conn = state.db.conn().await?;
        users::service::find_by_login(&mut conn, &t.id, d.value()).await?
    };
    let locale_of = |u: Option<&UserRow>| {
        Locale::choose(
            u.and_then(|u| u.locale.as_deref()),
            Some(&ctx.accept_language),
        )
    };
    let (usable, user_id, notice, notice_sms) = match purpose {
        Purpose::Register => {
            // An address that has an account gets a notice instead of a code.
            let l = locale_of(existing.as_ref());
            match (&existing, &d) {
                (None, _) => (true, None, None, None),
                (Some(u), Destination::Email(e)) => (
                    false,
                    Some(u.id.clone()),
                    Some(mail::already_registered_mail(l, e, &t.name)),
                    None,
                ),
                (Some(u), Destination::Phone(ph)) => (
                    false,
                    Some(u.id.clone()),
                    None,
                    Some(mail::already_registered_sms(l, ph, &t.name)),
                ),
            }
        }
        _ => match existing
            .as_ref()
            .filter(|u| u.status == "active" || u.status == "pending_erasure")
        {
            Some(u) => (true, Some(u.id.clone()), None, None),
            None => (false, None, None, None),
        },
    };
    let locale = locale_of(existing.as_ref());
    send_code(
        state,
        ctx,
        &t,
        Ask {
            tenant_id: &t.id,
            purpose,
            destination: &d,
            holder: "",
            user_id: user_id.as_deref(),
            usable,
            client_ip: &ctx.ip,
        },
        locale,
        notice,
        notice_sms,
        None,
    )
    .await
}

/// What someone signing up gives.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub tenant: String,
    pub destination: Destination,
    pub code: String,
    pub display_name: String,
    pub password: Option<String>,
    pub locale: Option<String>,
    pub device: String,
}

/// Sign up with the code sent to the address: the account is created with the tenant's default
/// role and the address verified, and signing in follows (a second factor first if the tenant
/// requires one for everyone).
pub async fn register(state: &AppState, ctx: &RequestCtx, s: SignUp) -> ApiResult<Outcome> {
    let Some((t, r)) = tenant(state, &s.tenant).await? else {
        return Err(registration_closed());
    };
    may_register(&r, &s.destination)?;
    let phone_only = matches!(s.destination, Destination::Phone(_)) && r.phone_sign_in;
    let hash = match s.password.as_deref().filter(|p| !p.is_empty()) {
        Some(pw) => {
            password::validate("password", pw)?;
            Some(password::hash(pw).await?)
        }
        None if phone_only => None,
        None => {
            return Err(ApiError::validation(
                "password",
                "a password is required (only people who register by phone, where phone \
                 sign-in is on, may go without)",
            ))
        }
    };
    crate::http::validate::text("display_name", &s.display_name, 200)?;
    users::validate::locale(s.locale.as_deref())?;
    let mut tx = state.db.begin().await?;
    let proof = match codes::verify(
        &mut tx,
        &state.blobs.keys,
        &state.cfg.codes,
        Target {
            tenant_id: &t.id,
            purpose: Purpose::Register,
            destination: &s.destination,
            holder: "",
        },
        &s.code,
    )
    .await?
    {
        Ok(p) => p,
        Err(e) => {
            failed(&mut tx, &t.id, ctx, "auth.register", None).await?;
            tx.commit().await?;
            return Err(e);
        }
    };
    let role_ids = match &r.default_role_id {
        Some(id)
            if crate::roles::service::check_role_ids(&mut tx, &t.id, std::slice::from_ref(id))
                .await
                .is_ok() =>
        {
            vec![id.clone()]
        }
        _ => Vec::new(),
    };
    let (email, phone) = match &s.destination {
        Destination::Email(e) => (Some(e.clone()), None),
        Destination::Phone(p) => (None, Some(p.clone())),
    };
    let user = users::service::insert_user(
        &mut tx,
        AccountCreator::Registered(&proof),
        &t.id,
        &users::service::NewUser {
            display_name: s.display_name.clone(),
            email,
            phone,
            locale: s.locale.clone(),
            role_ids,
            ..Default::default()
        },
        hash,
    )
    .await?;
    audit::record(
        &mut tx,
        Entry::new(&t.id, "user.registered")
            .actor(ActorKind::User, &user.id)
            .target("user", &user.id)
            .ctx(ctx)
            .details(serde_json::json!({ "channel": s.destination.channel() })),
    )
    .await?;
    let outcome = finish(&mut tx, state, ctx, user, &s.device, "registration").await?;
    tx.commit().await?;
    Ok(outcome)
}

/// A failed code check, audited.
async fn failed(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ctx: &RequestCtx,
    action: &'static str,
    user_id: Option<&str>,
) -> ApiResult<()> {
    let mut e = Entry::new(tenant_id, action)
        .actor(ActorKind::Anonymous, "")
        .ctx(ctx)
        .failed()
        .details(serde_json::json!({ "reason": "invalid_code" }));
    if let Some(u) = user_id {
        e = e.actor(ActorKind::User, u).target("user", u);
    }
    audit::record(conn, e).await?;
    Ok(())
}

/// Sign in with a phone number and the code sent to it, when the tenant allows it.
pub async fn sign_in_with_code(
    state: &AppState,
    ctx: &RequestCtx,
    tenant_slug: &str,
    phone: &str,
    code: &str,
    device: &str,
) -> ApiResult<Outcome> {
    let d = Destination::Phone(users::validate::phone("phone", phone)?);
    let Some((t, r)) = tenant(state, tenant_slug).await? else {
        return Err(phone_sign_in_off());
    };
    if !r.phone_sign_in {
        return Err(phone_sign_in_off());
    }
    let proof = {
        let mut tx = state.db.begin().await?;
        let checked = codes::verify(
            &mut tx,
            &state.blobs.keys,
            &state.cfg.codes,
            Target {
                tenant_id: &t.id,
                purpose: Purpose::SignIn,
                destination: &d,
                holder: "",
            },
            code,
        )
        .await?;
        if checked.is_err() {
            failed(&mut tx, &t.id, ctx, "auth.login", None).await?;
        }
        tx.commit().await?;
        checked?
    };
    let user_id = proof.user_id().ok_or_else(codes::invalid_code)?.to_string();
    // Signing in during the grace period of one's own deletion request cancels it, when the
    // tenant allows it (as with a password).
    let mut status = {
        let mut conn = state.db.conn().await?;
        users::service::load(&mut conn, &t.id, &user_id)
            .await?
            .status
    };
    if status == "pending_erasure" {
        if let Some(s) = users::deletion::cancel_on_sign_in(state, &t.id, &user_id).await? {
            status = s;
        }
    }
    let mut tx = state.db.begin().await?;
    if status != "active" {
        failed(&mut tx, &t.id, ctx, "auth.login", Some(&user_id)).await?;
        tx.commit().await?;
        return Err(codes::invalid_code());
    }
    // The code came back from the phone: it is proven.
    let user = users::service::set_proven_contact(&mut tx, &proof, &user_id).await?;
    let outcome = finish(&mut tx, state, ctx, user, device, "phone_code").await?;
    tx.commit().await?;
    Ok(outcome)
}
