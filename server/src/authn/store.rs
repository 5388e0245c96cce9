//! SQL for sessions and invitations.

use crate::db::now_ms;
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub device: String,
    pub ip: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_session(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    user_id: &str,
    token_hash: &str,
    device: &str,
    ip: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "insert into sessions (tenant_id, id, user_id, token_hash, device, ip, created_at, last_seen_at, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(user_id)
    .bind(token_hash)
    .bind(device)
    .bind(ip)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn touch(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
    ip: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update sessions set last_seen_at = $1, ip = case when $2 = '' then ip else $2 end where tenant_id = $3 and id = $4")
        .bind(now)
        .bind(ip)
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Live sessions of a user, newest first.
pub async fn list_for_user(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    now: i64,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, user_id, device, ip, created_at, last_seen_at, expires_at from sessions
         where tenant_id = $1 and user_id = $2 and revoked_at is null and expires_at > $3
         order by created_at desc limit 200",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(now)
    .fetch_all(conn)
    .await
}

/// Revoke one of a user's sessions; false when there is no such live session.
pub async fn revoke(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    id: &str,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "update sessions set revoked_at = $1 where tenant_id = $2 and user_id = $3 and id = $4 and revoked_at is null",
    )
    .bind(now_ms())
    .bind(tenant_id)
    .bind(user_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Revoke every session of a user except `keep` (empty keeps none).
pub async fn revoke_all_for_user(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    keep: &str,
) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "update sessions set revoked_at = $1 where tenant_id = $2 and user_id = $3 and id <> $4 and revoked_at is null",
    )
    .bind(now_ms())
    .bind(tenant_id)
    .bind(user_id)
    .bind(keep)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// Revoke every session of a tenant (suspension).
pub async fn revoke_all_for_tenant(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "update sessions set revoked_at = $1 where tenant_id = $2 and revoked_at is null",
    )
    .bind(now_ms())
    .bind(tenant_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

pub async fn insert_invitation(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    token_hash: &str,
    created_by: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    // A new invitation replaces any earlier unused one.
    sqlx::query("update invitations set used_at = $1 where tenant_id = $2 and user_id = $3 and used_at is null")
        .bind(now_ms())
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into invitations (tenant_id, id, user_id, token_hash, created_by, created_at, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant_id)
    .bind(crate::db::new_id())
    .bind(user_id)
    .bind(token_hash)
    .bind(created_by)
    .bind(now_ms())
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Consume an invitation: returns (tenant id, user id) when the token is valid and unused.
pub async fn take_invitation(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let now = now_ms();
    sqlx::query_as(
        "update invitations set used_at = $1
         where token_hash = $2 and used_at is null and expires_at > $1
         returning tenant_id, user_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}
