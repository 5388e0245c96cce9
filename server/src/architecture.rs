//! The architecture's rules, checked against the source tree: infrastructure names no feature,
//! and SQL lives only in store files.

use std::path::{Path, PathBuf};

/// The feature folders.
const FEATURES: &[&str] = &[
    "files",
    "messaging",
    "documents",
    "users",
    "roles",
    "tenants",
    "me",
    "setup",
    "signin",
    "retention",
    "exports",
    "privacy",
    "sso",
    "mfa",
    "identity",
    "directory",
    "attendance",
    "bulletin",
    "announcements",
    "tasks",
    "notes",
    "meetings",
    "calendar",
    "console",
    "approvals",
];

/// The infrastructure folders: they may not import a feature.
const INFRASTRUCTURE: &[&str] = &[
    "db",
    "http",
    "ops",
    "authn",
    "authz",
    "blobs",
    "search",
    "jobs",
    "realtime",
    "lifecycle",
    "audit",
    "config",
    "delivery",
    "notices",
    "absences",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file's code without its test module (by convention the last item, after a
/// `#[cfg(test)]` line at the start of a line) and without `//` comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        let line = match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every crate-level module a piece of code names: `crate::x…` and `use crate::{x, y::…}`.
fn crate_modules(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let t = rest.trim_start();
        if let Some(group) = t.strip_prefix('{') {
            // A use tree: the names at depth 1.
            let mut depth = 1;
            let mut name = String::new();
            let mut at_start = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => at_start = true,
                    c if depth == 1 && at_start && (c.is_alphanumeric() || c == '_') => {
                        name.push(c)
                    }
                    c if depth == 1 && at_start && !c.is_whitespace() => {
                        if !name.is_empty() {
                            found.push(std::mem::take(&mut name));
                        }
                        at_start = false;
                    }
                    _ => {}
                }
                if depth == 1 && at_start && c == ',' && !name.is_empty() {
                    found.push(std::mem::take(&mut name));
                }
            }
            if !name.is_empty() {
                found.push(name);
            }
        } else {
            let name: String = t
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found
}

#[test]
fn crate_modules_are_read_from_paths_and_use_trees() {
    let code = "use crate::{authn::Principal, files, search::{self, Doc}, AppState};\n\
                let x = crate::messaging::store::room();";
    assert_eq!(
        crate_modules(code),
        ["authn", "files", "search", "AppState", "messaging"]
    );
}

#[test]
fn infrastructure_names_no_feature() {
    let mut offences = Vec::new();
    for dir in INFRASTRUCTURE {
        let mut files = Vec::new();
        rust_files(&src().join(dir), &mut files);
        if files.is_empty() {
            // A single-file module.
            files.push(src().join(format!("{dir}.rs")));
        }
        for f in files {
            for m in crate_modules(&code(&f)) {
                if FEATURES.contains(&m.as_str()) {
                    offences.push(format!("{} names the feature `{m}`", f.display()));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "infrastructure must learn about features through registries (app.rs):\n{}",
        offences.join("\n")
    );
}

/// How SQL is written (split, so that this file does not match itself).
const SQL: &str = concat!("sqlx", "::query");

/// Where SQL may be written: a feature's `store.rs` or `store/`, and `db/` (the storage layer
/// itself: pool, migrations, dialect, the outbox and lease tables).
fn may_hold_sql(path: &Path) -> bool {
    let rel = path.strip_prefix(src()).unwrap_or(path);
    rel.starts_with("db")
        || rel.file_name().is_some_and(|n| n == "store.rs")
        || rel.components().any(|c| c.as_os_str() == "store")
}

#[test]
fn sql_lives_in_store_files() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut offences = Vec::new();
    for f in files {
        if may_hold_sql(&f) {
            continue;
        }
        let n = code(&f).matches(SQL).count();
        if n > 0 {
            offences.push(format!("{}: {n}", f.display()));
        }
    }
    assert!(
        offences.is_empty(),
        "SQL belongs in the feature's store (store.rs or store/):\n{}",
        offences.join("\n")
    );
}
