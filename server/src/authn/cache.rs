//! A short-lived, per-node cache of session lookups: the one query every authenticated request
//! made ([`super::store::lookup`]) is skipped while a lookup of the same token is fresh.
//!
//! The cache must never let a revoked session, a disabled account, a suspended tenant, a
//! person now held at the consent gate or a withdrawn permission act. So:
//! - Only lookups that let the request through are kept (session live, person and tenant
//!   active, no consent pending); anything else is read from the database every time, so a
//!   session that *becomes* valid (consent given, account enabled) works at once.
//! - Every change that can end a session's validity already tells every node, after it
//!   commits, to close the affected WebSockets (a realtime kick); the cache observes the same
//!   signal (wired in `app.rs`), synchronously, before anything else runs on this node: the
//!   tenant's, person's or session's entries are dropped. A policy change (roles, bindings)
//!   sends a cache-only signal for its tenant (`AppState::policy_changed`).
//! - On the node that made the change the drop happens before the request that made it
//!   answers; on other nodes when the notification arrives (PostgreSQL `NOTIFY`, measured in
//!   `docs/benchmarks.md`). With several nodes the cache is only used while this node's
//!   notification listener is connected, and it is emptied whenever the listener connects or
//!   reconnects (a signal sent while it was away is lost).
//! - A lookup that started before a drop is not stored after it (a generation counter), so a
//!   read racing a revocation cannot put the old answer back.
//! - Every entry expires after `session.cache_secs` (default 5 s) whatever happens: the bound
//!   on a signal that never arrived. `0` turns the cache off.
//!
//! Expiry, idle time and the `last_seen_at` touch are computed on every request from the
//! cached row, exactly as from a fresh one.

use super::store::SessionLookup;
use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

/// More entries than this and the cache starts afresh (a bound on memory, ~300 bytes each).
const MAX_ENTRIES: usize = 100_000;

struct Entry {
    row: SessionLookup,
    at: Instant,
}

pub struct SessionCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    /// Bumped by every drop; a lookup stores its answer only if no drop happened meanwhile.
    generation: AtomicU64,
    /// Whether this node hears every invalidation (single node: always; several: while the
    /// notification listener is connected).
    enabled: AtomicBool,
}

