//! What erasure reaches of the calendar: the person's feed address and their import records.
//! Neither is a data class of its own (nothing to age out): the feed lives until revoked, an
//! import record until its person goes (the meetings it made are the meetings feature's).

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

/// The calendar in the lifecycle registry (`app::lifecycle`).
pub struct Calendar;

#[async_trait]
impl Lifecycle for Calendar {
    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let mut tx = state.db.begin().await?;
        let feeds = store::delete_feed(&mut tx, e.tenant_id(), &e.person).await?;
        let imports = store::delete_imports(&mut tx, e.tenant_id(), &e.person).await?;
        tx.commit().await?;
        Ok(vec![
            Erased::rows("calendar_feeds", "calendar feed addresses", feeds),
            Erased::rows("calendar_imports", "calendar import records", imports),
        ])
    }
}
