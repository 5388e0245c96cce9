//! Whether the search backend answers, as the outbox relay last saw it.
//!
//! An index lane that fails with "unavailable" marks the backend down; from then on a probe
//! (`SearchIndex::healthy`, cheap) runs every [`PROBE_INTERVAL`] instead of waiting out the
//! outbox's retry backoff, and the moment it answers, the relay makes every waiting index
//! message due at once (see `jobs::outbox`). `/readyz` and the metrics show the state and the
//! backlog.

use std::sync::{
    atomic::{AtomicBool, AtomicI64, Ordering},
    OnceLock,
};
use std::time::Duration;
use tokio::sync::Notify;

/// How often a backend that is down is probed.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// A probe that takes longer than this counts as a failure.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct Health {
    down: AtomicBool,
    /// Epoch ms when the backend was last seen going down (0: never).
    down_since: AtomicI64,
    /// The outbox topics whose handlers write to the index (set when the relay starts).
    topics: OnceLock<Vec<&'static str>>,
    /// Wakes the prober when the backend goes down.
    pub changed: Notify,
}

impl Health {
    pub fn is_up(&self) -> bool {
        !self.down.load(Ordering::Acquire)
    }

    /// The backend failed a write: start probing.
    pub fn mark_down(&self) {
        if !self.down.swap(true, Ordering::AcqRel) {
            self.down_since
                .store(crate::db::now_ms(), Ordering::Release);
            tracing::warn!("search backend unavailable: index writes wait in the outbox");
            self.changed.notify_one();
        }
    }

    /// The backend answered. True when it was down until now.
    pub fn mark_up(&self) -> bool {
        self.down.swap(false, Ordering::AcqRel)
    }

    /// Epoch ms since when the backend is down, if it is.
    pub fn down_since(&self) -> Option<i64> {
        (!self.is_up()).then(|| self.down_since.load(Ordering::Acquire))
    }

    pub fn set_topics(&self, topics: Vec<&'static str>) {
        let _ = self.topics.set(topics);
    }

    /// The outbox topics that write to the index (empty before the relay starts).
    pub fn topics(&self) -> &[&'static str] {
        self.topics.get().map(Vec::as_slice).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::Health;

    #[test]
    fn down_and_up() {
        let h = Health::default();
        assert!(h.is_up());
        assert_eq!(h.down_since(), None);
        h.mark_down();
        assert!(!h.is_up());
        assert!(h.down_since().is_some_and(|t| t > 0));
        assert!(h.mark_up());
        assert!(!h.mark_up());
        assert!(h.is_up());
        h.set_topics(vec!["search.index"]);
        assert_eq!(h.topics(), ["search.index"]);
    }
}
