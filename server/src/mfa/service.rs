//! The rules of two-factor sign-in (TOTP, RFC 6238: SHA-1, 6 digits, 30-second steps, one step
//! of clock drift either way).
//!
//! - Each code works **once**: the factor records the last time step accepted, and a code is
//!   accepted only for a later step — in the same statement that records it, so of two
//!   concurrent uses exactly one wins.
//! - A **challenge** stands between a correct password and a session: 5 minutes, at most 5
//!   wrong answers, then it is dead; used once. Its `enrol` kind is the limited credential of a
//!   person whom the tenant's policy requires to set up a factor: it can do nothing but enrol.
//! - The secret is sealed with the tenant's key (AES-256-GCM, bound to the person), as blobs
//!   are; recovery codes are stored as SHA-256 digests of 50 random bits each.

use super::store;
use crate::{
    audit,
    authn::{password, tokens, Principal},
    authz::{catalogue::CATALOGUE, contain_account, perm, user_permissions, Contained},
    blobs::seal,
    db::now_ms,
    error::{ApiError, ApiResult, Code},
    ops::ctx::RequestCtx,
    AppState,
};
use rand::RngCore;
use sqlx::AnyConnection;
use totp_rs::{Algorithm, TOTP};

const STEP_SECS: i64 = 30;
const CHALLENGE_MS: i64 = 5 * 60 * 1000;
pub const MAX_ATTEMPTS: i64 = 5;
const RECOVERY_CODES: usize = 10;

/// Who must have a second factor.
pub const POLICIES: &[&str] = &["optional", "admins", "everyone"];

/// A factor being set up: what an authenticator app needs.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Base32, for typing in.
    pub secret: String,
    pub otpauth_uri: String,
    /// The URI as a QR code (SVG).
    pub qr_svg: String,
}

/// What a correct password leads to when a second factor is involved.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub token: String,
    /// `totp` or `enrol`.
    pub kind: &'static str,
    pub expires_at: i64,
}

/// What a factor's secret is sealed to: its purpose and its person.
fn sealed_to<'a>(tenant_id: &'a str, user_id: &'a str) -> seal::Context<'a> {
    seal::Context {
        purpose: "stoa-totp-v1",
        tenant_id,
        owner: user_id,
    }
}

async fn seal(state: &AppState, tenant_id: &str, user_id: &str, raw: &[u8]) -> ApiResult<String> {
    seal::seal(
        &state.blobs.keys,
        &state.db,
        sealed_to(tenant_id, user_id),
        raw,
    )
    .await
}

async fn open(
    state: &AppState,
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    sealed: &str,
) -> ApiResult<Vec<u8>> {
    seal::open(
        &state.blobs.keys,
        conn,
        sealed_to(tenant_id, user_id),
        sealed,
    )
    .await
}

fn totp(secret: Vec<u8>, issuer: &str, account: &str) -> ApiResult<TOTP> {
    // Neither may hold `:` (the otpauth label's separator).
    TOTP::new(
        Algorithm::SHA1,
        6,
        0,
        STEP_SECS as u64,
        secret,
        Some(issuer.replace(':', " ")),
        account.replace(':', " "),
    )
    .map_err(|e| ApiError::internal(e.to_string()))
}

/// The time step a code belongs to (this one, or one either side for clock drift).
fn matching_step(t: &TOTP, code: &str) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = now_ms() / 1000 / STEP_SECS;
    [now - 1, now, now + 1]
        .into_iter()
        .find(|s| t.generate((s * STEP_SECS) as u64) == code)
}

fn recovery_hash(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    tokens::hash(&format!("stoa-recovery\0{norm}"))
}

fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut bytes = [0u8; 10];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let s: String = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        codes.push(format!("{}-{}", &s[..5], &s[5..]));
    }
    let hashes = codes.iter().map(|c| recovery_hash(c)).collect();
    (codes, hashes)
}

/// Whether the tenant's policy requires this person to have a second factor.
async fn required(conn: &mut AnyConnection, tenant_id: &str, user_id: &str) -> ApiResult<bool> {
    Ok(match store::policy(&mut *conn, tenant_id).await?.as_str() {
        "everyone" => true,
        "admins" => {
            let held = user_permissions(conn, tenant_id, user_id).await?;
            CATALOGUE.iter().any(|p| !p.staff && held.contains(p.key))
        }
        _ => false,
    })
}

