//! Outbox consumer: mirrors each tenant's audit entries as JSON Lines into
//! `<audit.mirror_dir>/<tenant id>.jsonl`, for log shippers and SIEMs.
//!
//! The file is also evidence outside the database: `stoa audit verify` compares the chain
//! with it (each line carries its entry's hash and anchor).
//!
//! Idempotent by construction: the file itself records how far it got (the `seq` of its last
//! line), so a redelivered message appends only what is missing and a crash between writing and
//! acknowledging never duplicates a line.

use crate::{db::Db, jobs::outbox::HandlerError};
use std::{
    io::{Read, Seek, SeekFrom, Write},
    path::Path,
};

pub const TOPIC: &str = "audit.appended";

/// Appending and rewriting a mirror file do not interleave within this process.
static WRITING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn handle(
    db: &Db,
    mirror_dir: &str,
    tenant_id: &str,
    payload: &str,
) -> Result<(), HandlerError> {
    if mirror_dir.is_empty() {
        return Ok(());
    }
    let upto: i64 = serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v.get("seq").and_then(|s| s.as_i64()))
        .ok_or_else(|| HandlerError::permanent("payload has no seq"))?;
    if !crate::db::is_id(tenant_id) {
        return Err(HandlerError::permanent("message has no tenant"));
    }
    let _writing = WRITING.lock().await;
    let dir = Path::new(mirror_dir).to_path_buf();
    let path = dir.join(format!("{tenant_id}.jsonl"));
    let p2 = path.clone();
    let written = tokio::task::spawn_blocking(move || {
        // Created owner-only; an existing directory is the operator's (a log shipper may
        // read it through a group).
        crate::private_fs::create_dir(&dir)?;
        last_seq(&p2)
    })
    .await
    .map_err(HandlerError::retry)?
    .map_err(HandlerError::retry)?;
    if written >= upto {
        return Ok(());
    }
    let mut conn = db.conn().await.map_err(HandlerError::retry)?;
    let mut lines = Vec::new();
    let mut after = written;
    while after < upto {
        let rows = super::store::chain_page(&mut conn, tenant_id, after, 500)
            .await
            .map_err(HandlerError::retry)?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for r in rows.iter().filter(|r| r.seq <= upto) {
            lines.push(serde_json::to_string(r).map_err(HandlerError::retry)?);
        }
    }
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let mut f = crate::private_fs::options()
            .create(true)
            .append(true)
            .open(&path)?;
        for l in lines {
            f.write_all(l.as_bytes())?;
            f.write_all(b"\n")?;
        }
        f.sync_data()
    })
    .await
    .map_err(HandlerError::retry)?
    .map_err(HandlerError::retry)
}

