//! Sign-in records as a lifecycle data class: sessions that ended (signed out, revoked,
//! expired), with the device and address they were used from, kept for the tenant's period
//! from when they ended.

use super::store;
use crate::{
    authz::Proof,
    lifecycle::{forever, one_day, DataClass, Due, Lifecycle, Purge, Purged},
    AppState, BoxError,
};
use async_trait::async_trait;

pub const SIGN_IN_RECORDS: &str = "sign_in_records";

const CLASSES: &[DataClass] = &[DataClass {
    name: SIGN_IN_RECORDS,
    feature: "authn",
    description: "Records of ended sessions: when, from which device and address",
    tables: &["sessions"],
    source: &store::ENDED_SESSIONS,
    container: None,
    default_days: forever,
    min_days: one_day,
}];

/// Sign-in records in the lifecycle registry (`app::lifecycle`).
pub struct SignInRecords;

#[async_trait]
impl Lifecycle for SignInRecords {
    fn classes(&self) -> &'static [DataClass] {
        CLASSES
    }

    /// Every session of the person (live ones were revoked when deletion was requested; the
    /// records of ended ones, with device and address) and any invitation.
    async fn erase(
        &self,
        e: &crate::lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<Vec<crate::lifecycle::erase::Erased>, BoxError> {
        use crate::lifecycle::erase::Erased;
        let mut tx = state.db.begin().await?;
        let (sessions, invitations) =
            store::delete_person(&mut tx, e.tenant_id(), &e.person).await?;
        tx.commit().await?;
        Ok(vec![
            Erased::rows("authn", "sessions and sign-in records", sessions),
            Erased::rows("authn", "invitations", invitations),
        ])
    }

    async fn foresee(
        &self,
        e: &crate::lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<crate::lifecycle::erase::Forecast, BoxError> {
        use crate::lifecycle::erase::{Forecast, Foreseen};
        let mut conn = state.db.conn().await?;
        let (sessions, invitations) =
            store::count_person(&mut conn, e.tenant_id(), &e.person).await?;
        Ok(Forecast::erased(vec![
            Foreseen::removed("authn", "sessions and sign-in records", sessions),
            Foreseen::removed("authn", "invitations", invitations),
        ]))
    }

    async fn purge(
        &self,
        proof: &Purge,
        state: &AppState,
        class: &str,
        items: &[Due],
    ) -> Result<Purged, BoxError> {
        if class != SIGN_IN_RECORDS {
            return Err(format!("authn keeps no data class `{class}`").into());
        }
        let now = crate::db::now_ms();
        let mut tx = state.db.begin().await?;
        let mut out = Purged::default();
        for d in items {
            let n = store::delete_ended_session(&mut tx, proof.tenant_id(), &d.id, now).await?;
            out += Purged::rows_of(d, n);
        }
        tx.commit().await?;
        Ok(out)
    }
}
