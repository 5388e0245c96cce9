//! Notices as a lifecycle data class: retention purges them by age, erasure removes a
//! person's. Infrastructure's own class (like sign-in records): it names no feature.

use super::store;
use crate::{
    authz::Proof,
    lifecycle::{forever, one_day, DataClass, Due, Lifecycle, Purge, Purged},
    AppState, BoxError,
};
use async_trait::async_trait;

pub const NOTICES: &str = "notices";

const CLASSES: &[DataClass] = &[DataClass {
    name: NOTICES,
    feature: "notices",
    description: "Per-person notices (an announcement published, a reminder), by age",
    tables: &["notices"],
    source: &store::NOTICES,
    container: None,
    default_days: forever,
    min_days: one_day,
}];

/// Notices in the lifecycle registry (`app::lifecycle`).
pub struct Notices;

#[async_trait]
impl Lifecycle for Notices {
    fn classes(&self) -> &'static [DataClass] {
        CLASSES
    }

    /// The person's own notices. Notices they caused keep their id as a pseudonymous actor
    /// (the account's name is the pseudonym from now on).
    async fn erase(
        &self,
        e: &crate::lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<Vec<crate::lifecycle::erase::Erased>, BoxError> {
        let mut tx = state.db.begin().await?;
        let n = store::delete_person(&mut tx, e.tenant_id(), &e.person).await?;
        tx.commit().await?;
        Ok(vec![crate::lifecycle::erase::Erased::rows(
            "notices", "notices", n,
        )])
    }

    async fn purge(
        &self,
        proof: &Purge,
        state: &AppState,
        class: &str,
        items: &[Due],
    ) -> Result<Purged, BoxError> {
        if class != NOTICES {
            return Err(format!("notices keep no data class `{class}`").into());
        }
        let mut tx = state.db.begin().await?;
        let mut out = Purged::default();
        for d in items {
            let n = store::delete(&mut tx, proof.tenant_id(), &d.id).await?;
            out += Purged::rows_of(d, n);
        }
        tx.commit().await?;
        Ok(out)
    }
}
