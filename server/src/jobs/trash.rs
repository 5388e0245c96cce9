//! Purges documents and folders whose time in the trash has run out (each tenant's trash
//! period), on every node; the purge itself is idempotent, so nodes racing do no harm.

use crate::{documents::docs, AppState};
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;

pub fn spawn(
    state: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_secs(state.cfg.documents.trash_sweep_secs.max(1));
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => return,
            }
            match docs::purge_expired_trash(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(items = n, "expired trash purged"),
                Err(e) => tracing::warn!(error = %e, "trash purge pass failed"),
            }
        }
    })
}
