//! One-time codes sent by mail or text message — signing up, signing in by phone, proving an
//! address, resetting a password — with the rules that make them safe to offer to anyone:
//!
//! - A code is 6 digits drawn uniformly from the OS's CSPRNG; a link token is 256 random bits.
//!   Only a keyed digest is stored (HMAC under a key derived from the install's master key, so a
//!   copy of the database alone cannot be searched for the code).
//! - A code lives at most `codes.ttl_secs` (≤ 10 minutes) and dies after `codes.max_attempts`
//!   wrong guesses; it is consumed in one conditional statement, so of concurrent right answers
//!   exactly one succeeds. There is one live code per purpose, destination and holder: a new
//!   one replaces the old.
//! - Sending is limited by a cool-down per destination and by hourly quotas per destination, per
//!   client address (IPv6 grouped by /64; the address is the peer's unless a trusted proxy
//!   forwarded it) and per tenant. The quota keys are digests: no address is stored.
//! - **Nothing tells whether an address has an account.** A request for an address without one
//!   stores a code that can never match (`usable = false`), counts against the same quotas and
//!   cool-down and answers the same; whether a message is sent is decided by the feature,
//!   which sends a harmless notice instead where it makes sense.
//!
//! [`CodeProof`] is what a correct code gives: only [`verify`] and [`verify_link`] make one,
//! so account creation by self-registration (which takes it) cannot happen without a code.

pub mod store;

use crate::{
    blobs::crypto::KeyRing,
    config::CodesConfig,
    db::now_ms,
    error::{ApiError, ApiResult, Code},
};
use rand::Rng;
use sqlx::AnyConnection;
pub use store::Slot;

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Register,
    SignIn,
    Verify,
    PasswordReset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::SignIn => "sign_in",
            Purpose::Verify => "verify",
            Purpose::PasswordReset => "password_reset",
        }
    }
}

/// Where a code goes: an email address or a phone number (already normalised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Email(String),
    Phone(String),
}

impl Destination {
    /// The stored form: `email:<address>` or `phone:<E.164>`.
    pub fn key(&self) -> String {
        match self {
            Destination::Email(e) => format!("email:{e}"),
            Destination::Phone(p) => format!("phone:{p}"),
        }
    }

    pub fn channel(&self) -> &'static str {
        match self {
            Destination::Email(_) => "email",
            Destination::Phone(_) => "phone",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Destination::Email(v) | Destination::Phone(v) => v,
        }
    }
}

/// A code request.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub tenant_id: &'a str,
    pub purpose: Purpose,
    pub destination: &'a Destination,
    /// The person asking (a change of their own address), or `""` when nobody is signed in.
    pub holder: &'a str,
    /// The account the code acts on, if any.
    pub user_id: Option<&'a str>,
    /// Whether the code can ever succeed (false for an address without an account).
    pub usable: bool,
    /// The client address, for its quota.
    pub client_ip: &'a str,
}

/// A code put in its slot: the secret to send (meaningless when the ask was not usable).
#[derive(Debug)]
pub struct Issued {
    pub secret: String,
    pub expires_at: i64,
}

/// Proof that someone gave the right code for an address.
#[derive(Debug, Clone)]
pub struct CodeProof {
    tenant_id: String,
    destination: Destination,
    user_id: Option<String>,
}

impl CodeProof {
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
    pub fn destination(&self) -> &Destination {
        &self.destination
    }
    /// The account the code was issued for, if any.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }
}

const HOUR_MS: i64 = 3600 * 1000;

fn slot<'a>(a: &Ask<'a>, destination: &'a str) -> Slot<'a> {
    Slot {
        tenant_id: a.tenant_id,
        purpose: a.purpose.as_str(),
        destination,
        holder: a.holder,
    }
}

fn code_digest(keys: &KeyRing, s: Slot<'_>, code: &str) -> String {
    keys.mac(&[
        b"one-time-code",
        s.tenant_id.as_bytes(),
        s.purpose.as_bytes(),
        s.destination.as_bytes(),
        s.holder.as_bytes(),
        code.as_bytes(),
    ])
}

fn link_digest(keys: &KeyRing, purpose: Purpose, token: &str) -> String {
    keys.mac(&[
        b"one-time-link",
        purpose.as_str().as_bytes(),
        token.as_bytes(),
    ])
}

/// Six decimal digits, uniform.
fn six_digits() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

/// Count the send against the destination's, the client's and the tenant's hourly quotas and
/// the destination's cool-down. Refusals are 429 with `Retry-After`.
async fn spend_quota(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    cfg: &CodesConfig,
    a: &Ask<'_>,
    s: Slot<'_>,
    now: i64,
) -> ApiResult<()> {
    if let Some(sent) = store::live_since(&mut *conn, s).await? {
        let wait = sent + cfg.resend_cooldown_secs * 1000 - now;
        if wait > 0 {
            return Err(ApiError::rate_limited((wait as u64).div_ceil(1000)));
        }
    }
    let window = now - now.rem_euclid(HOUR_MS);
    let network = crate::ops::net::network_key(a.client_ip);
    let quotas = [
        (
            keys.mac(&[
                b"quota-destination",
                a.tenant_id.as_bytes(),
                s.destination.as_bytes(),
            ]),
            cfg.per_destination_per_hour,
        ),
        (
            keys.mac(&[b"quota-client", network.as_bytes()]),
            cfg.per_client_per_hour,
        ),
        (
            keys.mac(&[b"quota-tenant", a.tenant_id.as_bytes()]),
            cfg.per_tenant_per_hour,
        ),
    ];
    for (key, limit) in quotas {
        if store::count_send(&mut *conn, &key, window).await? > limit {
            return Err(ApiError::rate_limited(
                ((window + HOUR_MS - now) as u64).div_ceil(1000),
            ));
        }
    }
    Ok(())
}

