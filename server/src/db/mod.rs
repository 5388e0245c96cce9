//! Database access: one pool over SQLite or PostgreSQL (sqlx `Any`), migrations per dialect,
//! ids, time, and write transactions.
//!
//! SQLite allows one writer at a time; a deferred transaction that reads and then writes can fail
//! with `SQLITE_BUSY` when another connection committed in between. Write transactions on SQLite
//! therefore take a process-wide lock first (the embedded mode is single-node by design);
//! PostgreSQL transactions run concurrently.
//!
//! **Group commit on SQLite.** A durable commit waits for an `fsync` of the write-ahead log, and
//! with SQLite's own `synchronous = full` it waits holding the single writer's lock, so
//! concurrent writers queue behind one disk flush each. Instead the connections run with
//! `synchronous = normal` (a commit writes its log frames without flushing), and
//! [`Tx::commit`] gives the writer's lock up at once and then waits for [`GroupSync`]: one flush
//! of the log file covers every commit written before it started, so writers that committed
//! meanwhile share the next one. No commit returns before a flush that covers it, so an
//! acknowledged write is on disk exactly as with `synchronous = full`; only what other readers
//! may briefly see (a committed write a few hundred microseconds before its flush) differs.

pub mod blob_keys;
pub mod dialect;
pub mod idempotency;
pub mod keys;
pub mod lock;
pub mod migrate;
pub mod outbox;
pub mod snapshot;

use sqlx::{any::AnyPoolOptions, AnyConnection, AnyPool, Executor};
use std::{
    ops::{Deref, DerefMut},
    sync::Arc,
    time::Duration,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use dialect::Backend;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// A pooled PostgreSQL connection idle this long is pinged before it is handed out.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    write_lock: Option<Arc<Mutex<()>>>,
    /// SQLite on a file: the shared flush of the write-ahead log.
    sync: Option<Arc<GroupSync>>,
}

/// Group commit for SQLite (see the module documentation): commits take a ticket; one flush
/// covers every ticket taken before it started.
pub struct GroupSync {
    /// The database file; its `-wal` log is what a commit appends to.
    path: std::path::PathBuf,
    issued: std::sync::atomic::AtomicU64,
    /// The highest ticket a completed flush covers; held by the one flush running.
    flushed: Mutex<u64>,
    /// Flushes done (commits share them).
    flushes: std::sync::atomic::AtomicU64,
}

impl GroupSync {
    fn new(path: std::path::PathBuf) -> GroupSync {
        GroupSync {
            path,
            issued: std::sync::atomic::AtomicU64::new(0),
            flushed: Mutex::new(0),
            flushes: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// A ticket for a commit that has just written its log frames.
    fn ticket(&self) -> u64 {
        self.issued
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1
    }

    /// Wait until a flush that started after `ticket` was taken has completed.
    async fn wait(&self, ticket: u64) -> Result<(), sqlx::Error> {
        let mut flushed = self.flushed.lock().await;
        if *flushed >= ticket {
            return Ok(());
        }
        // Every ticket up to here belongs to a commit that already wrote its frames.
        let covers = self.issued.load(std::sync::atomic::Ordering::SeqCst);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || flush_log(&path))
            .await
            .map_err(|e| sqlx::Error::Io(std::io::Error::other(e)))?
            .map_err(sqlx::Error::Io)?;
        *flushed = covers;
        self.flushes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// (commits, flushes) so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.issued.load(std::sync::atomic::Ordering::SeqCst),
            self.flushes.load(std::sync::atomic::Ordering::Relaxed),
        )
    }
}

