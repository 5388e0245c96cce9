//! The periodic orphan sweep (see [`crate::blobs::sweep`]), every `storage.sweep_interval_secs`.

use crate::{blobs::sweep, AppState};
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;

pub fn spawn(
    state: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = state.cfg.storage.sweep_interval_secs;
        if every == 0 {
            return;
        }
        let grace_ms = state.cfg.storage.orphan_grace_secs.saturating_mul(1000);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(every)) => {}
                _ = shutdown.changed() => return,
            }
            match sweep::run(&state.db, &state.blobs, grace_ms, false).await {
                Ok(_) | Err(sweep::SweepError::Busy) => {}
                Err(e) => tracing::warn!(error = %e, "orphan sweep failed"),
            }
        }
    })
}
