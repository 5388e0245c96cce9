//! Migrations that are safe with several nodes starting at once, and their status.
//!
//! On PostgreSQL every migrating process first takes a session-level advisory lock on a
//! connection of its own, outside the pool: one process applies the migrations (and what must
//! follow them exactly once, see `audit::anchor::migrate`), the others wait for the lock and then
//! find nothing left to do. The migrations run on that same connection, which is closed at the
//! end; a process that fails or dies mid-way releases the lock with its connection, never leaving
//! it on a pooled one. SQLite is single-node by design: its file lock serialises writers.

use super::{Backend, Db, POSTGRES_MIGRATOR, SQLITE_MIGRATOR};
use sqlx::{migrate::MigrateError, AnyConnection, Connection};

/// The advisory lock's key (`Stoamigr`), apart from sqlx's own per-database migration key.
const LOCK_KEY: i64 = 0x5374_6f61_6d69_6772;

/// Held while migrating; [`MigrationLock::release`] gives it up (dropping it does too, by
/// closing its connection).
pub struct MigrationLock {
    conn: Option<AnyConnection>,
}

/// Where one migration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Applied,
    Pending,
    /// Recorded as started but not finished: sqlx refuses to go on until it is repaired.
    Failed,
    /// Applied by a newer binary than this one.
    Unknown,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Failed => "failed",
            State::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Migration {
    pub version: i64,
    pub description: String,
    pub state: State,
}

impl Db {
    /// Wait for the install-wide migration lock (PostgreSQL; a no-op on SQLite).
    pub async fn migration_lock(&self) -> Result<MigrationLock, sqlx::Error> {
        let conn = match self.backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let mut conn = self.pool.acquire().await?.detach();
                let mut said = false;
                // Polled rather than blocking in `pg_advisory_lock`, so that the wait is logged
                // once instead of as a slow statement.
                while !sqlx::query_scalar::<_, bool>("select pg_try_advisory_lock($1)")
                    .bind(LOCK_KEY)
                    .fetch_one(&mut conn)
                    .await?
                {
                    if !said {
                        tracing::info!("another process is migrating the database: waiting");
                        said = true;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Some(conn)
            }
        };
        Ok(MigrationLock { conn })
    }

    /// Apply the pending migrations, one process at a time.
    pub async fn migrate(&self) -> Result<(), MigrateError> {
        let mut lock = self.migration_lock().await?;
        let applied = lock.apply(self).await;
        lock.release().await;
        applied
    }

    /// Every migration this binary knows, and any the database holds beyond them, in order.
    pub async fn migration_status(&self) -> Result<Vec<Migration>, sqlx::Error> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        let exists = match self.backend {
            Backend::Sqlite => {
                "select count(*) from sqlite_master where type = 'table' and name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "select count(*) from information_schema.tables
                 where table_schema = current_schema() and table_name = '_sqlx_migrations'"
            }
        };
        let has_table: i64 = sqlx::query_scalar(exists).fetch_one(&self.pool).await?;
        let recorded: Vec<(i64, String, bool)> = if has_table > 0 {
            let ok: Vec<(i64, String)> = sqlx::query_as(
                "select version, description from _sqlx_migrations where success = true",
            )
            .fetch_all(&self.pool)
            .await?;
            let failed: Vec<(i64, String)> = sqlx::query_as(
                "select version, description from _sqlx_migrations where success = false",
            )
            .fetch_all(&self.pool)
            .await?;
            ok.into_iter()
                .map(|(v, d)| (v, d, true))
                .chain(failed.into_iter().map(|(v, d)| (v, d, false)))
                .collect()
        } else {
            Vec::new()
        };
        let mut out: Vec<Migration> = migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| {
                let state = match recorded.iter().find(|(v, _, _)| *v == m.version) {
                    Some((_, _, true)) => State::Applied,
                    Some((_, _, false)) => State::Failed,
                    None => State::Pending,
                };
                Migration {
                    version: m.version,
                    description: m.description.to_string(),
                    state,
                }
            })
            .collect();
        for (version, description, _) in recorded {
            if !out.iter().any(|m| m.version == version) {
                out.push(Migration {
                    version,
                    description,
                    state: State::Unknown,
                });
            }
        }
        out.sort_by_key(|m| m.version);
        Ok(out)
    }
}

impl MigrationLock {
    /// Apply the pending migrations (on the lock's own connection on PostgreSQL).
    pub async fn apply(&mut self, db: &Db) -> Result<(), MigrateError> {
        match (&mut self.conn, db.backend) {
            (Some(conn), _) => POSTGRES_MIGRATOR.run(conn).await,
            (None, Backend::Postgres) => POSTGRES_MIGRATOR.run(&db.pool).await,
            (None, Backend::Sqlite) => SQLITE_MIGRATOR.run(&db.pool).await,
        }
    }

    /// Give the lock up by closing its connection.
    pub async fn release(self) {
        if let Some(conn) = self.conn {
            if let Err(e) = conn.close().await {
                tracing::warn!(error = %e, "closing the migration lock's connection failed");
            }
        }
    }
}

/// The newest migration this binary knows for `backend` (a backup made by a newer schema is
/// refused by its number).
pub fn latest_known(backend: Backend) -> i64 {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATOR,
        Backend::Postgres => &POSTGRES_MIGRATOR,
    };
    migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}
