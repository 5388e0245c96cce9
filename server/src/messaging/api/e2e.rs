//! End-to-end encryption: device keys (`/me/devices`) and room keys (`/rooms/{id}/keys`).

use super::super::e2e::{self, Wrapped};
use crate::{authn::Session, authz::perm, db::rfc3339, error::ApiResult, http::ApiTags, AppState};
use poem::web::Data;
use poem_openapi::{param::Path, payload::Json, Object, OpenApi};
use std::sync::Arc;

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

impl From<e2e::RoomKeys> for RoomDevices {
    fn from(k: e2e::RoomKeys) -> Self {
        RoomDevices {
            key_epoch: k.key_epoch,
            latest_version: k.latest_version,
            devices: k
                .devices
                .into_iter()
                .map(|(user_id, device_id, public_key)| MemberDevice {
                    user_id,
                    device_id,
                    public_key,
                })
                .collect(),
        }
    }
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
        let g = state.authz.require(&auth.0, perm::MESSAGES_SEND).await?;
        let public_key = e2e::register_device(&state, &g, &device_id.0, &body.0.public_key).await?;
        Ok(Json(MemberDevice {
            user_id: auth.0.user_id.clone(),
            device_id: device_id.0,
            public_key,
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
        Ok(Json(
            e2e::room_devices(&state, &auth.0, &id.0).await?.into(),
        ))
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
        let g = state.authz.require(&auth.0, perm::MESSAGES_SEND).await?;
        let b = body.0;
        let keys: Vec<Wrapped> = b
            .keys
            .into_iter()
            .map(|k| Wrapped {
                user_id: k.user_id,
                device_id: k.device_id,
                wrapped_key: k.wrapped_key,
            })
            .collect();
        let k = e2e::upload_keys(&state, &g, &id.0, b.version, &keys).await?;
        Ok(Json(k.into()))
    }

    /// The room keys wrapped for the caller's devices, every version they were given.
    #[oai(path = "/rooms/:id/keys", method = "get", operation_id = "e2e_my_keys")]
    async fn mine(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Vec<MyKey>>> {
        let rows = e2e::my_keys(&state, &auth.0, &id.0).await?;
        Ok(Json(
            rows.into_iter()
                .map(|k| MyKey {
                    version: k.version,
                    device_id: k.device_id,
                    wrapped_key: k.wrapped_key,
                    created_by: k.created_by,
                    created_at: rfc3339(k.created_at),
                })
                .collect(),
        ))
    }
}
