//! Privacy in the lifecycle registry: an erased person's consents keep who (the pseudonymous
//! id), which version and when, as the tenant's proof of consent; where they came from (address,
//! user agent, session) goes.

use super::store;
use crate::{
    authz::Proof,
    lifecycle::{
        erase::{Erased, Erasure},
        Lifecycle,
    },
    AppState, BoxError,
};
use async_trait::async_trait;

pub struct Consents;

#[async_trait]
impl Lifecycle for Consents {
    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let mut tx = state.db.begin().await?;
        let n = store::scrub_consents(&mut tx, e.tenant_id(), &e.person).await?;
        tx.commit().await?;
        Ok(vec![Erased {
            rows: n,
            kept: n,
            ..Erased::of("privacy", "consents")
        }])
    }
}
