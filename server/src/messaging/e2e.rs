//! End-to-end encrypted rooms ("only members hold the message encryption key").
//!
//! Clients register device public keys (X25519); a member generates a room key, wraps it for
//! every current member device and uploads the wrapped copies under a key version; messages are
//! ciphertext under a version. The server checks shapes and membership, stores what it is given
//! and never sees a key or a plaintext. Every membership change raises the room's key epoch:
//! until a member uploads a new version (wrapped only for the members of now), sends are refused
//! — so someone removed cannot read what follows, and someone added cannot read what came before.
//! Encrypted messages are never indexed.
//!
//! Registering a device and uploading room keys need `messages.send` (they exist to send
//! encrypted messages); uploading and reading keys need membership too.

use super::{
    access::holder,
    access::{self, Joined},
    store::e2e as store,
};
use crate::{
    authn::Principal,
    authz::{perm, Granted},
    db::now_ms,
    error::{ApiError, ApiResult, Code},
    AppState,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use sqlx::AnyConnection;

pub use super::api::e2e::E2eApi;

const MAX_WRAPPED: usize = 1024;
pub const MAX_CIPHERTEXT: usize = 64 * 1024;
pub const MAX_KEYS_PER_UPLOAD: usize = 10_000;

/// Whether the room is end-to-end encrypted.
pub async fn encrypted(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(store::epoch(conn, tenant_id, room_id).await?.is_some())
}

/// Make a new room end-to-end encrypted (in its creation's transaction).
pub(super) async fn enable(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<(), sqlx::Error> {
    store::enable(conn, tenant_id, room_id).await
}

/// After a membership change: the next message needs a new key version.
pub(super) async fn bump_epoch(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<(), sqlx::Error> {
    let latest = store::latest_version(conn, tenant_id, room_id).await?;
    store::raise_epoch(conn, tenant_id, room_id, latest + 1).await
}

/// Check an encrypted send: ciphertext only, under the newest key version, which must postdate
/// the last membership change.
pub(super) async fn check_send(
    conn: &mut AnyConnection,
    j: &Joined<'_>,
    body: &str,
    ciphertext: Option<&str>,
    key_version: Option<i64>,
) -> ApiResult<Option<(String, i64)>> {
    let tenant_id = &j.principal().tenant_id;
    let room_id = j.room_id();
    // The epoch was read with the membership, in this transaction.
    let Some(epoch) = j.e2e_epoch() else {
        if ciphertext.is_some() || key_version.is_some() {
            return Err(ApiError::validation(
                "ciphertext",
                "this room is not end-to-end encrypted",
            ));
        }
        return Ok(None);
    };
    if !body.trim().is_empty() {
        return Err(ApiError::validation(
            "body",
            "this room is end-to-end encrypted: send `ciphertext`, never a plaintext body",
        ));
    }
    let (Some(ct), Some(v)) = (ciphertext, key_version) else {
        return Err(ApiError::validation(
            "ciphertext",
            "encrypted rooms need `ciphertext` and `key_version`",
        ));
    };
    if ct.len() > MAX_CIPHERTEXT || STANDARD.decode(ct).is_err() {
        return Err(ApiError::validation(
            "ciphertext",
            format!("base64, at most {MAX_CIPHERTEXT} characters"),
        ));
    }
    let latest = store::latest_version(conn, tenant_id, room_id).await?;
    if latest < epoch {
        return Err(ApiError::conflict(
            Code::Conflict,
            "the room's members changed: upload a new room key version first",
        ));
    }
    if v != latest {
        return Err(ApiError::conflict(
            Code::Conflict,
            format!("use the room's current key version {latest}"),
        ));
    }
    Ok(Some((ct.to_string(), v)))
}

fn valid_device_id(d: &str) -> bool {
    (1..=100).contains(&d.len())
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A member of an encrypted room, and the room's key epoch.
async fn encrypted_room<'a>(
    conn: &mut AnyConnection,
    p: &'a Principal,
    room_id: &str,
) -> ApiResult<(Joined<'a>, i64)> {
    let j = access::joined(conn, p, room_id).await?;
    let epoch = j.e2e_epoch().ok_or_else(|| {
        ApiError::conflict(Code::Conflict, "this room is not end-to-end encrypted")
    })?;
    Ok((j, epoch))
}

/// Register (or replace) one of the caller's devices' public key (needs `messages.send`);
/// returns the key as stored.
#[tracing::instrument(skip_all, fields(tenant_id = %g.principal().tenant_id))]
pub async fn register_device(
    state: &AppState,
    g: &Granted<'_>,
    device_id: &str,
    public_key: &str,
) -> ApiResult<String> {
    let p = holder(g, perm::MESSAGES_SEND)?;
    if !valid_device_id(device_id) {
        return Err(ApiError::validation(
            "device_id",
            "1 to 100 letters, digits, - or _",
        ));
    }
    let public_key = public_key.trim();
    let key = STANDARD.decode(public_key).ok().filter(|k| k.len() == 32);
    if key.is_none() {
        return Err(ApiError::validation(
            "public_key",
            "an X25519 public key: 32 bytes, base64",
        ));
    }
    let mut tx = state.db.begin().await?;
    store::put_device(
        &mut tx,
        &p.tenant_id,
        &p.user_id,
        device_id,
        public_key,
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(public_key.to_string())
}

pub struct RoomKeys {
    pub key_epoch: i64,
    pub latest_version: i64,
    /// (user id, device id, public key).
    pub devices: Vec<(String, String, String)>,
}

/// The devices of an encrypted room's current members, to wrap a room key for.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %room_id))]
pub async fn room_devices(state: &AppState, p: &Principal, room_id: &str) -> ApiResult<RoomKeys> {
    let mut conn = state.db.conn().await?;
    let (_, key_epoch) = encrypted_room(&mut conn, p, room_id).await?;
    let latest_version = store::latest_version(&mut conn, &p.tenant_id, room_id).await?;
    let devices = store::member_devices(&mut conn, &p.tenant_id, room_id).await?;
    Ok(RoomKeys {
        key_epoch,
        latest_version,
        devices,
    })
}

/// One wrapped copy of a room key, for one member device.
pub struct Wrapped {
    pub user_id: String,
    pub device_id: String,
    pub wrapped_key: String,
}

/// Upload a room key version, wrapped for current member devices only (needs `messages.send`
/// and membership).
#[tracing::instrument(skip_all, fields(tenant_id = %g.principal().tenant_id, room_id = %room_id))]
pub async fn upload_keys(
    state: &AppState,
    g: &Granted<'_>,
    room_id: &str,
    version: i64,
    keys: &[Wrapped],
) -> ApiResult<RoomKeys> {
    let p = holder(g, perm::MESSAGES_SEND)?;
    if keys.is_empty() || keys.len() > MAX_KEYS_PER_UPLOAD {
        return Err(ApiError::validation("keys", "1 to 10,000 wrapped keys"));
    }
    let mut tx = state.db.begin().await?;
    let (j, key_epoch) = encrypted_room(&mut tx, p, room_id).await?;
    let latest = store::latest_version(&mut tx, &p.tenant_id, room_id).await?;
    let next = (latest + 1).max(key_epoch);
    let adding_devices = version == latest && latest >= key_epoch && latest > 0;
    if version != next && !adding_devices {
        return Err(ApiError::validation(
            "version",
            format!("the next key version is {next}"),
        ));
    }
    let now = now_ms();
    for (i, k) in keys.iter().enumerate() {
        let field = format!("keys[{i}]");
        if k.wrapped_key.len() > MAX_WRAPPED || STANDARD.decode(&k.wrapped_key).is_err() {
            return Err(ApiError::validation(
                &field,
                "wrapped_key: base64, at most 1 KiB",
            ));
        }
        if !store::is_member_device(&mut tx, &p.tenant_id, room_id, &k.user_id, &k.device_id)
            .await?
        {
            return Err(ApiError::validation(
                &field,
                "not a device of a current member",
            ));
        }
        store::insert_wrapped_key(
            &mut tx,
            &store::WrappedKeyRow {
                tenant_id: &p.tenant_id,
                room_id: j.room_id(),
                version,
                user_id: &k.user_id,
                device_id: &k.device_id,
                wrapped_key: &k.wrapped_key,
                created_by: &p.user_id,
                created_at: now,
            },
        )
        .await?;
    }
    let latest_version = store::latest_version(&mut tx, &p.tenant_id, room_id).await?;
    tx.commit().await?;
    Ok(RoomKeys {
        key_epoch,
        latest_version,
        devices: Vec::new(),
    })
}

/// The room keys wrapped for the caller's devices, every version they were given.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %room_id))]
pub async fn my_keys(
    state: &AppState,
    p: &Principal,
    room_id: &str,
) -> ApiResult<Vec<store::KeyRow>> {
    let mut conn = state.db.conn().await?;
    encrypted_room(&mut conn, p, room_id).await?;
    Ok(store::keys_of(&mut conn, &p.tenant_id, room_id, &p.user_id).await?)
}
