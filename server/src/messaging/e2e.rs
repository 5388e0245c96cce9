//! End-to-end encrypted rooms ("only members hold the message encryption key").
//!
//! Clients register device public keys (X25519); a member generates a room key, wraps it for
//! every current member device and uploads the wrapped copies under a key version; messages are
//! ciphertext under a version. The server checks shapes and membership, stores what it is given
//! and never sees a key or a plaintext. Every membership change raises the room's key epoch:
//! until a member uploads a new version (wrapped only for the members of now), sends are refused
//! — so someone removed cannot read what follows, and someone added cannot read what came before.
//! Encrypted messages are never indexed.

use super::service::joined;
use crate::{
    authn::{Principal, Session},
    db::{now_ms, rfc3339},
    error::{ApiError, ApiResult, Code},
    http::ApiTags,
    AppState,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use poem::web::Data;
use poem_openapi::{param::Path, payload::Json, Object, OpenApi};
use sqlx::AnyConnection;
use std::sync::Arc;

const MAX_WRAPPED: usize = 1024;
pub const MAX_CIPHERTEXT: usize = 64 * 1024;

/// The room's key epoch when it is end-to-end encrypted.
pub async fn epoch(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select key_epoch from room_encryption where tenant_id = $1 and room_id = $2",
    )
    .bind(tenant_id)
    .bind(room_id)
    .fetch_optional(conn)
    .await
}

