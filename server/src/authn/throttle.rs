//! Sign-in throttling, kept in the database so every node agrees. Keys are digests, so the
//! table holds no login names or addresses.
//!
//! The design follows the usual answer to the two ways a lockout fails (OWASP's "slow down
//! online guessing" with trusted clients, here keyed by client address):
//!
//! * **Reserve, then verify.** An attempt takes a slot on its counters in one conditional
//!   statement *before* the password hash is checked, and turns it into a failure or gives it
//!   back afterwards. Parallel guesses therefore cannot all be checked before the first failure
//!   is recorded: at most `max` are ever in flight or failed per window.
//! * **Per (account, address) pair.** `max_failures_per_account` failures to one account from one
//!   client address lock that address out of that account for `lockout_secs`; other addresses are
//!   not affected by it, so hammering an account from one place does not lock its owner out
//!   elsewhere.
//! * **A small account-wide budget for unknown addresses.** Failures from addresses that never
//!   signed in to the account also count against `max_failures_per_account_total`, which stops a
//!   guesser who spreads over many addresses. Addresses that signed in to the account
//!   successfully within `known_address_days` are exempt from it (they keep their own pair
//!   allowance), so even a distributed attack does not lock the owner out from where they
//!   usually sign in.
//! * **Per address, distinct accounts.** An address is refused (for unknown accounts) once it is
//!   failing on more than `max_failures_per_ip` *different* accounts within the window — password
//!   spraying — rather than after that many raw failures, so one person behind a shared NAT
//!   address who keeps mistyping cannot lock out everyone else behind it.
//!
//! A success gives back its own reservations but does not erase earlier failures of the same
//! pair (they age out with the window): a success proves nothing about the other guesses.
//! What remains possible: someone behind the *same* address as the owner guessing the owner's
//! account locks that pair, for `lockout_secs` at a time; telling such clients apart needs a
//! per-device credential, which Stoa does not issue yet.

use super::store;
use crate::{
    db::{now_ms, Db},
    error::{ApiError, ApiResult},
};
use sqlx::AnyConnection;

/// The limits, from `login.*` in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_pair: i64,
    pub per_account_total: i64,
    pub accounts_per_address: i64,
    pub window_ms: i64,
    pub lockout_ms: i64,
    pub known_ms: i64,
}

impl Limits {
    pub fn from_config(c: &crate::config::LoginConfig) -> Limits {
        Limits {
            per_pair: c.max_failures_per_account,
            per_account_total: c.max_failures_per_account_total,
            accounts_per_address: c.max_failures_per_ip,
            window_ms: c.window_secs * 1000,
            lockout_ms: c.lockout_secs * 1000,
            known_ms: c.known_address_days * 24 * 3600 * 1000,
        }
    }
}

/// The digests one attempt touches.
#[derive(Debug, Clone)]
pub struct Keys {
    /// (account, address): the lock that applies to everyone.
    pub pair: String,
    /// The account across all addresses it was never signed in from.
    pub account: String,
    /// The address: the scope of its pairs, to count the accounts it tries.
    pub address: String,
    /// Whether this address signed in to this account before.
    pub known: String,
}

impl Keys {
    pub fn new(tenant_slug: &str, login: &str, ip: &str) -> Keys {
        Keys {
            pair: key("pair", &[tenant_slug, login, ip]),
            account: key("acct", &[tenant_slug, login]),
            address: key("addr", &[ip]),
            known: key("known", &[tenant_slug, login, ip]),
        }
    }
}

/// What an attempt holds while its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Reservation {
    /// The address signed in to the account before: no account-wide slot was taken.
    pub known: bool,
}

pub fn key(kind: &str, parts: &[&str]) -> String {
    let mut joined = String::from(kind);
    for p in parts {
        joined.push('\u{1f}');
        joined.push_str(p);
    }
    super::tokens::hash(&joined)
}

/// Seconds a refused attempt should wait: until the lock ends, or else until the window that
/// filled up ends.
pub fn retry_after(row: Option<store::ThrottleRow>, now: i64, window_ms: i64) -> u64 {
    let until = match row {
        Some(r) if r.locked_until > now => r.locked_until,
        Some(r) => r.window_start + window_ms,
        None => now + window_ms,
    };
    (((until - now).max(1000)) as u64).div_ceil(1000)
}

async fn refuse(db: &Db, key: &str, now: i64, window_ms: i64) -> ApiError {
    let row = match db.conn().await {
        Ok(mut c) => store::throttle_get(&mut c, key).await.ok().flatten(),
        Err(_) => None,
    };
    ApiError::rate_limited(retry_after(row, now, window_ms))
}

