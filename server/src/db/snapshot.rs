//! Consistent copies of an SQLite database while a server writes to it (`stoa backup`).
//!
//! `VACUUM INTO` reads the database inside one read transaction (in WAL mode it never blocks the
//! writer) and writes a compact, self-contained copy: the snapshot is the database as of that
//! transaction's start, whatever commits meanwhile. It runs on a connection of its own, outside
//! any server's pool, so it works from another process beside a serving node.

use sqlx::{AnyConnection, Connection, Executor};
use std::path::{Path, PathBuf};

/// The file of an SQLite URL (`sqlite://path?…`); `None` for PostgreSQL or an in-memory database.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    super::sqlite_path(url).map(PathBuf::from)
}

/// Write a consistent copy of the SQLite database at `live` into the new file `into`.
pub async fn sqlite_into(live: &Path, into: &Path) -> Result<(), sqlx::Error> {
    sqlx::any::install_default_drivers();
    // `mode=rw`: never create the live database by looking at it.
    let mut conn = AnyConnection::connect(&format!("sqlite://{}?mode=rw", live.display())).await?;
    conn.execute("pragma busy_timeout = 10000").await?;
    let into = into.to_string_lossy().to_string();
    let done = sqlx::query("vacuum into $1")
        .bind(into)
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    done.map(|_| ())
}

/// Open a snapshot (or any SQLite file) read-only, for the checks a backup makes on what it took.
pub async fn open_read_only(path: &Path) -> Result<AnyConnection, sqlx::Error> {
    sqlx::any::install_default_drivers();
    AnyConnection::connect(&format!("sqlite://{}?mode=ro", path.display())).await
}

/// The newest migration applied to this database (0 when none is).
pub async fn latest_applied(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select coalesce(max(version), 0) from _sqlx_migrations where success = true",
    )
    .fetch_one(conn)
    .await
}