pub async fn enable(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into room_encryption (tenant_id, room_id, key_epoch) values ($1, $2, 1)")
        .bind(tenant_id)
        .bind(room_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// After a membership change: the next message needs a new key version.
pub async fn bump_epoch(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<(), sqlx::Error> {
    let latest = latest_version(conn, tenant_id, room_id).await?;
    sqlx::query(
        "update room_encryption set key_epoch = case when key_epoch > $1 then key_epoch else $1 end
         where tenant_id = $2 and room_id = $3",
    )
    .bind(latest + 1)
    .bind(tenant_id)
    .bind(room_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn latest_version(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select coalesce(max(version), 0) from room_keys where tenant_id = $1 and room_id = $2",
    )
    .bind(tenant_id)
    .bind(room_id)
    .fetch_one(conn)
    .await
}

/// Check an encrypted send: ciphertext only, under the newest key version, which must postdate
/// the last membership change.
pub async fn check_send(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    body: &str,
    ciphertext: Option<&str>,
    key_version: Option<i64>,
) -> ApiResult<Option<(String, i64)>> {
    let Some(epoch) = epoch(conn, tenant_id, room_id).await? else {
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
    let latest = latest_version(conn, tenant_id, room_id).await?;
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

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DeviceKey {
    /// The device's X25519 public key, base64 (32 bytes).
    pub public_key: String,
}

#[derive(Debug, Object)]
pub struct MemberDevice {
    pub user_id: String,
    pub device_id: String,
    pub public_key: String,
}

#[derive(Debug, Object)]
pub struct RoomDevices {
    /// Senders must use a key version at least this high (it rises with every membership change).
    pub key_epoch: i64,
    /// The newest uploaded key version (0: none yet).
    pub latest_version: i64,
    pub devices: Vec<MemberDevice>,
}

#[derive(Debug, Object)]
pub struct WrappedKey {
    pub user_id: String,
    pub device_id: String,
    /// The room key wrapped for that device, base64, opaque to the server.
    pub wrapped_key: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UploadKeys {
    pub version: i64,
    pub keys: Vec<WrappedKey>,
}

#[derive(Debug, Object)]
pub struct MyKey {
    pub version: i64,
    pub device_id: String,
    pub wrapped_key: String,
    pub created_by: String,
    pub created_at: String,
}

fn valid_device_id(d: &str) -> bool {
    (1..=100).contains(&d.len())
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

async fn encrypted_room(conn: &mut AnyConnection, p: &Principal, room_id: &str) -> ApiResult<i64> {
    joined(conn, p, room_id).await?;
    epoch(conn, &p.tenant_id, room_id)
        .await?
        .ok_or_else(|| ApiError::conflict(Code::Conflict, "this room is not end-to-end encrypted"))
}

#[derive(Default)]
pub struct E2eApi;

#[OpenApi(tag = "ApiTags::Messaging")]
impl E2eApi {
    /// Register (or replace) one of the caller's devices' public keys.
    #[oai(
        path = "/me/devices/:device_id",
        method = "put",
        operation_id = "e2e_register_device"
    )]
    async fn register(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        device_id: Path<String>,
        body: Json<DeviceKey>,
    ) -> ApiResult<Json<MemberDevice>> {
        let p = auth.0;
        if !valid_device_id(&device_id.0) {
            return Err(ApiError::validation(
                "device_id",
                "1 to 100 letters, digits, - or _",
            ));
        }
        let key = STANDARD
            .decode(body.0.public_key.trim())
            .ok()
            .filter(|k| k.len() == 32);
        if key.is_none() {
            return Err(ApiError::validation(
                "public_key",
                "an X25519 public key: 32 bytes, base64",
            ));
        }
        let mut tx = state.db.begin().await?;
        sqlx::query(
            "delete from user_devices where tenant_id = $1 and user_id = $2 and device_id = $3",
        )
        .bind(&p.tenant_id)
        .bind(&p.user_id)
        .bind(&device_id.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "insert into user_devices (tenant_id, user_id, device_id, public_key, created_at) values ($1, $2, $3, $4, $5)",
        )
        .bind(&p.tenant_id)
        .bind(&p.user_id)
        .bind(&device_id.0)
        .bind(body.0.public_key.trim())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Json(MemberDevice {
            user_id: p.user_id,
            device_id: device_id.0,
            public_key: body.0.public_key.trim().to_string(),
        }))
    }

    /// The devices of an encrypted room's current members, to wrap a room key for.
    #[oai(
        path = "/rooms/:id/devices",
        method = "get",
        operation_id = "e2e_room_devices"
    )]
    async fn devices(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<RoomDevices>> {
        let p = auth.0;
        let mut conn = state.db.conn().await?;
        let key_epoch = encrypted_room(&mut conn, &p, &id.0).await?;
        let latest_version = latest_version(&mut conn, &p.tenant_id, &id.0).await?;
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "select d.user_id, d.device_id, d.public_key from user_devices d
             join room_members m on m.tenant_id = d.tenant_id and m.user_id = d.user_id
             where d.tenant_id = $1 and m.room_id = $2 order by d.user_id, d.device_id limit 10000",
        )
        .bind(&p.tenant_id)
        .bind(&id.0)
        .fetch_all(&mut *conn)
        .await?;
        Ok(Json(RoomDevices {
            key_epoch,
            latest_version,
            devices: rows
                .into_iter()
                .map(|(user_id, device_id, public_key)| MemberDevice {
                    user_id,
                    device_id,
                    public_key,
                })
                .collect(),
        }))
    }

    /// Upload a room key version, wrapped for current member devices only.
    #[oai(
        path = "/rooms/:id/keys",
        method = "post",
        operation_id = "e2e_upload_keys"
    )]
    async fn upload(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<UploadKeys>,
    ) -> ApiResult<Json<RoomDevices>> {
        let p = auth.0;
        let b = body.0;
        if b.keys.is_empty() || b.keys.len() > 10_000 {
            return Err(ApiError::validation("keys", "1 to 10,000 wrapped keys"));
        }
        let mut tx = state.db.begin().await?;
        let key_epoch = encrypted_room(&mut tx, &p, &id.0).await?;
        let latest = latest_version(&mut tx, &p.tenant_id, &id.0).await?;
        let next = (latest + 1).max(key_epoch);
        let adding_devices = b.version == latest && latest >= key_epoch && latest > 0;
        if b.version != next && !adding_devices {
            return Err(ApiError::validation(
                "version",
                format!("the next key version is {next}"),
            ));
        }
        for (i, k) in b.keys.iter().enumerate() {
            let field = format!("keys[{i}]");
            if k.wrapped_key.len() > MAX_WRAPPED || STANDARD.decode(&k.wrapped_key).is_err() {
                return Err(ApiError::validation(
                    &field,
                    "wrapped_key: base64, at most 1 KiB",
                ));
            }
            let ok: i64 = sqlx::query_scalar(
                "select count(*) from user_devices d join room_members m
                   on m.tenant_id = d.tenant_id and m.user_id = d.user_id
                 where d.tenant_id = $1 and m.room_id = $2 and d.user_id = $3 and d.device_id = $4",
            )
            .bind(&p.tenant_id)
            .bind(&id.0)
            .bind(&k.user_id)
            .bind(&k.device_id)
            .fetch_one(&mut *tx)
            .await?;
            if ok == 0 {
                return Err(ApiError::validation(
                    &field,
                    "not a device of a current member",
                ));
            }
            sqlx::query(
                "insert into room_keys (tenant_id, room_id, version, user_id, device_id, wrapped_key, created_by, created_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing",
            )
            .bind(&p.tenant_id)
            .bind(&id.0)
            .bind(b.version)
            .bind(&k.user_id)
            .bind(&k.device_id)
            .bind(&k.wrapped_key)
            .bind(&p.user_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        }
        let latest_version = latest_version(&mut tx, &p.tenant_id, &id.0).await?;
        tx.commit().await?;
        Ok(Json(RoomDevices {
            key_epoch,
            latest_version,
            devices: Vec::new(),
        }))
    }

    /// The room keys wrapped for the caller's devices, every version they were given.
    #[oai(path = "/rooms/:id/keys", method = "get", operation_id = "e2e_my_keys")]
    async fn mine(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Vec<MyKey>>> {
        let p = auth.0;
        let mut conn = state.db.conn().await?;
        encrypted_room(&mut conn, &p, &id.0).await?;
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "select version, device_id, wrapped_key, created_by, created_at from room_keys
             where tenant_id = $1 and room_id = $2 and user_id = $3 order by version, device_id",
        )
        .bind(&p.tenant_id)
        .bind(&id.0)
        .bind(&p.user_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(Json(
            rows.into_iter()
                .map(
                    |(version, device_id, wrapped_key, created_by, created_at)| MyKey {
                        version,
                        device_id,
                        wrapped_key,
                        created_by,
                        created_at: rfc3339(created_at),
                    },
                )
                .collect(),
        ))
    }
}