/// Flush SQLite's write-ahead log to disk. Opened afresh each time: SQLite deletes the log when
/// its last connection closes, after checkpointing it into the database file and flushing that
/// (so a missing log means the commits are in the flushed database file already).
fn flush_log(db: &std::path::Path) -> std::io::Result<()> {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    match std::fs::File::open(std::path::Path::new(&wal)) {
        Ok(f) => f.sync_data(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({:?})", self.backend)
    }
}

/// A write transaction; derefs to the connection that store functions take.
pub struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    /// The request's `Idempotency-Key` claim, when this transaction took it.
    claim: idempotency::Held,
    guard: Option<OwnedMutexGuard<()>>,
    sync: Option<Arc<GroupSync>>,
    backend: Backend,
}

impl Tx {
    /// The database this transaction runs on (for the few statements written per backend).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Commit durably, with the answer of the request whose key this transaction claimed.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let Tx {
            mut inner,
            claim,
            guard,
            sync,
            ..
        } = self;
        let answered = claim.before_commit(&mut inner).await?;
        inner.commit().await?;
        if let Some(sync) = sync {
            let ticket = sync.ticket();
            // The next writer goes ahead while this one waits for its flush.
            drop(guard);
            sync.wait(ticket).await?;
        }
        claim.committed(answered);
        Ok(())
    }
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

impl Db {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url);
        let mut sync = None;
        if backend == Backend::Sqlite {
            if let Some(path) = sqlite_path(url) {
                prepare_sqlite_file(std::path::Path::new(&path)).map_err(sqlx::Error::Io)?;
                sync = Some(Arc::new(GroupSync::new(path.into())));
            }
        }
        // Commits flush through `GroupSync` when there is a file; SQLite flushes each commit
        // itself otherwise.
        let synchronous = if sync.is_some() { "normal" } else { "full" };
        // SQLite runs each connection on its own worker thread and serialises writers anyway;
        // measured with `make bench`, more connections than twice the cores only add context
        // switches (4 connections served 13 % more than 8 and 60 % more than 32 on 2 cores).
        let max_connections = match backend {
            Backend::Sqlite => {
                let cores = std::thread::available_parallelism()
                    .map(|n| n.get() as u32)
                    .unwrap_or(2);
                max_connections.min(cores * 2).max(2)
            }
            Backend::Postgres => max_connections.max(2),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            // The pool's liveness ping on every acquire is a round trip to the connection's
            // worker thread; an in-process SQLite connection has no peer that could have gone
            // away. On PostgreSQL a backend or the network may have dropped the socket while
            // the connection sat idle, so one idle for a while is pinged before use; one handed
            // back moments ago (every acquire under load) is not: the ping was one of a sent
            // message's ~9 round trips.
            .test_before_acquire(false)
            .before_acquire(move |conn, meta| {
                Box::pin(async move {
                    if backend == Backend::Postgres && meta.idle_for >= PING_AFTER_IDLE {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; commits are made durable by
                        // `GroupSync` (or by synchronous=FULL without a file); busy_timeout
                        // covers other processes (CLI) writing.
                        conn.execute(
                            format!(
                                "pragma journal_mode = wal; pragma synchronous = {synchronous}; \
                                 pragma busy_timeout = 10000; pragma foreign_keys = on;"
                            )
                            .as_str(),
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        let write_lock = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Db {
            pool,
            backend,
            write_lock,
            sync,
        })
    }

    /// True when every migration this binary knows has been applied.
    pub async fn is_migrated(&self) -> Result<bool, sqlx::Error> {
        let expected = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATOR.iter().count(),
            Backend::Postgres => POSTGRES_MIGRATOR.iter().count(),
        } as i64;
        let applied: i64 =
            sqlx::query_scalar("select count(*) from _sqlx_migrations where success = true")
                .fetch_one(&self.pool)
                .await?;
        Ok(applied >= expected)
    }

    /// Begin a write transaction. In a request with an `Idempotency-Key`, the first one takes
    /// the key's claim, written as its last statement and committed (or not) with it
    /// ([`idempotency`]).
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let mut tx = self.begin_unclaimed().await?;
        tx.claim = idempotency::take();
        Ok(tx)
    }

    /// Begin a write transaction that leaves the request's idempotency claim alone.
    pub async fn begin_unclaimed(&self) -> Result<Tx, sqlx::Error> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let inner = match self.backend {
            // IMMEDIATE takes SQLite's write lock at BEGIN, waiting (busy timeout) for a writer
            // that still holds it: a transaction rolled back on drop releases our process lock
            // before its connection has executed the rollback, and a deferred transaction that
            // read first would then fail at its first write instead of waiting (SQLite gives a
            // read transaction that wants to write no busy wait).
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx {
            inner,
            claim: idempotency::Held::none(),
            guard,
            sync: self.sync.clone(),
            backend: self.backend,
        })
    }

    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, sqlx::Error> {
        self.pool.acquire().await
    }
}

/// The database file, readable by the server's account only: created empty with mode 0600
/// before SQLite opens it (SQLite would create it 0644, and its `-wal` and `-shm` files take
/// the database file's mode), or tightened when it exists.
fn prepare_sqlite_file(path: &std::path::Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        crate::private_fs::create_dir(parent)?;
    }
    match crate::private_fs::options()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        crate::private_fs::file(std::path::Path::new(&p));
    }
    Ok(())
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// Unique-constraint violations on either backend.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.kind() == sqlx::error::ErrorKind::UniqueViolation
                || d.code().as_deref() == Some("23505")
                || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

