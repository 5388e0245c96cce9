//! Single sign-on in the lifecycle registry: an erased person's identity links, sign-ins in
//! progress and unused exchange codes go.

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

pub struct Links;

#[async_trait]
impl Lifecycle for Links {
    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let mut tx = state.db.begin().await?;
        let n = store::delete_person(&mut tx, e.tenant_id(), &e.person).await?;
        tx.commit().await?;
        Ok(vec![Erased::rows("sso", "single sign-on links", n)])
    }
}
