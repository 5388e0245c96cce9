//! SQL for sessions and invitations.
//! The lookup every request makes (a session, or a person acting without one) is in
//! [`lookup`], re-exported here.

mod lookup;

pub use lookup::*;

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

/// One sign-in throttle counter (see `throttle`): settled failures and attempts still being
/// checked within the window that started at `window_start`, and a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct ThrottleRow {
    pub failures: i64,
    pub pending: i64,
    pub window_start: i64,
    pub locked_until: i64,
}

pub async fn throttle_get(
    conn: &mut AnyConnection,
    key: &str,
) -> Result<Option<ThrottleRow>, sqlx::Error> {
    sqlx::query_as(
        "select failures, pending, window_start, locked_until from login_throttle where key = $1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// Reserve one attempt on a counter in a single conditional statement: granted (true) unless
/// the key is locked or its failures plus attempts in flight already reach `max` within the
/// window. An expired window starts afresh with this attempt. Concurrent reservations of one key
/// serialise on its row (PostgreSQL re-checks the condition on the row it waited for; SQLite
/// has one writer), so no more than `max` are ever granted at once.
pub async fn throttle_take(
    conn: &mut AnyConnection,
    key: &str,
    scope: &str,
    max: i64,
    now: i64,
    window_ms: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "insert into login_throttle (key, failures, pending, window_start, locked_until, scope)
         values ($1, 0, 0, $2, 0, $3) on conflict (key) do nothing",
    )
    .bind(key)
    .bind(now)
    .bind(scope)
    .execute(&mut *conn)
    .await?;
    let r = sqlx::query(
        "update login_throttle set
             failures = case when window_start + $3 <= $2 then 0 else failures end,
             pending = case when window_start + $3 <= $2 then 1 else pending + 1 end,
             window_start = case when window_start + $3 <= $2 then $2 else window_start end
         where key = $1 and locked_until <= $2
           and (window_start + $3 <= $2 or failures + pending < $4)",
    )
    .bind(key)
    .bind(now)
    .bind(window_ms)
    .bind(max)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Give back a reservation (the attempt succeeded, or was refused by another limit).
pub async fn throttle_release(conn: &mut AnyConnection, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update login_throttle set pending = case when pending > 0 then pending - 1 else 0 end
         where key = $1",
    )
    .bind(key)
    .execute(conn)
    .await?;
    Ok(())
}

/// Turn a reservation into a failure; the `max`-th failure locks the key for `lockout_ms` and
/// starts a new window.
pub async fn throttle_fail(
    conn: &mut AnyConnection,
    key: &str,
    max: i64,
    now: i64,
    lockout_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update login_throttle set failures = failures + 1,
             pending = case when pending > 0 then pending - 1 else 0 end
         where key = $1",
    )
    .bind(key)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "update login_throttle set locked_until = $2 + $3, failures = 0, window_start = $2
         where key = $1 and failures >= $4",
    )
    .bind(key)
    .bind(now)
    .bind(lockout_ms)
    .bind(max)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many counters of one scope (the (account, address) pairs of one address) are failing,
/// in flight or locked now: the distinct accounts that address is trying.
pub async fn throttle_scope_count(
    conn: &mut AnyConnection,
    scope: &str,
    now: i64,
    window_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from login_throttle where scope = $1
         and (locked_until > $2 or (window_start + $3 > $2 and failures + pending > 0))",
    )
    .bind(scope)
    .bind(now)
    .bind(window_ms)
    .fetch_one(conn)
    .await
}

/// Whether an address signed in to the account (the key's digest) successfully since `since`.
pub async fn address_known(
    conn: &mut AnyConnection,
    key: &str,
    since: i64,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from login_known_addresses where key = $1 and last_success_at >= $2",
    )
    .bind(key)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

pub async fn remember_address(
    conn: &mut AnyConnection,
    key: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into login_known_addresses (key, last_success_at) values ($1, $2)
         on conflict (key) do update set last_success_at = excluded.last_success_at",
    )
    .bind(key)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forget counters whose window and lock are over, and addresses no longer known: without this
/// the tables would grow with every login name and address ever tried.
pub async fn throttle_prune(
    conn: &mut AnyConnection,
    now: i64,
    window_ms: i64,
    known_since: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from login_throttle where locked_until <= $1 and window_start + $2 <= $1")
        .bind(now)
        .bind(window_ms)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from login_known_addresses where last_success_at < $1")
        .bind(known_since)
        .execute(conn)
        .await?;
    Ok(())
}

const SETUP_TOKEN_KEY: &str = "setup_token_hash";

/// Store the digest of the setup token.
pub async fn setup_token_put(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into install_state (key, value, updated_at) values ($1, $2, $3)
         on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(SETUP_TOKEN_KEY)
    .bind(token_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn setup_token_clear(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("delete from install_state where key = $1")
        .bind(SETUP_TOKEN_KEY)
        .execute(conn)
        .await?;
    Ok(())
}

/// Remove the setup token if it has this digest; true when it did.
pub async fn setup_token_take(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("delete from install_state where key = $1 and value = $2")
        .bind(SETUP_TOKEN_KEY)
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The digest of a session's token while the session is not revoked.
pub async fn token_hash(
    conn: &mut AnyConnection,
    tenant_id: &str,
    session_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select token_hash from sessions where tenant_id = $1 and id = $2 and revoked_at is null",
    )
    .bind(tenant_id)
    .bind(session_id)
    .fetch_optional(conn)
    .await
}

/// Sessions that ended (signed out, revoked, or past their absolute expiry), by when they
/// ended: the `sign_in_records` class. A live session's end lies in the future, so no cut-off
/// reaches it.
pub static ENDED_SESSIONS: crate::lifecycle::Source = crate::lifecycle::Source {
    from: "sessions s",
    tenant: "s.tenant_id",
    id: "s.id",
    time: "coalesce(s.revoked_at, s.expires_at)",
    container: None,
    people: &["s.user_id"],
    bytes: "length(s.device) + length(s.ip)",
    only: "",
    pinned: None,
};

/// Remove an ended session's record; rows removed (none when it is still live).
pub async fn delete_ended_session(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "delete from sessions where tenant_id = $1 and id = $2
           and (revoked_at is not null or expires_at < $3)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(now)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

/// Delete every session and invitation of a person (account erasure): (sessions, invitations).
pub async fn delete_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<(u64, u64), sqlx::Error> {
    let sessions = sqlx::query("delete from sessions where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let invitations = sqlx::query("delete from invitations where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected();
    Ok((sessions, invitations))
}

/// How many sessions (live and ended) and invitations a person has.
pub async fn count_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<(u64, u64), sqlx::Error> {
    let (s, i): (i64, i64) = sqlx::query_as(
        "select (select count(*) from sessions where tenant_id = $1 and user_id = $2),
                (select count(*) from invitations where tenant_id = $1 and user_id = $2)",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok((u64::try_from(s).unwrap_or(0), u64::try_from(i).unwrap_or(0)))
}

/// Delete a person's invitations.
pub async fn delete_invitations(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from invitations where tenant_id = $1 and user_id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Every session of a person, live and ended (sign-in records), newest first; no token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: String,
    pub device: String,
    pub ip: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

pub async fn all_of_user(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<SessionRecord>, sqlx::Error> {
    sqlx::query_as(
        "select id, device, ip, created_at, last_seen_at, expires_at, revoked_at from sessions
         where tenant_id = $1 and user_id = $2 order by created_at desc, id desc",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}
