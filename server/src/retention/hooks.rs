//! What retention plugs into the registries ([`register`]): the scheduled retention run.

use crate::Registries;
use std::time::Duration;

/// Retention in the registries.
pub fn register(r: &mut Registries) {
    r.periodic.register(
        "retention",
        |cfg| {
            (cfg.retention.run_every_secs > 0)
                .then(|| Duration::from_secs(cfg.retention.run_every_secs))
        },
        |s| Box::pin(super::runs::scheduled(s)),
    );
}
