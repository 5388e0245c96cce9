//! Small secrets kept in database rows (a second factor's TOTP secret, an identity provider's
//! client secret) sealed with the tenant's data key, as blobs are: AES-256-GCM with a random
//! nonce, bound by associated data to what the secret belongs to, so a sealed value copied into
//! another row (or tenant) does not open. Destroying the tenant's keys makes them unreadable
//! with everything else.
//!
//! Stored form: `<key version>:<base64 of nonce ‖ ciphertext ‖ tag>`.

use crate::{
    error::{ApiError, ApiResult},
    AppState,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use rand::RngCore;
use ring::aead::{Aad, Nonce};
use sqlx::AnyConnection;

/// Seal `raw` with the tenant's current key. Done outside a transaction: the tenant's first key
/// may need a write of its own.
pub async fn seal(state: &AppState, tenant_id: &str, aad: &[u8], raw: &[u8]) -> ApiResult<String> {
    let (version, cipher) = state
        .blobs
        .keys
        .current(&state.db, tenant_id)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let mut buf = raw.to_vec();
    cipher
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| ApiError::internal("sealing a secret failed"))?;
    Ok(format!(
        "{version}:{}",
        STANDARD.encode([&nonce[..], &buf].concat())
    ))
}

/// Open a value [`seal`] made with the same associated data.
pub async fn open(
    state: &AppState,
    conn: &mut AnyConnection,
    tenant_id: &str,
    aad: &[u8],
    sealed: &str,
) -> ApiResult<Vec<u8>> {
    let bad = || ApiError::internal("a stored secret does not open");
    let (version, body) = sealed.split_once(':').ok_or_else(bad)?;
    let version: i64 = version.parse().map_err(|_| bad())?;
    let raw = STANDARD.decode(body).map_err(|_| bad())?;
    if raw.len() < 12 {
        return Err(bad());
    }
    let cipher = state
        .blobs
        .keys
        .get(conn, tenant_id, version)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let nonce = Nonce::try_assume_unique_for_key(&raw[..12]).map_err(|_| bad())?;
    let mut buf = raw[12..].to_vec();
    let plain = cipher
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| bad())?;
    Ok(plain.to_vec())
}
