//! `stoa restore --from DIR`: a backup into an empty data directory.
//!
//! Everything is checked before anything is written: the manifest (format, backend, a schema
//! this binary knows), every file it lists (present, its size, its SHA-256), and the target
//! (an empty data directory, no database, blobs or key files where this configuration puts
//! them). Then the files are placed. Re-applying erasures made after the backup was taken is
//! the caller's next step (`cli::restore_command`), on the restored install.

use super::{
    copy_file, digest, embedded_database, is_empty_dir, key_files, safe_relative, Manifest,
    BACKEND, BLOBS, DATABASE, FORMAT, FORMAT_VERSION, KEYS,
};
use crate::{config::Config, BoxError};
use std::path::{Path, PathBuf};

/// What a restore placed.
#[derive(Debug, Default)]
pub struct Restored {
    pub files: u64,
    pub bytes: u64,
    pub blobs: u64,
    /// Keys the backup does not hold (they came from the old install's configuration): this
    /// configuration must give the same ones.
    pub keys_in_configuration: Vec<String>,
    /// Key files of the backup not placed because this configuration gives the key itself.
    pub keys_skipped: Vec<String>,
    pub manifest_created_at: String,
}

/// Read and check a backup's manifest.
pub fn manifest(from: &Path) -> Result<Manifest, BoxError> {
    let path = from.join("manifest.json");
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "{} has no manifest.json: not a Stoa backup, or one that did not finish",
                from.display()
            )
            .into())
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display()).into()),
    };
    let m: Manifest = serde_json::from_slice(&text)
        .map_err(|e| format!("{} is not a valid backup manifest: {e}", path.display()))?;
    if m.format != FORMAT {
        return Err(format!("{} is not a Stoa backup manifest", path.display()).into());
    }
    if m.format_version != FORMAT_VERSION {
        return Err(format!(
            "this backup has layout version {}; this stoa ({}) reads version {FORMAT_VERSION}: \
             restore it with the stoa that made it ({})",
            m.format_version,
            env!("CARGO_PKG_VERSION"),
            m.stoa_version
        )
        .into());
    }
    if m.backend != BACKEND {
        return Err(format!(
            "this backup is of a `{}` install; only `{BACKEND}` backups restore here",
            m.backend
        )
        .into());
    }
    let known = crate::db::migrate::latest_known(crate::db::Backend::Sqlite);
    if m.schema_version > known {
        return Err(format!(
            "this backup's database has schema version {} (made by stoa {}); this stoa ({}) \
             knows migrations up to {known}: restore it with stoa {} or newer",
            m.schema_version,
            m.stoa_version,
            env!("CARGO_PKG_VERSION"),
            m.stoa_version
        )
        .into());
    }
    if !m
        .files
        .iter()
        .any(|f| f.role == "database" && f.path == DATABASE)
    {
        return Err("the manifest lists no database".into());
    }
    Ok(m)
}

/// Check every file the manifest lists; the problems found (empty when all is well).
pub fn check_files(from: &Path, m: &Manifest) -> Vec<String> {
    let mut problems = Vec::new();
    for f in &m.files {
        let Some(rel) = safe_relative(&f.path) else {
            problems.push(format!("{}: not a path inside the backup", f.path));
            continue;
        };
        let allowed = f.path == DATABASE
            || (f.role == "blob" && f.path.starts_with(&format!("{BLOBS}/")))
            || (f.role != "blob"
                && f.role != "database"
                && f.path.starts_with(&format!("{KEYS}/")));
        if !allowed {
            problems.push(format!("{}: unexpected entry ({})", f.path, f.role));
            continue;
        }
        match digest(&from.join(rel)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                problems.push(format!("{}: missing", f.path))
            }
            Err(e) => problems.push(format!("{}: cannot be read: {e}", f.path)),
            Ok((size, _)) if size != f.size => problems.push(format!(
                "{}: {size} bytes, the manifest says {} (truncated or altered)",
                f.path, f.size
            )),
            Ok((_, sha)) if sha != f.sha256 => problems.push(format!(
                "{}: checksum mismatch (corrupted or altered)",
                f.path
            )),
            Ok(_) => {}
        }
    }
    problems
}

/// Where a backup's files go under this configuration, and what is already there.
struct Target {
    database: PathBuf,
    objects: PathBuf,
    keys: Vec<(&'static str, &'static str, PathBuf, bool)>,
}