async fn release(db: &Db, key: &str) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    store::throttle_release(&mut tx, key).await?;
    tx.commit().await?;
    Ok(())
}

/// Reserve this attempt on every counter that applies, or refuse it with 429 and `Retry-After`.
/// Each reservation commits on its own before the next check, so concurrent attempts (on any
/// node) see each other's reservations.
pub async fn reserve(db: &Db, k: &Keys, l: Limits) -> ApiResult<Reservation> {
    let now = now_ms();
    // Now and then (about one attempt in 256, so no node needs a schedule for it), forget what
    // has expired.
    if rand::random::<u8>() == 0 {
        let mut tx = db.begin().await?;
        store::throttle_prune(&mut tx, now, l.window_ms, now - l.known_ms).await?;
        tx.commit().await?;
    }
    let known = {
        let mut c = db.conn().await?;
        store::address_known(&mut c, &k.known, now - l.known_ms).await?
    };
    let mut tx = db.begin().await?;
    let granted =
        store::throttle_take(&mut tx, &k.pair, &k.address, l.per_pair, now, l.window_ms).await?;
    tx.commit().await?;
    if !granted {
        return Err(refuse(db, &k.pair, now, l.window_ms).await);
    }
    if known {
        return Ok(Reservation { known });
    }
    let spraying = {
        let mut c = db.conn().await?;
        store::throttle_scope_count(&mut c, &k.address, now, l.window_ms).await?
            > l.accounts_per_address
    };
    if spraying {
        release(db, &k.pair).await?;
        return Err(ApiError::rate_limited(
            (l.window_ms as u64).div_ceil(1000).max(1),
        ));
    }
    let mut tx = db.begin().await?;
    let granted = store::throttle_take(
        &mut tx,
        &k.account,
        "",
        l.per_account_total,
        now,
        l.window_ms,
    )
    .await?;
    tx.commit().await?;
    if !granted {
        release(db, &k.pair).await?;
        return Err(refuse(db, &k.account, now, l.window_ms).await);
    }
    Ok(Reservation { known })
}

/// The attempt failed: its reservations become failures (inside the caller's transaction, with
/// the audit entry).
pub async fn failed(
    conn: &mut AnyConnection,
    k: &Keys,
    r: Reservation,
    l: Limits,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    store::throttle_fail(&mut *conn, &k.pair, l.per_pair, now, l.lockout_ms).await?;
    if !r.known {
        store::throttle_fail(conn, &k.account, l.per_account_total, now, l.lockout_ms).await?;
    }
    Ok(())
}

