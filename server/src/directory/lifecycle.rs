//! The directory in the lifecycle registry: an erased person's memberships and directory
//! record (position, manager, work email and phone) go; the people they managed lose the
//! manager link and the departments they headed lose their head.

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

pub struct Directory;

#[async_trait]
impl Lifecycle for Directory {
    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let mut tx = state.db.begin().await?;
        store::lock(&mut tx, e.tenant_id()).await?;
        let (members, record, managed, headed) =
            store::erase_person(&mut tx, e.tenant_id(), &e.person, now_ms()).await?;
        tx.commit().await?;
        Ok(vec![
            Erased::rows("directory", "department memberships", members),
            Erased::rows("directory", "directory record", record),
            Erased::rows("directory", "manager links to the person", managed),
            Erased::rows("directory", "department headships", headed),
        ])
    }
}
