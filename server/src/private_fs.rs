//! Files and directories only the server's own account may read. The data directory, the
//! SQLite database, blobs, the search index, key files and the audit mirror hold tenants' data
//! and secrets; created under a usual umask (022) they would be world-readable (0644 / 0755).
//! Directories are made 0700 and files 0600; on systems without Unix modes this does nothing.

use std::{io, path::Path};

/// Create a directory (and its missing parents) readable by the owner only, and tighten it
/// when it already exists with group or other access. A directory whose mode cannot be
/// changed (owned by someone else) is used as it is, with a warning.
pub fn dir(path: &Path) -> io::Result<()> {
    create_dir(path)?;
    tighten(path, 0o700);
    Ok(())
}

/// Create a directory (and its missing parents) readable by the owner only; an existing one
/// is left as it is (the audit mirror's directory may be shared with a log shipper on purpose).
pub fn create_dir(path: &Path) -> io::Result<()> {
    if path.as_os_str().is_empty() || path.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)
}

/// Make an existing file owner-only (`0600`); a missing file is fine.
pub fn file(path: &Path) {
    if path.exists() {
        tighten(path, 0o600);
    }
}

/// Options that create a file readable by the owner only.
pub fn options() -> std::fs::OpenOptions {
    #[allow(unused_mut)]
    let mut o = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

#[cfg(unix)]
fn tighten(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let current = meta.permissions().mode() & 0o777;
    if current & 0o077 == 0 {
        return;
    }
    let wanted = current & mode;
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted)) {
        tracing::warn!(path = %path.display(), error = %e, "could not make this private to the server's account");
    } else {
        tracing::info!(path = %path.display(), from = format!("{current:o}"), to = format!("{wanted:o}"), "made private to the server's account");
    }
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _mode: u32) {}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn dirs_and_files_become_private() {
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let base = std::env::temp_dir().join(format!("stoa-fs-{}", uuid::Uuid::new_v4()));
        let nested = base.join("a/b");
        super::dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);
        std::fs::set_permissions(&nested, std::fs::Permissions::from_mode(0o755)).unwrap();
        super::dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);
        let f = nested.join("f");
        super::options().write(true).create(true).open(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        super::file(&f);
        assert_eq!(mode(&f), 0o600);
        let _ = std::fs::remove_dir_all(&base);
    }
}