async fn new_challenge(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    kind: &'static str,
    device: &str,
) -> ApiResult<Challenge> {
    let token = tokens::generate("stoa_c_");
    let expires_at = now_ms() + CHALLENGE_MS;
    store::delete_challenges(&mut *conn, "", "", now_ms()).await?;
    store::insert_challenge(
        conn,
        &tokens::hash(&token),
        tenant_id,
        user_id,
        kind,
        device,
        expires_at,
    )
    .await?;
    Ok(Challenge {
        token,
        kind,
        expires_at,
    })
}

/// After a correct password, inside the sign-in's transaction: the challenge to answer before
/// a session starts (`totp` with a confirmed factor; `enrol` when the tenant requires a factor
/// the person has not set up), or `None`: no second factor.
pub async fn after_password(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    device: &str,
) -> ApiResult<Option<Challenge>> {
    let confirmed = store::factor(&mut *conn, tenant_id, user_id)
        .await?
        .is_some_and(|f| f.confirmed_at.is_some());
    if confirmed {
        return Ok(Some(
            new_challenge(conn, tenant_id, user_id, "totp", device).await?,
        ));
    }
    if required(&mut *conn, tenant_id, user_id).await? {
        return Ok(Some(
            new_challenge(conn, tenant_id, user_id, "enrol", device).await?,
        ));
    }
    Ok(None)
}

/// A challenge that is still good; the answer every bad one gets is the same.
async fn live_challenge(
    conn: &mut AnyConnection,
    token: &str,
    kind: &str,
) -> ApiResult<(String, store::ChallengeRow)> {
    let invalid = || {
        ApiError::new(
            Code::InvalidCredentials,
            "the sign-in challenge is invalid, used or expired: sign in again",
        )
    };
    if token.len() > 200 {
        return Err(invalid());
    }
    let hash = tokens::hash(token);
    match store::challenge(conn, &hash).await? {
        Some(c) if c.expires_at > now_ms() && c.kind == kind && c.attempts < MAX_ATTEMPTS => {
            Ok((hash, c))
        }
        _ => Err(invalid()),
    }
}

/// Who signed in, once their challenge is answered: (tenant, user, device).
pub type Passed = (String, String, String);

/// Answer a `totp` challenge with a code or a recovery code; the challenge is used up.
pub async fn answer(
    state: &AppState,
    ctx: &RequestCtx,
    token: &str,
    code: Option<&str>,
    recovery_code: Option<&str>,
) -> ApiResult<Passed> {
    let mut tx = state.db.begin().await?;
    let (hash, c) = live_challenge(&mut tx, token, "totp").await?;
    let ok = match (code, recovery_code) {
        (Some(code), None) => {
            let f = store::factor(&mut tx, &c.tenant_id, &c.user_id)
                .await?
                .ok_or_else(|| ApiError::new(Code::InvalidCredentials, "no second factor"))?;
            let secret = open(state, &mut tx, &c.tenant_id, &c.user_id, &f.secret).await?;
            match matching_step(&totp(secret, "stoa", "x")?, code) {
                Some(step) => store::use_step(&mut tx, &c.tenant_id, &c.user_id, step).await?,
                None => false,
            }
        }
        (None, Some(rc)) => {
            store::use_recovery_code(
                &mut tx,
                &c.tenant_id,
                &c.user_id,
                &recovery_hash(rc),
                now_ms(),
            )
            .await?
        }
        _ => {
            return Err(ApiError::validation(
                "code",
                "give either `code` or `recovery_code`",
            ))
        }
    };
    let mut entry = audit::Entry::new(&c.tenant_id, "auth.second_factor")
        .actor(audit::ActorKind::User, &c.user_id)
        .target("user", &c.user_id)
        .ctx(ctx)
        .details(serde_json::json!({ "method": if recovery_code.is_some() { "recovery_code" } else { "totp" } }));
    if !ok {
        drop(tx);
        let mut tx = state.db.begin().await?;
        let attempts = store::failed_attempt(&mut tx, &hash).await?;
        if attempts >= MAX_ATTEMPTS {
            store::take_challenge(&mut tx, &hash).await?;
        }
        entry = entry.failed();
        audit::record(&mut tx, entry).await?;
        tx.commit().await?;
        return Err(ApiError::new(
            Code::InvalidCredentials,
            "the code is not correct (or was used already)",
        ));
    }
    if !store::take_challenge(&mut tx, &hash).await? {
        return Err(ApiError::new(
            Code::InvalidCredentials,
            "the sign-in challenge was used already",
        ));
    }
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;
    Ok((c.tenant_id, c.user_id, c.device))
}

