//! The orphan sweeper: removes objects that no row references once they are older than a grace
//! period (an upload writes its blob before its row, so a young unreferenced object may be an
//! upload in flight), and uploads that never completed. One node at a time (a job lease); a
//! dry run reports without removing.

use super::{BlobError, Blobs};
use crate::db::{lock, Db};
use futures_util::future::BoxFuture;
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::HashSet;

/// Which of these object keys a feature's rows reference.
pub type Referenced = for<'a> fn(
    &'a mut AnyConnection,
    &'a [String],
) -> BoxFuture<'a, Result<HashSet<String>, sqlx::Error>>;

/// A page of the object keys a feature's rows name: the first `limit` keys after `after`, in
/// key order (`stoa backup` and `stoa backup --verify` walk every key a row names).
pub type Named = for<'a> fn(
    &'a mut AnyConnection,
    &'a str,
    i64,
) -> BoxFuture<'a, Result<Vec<String>, sqlx::Error>>;

/// The features whose rows reference blobs (registered in `app.rs`): an object none of them
/// references is an orphan, and an object one of them names must exist.
#[derive(Default, Clone)]
pub struct References(Vec<(Referenced, Named)>);

impl References {
    pub fn register(&mut self, referenced: Referenced, named: Named) {
        self.0.push((referenced, named));
    }

    /// Every object key a row names, read on `conn` (which may be a snapshot's connection).
    pub async fn all_named(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<HashSet<String>, sqlx::Error> {
        const PAGE: i64 = 1000;
        let mut out = HashSet::new();
        for (_, named) in &self.0 {
            let mut after = String::new();
            loop {
                let page = named(conn, &after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.clone();
                let full = page.len() as i64 == PAGE;
                out.extend(page);
                if !full {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Keys among `keys` that some row references now.
    pub async fn referenced(
        &self,
        db: &Db,
        keys: &[String],
    ) -> Result<HashSet<String>, sqlx::Error> {
        referenced(db, self, keys).await
    }
}

const LOCK: &str = "blobs.sweep";
const LOCK_TTL_MS: i64 = 15 * 60 * 1000;
const BATCH: usize = 500;

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub dry_run: bool,
    /// Objects looked at.
    pub scanned: u64,
    /// Objects referenced by a row, kept.
    pub referenced: u64,
    /// Unreferenced objects younger than the grace period, kept.
    pub young: u64,
    /// Unreferenced objects removed (or that a dry run would remove).
    pub removed: Vec<String>,
    pub removed_bytes: u64,
    /// Incomplete uploads removed.
    pub incomplete_removed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("another sweep is running")]
    Busy,
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl crate::error::ToProblem for SweepError {
    fn code(&self) -> crate::error::Code {
        match self {
            SweepError::Busy => crate::error::Code::Conflict,
            SweepError::Blob(b) => b.code(),
            SweepError::Db(d) => d.code(),
        }
    }
    fn detail(&self) -> String {
        match self {
            SweepError::Blob(b) => b.detail(),
            SweepError::Db(d) => d.detail(),
            other => other.to_string(),
        }
    }
}

/// Keys among `keys` that some row references.
async fn referenced(
    db: &Db,
    refs: &References,
    keys: &[String],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut live = HashSet::new();
    if keys.is_empty() {
        return Ok(live);
    }
    let mut conn = db.conn().await?;
    for (r, _) in &refs.0 {
        live.extend(r(&mut conn, keys).await?);
    }
    Ok(live)
}

/// Sweep once. `grace_ms` protects objects (and incomplete uploads) younger than that.
pub async fn run(
    db: &Db,
    blobs: &Blobs,
    refs: &References,
    grace_ms: i64,
    dry_run: bool,
) -> Result<Report, SweepError> {
    let holder = uuid::Uuid::new_v4().to_string();
    if !lock::try_acquire(db, LOCK, &holder, LOCK_TTL_MS).await? {
        return Err(SweepError::Busy);
    }
    let result = sweep(db, blobs, refs, grace_ms, dry_run).await;
    if let Err(e) = lock::release(db, LOCK, &holder).await {
        tracing::warn!(error = %e, "could not release the sweep lease");
    }
    result
}

async fn sweep(
    db: &Db,
    blobs: &Blobs,
    refs: &References,
    grace_ms: i64,
    dry_run: bool,
) -> Result<Report, SweepError> {
    let cutoff = crate::db::now_ms() - grace_ms.max(0);
    let mut report = Report {
        dry_run,
        ..Report::default()
    };
    report.incomplete_removed = blobs.store.remove_incomplete(cutoff, dry_run).await?;
    let objects = blobs.store.list("t/").await?;
    report.scanned = objects.len() as u64;
    for batch in objects.chunks(BATCH) {
        let old: Vec<_> = batch.iter().filter(|o| o.modified_ms <= cutoff).collect();
        report.young += (batch.len() - old.len()) as u64;
        let keys: Vec<String> = old.iter().map(|o| o.key.clone()).collect();
        let live = referenced(db, refs, &keys).await?;
        for o in old {
            if live.contains(&o.key) {
                report.referenced += 1;
                continue;
            }
            // Re-check one by one just before removing: a row may have committed meanwhile.
            if !dry_run {
                if !referenced(db, refs, std::slice::from_ref(&o.key))
                    .await?
                    .is_empty()
                {
                    report.referenced += 1;
                    continue;
                }
                blobs.store.delete(&o.key).await?;
            }
            report.removed_bytes += o.size;
            report.removed.push(o.key.clone());
        }
    }
    if !report.removed.is_empty() || report.incomplete_removed > 0 {
        tracing::info!(
            dry_run,
            removed = report.removed.len(),
            bytes = report.removed_bytes,
            incomplete = report.incomplete_removed,
            "orphan sweep"
        );
    }
    Ok(report)
}
