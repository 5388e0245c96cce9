//! The outbox relay: claims due messages, hands each to its topic's handler, and records the
//! result — done, retry with exponential backoff, or dead-letter after `outbox.max_attempts`
//! (or at once for a permanent error). Handlers are idempotent because delivery is at least once:
//! a node that dies mid-message leaves its claim to expire and another pass redelivers it.
//!
//! Every topic has its own lane — its own claim loop — so slow work on one (text extraction and
//! thumbnails, which wait for child processes) never holds back another (search indexing of
//! messages, blob deletion, the audit mirror). A lane handles up to its concurrency of messages
//! at once; most lanes take one at a time, in order.

use crate::{
    db::{now_ms, outbox, outbox::Message},
    AppState,
};
use futures_util::FutureExt;
use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};
use tokio::sync::{watch, Notify};

const BATCH: i64 = 64;
/// Lanes that write the search index take bigger batches: each pass ends with one index commit.
const INDEX_BATCH: i64 = 500;
/// At most one index commit this often while messages trickle in (a pass that finds a backlog
/// goes on at once): paced sends share a commit instead of paying one each, and stay
/// searchable within a second of their own commit (at worst this interval plus the pass).
/// Measured: an embedded-index commit costs ~20–25 ms of CPU (new segment, merges), so at 250 ms
/// a trickle of messages spent ~100 ms of CPU a second on commits alone.
pub const INDEX_COMMIT_INTERVAL: Duration = Duration::from_millis(500);
const KEEP_DONE_MS: i64 = 7 * 24 * 3600 * 1000;
/// How long the dispatcher lets wakes pile up before it reads which topics have work.
const WAKE_SETTLE: Duration = Duration::from_millis(2);
/// How often the relay refreshes its metrics (a scrape every 15 s or so reads them).
const STATS_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct HandlerError {
    pub message: String,
    /// Retrying cannot help (malformed message, unknown topic).
    pub permanent: bool,
    /// A service the handler needs is down: retry (at least once a minute) for as long as it
    /// takes, never dead-letter, so the backlog drains when it returns.
    pub unavailable: bool,
}

