//! Two-factor sign-in in the lifecycle registry: an erased person's factor (its sealed
//! secret), recovery codes and pending sign-in challenges go.

use super::store;
use crate::{
    authz::Proof,
    db::now_ms,
    lifecycle::{
        erase::{Erased, Erasure},
        Lifecycle,
    },
    AppState, BoxError,
};
use async_trait::async_trait;

pub struct Factors;

#[async_trait]
impl Lifecycle for Factors {
    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let mut tx = state.db.begin().await?;
        let had = store::delete_factor(&mut tx, e.tenant_id(), &e.person).await?;
        store::delete_challenges(&mut tx, e.tenant_id(), &e.person, now_ms()).await?;
        tx.commit().await?;
        Ok(vec![Erased::rows("mfa", "second factor", u64::from(had))])
    }
}
