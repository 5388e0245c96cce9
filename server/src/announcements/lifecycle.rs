//! Announcements in the lifecycle registry.
//!
//! `announcements_expired`: announcements whose expiry has passed, by when they expired (a
//! tenant's period of 30 days removes them 30 days after they left the lists), pinned ones
//! exempt when the tenant says so. A purge removes each from every store: the row, its
//! audience, versions, receipts, attachment links and the notices about it. Its attached files
//! stay their uploader's uploads (the `files` class reaches them once nothing uses them).
//!
//! Erasure: a person's receipts (read, acknowledged, dismissed) go. Acknowledgements of policy
//! and breach notices stay proven by the audit log, whose entries keep the person's id as a
//! pseudonymous id. Announcements the person published stay — they are the organisation's —
//! with their author id kept as a pseudonymous id: the account's name is the pseudonym from
//! then on, and that is the name readers see.

use super::{service::SOURCE, store};
use crate::{
    authz::Proof,
    lifecycle::{
        erase::{Erased, Erasure},
        forever, one_day, DataClass, Due, Lifecycle, Purge, Purged,
    },
    notices, AppState, BoxError,
};
use async_trait::async_trait;

pub const EXPIRED: &str = "announcements_expired";

const CLASSES: &[DataClass] = &[DataClass {
    name: EXPIRED,
    feature: "announcements",
    description: "Announcements past their expiry, counted from when they expired, with their \
                  versions, audience, receipts and notices",
    tables: &[
        "announcements",
        "announcement_audience",
        "announcement_versions",
        "announcement_attachments",
        "announcement_receipts",
    ],
    source: &store::EXPIRED,
    container: None,
    default_days: forever,
    min_days: one_day,
}];

/// Announcements in the lifecycle registry (`app::lifecycle`).
pub struct Announcements;

#[async_trait]
impl Lifecycle for Announcements {
    fn classes(&self) -> &'static [DataClass] {
        CLASSES
    }

    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let mut tx = state.db.begin().await?;
        let n = store::delete_receipts_of(&mut tx, e.tenant_id(), &e.person).await?;
        tx.commit().await?;
        Ok(vec![Erased::rows("announcements", "receipts", n)])
    }

    async fn purge(
        &self,
        proof: &Purge,
        state: &AppState,
        class: &str,
        items: &[Due],
    ) -> Result<Purged, BoxError> {
        if class != EXPIRED {
            return Err(format!("announcements keep no data class `{class}`").into());
        }
        let tenant_id = proof.tenant_id();
        let mut tx = state.db.begin().await?;
        let mut out = Purged::default();
        for d in items {
            // Gone already (a batch redone after a crash): nothing to count twice.
            if store::get(&mut tx, tenant_id, &d.id).await?.is_none() {
                continue;
            }
            let rows = store::delete(&mut tx, tenant_id, &d.id).await?;
            let n = notices::delete_subject(&mut tx, tenant_id, SOURCE, &d.id).await?;
            let mut p = Purged::rows_of(d, 1);
            p.rows = rows + n;
            out += p;
        }
        tx.commit().await?;
        Ok(out)
    }
}