/// Shift applied to this process's clock (`clock_offset_secs`), in milliseconds.
static CLOCK_OFFSET_MS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Shift this process's clock (tests and retention drills make data look older by running a
/// process in the future). Set once at start from the configuration.
pub fn set_clock_offset_secs(secs: i64) {
    CLOCK_OFFSET_MS.store(
        secs.saturating_mul(1000),
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// Milliseconds since the Unix epoch: the one representation of instants in the database.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
        + CLOCK_OFFSET_MS.load(std::sync::atomic::Ordering::Relaxed)
}

/// RFC 3339 text for an epoch-millisecond instant.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Parse RFC 3339 text into epoch milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// A new time-ordered id (UUIDv7) as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// True for text that is a well-formed UUID (ids from paths are checked before they reach SQL,
/// so that garbage gets a 404 rather than a scan).
pub fn is_id(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

/// Escape `%`, `_` and `\` for a LIKE pattern with `escape '\'`.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Db;
    use std::time::{Duration, Instant};

    /// Commits on SQLite that complete while a flush is running all wait for the next one, which
    /// covers them all; none returns before a flush covers it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commits_during_a_flush_share_the_next() {
        let dir = std::env::temp_dir().join(format!("stoa-gc-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&format!("sqlite://{}/t.db?mode=rwc", dir.display()), 4)
            .await
            .unwrap();
        sqlx::query("create table t (id integer primary key)")
            .execute(&db.pool)
            .await
            .unwrap();
        let gs = db.sync.clone().unwrap();
        let (before, flushes_before) = gs.counts();
        // A flush in progress: nobody can flush until it ends.
        let running = gs.flushed.lock().await;
        let writers: Vec<_> = (0..20)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    let mut tx = db.begin().await.unwrap();
                    sqlx::query("insert into t (id) values ($1)")
                        .bind(i as i64)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                })
            })
            .collect();
        // Every writer commits (the writer's lock is not held across the flush) and waits.
        let start = Instant::now();
        while gs.counts().0 - before < 20 {
            assert!(start.elapsed() < Duration::from_secs(60), "writers stalled");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(
            writers.iter().all(|w| !w.is_finished()),
            "a commit returned unflushed"
        );
        drop(running);
        for w in futures_util::future::join_all(writers).await {
            w.unwrap();
        }
        let n: i64 = sqlx::query_scalar("select count(*) from t")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(n, 20);
        assert_eq!(
            gs.counts().1 - flushes_before,
            1,
            "one flush for the 20 commits"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
