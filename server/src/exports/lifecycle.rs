//! Exports in the lifecycle registry: account erasure removes a person's exports and their
//! archives (copies of everything the person had). Exports keep no data class: archives purge
//! themselves when they expire (`service::sweep`).

use super::service;
use crate::{
    lifecycle::{
        erase::{Erased, Erasure},
        Lifecycle,
    },
    AppState, BoxError,
};
use async_trait::async_trait;

pub struct Exports;

#[async_trait]
impl Lifecycle for Exports {
    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let mut tx = state.db.begin_unclaimed().await?;
        let (rows, blobs) = service::erase_user(e, &mut tx, &e.person).await?;
        tx.commit().await?;
        state.outbox_wake.noted();
        Ok(vec![Erased {
            items: rows,
            rows,
            blobs,
            ..Erased::of("exports", "data_exports")
        }])
    }
}
