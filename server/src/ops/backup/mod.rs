//! Backups of an embedded install and their restore (`stoa backup --to`, `stoa restore --from`),
//! and the consistency check of any install (`stoa backup --verify`).
//!
//! An embedded install is the SQLite database, the blobs in a local directory and the key files;
//! a backup is a directory holding a consistent snapshot of the database (`VACUUM INTO`, taken
//! while a server serves: `db::snapshot`), every blob present after the snapshot, the key files
//! and `manifest.json` with every file's size and SHA-256. The search index is not copied: a
//! server that finds its index empty rebuilds it from the database at start.
//!
//! Blobs are immutable (a fresh key per upload, written before the row that names it), so every
//! blob the snapshot names exists when the snapshot is taken. One may still be deleted between
//! the snapshot and its copy (its row deleted after the snapshot); the backup checks every key
//! the snapshot names against what it copied and takes a fresh snapshot when one is missing.
//!
//! PostgreSQL and S3 have their own tools (`pg_dump`, point-in-time recovery, bucket versioning;
//! README "Backups and restore"); [`verify`] checks an install restored with them.

pub mod restore;
pub mod take;
pub mod verify;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::{
    io::{Read, Write},
    path::{Component, Path, PathBuf},
};

/// What `manifest.json` says this is.
pub const FORMAT: &str = "stoa-backup";
/// The layout of a backup directory; a restore refuses one it does not know.
pub const FORMAT_VERSION: u32 = 1;
/// The one backend a backup covers.
pub const BACKEND: &str = "sqlite+local";
/// The snapshot's name inside a backup.
pub const DATABASE: &str = "stoa.db";
/// Where blobs go inside a backup (`blobs/<object key>`).
pub const BLOBS: &str = "blobs";
/// Where key files go inside a backup.
pub const KEYS: &str = "keys";

/// `manifest.json`: what the backup holds and how to check it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// The `stoa` that took it.
    pub stoa_version: String,
    /// The newest migration applied to the snapshot.
    pub schema_version: i64,
    /// RFC 3339.
    pub created_at: String,
    pub backend: String,
    /// Keys the install reads from its configuration rather than a file: not in the backup,
    /// so keep them with it.
    #[serde(default)]
    pub keys_in_configuration: Vec<String>,
    pub files: Vec<FileEntry>,
}

/// One file of a backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    /// Relative to the backup directory, `/`-separated.
    pub path: String,
    /// `database`, `blob`, or the key: `master_key`, `audit_anchor_key`, `operator_token`.
    pub role: String,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

/// A key file an embedded install keeps: (role, file name in the backup, its path under this
/// configuration, whether the configuration gives the key itself instead).
pub(crate) fn key_files(
    cfg: &crate::config::Config,
) -> Vec<(&'static str, &'static str, PathBuf, bool)> {
    vec![
        (
            "master_key",
            "master.key",
            cfg.master_key_file(),
            !cfg.storage.master_key.is_empty(),
        ),
        (
            "audit_anchor_key",
            "audit-anchor.key",
            cfg.audit_anchor_key_file(),
            !cfg.audit.anchor_key.is_empty(),
        ),
        (
            "operator_token",
            "operator.token",
            cfg.operator_token_file(),
            !cfg.operator.token.is_empty(),
        ),
    ]
}

/// The SQLite file of an embedded install, or why this install is not one.
pub(crate) fn embedded_database(cfg: &crate::config::Config) -> Result<PathBuf, String> {
    let url = cfg.database_url();
    let Some(db) = crate::db::snapshot::sqlite_file(&url) else {
        return Err(
            "this install's database is PostgreSQL (or in memory): back it up with pg_dump or \
             point-in-time recovery, and the bucket with versioning, then check a restored \
             install with `stoa backup --verify` (README, \"Backups and restore\")"
                .into(),
        );
    };
    if cfg.storage.backend != "local" {
        return Err(
            "this install keeps its files in S3: back the bucket up with versioning (and the \
             database with its own tools), then check a restored install with `stoa backup \
             --verify` (README, \"Backups and restore\")"
                .into(),
        );
    }
    Ok(db)
}

/// True when `dir` is missing or holds nothing.
pub(crate) fn is_empty_dir(dir: &Path) -> std::io::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut rd) => Ok(rd.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// A manifest path that stays inside the backup: relative, no `..`, no root.
pub(crate) fn safe_relative(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    let ok = !path.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    ok.then(|| p.to_path_buf())
}

/// (size, hex SHA-256) of a file.
pub(crate) fn digest(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1024 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((size, hex::encode(h.finalize())))
}

/// Copy `from` to the new file `to` (owner-only, parents created, flushed to disk); its
/// (size, hex SHA-256) as written.
pub(crate) fn copy_file(from: &Path, to: &Path) -> std::io::Result<(u64, String)> {
    if let Some(parent) = to.parent() {
        crate::private_fs::create_dir(parent)?;
    }
    let mut src = std::fs::File::open(from)?;
    let mut dst = crate::private_fs::options()
        .write(true)
        .create_new(true)
        .open(to)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1024 * 1024];
    let mut size = 0u64;
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
        dst.write_all(&buf[..n])?;
    }
    dst.sync_all()?;
    Ok((size, hex::encode(h.finalize())))
}

/// Every file under `root`, as `/`-separated paths relative to it.
pub(crate) fn files_under(root: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_stay_inside() {
        assert!(safe_relative("blobs/t/ab/cd").is_some());
        assert!(safe_relative("stoa.db").is_some());
        for bad in ["", "/etc/passwd", "../x", "blobs/../../x", "./x"] {
            assert!(safe_relative(bad).is_none(), "{bad}");
        }
    }
}
