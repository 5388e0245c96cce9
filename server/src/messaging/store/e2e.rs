//! SQL for end-to-end encryption: room key epochs, device keys and wrapped room keys.

use sqlx::AnyConnection;

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

/// Mark a room end-to-end encrypted, at epoch 1.
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

/// Raise the room's key epoch to at least `epoch` (never lower it).
pub async fn raise_epoch(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    epoch: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update room_encryption set key_epoch = case when key_epoch > $1 then key_epoch else $1 end
         where tenant_id = $2 and room_id = $3",
    )
    .bind(epoch)
    .bind(tenant_id)
    .bind(room_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest uploaded key version of a room (0: none yet).
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

/// Register (or replace) a person's device public key.
pub async fn put_device(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    device_id: &str,
    public_key: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "delete from user_devices where tenant_id = $1 and user_id = $2 and device_id = $3",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(device_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into user_devices (tenant_id, user_id, device_id, public_key, created_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(device_id)
    .bind(public_key)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// (user id, device id, public key) of the devices of a room's current members.
pub async fn member_devices(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select d.user_id, d.device_id, d.public_key from user_devices d
         join room_members m on m.tenant_id = d.tenant_id and m.user_id = d.user_id
         where d.tenant_id = $1 and m.room_id = $2 order by d.user_id, d.device_id limit 10000",
    )
    .bind(tenant_id)
    .bind(room_id)
    .fetch_all(conn)
    .await
}

/// Whether a device belongs to a current member of the room.
pub async fn is_member_device(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    user_id: &str,
    device_id: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from user_devices d join room_members m
           on m.tenant_id = d.tenant_id and m.user_id = d.user_id
         where d.tenant_id = $1 and m.room_id = $2 and d.user_id = $3 and d.device_id = $4",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(user_id)
    .bind(device_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// One wrapped copy of a room key version (kept as first uploaded).
pub struct WrappedKeyRow<'a> {
    pub tenant_id: &'a str,
    pub room_id: &'a str,
    pub version: i64,
    pub user_id: &'a str,
    pub device_id: &'a str,
    pub wrapped_key: &'a str,
    pub created_by: &'a str,
    pub created_at: i64,
}

pub async fn insert_wrapped_key(
    conn: &mut AnyConnection,
    k: &WrappedKeyRow<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into room_keys (tenant_id, room_id, version, user_id, device_id, wrapped_key, created_by, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing",
    )
    .bind(k.tenant_id)
    .bind(k.room_id)
    .bind(k.version)
    .bind(k.user_id)
    .bind(k.device_id)
    .bind(k.wrapped_key)
    .bind(k.created_by)
    .bind(k.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A room key version wrapped for one of a person's devices.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub version: i64,
    pub device_id: String,
    pub wrapped_key: String,
    pub created_by: String,
    pub created_at: i64,
}

/// The keys wrapped for a person's devices in a room, by version and device.
pub async fn keys_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    user_id: &str,
) -> Result<Vec<KeyRow>, sqlx::Error> {
    sqlx::query_as(
        "select version, device_id, wrapped_key, created_by, created_at from room_keys
         where tenant_id = $1 and room_id = $2 and user_id = $3 order by version, device_id",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}
