//! Outbox consumer: mirrors each tenant's audit entries as JSON Lines into
//! `<audit.mirror_dir>/<tenant id>.jsonl`, for log shippers and SIEMs.
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
