//! Building an export in the background: one node at a time (a lease per export, renewed as
//! the build goes), every registered exporter into one zip on local disk, then the archive
//! into the blob store (sealed like every blob) and the row marked ready. A build cut short
//! by a crash holds its lease no longer than `exports.lease_secs`; the background pass then
//! takes it over, up to `exports.max_attempts` builds, after which it is marked failed. A
//! build that fails on an error is retried the same way.

use super::store::{self, ExportRow};
use crate::{
    db::{self, new_id, now_ms},
    lifecycle::export::Sink,
    AppState, BoxError,
};
use futures_util::StreamExt;
use std::path::PathBuf;

fn lease(id: &str) -> String {
    format!("export:{id}")
}

fn lease_ms(state: &AppState) -> i64 {
    i64::try_from(state.cfg.exports.lease_secs.max(1))
        .unwrap_or(300)
        .saturating_mul(1000)
}

/// Where archives are written before they go to the blob store.
fn work_dir(state: &AppState) -> PathBuf {
    state.cfg.data_dir.join("exports-tmp")
}

/// Build the export if no other node is building it; false when one is (or it is finished).
pub async fn try_build(state: &AppState, tenant_id: &str, id: &str) -> Result<bool, BoxError> {
    let holder = new_id();
    if !db::lock::try_acquire(&state.db, &lease(id), &holder, lease_ms(state)).await? {
        return Ok(false);
    }
    let result = run(state, tenant_id, id, &holder).await;
    db::lock::release(&state.db, &lease(id), &holder).await?;
    result
}

async fn run(state: &AppState, tenant_id: &str, id: &str, holder: &str) -> Result<bool, BoxError> {
    let row = {
        let mut conn = state.db.conn().await?;
        store::get(&mut conn, tenant_id, id).await?
    };
    let Some(row) = row else { return Ok(false) };
    if row.status != "queued" && row.status != "running" {
        return Ok(false);
    }
    if row.attempts >= state.cfg.exports.max_attempts.max(1) {
        let mut tx = state.db.begin_unclaimed().await?;
        let why = if row.error.is_empty() {
            "the build was interrupted too often".to_string()
        } else {
            row.error.clone()
        };
        store::fail(&mut tx, tenant_id, id, &why).await?;
        tx.commit().await?;
        let _ = tokio::fs::remove_file(work_dir(state).join(format!("{id}.zip"))).await;
        return Ok(true);
    }
    {
        let mut tx = state.db.begin_unclaimed().await?;
        let started = store::start(&mut tx, tenant_id, id, now_ms()).await?;
        tx.commit().await?;
        if !started {
            return Ok(false);
        }
    }
    let dir = work_dir(state);
    crate::private_fs::dir(&dir)?;
    let path = dir.join(format!("{id}.zip"));
    let outcome = build(state, &row, holder, &path).await;
    let _ = tokio::fs::remove_file(&path).await;
    if let Err(e) = outcome {
        tracing::warn!(tenant_id = %tenant_id, export_id = %id, error = %e, "export build failed");
        let mut tx = state.db.begin_unclaimed().await?;
        if row.attempts + 1 >= state.cfg.exports.max_attempts.max(1) {
            store::fail(&mut tx, tenant_id, id, &e.to_string()).await?;
        } else {
            store::requeue(&mut tx, tenant_id, id, &e.to_string()).await?;
        }
        tx.commit().await?;
    }
    Ok(true)
}

/// Remove half-written archives a crashed build left behind (older than a day); files removed.
pub async fn clean_work_dir(state: &AppState) -> Result<u64, BoxError> {
    let dir = work_dir(state);
    let Ok(mut entries) = tokio::fs::read_dir(&dir).await else {
        return Ok(0);
    };
    let mut n = 0;
    while let Some(e) = entries.next_entry().await? {
        let old = e
            .metadata()
            .await?
            .modified()?
            .elapsed()
            .is_ok_and(|age| age.as_secs() > 86_400);
        if old && tokio::fs::remove_file(e.path()).await.is_ok() {
            n += 1;
        }
    }
    Ok(n)
}

async fn progress(
    state: &AppState,
    row: &ExportRow,
    holder: &str,
    pct: i64,
) -> Result<(), BoxError> {
    {
        let mut tx = state.db.begin_unclaimed().await?;
        store::set_progress(&mut tx, &row.tenant_id, &row.id, pct).await?;
        tx.commit().await?;
    }
    db::lock::try_acquire(&state.db, &lease(&row.id), holder, lease_ms(state)).await?;
    Ok(())
}

async fn build(
    state: &AppState,
    row: &ExportRow,
    holder: &str,
    path: &std::path::Path,
) -> Result<(), BoxError> {
    let (tenant_id, id) = (row.tenant_id.as_str(), row.id.as_str());
    let display_name = {
        let mut conn = state.db.conn().await?;
        crate::users::service::load(&mut conn, tenant_id, &row.user_id)
            .await
            .map(|u| u.display_name)
            .unwrap_or_default()
    };
    let mut opts = crate::private_fs::options();
    opts.write(true).create(true).truncate(true);
    let file = opts.open(path)?;
    let mut sink = Sink::create(file, tenant_id)?;
    sink.keep_lease(&state.db, &lease(id), holder, lease_ms(state));
    let total = state.exporters.len().max(1) as i64;
    state
        .exporters
        .write_all(state, tenant_id, &row.user_id, &mut sink, |done| {
            let pct = 5 + 85 * done as i64 / total;
            async move { progress(state, row, holder, pct).await }
        })
        .await?;
    let mut head = serde_json::Map::new();
    head.insert("export_id".into(), id.into());
    head.insert(
        "subject".into(),
        serde_json::json!({
            "tenant_id": tenant_id, "user_id": row.user_id, "display_name": display_name,
        }),
    );
    head.insert("requested_by".into(), row.requested_by.clone().into());
    head.insert("generated_at".into(), db::rfc3339(now_ms()).into());
    let summary = sink.finish(head).await?;
    progress(state, row, holder, 92).await?;

    let file = tokio::fs::File::open(path).await?;
    let body: crate::blobs::ByteStream =
        Box::pin(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024).map(|c| c));
    let stored = state
        .blobs
        .put(&state.db, tenant_id, body, u64::MAX)
        .await?;
    let now = now_ms();
    let counts = serde_json::to_string(&summary.counts)?;
    let ready = store::Ready {
        counts: &counts,
        items: i64::try_from(summary.items).unwrap_or(i64::MAX),
        files: i64::try_from(summary.files).unwrap_or(i64::MAX),
        blob_key: &stored.key,
        key_version: stored.key_version,
        size_bytes: i64::try_from(stored.size).unwrap_or(i64::MAX),
        sha256: &stored.sha256,
        ready_at: now,
        expires_at: now + state.cfg.exports.keep_days.max(0) * 86_400_000,
    };
    let mut tx = state.db.begin_unclaimed().await?;
    let recorded = store::ready(&mut tx, tenant_id, id, &ready).await?;
    tx.commit().await?;
    if !recorded {
        // Cancelled or taken over meanwhile: nothing references the archive.
        let _ = state.blobs.store.delete(&stored.key).await;
    }
    Ok(())
}
