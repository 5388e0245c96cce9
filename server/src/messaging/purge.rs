//! Removing one message from every store: what delete-after-delivery does when everyone has a
//! message, and what the data lifecycle does when a message is past its retention.
//!
//! Its attachments' files go through files' own purge (row and quota now, blob and index entry
//! through the outbox); its edits, reactions, notifications, pins and the row itself go; the
//! events that carried it keep their sequence numbers with the content scrubbed (`"purged":
//! true`); its index entry goes through the outbox. Only messaging's own callers reach it
//! (`pub(super)`): delete-after-delivery and [`lifecycle`](super::lifecycle), which holds the
//! lifecycle registry's `Purge` proof.

use super::{
    emit::Change,
    scrub::{self, Scrub},
    store,
};
use crate::{authz::Proof, files, lifecycle::Purged};

/// Remove one message from every store, inside the change's transaction (which then wakes the
/// outbox on commit).
/// Destructive: it takes the proof of the check its caller made (delete-after-delivery's pass,
/// the lifecycle registry's `Purge`) and acts in that proof's tenant only.
pub(super) async fn message(
    proof: &dyn Proof,
    ch: &mut Change,
    room_id: &str,
    id: &str,
) -> Result<Purged, sqlx::Error> {
    let tenant_id = proof.tenant_id();
    let tx = &mut ch.tx;
    let mut out = Purged::default();
    for file_id in store::attachments(tx, tenant_id, id).await? {
        out += files::service::purge(proof, tx, &file_id).await?;
    }
    out.rows += store::delete_attachments(tx, tenant_id, id).await?;
    out.rows += store::delete_edits(tx, tenant_id, id).await?;
    out.rows += store::delete_reactions_of(tx, tenant_id, id).await?;
    out.rows += store::notifications::delete_for_message(tx, tenant_id, id).await?;
    out.rows += store::delete_pins_of(tx, tenant_id, id).await?;
    let gone = store::delete_row(tx, tenant_id, id).await?;
    out.rows += gone;
    out.items += gone;
    // The sequence stays; the content goes.
    out.rows += scrub::message_events(tx, tenant_id, room_id, id, Scrub::Purged).await?;
    crate::search::enqueue_index(tx, tenant_id, super::access::KIND, id).await?;
    out.index_entries += gone;
    ch.wake_outbox();
    Ok(out)
}
