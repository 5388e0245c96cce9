//! SQL for storage accounting: the tenant's limits and usage, each person's usage and quota.

use sqlx::AnyConnection;

/// The tenant's storage settings and usage: (quota, max upload, used), quota and max upload
/// `None` when the tenant has no setting of its own. A tenant without a `storage_limits` row
/// has none and uses nothing.
pub async fn storage_settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<(Option<i64>, Option<i64>, i64), sqlx::Error> {
    Ok(sqlx::query_as(
        "select storage_quota_bytes, max_upload_bytes, storage_used_bytes from storage_limits
         where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(conn)
    .await?
    .unwrap_or((None, None, 0)))
}

/// Create the tenant's `storage_limits` row (all defaults) unless it exists.
async fn ensure_limits(conn: &mut AnyConnection, tenant_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into storage_limits (tenant_id) values ($1) on conflict (tenant_id) do nothing",
    )
    .bind(tenant_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Create a person's `storage_usage` row (nothing used, no own quota) unless it exists.
async fn ensure_usage(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into storage_usage (tenant_id, user_id) values ($1, $2)
         on conflict (tenant_id, user_id) do nothing",
    )
    .bind(tenant_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Set (`None`: clear) the tenant's storage quota.
pub async fn set_quota(
    conn: &mut AnyConnection,
    tenant_id: &str,
    quota: Option<i64>,
) -> Result<(), sqlx::Error> {
    ensure_limits(conn, tenant_id).await?;
    sqlx::query("update storage_limits set storage_quota_bytes = $1 where tenant_id = $2")
        .bind(quota)
        .bind(tenant_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Set (`None`: clear) the tenant's per-file limit.
pub async fn set_max_upload(
    conn: &mut AnyConnection,
    tenant_id: &str,
    max_upload: Option<i64>,
) -> Result<(), sqlx::Error> {
    ensure_limits(conn, tenant_id).await?;
    sqlx::query("update storage_limits set max_upload_bytes = $1 where tenant_id = $2")
        .bind(max_upload)
        .bind(tenant_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The tenant's per-person quota (`None`: not set).
pub async fn user_quota_default(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, Option<i64>>(
        "select user_quota_bytes from storage_limits where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// Set (`None`: clear) the tenant's per-person quota.
pub async fn set_user_quota_default(
    conn: &mut AnyConnection,
    tenant_id: &str,
    quota: Option<i64>,
) -> Result<(), sqlx::Error> {
    ensure_limits(conn, tenant_id).await?;
    sqlx::query("update storage_limits set user_quota_bytes = $1 where tenant_id = $2")
        .bind(quota)
        .bind(tenant_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Set (`None`: clear) one person's own quota.
pub async fn set_user_quota(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    quota: Option<i64>,
) -> Result<(), sqlx::Error> {
    ensure_usage(conn, tenant_id, user_id).await?;
    sqlx::query("update storage_usage set quota_bytes = $1 where tenant_id = $2 and user_id = $3")
        .bind(quota)
        .bind(tenant_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Count `bytes` against the tenant's quota (`default_quota` when it has none; 0 = unlimited).
/// False, and nothing changed, when it would exceed it. One conditional update: concurrent
/// reservations cannot together pass the quota.
pub async fn reserve(
    conn: &mut AnyConnection,
    tenant_id: &str,
    bytes: i64,
    default_quota: i64,
) -> Result<bool, sqlx::Error> {
    ensure_limits(conn, tenant_id).await?;
    Ok(sqlx::query(
        "update storage_limits set storage_used_bytes = storage_used_bytes + $1
         where tenant_id = $2 and (coalesce(storage_quota_bytes, $3) = 0
                            or storage_used_bytes + $1 <= coalesce(storage_quota_bytes, $3))",
    )
    .bind(bytes)
    .bind(tenant_id)
    .bind(default_quota)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn release(
    conn: &mut AnyConnection,
    tenant_id: &str,
    bytes: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update storage_limits set storage_used_bytes = case when storage_used_bytes > $1
                then storage_used_bytes - $1 else 0 end where tenant_id = $2",
    )
    .bind(bytes)
    .bind(tenant_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Count `bytes` against a person's quota: their own setting, else the tenant's per-person
/// setting, else no limit (0 = unlimited). False, and nothing changed, when it would exceed
/// it (one conditional update, as for the tenant).
pub async fn reserve_user(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    bytes: i64,
) -> Result<bool, sqlx::Error> {
    ensure_usage(conn, tenant_id, user_id).await?;
    Ok(sqlx::query(
        "update storage_usage set used_bytes = used_bytes + $1
         where tenant_id = $2 and user_id = $3 and (
            coalesce(quota_bytes, (select user_quota_bytes from storage_limits where tenant_id = $2), 0) = 0
            or used_bytes + $1 <= coalesce(quota_bytes,
                (select user_quota_bytes from storage_limits where tenant_id = $2), 0))",
    )
    .bind(bytes)
    .bind(tenant_id)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn release_user(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    bytes: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update storage_usage set used_bytes = case when used_bytes > $1
                then used_bytes - $1 else 0 end where tenant_id = $2 and user_id = $3",
    )
    .bind(bytes)
    .bind(tenant_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A person's (used, quota) bytes; quota 0 = no per-person limit.
pub async fn user_storage(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "select coalesce((select used_bytes from storage_usage where tenant_id = $1 and user_id = $2), 0),
            coalesce((select quota_bytes from storage_usage where tenant_id = $1 and user_id = $2),
                (select user_quota_bytes from storage_limits where tenant_id = $1), 0)",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_one(conn)
    .await
}

/// Every person's (user id, used bytes, own quota) that has a `storage_usage` row.
pub async fn usage_rows(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<(String, i64, Option<i64>)>, sqlx::Error> {
    sqlx::query_as(
        "select user_id, used_bytes, quota_bytes from storage_usage where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}
