//! SQL of the blob layer: tenant data keys (`tenant_keys`).

use sqlx::AnyConnection;

/// The newest live data key of a tenant: (version, wrapped key, master key id).
pub async fn current_key(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Option<(i64, Vec<u8>, String)>, sqlx::Error> {
    sqlx::query_as(
        "select version, wrapped_key, master_key_id from tenant_keys
         where tenant_id = $1 and destroyed_at is null order by version desc limit 1",
    )
    .bind(tenant_id)
    .fetch_optional(conn)
    .await
}

/// The version a new data key of the tenant gets.
pub async fn next_key_version(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select coalesce(max(version), 0) + 1 from tenant_keys where tenant_id = $1")
        .bind(tenant_id)
        .fetch_one(conn)
        .await
}

/// Store a new wrapped key; false when another node stored this version first.
pub async fn insert_key(
    conn: &mut AnyConnection,
    tenant_id: &str,
    version: i64,
    wrapped: Vec<u8>,
    master_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into tenant_keys (tenant_id, version, wrapped_key, master_key_id, created_at)
         values ($1, $2, $3, $4, $5) on conflict (tenant_id, version) do nothing",
    )
    .bind(tenant_id)
    .bind(version)
    .bind(wrapped)
    .bind(master_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// One version of a tenant's key: (wrapped key, master key id).
pub async fn key(
    conn: &mut AnyConnection,
    tenant_id: &str,
    version: i64,
) -> Result<Option<(Vec<u8>, String)>, sqlx::Error> {
    sqlx::query_as(
        "select wrapped_key, master_key_id from tenant_keys where tenant_id = $1 and version = $2",
    )
    .bind(tenant_id)
    .bind(version)
    .fetch_optional(conn)
    .await
}

/// The id of a master key other than `ours` that wrapped a live key, if any.
pub async fn other_master(
    conn: &mut AnyConnection,
    ours: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select master_key_id from tenant_keys
         where master_key_id <> $1 and destroyed_at is null limit 1",
    )
    .bind(ours)
    .fetch_optional(conn)
    .await
}

/// Empty every live wrapped key of a tenant; how many there were.
pub async fn destroy_keys(
    conn: &mut AnyConnection,
    tenant_id: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update tenant_keys set wrapped_key = $1, destroyed_at = $2
         where tenant_id = $3 and destroyed_at is null",
    )
    .bind(Vec::<u8>::new())
    .bind(now)
    .bind(tenant_id)
    .execute(conn)
    .await?
    .rows_affected())
}
