//! `stoa backup --to DIR`: a consistent online backup of an embedded install.
//!
//! 1. The database: `VACUUM INTO` on a connection of its own (`db::snapshot`), while servers
//!    go on serving and writing.
//! 2. The blobs: every complete object present after the snapshot (blobs are written before the
//!    rows that name them, so the snapshot names none that is not there yet). Objects written
//!    later are harmless extras; the orphan sweeper of the restored install removes them.
//! 3. The check: every key the snapshot's rows name must have been copied. One deleted between
//!    the snapshot and its copy (its row deleted meanwhile) means the snapshot is stale: take a
//!    new one and copy what is new, a few times at most.
//! 4. The key files, then `manifest.json` last: a backup without a manifest is incomplete.

use super::{
    copy_file, embedded_database, files_under, is_empty_dir, key_files, FileEntry, Manifest,
    BACKEND, BLOBS, DATABASE, FORMAT, FORMAT_VERSION, KEYS,
};
use crate::{blobs::sweep::References, config::Config, BoxError};
use std::{collections::BTreeMap, path::Path};

/// Snapshots taken before giving up on an install that keeps deleting what the last one named.
const ATTEMPTS: usize = 3;

/// What a backup took.
#[derive(Debug)]
pub struct Taken {
    pub manifest: Manifest,
    /// Snapshots it took (more than one when blobs went away under the first).
    pub snapshots: usize,
    pub bytes: u64,
}

/// Back the configured embedded install up into the empty (or new) directory `to`.
pub async fn run(cfg: &Config, refs: &References, to: &Path) -> Result<Taken, BoxError> {
    let live = embedded_database(cfg)?;
    if !live.is_file() {
        return Err(format!(
            "no database at {}: nothing to back up (is the configuration the install's?)",
            live.display()
        )
        .into());
    }
    if !is_empty_dir(to)? {
        return Err(format!(
            "{} is not empty: a backup goes into a new or empty directory",
            to.display()
        )
        .into());
    }
    crate::private_fs::dir(to)?;
    let objects = cfg.blobs_dir().join("objects");
    let snapshot = to.join(DATABASE);
    // Blob path inside the backup → (size, sha256).
    let mut copied: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut snapshots = 0;
    let schema_version = loop {
        snapshots += 1;
        match std::fs::remove_file(&snapshot) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        crate::db::snapshot::sqlite_into(&live, &snapshot)
            .await
            .map_err(|e| format!("snapshot of {} failed: {e}", live.display()))?;
        crate::private_fs::file(&snapshot);
        copy_blobs(&objects, &to.join(BLOBS), &mut copied).await?;
        let mut conn = crate::db::snapshot::open_read_only(&snapshot).await?;
        let schema_version = crate::db::snapshot::latest_applied(&mut conn).await?;
        let named = refs.all_named(&mut conn).await?;
        use sqlx::Connection;
        let _ = conn.close().await;
        let missing: Vec<&String> = named
            .iter()
            .filter(|k| !copied.contains_key(&format!("{BLOBS}/{k}")))
            .collect();
        if missing.is_empty() {
            break schema_version;
        }
        tracing::info!(
            missing = missing.len(),
            "blobs the snapshot names were deleted before their copy: taking a new snapshot"
        );
        if snapshots >= ATTEMPTS {
            return Err(format!(
                "{} blob(s) the database names went away during the backup ({} snapshots \
                 taken), e.g. {}: try again when the install is quieter",
                missing.len(),
                snapshots,
                missing[0]
            )
            .into());
        }
    };
    let mut files = Vec::with_capacity(copied.len() + 4);
    let (size, sha256) = super::digest(&snapshot)?;
    files.push(FileEntry {
        path: DATABASE.into(),
        role: "database".into(),
        size,
        sha256,
    });
    for (path, (size, sha256)) in copied {
        files.push(FileEntry {
            path,
            role: "blob".into(),
            size,
            sha256,
        });
    }
    let mut keys_in_configuration = Vec::new();
    for (role, name, path, in_config) in key_files(cfg) {
        if in_config {
            keys_in_configuration.push(role.to_string());
            continue;
        }
        let rel = format!("{KEYS}/{name}");
        match copy_file(&path, &to.join(&rel)) {
            Ok((size, sha256)) => files.push(FileEntry {
                path: rel,
                role: role.into(),
                size,
                sha256,
            }),
            // The operator token file is made at the first start that needs it; the others
            // exist on every install that has data.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && role == "operator_token" => {}
            Err(e) => return Err(format!("cannot copy {}: {e}", path.display()).into()),
        }
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        stoa_version: env!("CARGO_PKG_VERSION").into(),
        schema_version,
        created_at: crate::db::rfc3339(crate::db::now_ms()),
        backend: BACKEND.into(),
        keys_in_configuration,
        files,
    };
    write_manifest(to, &manifest)?;
    let bytes = manifest.files.iter().map(|f| f.size).sum();
    Ok(Taken {
        manifest,
        snapshots,
        bytes,
    })
}

/// Copy every complete object under `objects` not copied yet into `into`, recording what was
/// written. An object removed meanwhile is skipped (the check after it decides).
async fn copy_blobs(
    objects: &Path,
    into: &Path,
    copied: &mut BTreeMap<String, (u64, String)>,
) -> Result<(), BoxError> {
    let objects = objects.to_path_buf();
    let into = into.to_path_buf();
    let mut done = std::mem::take(copied);
    let done = tokio::task::spawn_blocking(move || -> Result<_, std::io::Error> {
        for rel in files_under(&objects)? {
            let key = format!("{BLOBS}/{rel}");
            if done.contains_key(&key) {
                continue;
            }
            match copy_file(&objects.join(&rel), &into.join(&rel)) {
                Ok(v) => {
                    done.insert(key, v);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let _ = std::fs::remove_file(into.join(&rel));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    })
    .await??;
    *copied = done;
    Ok(())
}

/// Write `manifest.json` whole or not at all, and flush the directory.
fn write_manifest(to: &Path, m: &Manifest) -> Result<(), BoxError> {
    use std::io::Write;
    let part = to.join("manifest.json.part");
    let mut f = crate::private_fs::options()
        .write(true)
        .create_new(true)
        .open(&part)?;
    f.write_all(&serde_json::to_vec_pretty(m)?)?;
    f.sync_all()?;
    std::fs::rename(&part, to.join("manifest.json"))?;
    if let Ok(dir) = std::fs::File::open(to) {
        let _ = dir.sync_all();
    }
    Ok(())
}
