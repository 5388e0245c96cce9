//! Small secrets sealed with the tenant's data key (AES-256-GCM), for values that must be kept
//! but must not sit in the database readable: a second factor's secret, a queued mail's body
//! with its link. The associated data binds a sealed value to its purpose and owner, so it
//! cannot be moved to another row. The form is `<key version>:<base64 nonce + ciphertext>`;
//! destroying the tenant's keys makes every sealed value unreadable, as it does its files.
//!
//! Seal before opening a write transaction: the tenant's key may have to be created first,
//! which on SQLite would wait for the caller's own transaction.

use crate::{
    db::Db,
    error::{ApiError, ApiResult},
};
use base64::{engine::general_purpose::STANDARD, Engine};
use rand::RngCore;
use ring::aead::{Aad, Nonce};
use sqlx::AnyConnection;

use super::crypto::KeyRing;

/// What a sealed value is bound to: its purpose (a versioned label) and its owner (a person's
/// id, a queue row's id).
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub purpose: &'a str,
    pub tenant_id: &'a str,
    pub owner: &'a str,
}

/// The tenant's current key, fetched (or created) before a write transaction opens, for sealing
/// inside it.
pub struct TenantKey {
    version: i64,
    cipher: super::crypto::Cipher,
}

/// The tenant's current key (created on first use).
pub async fn key(keys: &KeyRing, db: &Db, tenant_id: &str) -> ApiResult<TenantKey> {
    let (version, cipher) = keys
        .current(db, tenant_id)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(TenantKey { version, cipher })
}

impl TenantKey {
    /// Seal `raw`, bound to `cx` (whose tenant must be this key's).
    pub fn seal(&self, cx: Context<'_>, raw: &[u8]) -> ApiResult<String> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut buf = raw.to_vec();
        self.cipher
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(cx)),
                &mut buf,
            )
            .map_err(|_| ApiError::internal("sealing a secret failed"))?;
        Ok(format!(
            "{}:{}",
            self.version,
            STANDARD.encode([&nonce[..], &buf].concat())
        ))
    }
}

/// Seal `raw` for the tenant, bound to `cx`.
pub async fn seal(keys: &KeyRing, db: &Db, cx: Context<'_>, raw: &[u8]) -> ApiResult<String> {
    key(keys, db, cx.tenant_id).await?.seal(cx, raw)
}

/// Open what [`seal`] sealed with the same context.
pub async fn open(
    keys: &KeyRing,
    conn: &mut AnyConnection,
    cx: Context<'_>,
    sealed: &str,
) -> ApiResult<Vec<u8>> {
    let tenant_id = cx.tenant_id;
    let bad = || ApiError::internal("a sealed secret does not open");
    let (version, body) = sealed.split_once(':').ok_or_else(bad)?;
    let version: i64 = version.parse().map_err(|_| bad())?;
    let raw = STANDARD.decode(body).map_err(|_| bad())?;
    if raw.len() < 12 {
        return Err(bad());
    }
    let cipher = keys
        .get(conn, tenant_id, version)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let nonce = Nonce::try_assume_unique_for_key(&raw[..12]).map_err(|_| bad())?;
    let mut buf = raw[12..].to_vec();
    let plain = cipher
        .open_in_place(nonce, Aad::from(aad(cx)), &mut buf)
        .map_err(|_| bad())?;
    Ok(plain.to_vec())
}

fn aad(cx: Context<'_>) -> Vec<u8> {
    format!("{}\0{}\0{}", cx.purpose, cx.tenant_id, cx.owner).into_bytes()
}