/// Put a new 6-digit code in the slot of `a`, inside the caller's transaction (a refusal leaves
/// the transaction to be dropped). The caller sends the secret when the ask was usable.
pub async fn issue(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    cfg: &CodesConfig,
    a: Ask<'_>,
) -> ApiResult<Issued> {
    let now = now_ms();
    let destination = a.destination.key();
    let s = slot(&a, &destination);
    spend_quota(conn, keys, cfg, &a, s, now).await?;
    let secret = six_digits();
    let digest = if a.usable {
        code_digest(keys, s, &secret)
    } else {
        // Matches no code: the digest of 256 random bits nobody keeps.
        code_digest(keys, s, &crate::authn::tokens::generate("dead_"))
    };
    let expires_at = now + cfg.ttl_secs * 1000;
    store::put(conn, s, a.user_id, &digest, now, expires_at).await?;
    Ok(Issued { secret, expires_at })
}

/// Like [`issue`], for a link: the secret is a 256-bit token, valid `codes.reset_link_ttl_secs`.
pub async fn issue_link(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    cfg: &CodesConfig,
    a: Ask<'_>,
) -> ApiResult<Issued> {
    let now = now_ms();
    let destination = a.destination.key();
    let s = slot(&a, &destination);
    spend_quota(conn, keys, cfg, &a, s, now).await?;
    let secret = crate::authn::tokens::generate("stoa_r_");
    let digest = if a.usable {
        link_digest(keys, a.purpose, &secret)
    } else {
        link_digest(keys, a.purpose, &crate::authn::tokens::generate("dead_"))
    };
    let expires_at = now + cfg.reset_link_ttl_secs * 1000;
    store::put(conn, s, a.user_id, &digest, now, expires_at).await?;
    Ok(Issued { secret, expires_at })
}

/// Which live code an answer is for.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub tenant_id: &'a str,
    pub purpose: Purpose,
    pub destination: &'a Destination,
    /// The person asking (`""` when nobody is signed in), as when the code was asked for.
    pub holder: &'a str,
}

/// The one answer for a wrong, used, expired or unknown code.
pub fn invalid_code() -> ApiError {
    ApiError::new(
        Code::InvalidCode,
        "the code is wrong, already used or expired: ask for a new one",
    )
}

/// Check a code for the slot inside the caller's transaction: a proof when it is right (and
/// now consumed), else a wrong guess is counted and `invalid_code` answered — commit the
/// transaction either way, so the guess counts.
pub async fn verify(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    cfg: &CodesConfig,
    at: Target<'_>,
    code: &str,
) -> ApiResult<Result<CodeProof, ApiError>> {
    let Target {
        tenant_id,
        purpose,
        destination,
        holder,
    } = at;
    let key = destination.key();
    let s = Slot {
        tenant_id,
        purpose: purpose.as_str(),
        destination: &key,
        holder,
    };
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        let digest = code_digest(keys, s, code);
        if let Some(user_id) =
            store::consume(&mut *conn, s, &digest, now_ms(), cfg.max_attempts).await?
        {
            return Ok(Ok(CodeProof {
                tenant_id: tenant_id.to_string(),
                destination: destination.clone(),
                user_id,
            }));
        }
    }
    store::wrong_guess(conn, s).await?;
    Ok(Err(invalid_code()))
}

/// Check and consume a link token of `purpose` (any tenant: the token names its slot).
pub async fn verify_link(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    purpose: Purpose,
    token: &str,
) -> ApiResult<CodeProof> {
    if token.len() > 200 {
        return Err(invalid_code());
    }
    let digest = link_digest(keys, purpose, token.trim());
    let (tenant_id, key, user_id) = store::consume_link(conn, purpose.as_str(), &digest, now_ms())
        .await?
        .ok_or_else(invalid_code)?;
    let destination = match key.split_once(':') {
        Some(("email", v)) => Destination::Email(v.to_string()),
        Some(("phone", v)) => Destination::Phone(v.to_string()),
        _ => return Err(invalid_code()),
    };
    Ok(CodeProof {
        tenant_id,
        destination,
        user_id,
    })
}

/// Forget expired codes and past quota windows (a periodic task).
pub async fn prune(conn: &mut AnyConnection) -> ApiResult<u64> {
    Ok(store::prune(conn, now_ms()).await?)
}

/// Delete a person's codes (account erasure).
pub async fn delete_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    addresses: &[Destination],
) -> ApiResult<u64> {
    let keys: Vec<String> = addresses.iter().map(Destination::key).collect();
    Ok(store::delete_person(conn, tenant_id, user_id, &keys).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..200).map(|_| six_digits()).collect();
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(codes.len() > 190, "{}", codes.len());
    }

    #[test]
    fn digests_bind_the_slot() {
        let keys = KeyRing::new(&[7u8; 32]);
        let s = Slot {
            tenant_id: "t",
            purpose: "sign_in",
            destination: "phone:+84912345678",
            holder: "",
        };
        let other = Slot {
            destination: "phone:+84912345679",
            ..s
        };
        assert_eq!(
            code_digest(&keys, s, "123456"),
            code_digest(&keys, s, "123456")
        );
        assert_ne!(
            code_digest(&keys, s, "123456"),
            code_digest(&keys, other, "123456")
        );
        assert_ne!(
            code_digest(&keys, s, "123456"),
            code_digest(&KeyRing::new(&[8u8; 32]), s, "123456")
        );
    }
}
