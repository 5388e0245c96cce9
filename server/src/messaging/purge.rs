//! Removing messages from every store: what delete-after-delivery does when everyone has a
//! message, and what the data lifecycle does when a message is past its retention.
//!
//! Its attachments' files go through files' own purge (row and quota now, blob and index entry
//! through the outbox); its edits, reactions, notifications, pins and the row itself go; the
//! events that carried it keep their sequence numbers with the content scrubbed (`"purged":
//! true`); its index entry goes through the outbox. Only messaging's own callers reach it
//! (`pub(super)`): delete-after-delivery and [`lifecycle`](super::lifecycle), which holds the
//! lifecycle registry's `Purge` proof.

use super::{emit::Change, store};
use crate::{authz::Proof, files, lifecycle::Purged};

/// Remove a batch of messages from every store, inside the change's transaction, with a
/// handful of statements whatever the batch's size (its files go one by one through files'
/// purge). Messages already gone are skipped.
/// Destructive: it takes the proof of the check its caller made (delete-after-delivery's pass,
/// the lifecycle registry's `Purge`) and acts in that proof's tenant only.
pub(super) async fn messages(
    proof: &dyn Proof,
    ch: &mut Change,
    ids: &[String],
) -> Result<Purged, sqlx::Error> {
    let tenant_id = proof.tenant_id();
    let tx = &mut ch.tx;
    let mut out = Purged::default();
    if ids.is_empty() {
        return Ok(out);
    }
    for file_id in store::lifecycle::attachments_of(tx, tenant_id, ids).await? {
        out += files::service::purge(proof, tx, &file_id).await?;
    }
    let (rows, gone) = store::lifecycle::delete_messages(tx, tenant_id, ids).await?;
    out.rows += rows;
    out.items += gone;
    // The sequence stays; the content goes.
    out.rows += store::lifecycle::purge_event_payloads(tx, tenant_id, ids).await?;
    crate::search::enqueue_index_many(tx, tenant_id, super::access::KIND, ids).await?;
    out.index_entries += gone;
    ch.wake_outbox();
    Ok(out)
}
