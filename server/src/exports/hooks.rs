//! What exports plug into the registries ([`register`]): the archives' blobs (kept by the
//! orphan sweep) and the pass that builds requested exports and removes expired ones.

use super::{service, store};
use crate::Registries;
use std::time::Duration;

/// Exports in the registries.
pub fn register(r: &mut Registries) {
    r.blob_references.register(
        |conn, keys| Box::pin(store::referenced_blobs(conn, keys)),
        |conn, after, n| Box::pin(store::named_blobs(conn, after, n)),
    );
    r.periodic.register(
        "exports",
        |cfg| {
            (cfg.exports.sweep_every_secs > 0)
                .then(|| Duration::from_secs(cfg.exports.sweep_every_secs))
        },
        |s| Box::pin(service::sweep(s)),
    );
}