/// The attempt succeeded: give the reservations back and remember the address for the account.
pub async fn succeeded(
    conn: &mut AnyConnection,
    k: &Keys,
    r: Reservation,
) -> Result<(), sqlx::Error> {
    store::throttle_release(&mut *conn, &k.pair).await?;
    if !r.known {
        store::throttle_release(&mut *conn, &k.account).await?;
    }
    store::remember_address(conn, &k.known, now_ms()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits {
        per_pair: 3,
        per_account_total: 5,
        accounts_per_address: 2,
        window_ms: 60_000,
        lockout_ms: 300_000,
        known_ms: 86_400_000,
    };

    async fn temp_db() -> (Db, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("stoa-throttle-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&format!("sqlite://{}/t.db?mode=rwc", dir.display()), 4)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        (db, dir)
    }

    async fn fail(db: &Db, k: &Keys, r: Reservation) {
        let mut tx = db.begin().await.unwrap();
        failed(&mut tx, k, r, L).await.unwrap();
        tx.commit().await.unwrap();
    }

    #[test]
    fn keys_hide_their_input() {
        let k = key("acct", &["acme", "ann@example.com"]);
        assert!(!k.contains("ann"));
        assert_ne!(k, key("acct", &["acme", "bob@example.com"]));
        assert_ne!(key("acct", &["a", "bc"]), key("acct", &["ab", "c"]));
        let a = Keys::new("acme", "ann@example.com", "192.0.2.1");
        let b = Keys::new("acme", "ann@example.com", "192.0.2.2");
        assert_eq!(a.account, b.account);
        assert_ne!(a.pair, b.pair);
        assert_ne!(a.known, b.known);
    }

    #[test]
    fn retry_after_is_the_lock_or_the_window() {
        let locked = store::ThrottleRow {
            locked_until: 10_500,
            ..Default::default()
        };
        assert_eq!(retry_after(Some(locked), 1_000, 60_000), 10);
        let full = store::ThrottleRow {
            failures: 2,
            pending: 1,
            window_start: 0,
            locked_until: 0,
        };
        assert_eq!(retry_after(Some(full), 30_000, 60_000), 30);
        assert_eq!(retry_after(None, 0, 60_000), 60);
    }

    #[tokio::test]
    async fn parallel_attempts_reserve_at_most_the_limit_then_lock() {
        let (db, dir) = temp_db().await;
        let k = Keys::new("acme", "ann", "192.0.2.1");
        let tries = (0..20).map(|_| reserve(&db, &k, L));
        let results = futures_util::future::join_all(tries).await;
        let granted: Vec<Reservation> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().copied())
            .collect();
        assert_eq!(granted.len(), 3, "{results:?}");
        for r in &results {
            if let Err(e) = r {
                assert_eq!(e.code, crate::error::Code::RateLimited);
                assert!(e.retry_after.unwrap_or(0) >= 1);
            }
        }
        for r in granted {
            fail(&db, &k, r).await;
        }
        let mut c = db.conn().await.unwrap();
        let row = store::throttle_get(&mut c, &k.pair).await.unwrap().unwrap();
        assert!(row.locked_until > now_ms(), "{row:?}");
        assert_eq!(row.pending, 0);
        drop(c);
        // Another address still may try the account (and succeeds, giving its slots back).
        let other = Keys::new("acme", "ann", "198.51.100.1");
        let r = reserve(&db, &other, L).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        succeeded(&mut tx, &other, r).await.unwrap();
        tx.commit().await.unwrap();
        let mut c = db.conn().await.unwrap();
        let row = store::throttle_get(&mut c, &other.pair)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((row.pending, row.failures), (0, 0));
        let acct = store::throttle_get(&mut c, &k.account)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((acct.pending, acct.failures), (0, 3));
        drop(c);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn expired_counters_and_addresses_are_forgotten() {
        let (db, dir) = temp_db().await;
        let k = Keys::new("acme", "ann", "192.0.2.1");
        let r = reserve(&db, &k, L).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        succeeded(&mut tx, &k, r).await.unwrap();
        let now = now_ms();
        // Still inside the window: kept.
        store::throttle_prune(&mut tx, now, L.window_ms, now - L.known_ms)
            .await
            .unwrap();
        assert!(store::throttle_get(&mut tx, &k.pair)
            .await
            .unwrap()
            .is_some());
        // Once the window and the known period are over, both are gone.
        let later = now + 2 * L.known_ms;
        store::throttle_prune(&mut tx, later, L.window_ms, later - L.known_ms)
            .await
            .unwrap();
        assert!(store::throttle_get(&mut tx, &k.pair)
            .await
            .unwrap()
            .is_none());
        assert!(!store::address_known(&mut tx, &k.known, 0).await.unwrap());
        tx.commit().await.unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_account_budget_spares_known_addresses() {
        let (db, dir) = temp_db().await;
        // The owner signed in from home once.
        let home = Keys::new("acme", "ann", "192.0.2.9");
        let r = reserve(&db, &home, L).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        succeeded(&mut tx, &home, r).await.unwrap();
        tx.commit().await.unwrap();
        // Guesses from many addresses use up the account-wide budget…
        for i in 0..5 {
            let k = Keys::new("acme", "ann", &format!("203.0.113.{i}"));
            let r = reserve(&db, &k, L).await.unwrap();
            fail(&db, &k, r).await;
        }
        let fresh = Keys::new("acme", "ann", "203.0.113.200");
        let e = reserve(&db, &fresh, L).await.unwrap_err();
        assert_eq!(e.code, crate::error::Code::RateLimited);
        // …but home is known and keeps its own allowance.
        let r = reserve(&db, &home, L).await.unwrap();
        assert!(r.known);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn an_address_is_limited_by_distinct_accounts_not_failures() {
        let (db, dir) = temp_db().await;
        let ip = "192.0.2.50";
        // Mistyping one's own password counts once for the address.
        let mine = Keys::new("acme", "ann", ip);
        for _ in 0..2 {
            let r = reserve(&db, &mine, L).await.unwrap();
            fail(&db, &mine, r).await;
        }
        let r = reserve(&db, &Keys::new("acme", "bob", ip), L)
            .await
            .unwrap();
        fail(&db, &Keys::new("acme", "bob", ip), r).await;
        // A third distinct account from the same address is spraying.
        let e = reserve(&db, &Keys::new("acme", "carol", ip), L)
            .await
            .unwrap_err();
        assert_eq!(e.code, crate::error::Code::RateLimited);
        // The refused attempt left no reservation behind.
        let mut c = db.conn().await.unwrap();
        let carol = store::throttle_get(&mut c, &Keys::new("acme", "carol", ip).pair)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(carol.pending, 0);
        drop(c);
        let _ = std::fs::remove_dir_all(dir);
    }
}
