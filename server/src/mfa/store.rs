//! SQL for two-factor sign-in: the tenant's policy, factors, recovery codes and challenges.

use sqlx::AnyConnection;

pub async fn policy(conn: &mut AnyConnection, tenant_id: &str) -> Result<String, sqlx::Error> {
    Ok(
        sqlx::query_scalar("select policy from two_factor_settings where tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(conn)
            .await?
            .unwrap_or_else(|| "optional".to_string()),
    )
}

pub async fn set_policy(
    conn: &mut AnyConnection,
    tenant_id: &str,
    policy: &str,
    by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into two_factor_settings (tenant_id, policy, updated_by, updated_at)
         values ($1, $2, $3, $4)
         on conflict (tenant_id) do update set policy = excluded.policy,
           updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(policy)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FactorRow {
    pub secret: String,
    pub confirmed_at: Option<i64>,
    pub last_step: i64,
    pub created_at: i64,
}

pub async fn factor(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Option<FactorRow>, sqlx::Error> {
    sqlx::query_as(
        "select secret, confirmed_at, last_step, created_at from totp_factors
         where tenant_id = $1 and user_id = $2",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

/// A new, unconfirmed factor (replacing an unconfirmed one).
pub async fn put_factor(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    secret: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into totp_factors (tenant_id, user_id, secret, confirmed_at, last_step, created_at)
         values ($1, $2, $3, null, 0, $4)
         on conflict (tenant_id, user_id) do update set secret = excluded.secret,
           confirmed_at = null, last_step = 0, created_at = excluded.created_at",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(secret)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Accept a code of time step `step` unless one of this step or later was accepted already:
/// the check and the record are one statement, so of two uses of one code exactly one wins.
pub async fn use_step(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    step: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update totp_factors set last_step = $3 where tenant_id = $1 and user_id = $2 and last_step < $3",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(step)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn confirm(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update totp_factors set confirmed_at = $3 where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Remove a person's factor and recovery codes; whether there was a factor.
pub async fn delete_factor(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query("delete from totp_recovery_codes where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(
        sqlx::query("delete from totp_factors where tenant_id = $1 and user_id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .execute(conn)
            .await?
            .rows_affected()
            > 0,
    )
}

/// Replace a person's recovery codes.
pub async fn set_recovery_codes(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    hashes: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from totp_recovery_codes where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for h in hashes {
        sqlx::query(
            "insert into totp_recovery_codes (tenant_id, user_id, code_hash) values ($1, $2, $3)",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(h)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Use a recovery code once; whether it was unused.
pub async fn use_recovery_code(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update totp_recovery_codes set used_at = $4
         where tenant_id = $1 and user_id = $2 and code_hash = $3 and used_at is null",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(hash)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn recovery_codes_left(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from totp_recovery_codes
         where tenant_id = $1 and user_id = $2 and used_at is null",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_one(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChallengeRow {
    pub tenant_id: String,
    pub user_id: String,
    pub kind: String,
    pub device: String,
    pub attempts: i64,
    pub expires_at: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_challenge(
    conn: &mut AnyConnection,
    token_hash: &str,
    tenant_id: &str,
    user_id: &str,
    kind: &str,
    device: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into sign_in_challenges (token_hash, tenant_id, user_id, kind, device, attempts, expires_at)
         values ($1, $2, $3, $4, $5, 0, $6)",
    )
    .bind(token_hash)
    .bind(tenant_id)
    .bind(user_id)
    .bind(kind)
    .bind(device)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn challenge(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<ChallengeRow>, sqlx::Error> {
    sqlx::query_as(
        "select tenant_id, user_id, kind, device, attempts, expires_at from sign_in_challenges
         where token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// Count a wrong answer; the attempts so far.
pub async fn failed_attempt(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query("update sign_in_challenges set attempts = attempts + 1 where token_hash = $1")
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(
        sqlx::query_scalar("select attempts from sign_in_challenges where token_hash = $1")
            .bind(token_hash)
            .fetch_optional(conn)
            .await?
            .unwrap_or(i64::MAX),
    )
}

/// Use a challenge up; whether it was still there (of two uses exactly one gets true).
pub async fn take_challenge(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("delete from sign_in_challenges where token_hash = $1")
            .bind(token_hash)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Remove a person's challenges (their factor was reset) and expired ones.
pub async fn delete_challenges(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "delete from sign_in_challenges where (tenant_id = $1 and user_id = $2) or expires_at <= $3",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}