impl SessionCache {
    /// `ttl`: the longest an entry is used; zero turns the cache off. `enabled`: whether
    /// invalidations reach this node from the start (a single-node install).
    pub fn new(ttl: Duration, enabled: bool) -> SessionCache {
        SessionCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            enabled: AtomicBool::new(enabled && !ttl.is_zero()),
        }
    }

    fn on(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    /// The fresh lookup of a token digest at the instant `now_ms`, if one is cached: not past
    /// its time, nor past the instant its consent gate may change by itself.
    pub fn get(&self, token_hash: &str, now_ms: i64) -> Option<SessionLookup> {
        if !self.on() {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        let e = entries.get(token_hash)?;
        let gate_holds = e.row.gate_changes_at == 0 || now_ms < e.row.gate_changes_at;
        (e.at.elapsed() < self.ttl && gate_holds).then(|| e.row.clone())
    }

    /// Taken before a database lookup; hand it to [`Self::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keep a lookup that let its request through, unless something was dropped since
    /// `generation` was taken (the row may predate that change).
    pub fn put(&self, token_hash: &str, row: &SessionLookup, generation: u64) {
        if !self.on() {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        // Checked under the lock: drops bump the generation while holding it.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            token_hash.to_string(),
            Entry {
                row: row.clone(),
                at: Instant::now(),
            },
        );
    }

    /// Record a touch of the session's `last_seen_at` in its cached entry.
    pub fn touched(&self, token_hash: &str, at_ms: i64) {
        if let Ok(mut entries) = self.entries.lock() {
            if let Some(e) = entries.get_mut(token_hash) {
                e.row.last_seen_at = at_ms;
            }
        }
    }

    /// Drop the entries `which` selects.
    fn drop_where(&self, which: impl Fn(&SessionLookup) -> bool) {
        if let Ok(mut entries) = self.entries.lock() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.retain(|_, e| !which(&e.row));
        }
    }

    /// Drop everything.
    pub fn clear(&self) {
        self.drop_where(|_| true);
    }

    /// How many entries are held (metrics, tests).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SessionCache {
    /// Drop the cached sessions of a tenant, of one person (`user_id` not empty) or one
    /// session (`session_id` not empty): what a revocation names.
    pub fn forget(&self, tenant_id: &str, user_id: &str, session_id: &str) {
        self.drop_where(|row| {
            row.tenant_id == tenant_id
                && (user_id.is_empty() || row.user_id == user_id)
                && (session_id.is_empty() || row.session_id == session_id)
        });
    }

    /// The notification listener connected (`true`) or lost its connection: whatever was said
    /// while it was away is lost, so start afresh either way, and use the cache only while it
    /// is connected.
    pub fn listening(&self, connected: bool) {
        self.clear();
        self.enabled
            .store(connected && !self.ttl.is_zero(), Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tenant: &str, user: &str, session: &str) -> SessionLookup {
        SessionLookup {
            session_id: session.into(),
            tenant_id: tenant.into(),
            user_id: user.into(),
            tenant_slug: "acme".into(),
            last_seen_at: 1,
            expires_at: i64::MAX,
            user_status: "active".into(),
            tenant_status: "active".into(),
            policy_version: 1,
            consent_pending: 0,
            gate_changes_at: 0,
        }
    }

    fn cache() -> SessionCache {
        SessionCache::new(Duration::from_secs(60), true)
    }

    #[test]
    fn kicks_drop_what_they_name_and_nothing_else() {
        let c = cache();
        for (h, t, u, s) in [
            ("h1", "t1", "u1", "s1"),
            ("h2", "t1", "u1", "s2"),
            ("h3", "t1", "u2", "s3"),
            ("h4", "t2", "u1", "s4"),
        ] {
            c.put(h, &row(t, u, s), c.generation());
        }
        c.forget("t1", "u1", "s1");
        assert!(c.get("h1", 0).is_none());
        assert!(c.get("h2", 0).is_some());
        c.forget("t1", "u1", "");
        assert!(c.get("h2", 0).is_none());
        assert!(c.get("h3", 0).is_some());
        c.forget("t1", "", "");
        assert!(c.get("h3", 0).is_none());
        assert!(c.get("h4", 0).is_some(), "another tenant is untouched");
    }

    #[test]
    fn an_entry_is_not_used_once_its_consent_gate_may_have_changed() {
        let c = cache();
        let mut r = row("t1", "u1", "s1");
        r.gate_changes_at = 1_000;
        c.put("h1", &r, c.generation());
        assert!(c.get("h1", 999).is_some());
        assert!(
            c.get("h1", 1_000).is_none(),
            "a new policy version is in effect"
        );
    }

    #[test]
    fn a_lookup_that_raced_a_drop_is_not_stored() {
        let c = cache();
        let before = c.generation();
        // The revocation commits and its signal arrives while the lookup is in flight.
        c.forget("t1", "u1", "s1");
        c.put("h1", &row("t1", "u1", "s1"), before);
        assert!(c.get("h1", 0).is_none());
        c.put("h1", &row("t1", "u1", "s1"), c.generation());
        assert!(c.get("h1", 0).is_some());
    }

    #[test]
    fn entries_expire_and_a_lost_listener_turns_the_cache_off() {
        let c = SessionCache::new(Duration::from_millis(30), true);
        c.put("h1", &row("t1", "u1", "s1"), c.generation());
        assert!(c.get("h1", 0).is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(
            c.get("h1", 0).is_none(),
            "past its time an entry is not used"
        );

        let c = cache();
        c.put("h1", &row("t1", "u1", "s1"), c.generation());
        c.listening(false);
        assert!(c.is_empty());
        c.put("h1", &row("t1", "u1", "s1"), c.generation());
        assert!(c.get("h1", 0).is_none(), "off while signals may be missed");
        c.listening(true);
        c.put("h1", &row("t1", "u1", "s1"), c.generation());
        assert!(c.get("h1", 0).is_some());

        let off = SessionCache::new(Duration::ZERO, true);
        off.put("h1", &row("t1", "u1", "s1"), off.generation());
        off.listening(true);
        assert!(off.get("h1", 0).is_none(), "cache_secs = 0 turns it off");
    }
}