fn target(cfg: &Config) -> Result<Target, BoxError> {
    let database = embedded_database(cfg).map_err(|e| format!("cannot restore here: {e}"))?;
    let mut occupied = Vec::new();
    if !is_empty_dir(&cfg.data_dir)? {
        occupied.push(format!(
            "the data directory {} is not empty",
            cfg.data_dir.display()
        ));
    }
    if database.exists() {
        occupied.push(format!("a database exists at {}", database.display()));
    }
    let blobs = cfg.blobs_dir();
    if !is_empty_dir(&blobs.join("objects"))? {
        occupied.push(format!(
            "the blob directory {} holds files",
            blobs.display()
        ));
    }
    let keys = key_files(cfg);
    for (_, _, path, in_config) in &keys {
        if !in_config && path.exists() {
            occupied.push(format!("a key file exists at {}", path.display()));
        }
    }
    if !occupied.is_empty() {
        return Err(format!(
            "refusing to restore over an existing install: {}. Restore into an empty data \
             directory (move the old one aside; its erasure ledger can be passed with \
             --erasure-ledger)",
            occupied.join("; ")
        )
        .into());
    }
    Ok(Target {
        database,
        objects: blobs.join("objects"),
        keys,
    })
}

/// Check the backup `from` and the target, then place the files. Nothing is written unless
/// every check passes.
pub async fn run(cfg: &Config, from: &Path) -> Result<Restored, BoxError> {
    let m = manifest(from)?;
    let t = target(cfg)?;
    let from = from.to_path_buf();
    let (dir, checked) = (from.clone(), m.clone());
    let problems = tokio::task::spawn_blocking(move || check_files(&dir, &checked)).await?;
    if !problems.is_empty() {
        let shown: Vec<&str> = problems.iter().take(20).map(String::as_str).collect();
        return Err(format!(
            "the backup failed its check, nothing was restored ({} problem(s)):\n  {}{}",
            problems.len(),
            shown.join("\n  "),
            if problems.len() > shown.len() {
                "\n  …"
            } else {
                ""
            }
        )
        .into());
    }
    let cfg = cfg.clone();
    tokio::task::spawn_blocking(move || place(&cfg, &m, &from, &t)).await?
}

fn place(cfg: &Config, m: &Manifest, from: &Path, t: &Target) -> Result<Restored, BoxError> {
    crate::private_fs::dir(&cfg.data_dir)?;
    let mut out = Restored {
        keys_in_configuration: m.keys_in_configuration.clone(),
        manifest_created_at: m.created_at.clone(),
        ..Restored::default()
    };
    for f in &m.files {
        let Some(rel) = safe_relative(&f.path) else {
            continue;
        };
        let dest = match f.role.as_str() {
            "database" => t.database.clone(),
            "blob" => {
                let key = f.path.trim_start_matches(&format!("{BLOBS}/"));
                crate::blobs::check_key(key).map_err(|_| format!("{}: not a blob key", f.path))?;
                out.blobs += 1;
                t.objects.join(key)
            }
            role => {
                let Some((_, _, path, in_config)) = t.keys.iter().find(|k| k.0 == role) else {
                    return Err(format!("{}: unknown key `{role}`", f.path).into());
                };
                if *in_config {
                    out.keys_skipped.push(role.to_string());
                    continue;
                }
                path.clone()
            }
        };
        let (size, sha) = copy_file(&from.join(rel), &dest)?;
        if size != f.size || sha != f.sha256 {
            return Err(format!(
                "{} changed while it was being restored; the restore is incomplete: empty {} \
                 and run it again",
                f.path,
                cfg.data_dir.display()
            )
            .into());
        }
        out.files += 1;
        out.bytes += size;
    }
    crate::private_fs::dir(&cfg.blobs_dir().join("objects"))?;
    crate::private_fs::dir(&cfg.blobs_dir().join("tmp"))?;
    Ok(out)
}

/// Copy the erasure ledger entries found under `source` (the old install's data directory or
/// blob directory, or a ledger folder) into the restored blob directory: erasures made after
/// the backup was taken are then on the ledger the replay reads. Returns how many were copied.
pub fn carry_ledger(cfg: &Config, source: &Path, prefix: &str) -> Result<u64, BoxError> {
    let candidates = [
        source.join("objects").join(prefix),
        source.join("blobs").join("objects").join(prefix),
        source.join(BLOBS).join(prefix),
        source.join(prefix),
    ];
    let Some(root) = candidates.iter().find(|p| p.is_dir()) else {
        return Err(format!(
            "no erasure ledger under {} (looked for {prefix} in it, in its objects/ and in \
             blobs/objects/)",
            source.display()
        )
        .into());
    };
    let into = cfg.blobs_dir().join("objects").join(prefix);
    let mut n = 0;
    for rel in super::files_under(root)? {
        crate::blobs::check_key(&format!("{prefix}{rel}"))
            .map_err(|_| format!("{}: not a ledger entry", root.join(&rel).display()))?;
        let dest = into.join(&rel);
        // The old install's entry is at least as new as the backup's.
        let _ = std::fs::remove_file(&dest);
        copy_file(&root.join(&rel), &dest)?;
        n += 1;
    }
    Ok(n)
}