/// A new secret, sealed with the tenant's key. Done before the enrolment's transaction: the
/// tenant's first key may need a write of its own.
async fn new_secret(
    state: &AppState,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<(Vec<u8>, String)> {
    let mut raw = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let sealed = seal(state, tenant_id, user_id, &raw).await?;
    Ok((raw, sealed))
}

async fn start_enrolment(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    (raw, sealed): (Vec<u8>, String),
) -> ApiResult<Enrolment> {
    if store::factor(&mut *conn, tenant_id, user_id)
        .await?
        .is_some_and(|f| f.confirmed_at.is_some())
    {
        return Err(ApiError::conflict(
            Code::Conflict,
            "two-factor sign-in is on already: turn it off first to set up another",
        ));
    }
    let u = crate::users::service::load(&mut *conn, tenant_id, user_id).await?;
    let tenant = crate::tenants::service::by_id(&mut *conn, tenant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    let account = u.email.or(u.phone).unwrap_or(u.display_name);
    let t = totp(raw, &format!("Stoa ({})", tenant.slug), &account)?;
    store::put_factor(conn, tenant_id, user_id, &sealed, now_ms()).await?;
    let uri = t.get_url();
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| ApiError::internal(e.to_string()))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(Enrolment {
        secret: t.get_secret_base32(),
        otpauth_uri: uri,
        qr_svg,
    })
}

/// Confirm a factor being set up with its first code; the recovery codes (shown once).
async fn finish_enrolment(
    state: &AppState,
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    code: &str,
) -> ApiResult<Vec<String>> {
    let f = store::factor(&mut *conn, tenant_id, user_id)
        .await?
        .filter(|f| f.confirmed_at.is_none())
        .ok_or_else(|| {
            ApiError::conflict(
                Code::Conflict,
                "no second factor is being set up: enrol first",
            )
        })?;
    let secret = open(state, conn, tenant_id, user_id, &f.secret).await?;
    let ok = match matching_step(&totp(secret, "stoa", "x")?, code) {
        Some(step) => store::use_step(&mut *conn, tenant_id, user_id, step).await?,
        None => false,
    };
    if !ok {
        return Err(ApiError::validation(
            "code",
            "the code does not match: check the device's clock and try the next one",
        ));
    }
    store::confirm(&mut *conn, tenant_id, user_id, now_ms()).await?;
    let (codes, hashes) = new_recovery_codes();
    store::set_recovery_codes(conn, tenant_id, user_id, &hashes).await?;
    Ok(codes)
}

/// Set up a factor with an `enrol` challenge (the tenant requires one).
pub async fn enrol_challenge(state: &AppState, token: &str) -> ApiResult<Enrolment> {
    let (_, c) = {
        let mut conn = state.db.conn().await?;
        live_challenge(&mut conn, token, "enrol").await?
    };
    let secret = new_secret(state, &c.tenant_id, &c.user_id).await?;
    let mut tx = state.db.begin().await?;
    live_challenge(&mut tx, token, "enrol").await?;
    let e = start_enrolment(&mut tx, &c.tenant_id, &c.user_id, secret).await?;
    tx.commit().await?;
    Ok(e)
}

/// Confirm it; the challenge is used up and a session may start.
pub async fn confirm_challenge(
    state: &AppState,
    ctx: &RequestCtx,
    token: &str,
    code: &str,
) -> ApiResult<(Passed, Vec<String>)> {
    let mut tx = state.db.begin().await?;
    let (hash, c) = live_challenge(&mut tx, token, "enrol").await?;
    let codes = match finish_enrolment(state, &mut tx, &c.tenant_id, &c.user_id, code).await {
        Ok(codes) => codes,
        Err(e) => {
            drop(tx);
            let mut tx = state.db.begin().await?;
            if store::failed_attempt(&mut tx, &hash).await? >= MAX_ATTEMPTS {
                store::take_challenge(&mut tx, &hash).await?;
            }
            tx.commit().await?;
            return Err(e);
        }
    };
    if !store::take_challenge(&mut tx, &hash).await? {
        return Err(ApiError::new(
            Code::InvalidCredentials,
            "the sign-in challenge was used already",
        ));
    }
    audit::record(
        &mut tx,
        audit::Entry::new(&c.tenant_id, "user.two_factor_enabled")
            .actor(audit::ActorKind::User, &c.user_id)
            .target("user", &c.user_id)
            .ctx(ctx),
    )
    .await?;
    tx.commit().await?;
    Ok(((c.tenant_id, c.user_id, c.device), codes))
}

/// A person's second factor as they see it: (on, recovery codes left, required by policy).
pub async fn status(state: &AppState, p: &Principal) -> ApiResult<(bool, i64, bool)> {
    let mut conn = state.db.conn().await?;
    let on = store::factor(&mut conn, &p.tenant_id, &p.user_id)
        .await?
        .is_some_and(|f| f.confirmed_at.is_some());
    let left = store::recovery_codes_left(&mut conn, &p.tenant_id, &p.user_id).await?;
    let required = required(&mut conn, &p.tenant_id, &p.user_id).await?;
    Ok((on, left, required))
}

pub async fn enrol(state: &AppState, p: &Principal) -> ApiResult<Enrolment> {
    let secret = new_secret(state, &p.tenant_id, &p.user_id).await?;
    let mut tx = state.db.begin().await?;
    let e = start_enrolment(&mut tx, &p.tenant_id, &p.user_id, secret).await?;
    tx.commit().await?;
    Ok(e)
}

pub async fn confirm(state: &AppState, p: &Principal, code: &str) -> ApiResult<Vec<String>> {
    let mut tx = state.db.begin().await?;
    let codes = finish_enrolment(state, &mut tx, &p.tenant_id, &p.user_id, code).await?;
    audit::record(
        &mut tx,
        p.audit("user.two_factor_enabled")
            .target("user", &p.user_id),
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turn it off, with the password and a current code; not while the policy requires it.
pub async fn disable(state: &AppState, p: &Principal, pw: &str, code: &str) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let u = crate::users::service::load(&mut tx, &p.tenant_id, &p.user_id).await?;
    let f = store::factor(&mut tx, &p.tenant_id, &p.user_id)
        .await?
        .filter(|f| f.confirmed_at.is_some())
        .ok_or_else(|| ApiError::conflict(Code::Conflict, "two-factor sign-in is off"))?;
    if required(&mut tx, &p.tenant_id, &p.user_id).await? {
        return Err(ApiError::conflict(
            Code::Conflict,
            "the tenant requires two-factor sign-in for this account",
        ));
    }
    if !password::verify(pw, u.password_hash.as_deref()).await {
        return Err(ApiError::validation(
            "password",
            "the password is not correct",
        ));
    }
    let secret = open(state, &mut tx, &p.tenant_id, &p.user_id, &f.secret).await?;
    let ok = match matching_step(&totp(secret, "stoa", "x")?, code) {
        Some(step) => store::use_step(&mut tx, &p.tenant_id, &p.user_id, step).await?,
        None => false,
    };
    if !ok {
        return Err(ApiError::validation("code", "the code is not correct"));
    }
    store::delete_factor(&mut tx, &p.tenant_id, &p.user_id).await?;
    audit::record(
        &mut tx,
        p.audit("user.two_factor_disabled")
            .target("user", &p.user_id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An admin removes a person's second factor (lost device): `users.manage`, within reach.
pub async fn reset(state: &AppState, p: &Principal, user_id: &str) -> ApiResult<()> {
    let g = state.authz.require(p, perm::USERS_MANAGE).await?;
    let mut tx = state.db.begin().await?;
    crate::users::service::load(&mut tx, &p.tenant_id, user_id).await?;
    let _: Contained = contain_account(&mut tx, p, user_id).await?;
    let had = store::delete_factor(&mut tx, &p.tenant_id, user_id).await?;
    store::delete_challenges(&mut tx, &p.tenant_id, user_id, now_ms()).await?;
    audit::record(
        &mut tx,
        crate::users::service::audit_user(&g, "user.two_factor_reset", user_id)
            .details(serde_json::json!({ "had_factor": had })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A tenant's two-factor policy (`optional`, `admins`, `everyone`) as a sign-in page may
/// show it.
pub async fn policy_of(conn: &mut sqlx::AnyConnection, tenant_id: &str) -> ApiResult<String> {
    Ok(store::policy(conn, tenant_id).await?)
}

pub async fn policy(state: &AppState, p: &Principal) -> ApiResult<String> {
    state.authz.require(p, perm::SETTINGS_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    Ok(store::policy(&mut conn, &p.tenant_id).await?)
}

pub async fn set_policy(state: &AppState, p: &Principal, policy: &str) -> ApiResult<String> {
    let g = state.authz.require(p, perm::SETTINGS_MANAGE).await?;
    if !POLICIES.contains(&policy) {
        return Err(ApiError::validation(
            "policy",
            "one of optional, admins, everyone",
        ));
    }
    let mut tx = state.db.begin().await?;
    store::set_policy(&mut tx, &p.tenant_id, policy, &p.user_id, now_ms()).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("two_factor_policy.updated")
            .details(serde_json::json!({ "policy": policy })),
    )
    .await?;
    tx.commit().await?;
    Ok(policy.to_string())
}
