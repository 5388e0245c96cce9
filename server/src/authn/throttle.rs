//! Sign-in throttling per account and per client address, kept in the database so every node
//! agrees. Keys are digests, so the table holds no login names or addresses.

use crate::db::now_ms;
use sqlx::AnyConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub max_failures: i64,
    pub window_ms: i64,
    pub lockout_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct State {
    pub failures: i64,
    pub window_start: i64,
    pub locked_until: i64,
}

/// Seconds until the key may try again, if it is locked now.
pub fn locked_for(state: &State, now: i64) -> Option<u64> {
    (state.locked_until > now).then(|| ((state.locked_until - now) as u64).div_ceil(1000))
}

/// The state after one more failure at `now`.
pub fn on_failure(state: State, now: i64, policy: Policy) -> State {
    let mut s = if now - state.window_start > policy.window_ms {
        State {
            failures: 0,
            window_start: now,
            locked_until: state.locked_until,
        }
    } else {
        state
    };
    s.failures += 1;
    if s.failures >= policy.max_failures {
        s.locked_until = now + policy.lockout_ms;
        s.failures = 0;
        s.window_start = now;
    }
    s
}

pub fn key(kind: &str, parts: &[&str]) -> String {
    let mut joined = String::from(kind);
    for p in parts {
        joined.push('\u{1f}');
        joined.push_str(p);
    }
    super::tokens::hash(&joined)
}

pub async fn load(conn: &mut AnyConnection, key: &str) -> Result<State, sqlx::Error> {
    Ok(sqlx::query_as(
        "select failures, window_start, locked_until from login_throttle where key = $1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await?
    .unwrap_or_default())
}

pub async fn record_failure(
    conn: &mut AnyConnection,
    key: &str,
    policy: Policy,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let state = load(&mut *conn, key).await?;
    let next = on_failure(state, now, policy);
    sqlx::query(
        "insert into login_throttle (key, failures, window_start, locked_until) values ($1, $2, $3, $4)
         on conflict (key) do update set failures = excluded.failures,
             window_start = excluded.window_start, locked_until = excluded.locked_until",
    )
    .bind(key)
    .bind(next.failures)
    .bind(next.window_start)
    .bind(next.locked_until)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn clear(conn: &mut AnyConnection, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from login_throttle where key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Policy = Policy {
        max_failures: 3,
        window_ms: 60_000,
        lockout_ms: 300_000,
    };

    #[test]
    fn locks_after_max_failures_within_window() {
        let mut s = State::default();
        for i in 0..2 {
            s = on_failure(s, 1_000 + i, P);
            assert_eq!(locked_for(&s, 1_000 + i), None);
        }
        s = on_failure(s, 1_500, P);
        assert_eq!(locked_for(&s, 1_500), Some(300));
        assert_eq!(locked_for(&s, 1_500 + 300_000), None);
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let mut s = State::default();
        s = on_failure(s, 1_000, P);
        s = on_failure(s, 2_000, P);
        s = on_failure(s, 100_000, P);
        assert_eq!(s.failures, 1);
        assert_eq!(locked_for(&s, 100_000), None);
    }

    #[test]
    fn keys_hide_their_input() {
        let k = key("acct", &["acme", "ann@example.com"]);
        assert!(!k.contains("ann"));
        assert_ne!(k, key("acct", &["acme", "bob@example.com"]));
        assert_ne!(key("acct", &["a", "bc"]), key("acct", &["ab", "c"]));
    }
}
