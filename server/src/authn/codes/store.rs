//! SQL for one-time codes and their hourly quotas.

use sqlx::AnyConnection;

/// The key of a live code.
#[derive(Debug, Clone, Copy)]
pub struct Slot<'a> {
    pub tenant_id: &'a str,
    pub purpose: &'a str,
    pub destination: &'a str,
    pub holder: &'a str,
}

/// When the slot's live (unconsumed) code was sent, if there is one.
pub async fn live_since(conn: &mut AnyConnection, s: Slot<'_>) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select created_at from one_time_codes
         where tenant_id = $1 and purpose = $2 and destination = $3 and holder = $4
           and consumed_at is null",
    )
    .bind(s.tenant_id)
    .bind(s.purpose)
    .bind(s.destination)
    .bind(s.holder)
    .fetch_optional(conn)
    .await
}

/// Add one send to a quota window; the count after it.
pub async fn count_send(
    conn: &mut AnyConnection,
    key: &str,
    window_start: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into code_quota (key, window_start, sent) values ($1, $2, 1)
         on conflict (key, window_start) do update set sent = code_quota.sent + 1
         returning sent",
    )
    .bind(key)
    .bind(window_start)
    .fetch_one(conn)
    .await
}

/// Put a new code in the slot, replacing the old one (which dies with it).
pub async fn put(
    conn: &mut AnyConnection,
    s: Slot<'_>,
    user_id: Option<&str>,
    code_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into one_time_codes (tenant_id, purpose, destination, holder, user_id, code_hash,
                                     created_at, expires_at, attempts, consumed_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, 0, null)
         on conflict (tenant_id, purpose, destination, holder) do update set
           user_id = excluded.user_id, code_hash = excluded.code_hash,
           created_at = excluded.created_at, expires_at = excluded.expires_at,
           attempts = 0, consumed_at = null",
    )
    .bind(s.tenant_id)
    .bind(s.purpose)
    .bind(s.destination)
    .bind(s.holder)
    .bind(user_id)
    .bind(code_hash)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Consume the slot's code if it is live and `code_hash` matches, in one statement (of two
/// concurrent right answers exactly one consumes it): `Some(user_id)` when it did.
pub async fn consume(
    conn: &mut AnyConnection,
    s: Slot<'_>,
    code_hash: &str,
    now: i64,
    max_attempts: i64,
) -> Result<Option<Option<String>>, sqlx::Error> {
    sqlx::query_scalar(
        "update one_time_codes set consumed_at = $1
         where tenant_id = $2 and purpose = $3 and destination = $4 and holder = $5
           and code_hash = $6 and consumed_at is null and expires_at > $1 and attempts < $7
         returning user_id",
    )
    .bind(now)
    .bind(s.tenant_id)
    .bind(s.purpose)
    .bind(s.destination)
    .bind(s.holder)
    .bind(code_hash)
    .bind(max_attempts)
    .fetch_optional(conn)
    .await
}

/// Count a wrong guess against the slot's live code.
pub async fn wrong_guess(conn: &mut AnyConnection, s: Slot<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update one_time_codes set attempts = attempts + 1
         where tenant_id = $1 and purpose = $2 and destination = $3 and holder = $4
           and consumed_at is null",
    )
    .bind(s.tenant_id)
    .bind(s.purpose)
    .bind(s.destination)
    .bind(s.holder)
    .execute(conn)
    .await?;
    Ok(())
}

/// A live link of `purpose` by its digest: consume it and return (tenant, destination, user).
pub async fn consume_link(
    conn: &mut AnyConnection,
    purpose: &str,
    code_hash: &str,
    now: i64,
) -> Result<Option<(String, String, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "update one_time_codes set consumed_at = $1
         where purpose = $2 and code_hash = $3 and consumed_at is null and expires_at > $1
         returning tenant_id, destination, user_id",
    )
    .bind(now)
    .bind(purpose)
    .bind(code_hash)
    .fetch_optional(conn)
    .await
}

/// Forget expired codes and past quota windows.
pub async fn prune(conn: &mut AnyConnection, now: i64) -> Result<u64, sqlx::Error> {
    let codes = sqlx::query("delete from one_time_codes where expires_at < $1")
        .bind(now - 24 * 3600 * 1000)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let windows = sqlx::query("delete from code_quota where window_start < $1")
        .bind(now - 2 * 3600 * 1000)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(codes + windows)
}

/// Delete every code a person asked for, is the account of, or that was sent to one of their
/// addresses (account erasure).
pub async fn delete_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    destinations: &[String],
) -> Result<u64, sqlx::Error> {
    let mut n = sqlx::query(
        "delete from one_time_codes where tenant_id = $1 and (user_id = $2 or holder = $2)",
    )
    .bind(tenant_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    for d in destinations {
        n += sqlx::query("delete from one_time_codes where tenant_id = $1 and destination = $2")
            .bind(tenant_id)
            .bind(d)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(n)
}
