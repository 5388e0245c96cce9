//! The directory in the lifecycle registry: an erased person's memberships and directory
//! record (position, manager, work email and phone) go; the people they managed lose the
//! manager link and the departments they headed lose their head; their photo leaves every store.

use super::store;
use crate::{
    authz::Proof,
    db::now_ms,
    files,
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
        // The photo goes from every store, whoever uploaded it (the person's own uploads are
        // already gone with the files feature's erasure).
        let mut photo = Erased::of("directory", "photo");
        if let Some(f) = store::person(&mut tx, e.tenant_id(), &e.person)
            .await?
            .and_then(|r| r.photo_file_id)
        {
            photo.add(files::service::purge(e, &mut tx, &f).await?);
        }
        let (members, record, managed, headed) =
            store::erase_person(&mut tx, e.tenant_id(), &e.person, now_ms()).await?;
        tx.commit().await?;
        Ok(vec![
            Erased::rows("directory", "department memberships", members),
            Erased::rows("directory", "directory record", record),
            Erased::rows("directory", "manager links to the person", managed),
            Erased::rows("directory", "department headships", headed),
            photo,
        ])
    }
}
