//! Delete-after-delivery: removes messages whose room lifetime has passed (acknowledgements
//! trigger their own purge at once; this pass catches time running out).

use crate::{messaging::dad, AppState};
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;

const EVERY: Duration = Duration::from_secs(2);

pub fn spawn(
    state: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(EVERY) => {}
                _ = shutdown.changed() => return,
            }
            if let Err(e) = dad::purge_all(&state).await {
                tracing::warn!(error = %e, "delete-after-delivery pass failed");
            }
        }
    })
}
