//! `stoa backup --verify`: is this install (either backend, typically one just restored)
//! consistent? Every blob a row names exists in the blob store; no object that no row names is
//! older than the orphan sweeper's grace; every tenant's audit chain verifies (the same check
//! as `stoa audit verify` and `GET /audit/verify`, [`crate::audit::verify_tenant`]).

use crate::{
    blobs::{sweep::References, BlobStore},
    db::Db,
    BoxError,
};
use serde::Serialize;
use std::collections::HashSet;

/// What the check found.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Object keys rows name.
    pub named: u64,
    /// Objects in the store (under `t/`).
    pub objects: u64,
    /// Keys a row names whose object is not in the store.
    pub missing: Vec<String>,
    /// Objects no row names, older than the grace period (`stoa blobs sweep` removes them).
    pub orphans: Vec<String>,
    /// Objects no row names, younger than the grace period (uploads in flight): not a problem.
    pub young_unreferenced: u64,
    /// Per tenant: the entries of its audit chain, or where it breaks.
    pub audit: Vec<Chain>,
}

#[derive(Debug, Serialize)]
pub struct Chain {
    pub tenant_id: String,
    pub entries: u64,
    /// Where and why the chain breaks.
    pub broken: Option<String>,
}

impl Report {
    /// True when nothing is wrong.
    pub fn ok(&self) -> bool {
        self.missing.is_empty()
            && self.orphans.is_empty()
            && self.audit.iter().all(|c| c.broken.is_none())
    }
}

/// Check the install. `grace_ms`: the sweeper's grace; `anchor` and `mirror_dir` as for
/// `audit::verify_tenant`.
pub async fn run(
    db: &Db,
    store: &dyn BlobStore,
    refs: &References,
    grace_ms: i64,
    anchor: &ring::hmac::Key,
    mirror_dir: &str,
) -> Result<Report, BoxError> {
    let mut report = Report::default();
    // Rows first, objects second: a row commits after its blob is written, so an object
    // listed after the rows were read is there for every row read.
    let named = {
        let mut conn = db.conn().await?;
        refs.all_named(&mut conn).await?
    };
    report.named = named.len() as u64;
    let objects = store.list("t/").await?;
    report.objects = objects.len() as u64;
    let present: HashSet<&str> = objects.iter().map(|o| o.key.as_str()).collect();
    let mut missing: Vec<String> = named
        .iter()
        .filter(|k| !present.contains(k.as_str()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        // A row deleted (and its object after it) since the rows were read is no problem.
        let still = refs.referenced(db, &missing).await?;
        let mut gone = Vec::new();
        for k in missing.drain(..) {
            if still.contains(&k) && !store.exists(&k).await? {
                gone.push(k);
            }
        }
        missing = gone;
    }
    missing.sort();
    report.missing = missing;
    let cutoff = crate::db::now_ms() - grace_ms.max(0);
    let mut unnamed = Vec::new();
    for o in &objects {
        if named.contains(&o.key) {
            continue;
        }
        if o.modified_ms > cutoff {
            report.young_unreferenced += 1;
        } else {
            unnamed.push(o.key.clone());
        }
    }
    // A row that named one of them since the rows were read makes it no orphan.
    let mut orphans = Vec::new();
    for chunk in unnamed.chunks(500) {
        let live = refs.referenced(db, chunk).await?;
        orphans.extend(chunk.iter().filter(|k| !live.contains(*k)).cloned());
    }
    orphans.sort();
    report.orphans = orphans;
    for t in crate::audit::chain_tenants(db).await? {
        let chain = match crate::audit::verify_tenant(db, anchor, &t, mirror_dir).await? {
            Ok(n) => Chain {
                tenant_id: t,
                entries: n,
                broken: None,
            },
            Err(b) => Chain {
                tenant_id: t,
                entries: 0,
                broken: Some(format!("at entry {}: {}", b.seq, b.reason)),
            },
        };
        report.audit.push(chain);
    }
    Ok(report)
}