impl HandlerError {
    pub fn retry(e: impl std::fmt::Display) -> Self {
        HandlerError {
            message: e.to_string(),
            permanent: false,
            unavailable: false,
        }
    }
    pub fn unavailable(e: impl std::fmt::Display) -> Self {
        HandlerError {
            message: e.to_string(),
            permanent: false,
            unavailable: true,
        }
    }
    pub fn permanent(e: impl std::fmt::Display) -> Self {
        HandlerError {
            message: e.to_string(),
            permanent: true,
            unavailable: false,
        }
    }
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl crate::error::ToProblem for HandlerError {
    fn code(&self) -> crate::error::Code {
        if self.unavailable {
            crate::error::Code::Unavailable
        } else {
            crate::error::Code::Internal
        }
    }
}

/// A topic's consumer: handles one message, idempotently.
pub type Handler = for<'a> fn(
    &'a AppState,
    &'a Message,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), HandlerError>> + Send + 'a>,
>;

/// How a topic's lane runs its messages.
#[derive(Clone, Copy)]
pub struct Lane {
    /// Messages handled at once (from the configuration), one by default.
    pub concurrency: fn(&crate::config::Config) -> usize,
    /// The handler writes to the search index: the lane flushes the index before it
    /// acknowledges the batch.
    pub writes_index: bool,
}

impl Default for Lane {
    fn default() -> Self {
        Lane {
            concurrency: |_| 1,
            writes_index: false,
        }
    }
}

/// Every outbox topic and its consumer. Features register theirs (wired in `app.rs`), so the
/// relay names none of them. A message of a topic no node registered waits for a node that
/// knows it (a rolling upgrade) rather than being dead-lettered by one that does not.
#[derive(Default, Clone)]
pub struct Topics(Vec<(&'static str, Handler, Lane)>);

impl Topics {
    pub fn register(&mut self, topic: &'static str, handler: Handler, lane: Lane) {
        self.0.retain(|(t, _, _)| *t != topic);
        self.0.push((topic, handler, lane));
    }
}

/// What wakes the relay after a write. A request names the topics it enqueued work for (noted by
/// `db::outbox::noting`), and the dispatcher wakes exactly those lanes; work queued without
/// naming its topics ([`Wake::notify_one`]: background jobs, a service that came back) makes
/// the dispatcher read which topics have due messages, one query. Measured: that query and its
/// connection's liveness ping were two of the ~9 round trips a sent message cost on PostgreSQL.
#[derive(Default)]
pub struct Wake {
    notify: Notify,
    /// Topics known to have new work since the dispatcher last looked.
    topics: std::sync::Mutex<Vec<String>>,
    /// Work was queued for topics nobody named.
    unknown: AtomicBool,
}

impl Wake {
    /// Work was queued, for topics not named here: the dispatcher reads the queue.
    pub fn notify_one(&self) {
        self.unknown.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// Work was queued for these topics (by a transaction that committed — or rolled back: a
    /// lane woken for nothing finds nothing).
    pub fn topics(&self, topics: Vec<String>) {
        if topics.is_empty() {
            return;
        }
        {
            let mut known = self.topics.lock().unwrap_or_else(|e| e.into_inner());
            for t in topics {
                if !known.contains(&t) {
                    known.push(t);
                }
            }
        }
        self.notify.notify_one();
    }

    /// After a commit: wake the lanes of the topics the current request noted so far (the
    /// rest are woken when it answers), or, outside a request, let the dispatcher look.
    pub fn noted(&self) {
        match crate::db::outbox::take_noted() {
            Some(topics) => self.topics(topics),
            None => self.notify_one(),
        }
    }

    /// What was asked for since the last call: (unnamed work, named topics).
    fn take(&self) -> (bool, Vec<String>) {
        let unknown = self.unknown.swap(false, Ordering::SeqCst);
        let topics = std::mem::take(&mut *self.topics.lock().unwrap_or_else(|e| e.into_inner()));
        (unknown, topics)
    }
}

/// Delay before attempt `attempts + 1`.
pub fn backoff_ms(base_ms: i64, attempts: i64) -> i64 {
    let exp = (attempts - 1).clamp(0, 20) as u32;
    base_ms.saturating_mul(1i64 << exp).min(3_600_000)
}

/// How many messages a lane claims at once: a full batch for quick sequential work, only as
/// many as it runs at once for slow work (so no claim waits out its lease in a queue).
fn batch_size(concurrency: usize, lane: Lane) -> i64 {
    if concurrency > 1 {
        concurrency as i64
    } else if lane.writes_index {
        INDEX_BATCH
    } else {
        BATCH
    }
}

/// One pass of one topic's lane: claim a batch and deliver it. Returns how many messages were
/// claimed.
async fn run_once(
    state: &AppState,
    topic: &str,
    handler: Handler,
    lane: Lane,
    check_due: bool,
) -> Result<usize, sqlx::Error> {
    let n = (lane.concurrency)(&state.cfg).max(1);
    if check_due {
        // A poll usually finds nothing: find that out without a write transaction.
        let mut conn = state.db.conn().await?;
        if !outbox::due(&mut conn, topic, now_ms()).await? {
            return Ok(0);
        }
    }
    let batch = {
        let mut tx = state.db.begin().await?;
        let batch = outbox::claim(
            &mut tx,
            state.db.backend,
            topic,
            batch_size(n, lane),
            state.cfg.outbox.lease_ms,
        )
        .await?;
        tx.commit().await?;
        batch
    };
    if batch.is_empty() {
        return Ok(0);
    }
    // Up to `n` at once; results stay in the batch's order.
    let mut results = Vec::with_capacity(batch.len());
    for chunk in batch.chunks(n) {
        let mut running = Vec::with_capacity(chunk.len());
        for m in chunk {
            running.push(handler(state, m));
        }
        results.extend(futures_util::future::join_all(running).await);
    }
    // Index writes become searchable (and durable) at the flush: acknowledge them only after.
    if lane.writes_index && results.iter().any(Result::is_ok) {
        if let Err(e) = state.search.flush().await {
            for r in results.iter_mut().filter(|r| r.is_ok()) {
                *r = Err(HandlerError::from(e.clone()));
            }
        }
    }
    // The index backend's health as this pass saw it: a backend that is down gets probed
    // (see `probe_search`), so its backlog drains the moment it answers again.
    if lane.writes_index {
        if results.iter().any(|r| matches!(r, Err(e) if e.unavailable)) {
            state.search_health.mark_down();
        } else if results.iter().any(Result::is_ok) && state.search_health.mark_up() {
            tracing::info!("search backend answers again");
        }
    }
    // One transaction records the whole batch's outcome: one durable commit, not one per message.
    let mut tx = state.db.begin().await?;
    let mut done = Vec::with_capacity(batch.len());
    for (m, result) in batch.iter().zip(results) {
        match result {
            Ok(()) => {
                done.push(m.id);
                state
                    .metrics
                    .outbox_processed
                    .with_label_values(&[&m.topic, "ok"])
                    .inc();
            }
            Err(e) => {
                let dead =
                    e.permanent || (!e.unavailable && m.attempts >= state.cfg.outbox.max_attempts);
                let mut delay = backoff_ms(state.cfg.outbox.retry_base_ms, m.attempts);
                if e.unavailable {
                    delay = delay.min(60_000);
                }
                let retry_at = now_ms() + delay;
                outbox::fail(&mut tx, m.id, &e.message, retry_at, dead).await?;
                let result = if dead { "dead" } else { "retry" };
                state
                    .metrics
                    .outbox_processed
                    .with_label_values(&[&m.topic, result])
                    .inc();
                tracing::warn!(id = m.id, topic = %m.topic, attempts = m.attempts, dead, error = %e.message, "outbox delivery failed");
            }
        }
    }
    // The delivered ones in one statement (up to a whole batch).
    outbox::complete_many(&mut tx, &done).await?;
    tx.commit().await?;
    Ok(batch.len())
}

async fn release_claims(state: &AppState) -> Result<(), sqlx::Error> {
    let mut tx = state.db.begin().await?;
    outbox::release_claims(&mut tx).await?;
    tx.commit().await
}

async fn refresh_stats(state: &AppState) -> Result<(), sqlx::Error> {
    let mut conn = state.db.conn().await?;
    let s = outbox::stats(&mut conn).await?;
    state.metrics.outbox_pending.set(s.pending);
    state.metrics.outbox_dead.set(s.dead);
    state.metrics.outbox_lag_ms.set(s.lag_ms);
    let mut backlog = 0;
    for topic in state.search_health.topics() {
        backlog += outbox::pending(&mut conn, topic).await?;
    }
    state.metrics.search_backlog.set(backlog);
    state
        .metrics
        .search_up
        .set(i64::from(state.search_health.is_up()));
    Ok(())
}

/// Drain one topic until `shutdown` turns true; woken by `wake` (and polls regardless).
async fn lane(
    state: Arc<AppState>,
    (topic, handler, lane): (&'static str, Handler, Lane),
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let poll = Duration::from_millis(state.cfg.outbox.poll_interval_ms.max(10));
    let full = batch_size((lane.concurrency)(&state.cfg).max(1), lane) as usize;
    // Index lanes space their passes (each ends with an index commit) while work trickles in.
    let spacing = if lane.writes_index {
        INDEX_COMMIT_INTERVAL
    } else {
        Duration::ZERO
    };
    let mut last_pass: Option<tokio::time::Instant> = None;
    // Woken by the dispatcher, which saw due work for this topic; otherwise a poll.
    let mut woken = false;
    loop {
        if let Some(at) = last_pass.map(|t| t + spacing) {
            tokio::select! {
                _ = tokio::time::sleep_until(at) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
        last_pass = None;
        let mut check_due = !woken;
        loop {
            match run_once(&state, topic, handler, lane, check_due).await {
                Ok(n) if n == full => {
                    check_due = false;
                    continue;
                }
                Ok(0) => break,
                Ok(_) => {
                    last_pass = Some(tokio::time::Instant::now());
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, topic, "outbox pass failed");
                    break;
                }
            }
        }
        woken = tokio::select! {
            _ = wake.notified() => true,
            _ = tokio::time::sleep(poll) => false,
            _ = shutdown.changed() => false,
        };
        if *shutdown.borrow() {
            break;
        }
    }
    if lane.writes_index {
        // A graceful stop leaves the index as current as the database: what a spaced-out pass
        // was waiting for is indexed now (quick work; slow lanes resume at the next start).
        for _ in 0..8 {
            match run_once(&state, topic, handler, lane, true).await {
                Ok(n) if n == full => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, topic, "final outbox pass failed");
                    break;
                }
            }
        }
    }
}

/// Stats for the metrics, and pruning of old delivered messages.
async fn housekeeping(state: &AppState, last_prune: &mut i64) {
    if let Err(e) = refresh_stats(state).await {
        tracing::warn!(error = %e, "outbox stats failed");
    }
    let now = now_ms();
    if now - *last_prune > 3_600_000 {
        *last_prune = now;
        let pruned = async {
            let mut tx = state.db.begin().await?;
            let n = outbox::prune(&mut tx, now - KEEP_DONE_MS).await?;
            tx.commit().await?;
            Ok::<u64, sqlx::Error>(n)
        }
        .await;
        if let Err(e) = pruned {
            tracing::warn!(error = %e, "outbox prune failed");
        }
    }
}

/// While the search backend is down, probe it every
/// [`crate::search::health::PROBE_INTERVAL`]; when it
/// answers, make the index topics' waiting retries due at once and wake the relay, instead of
/// leaving them to their backoff (up to a minute): after an outage the backlog drains in
/// seconds.
async fn probe_search(state: Arc<AppState>, mut shutdown: watch::Receiver<bool>) {
    use crate::search::health::{PROBE_INTERVAL, PROBE_TIMEOUT};
    loop {
        if state.search_health.is_up() {
            tokio::select! {
                _ = state.search_health.changed.notified() => {}
                _ = shutdown.changed() => {}
            }
        } else {
            tokio::select! {
                _ = tokio::time::sleep(PROBE_INTERVAL) => {}
                _ = shutdown.changed() => {}
            }
            if !*shutdown.borrow() && !state.search_health.is_up() {
                let healthy = tokio::time::timeout(PROBE_TIMEOUT, state.search.healthy())
                    .await
                    .unwrap_or(false);
                if healthy {
                    let since = state.search_health.down_since().unwrap_or(0);
                    match retry_index_now(&state).await {
                        Ok(n) => {
                            state.search_health.mark_up();
                            state.outbox_wake.notify_one();
                            tracing::info!(
                                messages = n,
                                down_ms = (now_ms() - since).max(0),
                                "search backend is back: draining its backlog now"
                            );
                        }
                        Err(e) => tracing::warn!(error = %e, "could not requeue index work"),
                    }
                }
            }
        }
        if *shutdown.borrow() {
            break;
        }
    }
}

async fn retry_index_now(state: &AppState) -> Result<u64, sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let mut n = 0;
    for topic in state.search_health.topics() {
        n += outbox::retry_now(&mut tx, topic).await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// Wake the lanes whose topics have work: those named, or, when work was queued without names,
/// those the queue shows due messages for (one read, however many lanes there are).
async fn dispatch(state: &AppState, wakes: &[(&'static str, Arc<Notify>)]) {
    let (unknown, named) = state.outbox_wake.take();
    let due = if !unknown {
        Ok(named)
    } else {
        match state.db.conn().await {
            Ok(mut conn) => outbox::due_topics(&mut conn, now_ms()).await,
            Err(e) => Err(e),
        }
    };
    match due {
        Ok(topics) => {
            for (topic, w) in wakes {
                if topics.iter().any(|t| t == topic) {
                    // `notify_one` keeps a permit for a lane that is busy right now.
                    w.notify_one();
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "outbox dispatch failed; waking every lane");
            for (_, w) in wakes {
                w.notify_one();
            }
        }
    }
}

/// Run the relay — one lane per topic — until `shutdown` turns true. A commit's
/// `state.outbox_wake` wakes the dispatcher, which wakes the lanes that have work.
pub fn spawn(
    state: Arc<AppState>,
    topics: Topics,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if state.db.backend == crate::db::Backend::Sqlite {
            // One process owns an SQLite database: claims left by a crash are ours to retake.
            if let Err(e) = release_claims(&state).await {
                tracing::warn!(error = %e, "could not release stale outbox claims");
            }
        }
        state.search_health.set_topics(
            topics
                .0
                .iter()
                .filter(|(_, _, lane)| lane.writes_index)
                .map(|(topic, _, _)| *topic)
                .collect(),
        );
        let mut wakes = Vec::new();
        let mut lanes = vec![tokio::spawn(probe_search(state.clone(), shutdown.clone()))];
        for t in topics.0 {
            let wake = Arc::new(Notify::new());
            wakes.push((t.0, wake.clone()));
            lanes.push(tokio::spawn(lane(state.clone(), t, wake, shutdown.clone())));
        }
        let poll = Duration::from_millis(state.cfg.outbox.poll_interval_ms.max(10));
        let mut last_prune = 0i64;
        let mut next_housekeeping = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = state.outbox_wake.notify.notified() => {
                    // A write request wakes the relay when its change commits and again when
                    // it answers: let a burst of wakes settle, then dispatch them at once.
                    tokio::time::sleep(WAKE_SETTLE).await;
                    let _ = state.outbox_wake.notify.notified().now_or_never();
                    dispatch(&state, &wakes).await
                }
                _ = tokio::time::sleep_until(next_housekeeping) => {
                    housekeeping(&state, &mut last_prune).await;
                    next_housekeeping = tokio::time::Instant::now() + poll.max(STATS_INTERVAL);
                }
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
        for l in lanes {
            let _ = l.await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff_ms(1000, 1), 1000);
        assert_eq!(backoff_ms(1000, 2), 2000);
        assert_eq!(backoff_ms(1000, 4), 8000);
        assert_eq!(backoff_ms(1000, 40), 3_600_000);
    }
}
