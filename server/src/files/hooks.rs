//! What files plug into the registries ([`register`]): the `file` search kind and its text
//! extraction, blob deletion after the rows are gone, thumbnails parsed in converter children,
//! and the blobs file rows name (kept by the orphan sweep).

use super::{indexing, preview, service, store};
use crate::{jobs::outbox::Lane, Registries};

/// Files in the registries.
pub fn register(r: &mut Registries) {
    r.searchables.register(indexing::Files);
    r.topics.register(
        service::TOPIC_EXTRACT,
        |s, m| Box::pin(indexing::handle_extract(s, &m.tenant_id, &m.payload)),
        Lane {
            // Each waits on a converter child; the converter pool bounds them again.
            concurrency: |cfg| cfg.convert.workers,
            writes_index: true,
        },
    );
    r.topics.register(
        service::TOPIC_BLOB_DELETE,
        |s, m| Box::pin(indexing::handle_blob_delete(s, &m.payload)),
        Lane::default(),
    );
    r.converters.register(preview::JOB, preview::convert);
    r.blob_references.register(
        |conn, keys| Box::pin(store::referenced_blobs(conn, keys)),
        |conn, after, n| Box::pin(store::named_blobs(conn, after, n)),
    );
}
