//! Work that runs on a timer on every node (orphan sweep, expired trash, delete-after-delivery
//! lifetimes…). Features register their passes in `app.rs`; each pass must be safe to run on
//! several nodes at once (idempotent, or guarded by a lease).

use crate::{config::Config, AppState, BoxError};
use futures_util::future::BoxFuture;
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;

/// One pass: how many items it handled.
pub type Pass = for<'a> fn(&'a AppState) -> BoxFuture<'a, Result<u64, BoxError>>;

struct Task {
    name: &'static str,
    /// How often, from the configuration; `None` turns the task off.
    every: fn(&Config) -> Option<Duration>,
    pass: Pass,
}

/// Every periodic task, registered by the features.
#[derive(Default)]
pub struct Schedule {
    tasks: Vec<Task>,
}

impl Schedule {
    pub fn register(
        &mut self,
        name: &'static str,
        every: fn(&Config) -> Option<Duration>,
        pass: Pass,
    ) {
        self.tasks.push(Task { name, every, pass });
    }

    /// The registered names, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.tasks.iter().map(|t| t.name)
    }

    /// Run each task on its own timer until `shutdown`.
    pub fn spawn(
        self,
        state: Arc<AppState>,
        shutdown: watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        self.tasks
            .into_iter()
            .filter_map(|t| {
                let every = (t.every)(&state.cfg)?;
                let state = state.clone();
                let mut shutdown = shutdown.clone();
                Some(tokio::spawn(async move {
                    loop {
                        tokio::select! {
                            _ = tokio::time::sleep(every) => {}
                            _ = shutdown.changed() => return,
                        }
                        match (t.pass)(&state).await {
                            Ok(0) => {}
                            Ok(n) => tracing::info!(task = t.name, items = n, "periodic pass"),
                            Err(e) => {
                                tracing::warn!(task = t.name, error = %e, "periodic pass failed")
                            }
                        }
                    }
                }))
            })
            .collect()
    }
}
