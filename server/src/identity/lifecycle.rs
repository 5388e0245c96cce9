//! Identity in the lifecycle registry: an erased person's one-time codes go — those they asked
//! for, those for their account, and any sent to their email or phone.

use crate::{
    authn::codes::{self, Destination},
    authz::Proof,
    lifecycle::{
        erase::{Erased, Erasure},
        Lifecycle,
    },
    users, AppState, BoxError,
};
use async_trait::async_trait;

pub struct Codes;

#[async_trait]
impl Lifecycle for Codes {
    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let mut tx = state.db.begin().await?;
        let addresses: Vec<Destination> =
            match users::service::find(&mut tx, e.tenant_id(), &e.person).await? {
                Some(u) => u
                    .email
                    .map(Destination::Email)
                    .into_iter()
                    .chain(u.phone.map(Destination::Phone))
                    .collect(),
                None => Vec::new(),
            };
        let n = codes::delete_person(&mut tx, e.tenant_id(), &e.person, &addresses).await?;
        tx.commit().await?;
        Ok(vec![Erased::rows("identity", "one-time codes", n)])
    }
}
