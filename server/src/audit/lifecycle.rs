//! Audit entries as a lifecycle data class: kept forever unless the tenant sets a period, never
//! shorter than the install's floor (`retention.audit_floor_days`). Entries go oldest first as
//! a whole prefix of the hash chain; where the chain now starts (the last removed entry's
//! sequence number and hash) is kept in `audit_heads` with its own anchor, so verification
//! still proves the rest whole and a truncation nobody made with the anchor key is caught.

use super::{anchor, store};
use crate::{
    authz::Proof,
    config::Config,
    lifecycle::{
        erase::{Erased, Erasure},
        forever, DataClass, Due, Lifecycle, Purge, Purged,
    },
    AppState, BoxError,
};
use async_trait::async_trait;

pub const AUDIT_ENTRIES: &str = "audit_entries";

fn floor(cfg: &Config) -> i64 {
    cfg.retention.audit_floor_days.max(1)
}

const CLASSES: &[DataClass] = &[DataClass {
    name: AUDIT_ENTRIES,
    feature: "audit",
    description: "Audit log entries, oldest first (never fewer days than the install's floor)",
    tables: &["audit_log", "audit_heads"],
    source: &store::ENTRIES,
    container: None,
    default_days: forever,
    min_days: floor,
}];

/// The audit log in the lifecycle registry (`app::lifecycle`).
pub struct AuditEntries;

#[async_trait]
impl Lifecycle for AuditEntries {
    fn classes(&self) -> &'static [DataClass] {
        CLASSES
    }

    /// The person's entries (as actor, or as the target account) lose their personal fields
    /// (address and details); the entries stay, with the person's id as a pseudonymous id,
    /// and the chain still verifies (its hash covers a salted digest of those fields). The
    /// audit mirror's copies are rewritten the same way.
    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let tenant_id = e.tenant_id();
        let mut tx = state.db.begin().await?;
        let (seqs, legacy) = store::of_person(&mut tx, tenant_id, &e.person).await?;
        let bytes = store::erase_personal(&mut tx, tenant_id, &seqs).await?;
        let rows = store::by_seqs(&mut tx, tenant_id, &seqs).await?;
        tx.commit().await?;
        super::mirror::rewrite(&state.cfg.audit.mirror_dir, tenant_id, rows).await?;
        let n = seqs.len() as u64;
        Ok(vec![Erased {
            items: n,
            rows: n,
            bytes,
            // Entries written before personal fields were digested keep them (erasing them
            // would break the chain); the report says how many.
            kept: legacy,
            ..Erased::of("audit", "audit_entries")
        }])
    }

    async fn foresee(
        &self,
        e: &Erasure,
        state: &AppState,
    ) -> Result<crate::lifecycle::erase::Forecast, BoxError> {
        use crate::lifecycle::erase::{Forecast, Foreseen};
        let mut conn = state.db.conn().await?;
        let (seqs, legacy) = store::of_person(&mut conn, e.tenant_id(), &e.person).await?;
        Ok(Forecast::erased(vec![Foreseen {
            kept: legacy,
            ..Foreseen::removed("audit", "audit_entries", seqs.len() as u64)
        }]))
    }

    async fn purge(
        &self,
        proof: &Purge,
        state: &AppState,
        class: &str,
        items: &[Due],
    ) -> Result<Purged, BoxError> {
        if class != AUDIT_ENTRIES {
            return Err(format!("the audit log keeps no data class `{class}`").into());
        }
        let tenant_id = proof.tenant_id();
        let key = anchor::key().ok_or("the audit anchor key is not loaded")?;
        let mut seqs: Vec<(i64, i64)> = items
            .iter()
            .filter_map(|d| Some((d.id.parse::<i64>().ok()?, d.bytes)))
            .collect();
        seqs.sort_unstable();
        let mut tx = state.db.begin().await?;
        let (start, _, _) = store::pruned(&mut tx, tenant_id).await?;
        // Only a whole prefix goes: the chain stays one piece from its new start.
        let mut upto = start;
        let mut bytes = 0u64;
        for (seq, b) in seqs {
            if seq != upto + 1 {
                break;
            }
            upto = seq;
            bytes += u64::try_from(b).unwrap_or(0);
        }
        if upto == start {
            return Ok(Purged::default());
        }
        let hash = store::hash_of(&mut tx, tenant_id, upto)
            .await?
            .ok_or("an audit entry vanished during the purge")?;
        let sig = anchor::sign_pruned(key, tenant_id, upto, &hash);
        let n = store::prune(&mut tx, tenant_id, upto, &hash, &sig).await?;
        tx.commit().await?;
        Ok(Purged {
            items: n,
            rows: n,
            bytes,
            ..Purged::default()
        })
    }
}