/// Replace the mirrored copies of these entries (after their personal fields were erased in
/// the database): the file is rewritten to a temporary file and renamed over the old one.
/// Lines of other entries stay as they are. Nothing to do without a mirror.
pub async fn rewrite(
    mirror_dir: &str,
    tenant_id: &str,
    rows: Vec<super::Row>,
) -> std::io::Result<u64> {
    if mirror_dir.is_empty() || rows.is_empty() || !crate::db::is_id(tenant_id) {
        return Ok(0);
    }
    let _writing = WRITING.lock().await;
    let path = Path::new(mirror_dir).join(format!("{tenant_id}.jsonl"));
    tokio::task::spawn_blocking(move || -> std::io::Result<u64> {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let by_seq: std::collections::HashMap<i64, &super::Row> =
            rows.iter().map(|r| (r.seq, r)).collect();
        let mut out = String::with_capacity(text.len());
        let mut replaced = 0u64;
        for line in text.lines() {
            let seq = serde_json::from_str::<Mirrored>(line).ok().map(|m| m.seq);
            match seq.and_then(|s| by_seq.get(&s)) {
                Some(r) => {
                    out.push_str(&serde_json::to_string(r).map_err(std::io::Error::other)?);
                    replaced += 1;
                }
                None => out.push_str(line),
            }
            out.push('\n');
        }
        let tmp = path.with_extension("jsonl.tmp");
        {
            let mut f = crate::private_fs::options()
                .create(true)
                .write(true)
                .truncate(true)
                .open(&tmp)?;
            f.write_all(out.as_bytes())?;
            f.sync_data()?;
        }
        std::fs::rename(&tmp, &path)?;
        Ok(replaced)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// The `seq` of the last complete line of the mirror file (0 when absent or empty). A torn last
/// line (crash mid-write) is cut off so the next append starts clean.
fn last_seq(path: &Path) -> std::io::Result<i64> {
    let mut f = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let len = f.metadata()?.len();
    let tail = len.min(64 * 1024);
    f.seek(SeekFrom::Start(len - tail))?;
    let mut buf = Vec::with_capacity(tail as usize);
    f.read_to_end(&mut buf)?;
    if !buf.ends_with(b"\n") {
        let keep = buf
            .iter()
            .rposition(|b| *b == b'\n')
            .map(|i| i + 1)
            .unwrap_or(0);
        f.set_len(len - tail + keep as u64)?;
        buf.truncate(keep);
    }
    let text = String::from_utf8_lossy(&buf);
    Ok(text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .and_then(|v| v.get("seq").and_then(|s| s.as_i64()))
        .unwrap_or(0))
}

/// A tenant's mirror file read back in order, to compare the database's chain with the copy
/// kept outside it (see [`super::verify_tenant`]).
pub struct Copy {
    lines: std::io::Lines<std::io::BufReader<std::fs::File>>,
    /// The next mirrored `(seq, hash)` not yet compared.
    next: Option<(i64, String)>,
}

#[derive(serde::Deserialize)]
struct Mirrored {
    seq: i64,
    hash: String,
}

impl Copy {
    /// The tenant's mirror, when a mirror directory is configured and the file exists.
    pub fn open(mirror_dir: &str, tenant_id: &str) -> std::io::Result<Option<Copy>> {
        if mirror_dir.is_empty() || !crate::db::is_id(tenant_id) {
            return Ok(None);
        }
        let path = Path::new(mirror_dir).join(format!("{tenant_id}.jsonl"));
        let f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        use std::io::BufRead;
        let mut c = Copy {
            lines: std::io::BufReader::new(f).lines(),
            next: None,
        };
        c.advance()?;
        Ok(Some(c))
    }

    fn advance(&mut self) -> std::io::Result<()> {
        self.next = None;
        for line in self.lines.by_ref() {
            // A torn last line (a crash mid-write) is not evidence of anything.
            if let Ok(m) = serde_json::from_str::<Mirrored>(&line?) {
                self.next = Some((m.seq, m.hash));
                break;
            }
        }
        Ok(())
    }

    /// Compare a database entry with its mirrored copy, if the mirror has it.
    pub fn compare(&mut self, r: &super::Row) -> std::io::Result<Result<(), super::ChainBreak>> {
        while let Some((seq, hash)) = self.next.clone() {
            if seq > r.seq {
                break;
            }
            if seq == r.seq && hash != r.hash {
                return Ok(Err(super::ChainBreak {
                    seq,
                    reason: "it differs from its copy in the audit mirror".into(),
                }));
            }
            self.advance()?;
        }
        Ok(Ok(()))
    }

    /// After the database's last entry `last`: a mirrored entry beyond it was removed.
    pub fn beyond(&mut self, last: i64) -> std::io::Result<Option<super::ChainBreak>> {
        Ok(self
            .next
            .as_ref()
            .filter(|(seq, _)| *seq > last)
            .map(|(seq, _)| super::ChainBreak {
                seq: *seq,
                reason: format!(
                    "entry {seq} is in the audit mirror but not in the database (entries were removed from the end)"
                ),
            }))
    }
}
