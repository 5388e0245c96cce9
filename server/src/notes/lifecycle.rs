//! Notes in the lifecycle registry: the `notes` class (by when a note was last changed; kept
//! forever unless the tenant sets a period; pinned notes exempt when the tenant says so), and
//! erasure — a person's notes are deleted from every store (rows, tags, attachment links,
//! index entries). Attached files are the person's own uploads: the `files` class erases them.

use super::{service::KIND, store};
use crate::{
    authz::Proof,
    lifecycle::{
        erase::{Erased, Erasure},
        forever, one_day, DataClass, Due, Lifecycle, Purge, Purged,
    },
    search, AppState, BoxError,
};
use async_trait::async_trait;

pub const NOTES: &str = "notes";

const CLASSES: &[DataClass] = &[DataClass {
    name: NOTES,
    feature: "notes",
    description: "Personal notes, counted from when they were last changed, with their tags",
    tables: &["notes", "note_tags", "note_attachments"],
    source: &store::NOTES,
    container: None,
    default_days: forever,
    min_days: one_day,
}];

/// Notes in the lifecycle registry (`app::lifecycle`).
pub struct Notes;

#[async_trait]
impl Lifecycle for Notes {
    fn classes(&self) -> &'static [DataClass] {
        CLASSES
    }

    async fn foresee(
        &self,
        e: &Erasure,
        state: &AppState,
    ) -> Result<crate::lifecycle::erase::Forecast, BoxError> {
        use crate::lifecycle::erase::{Forecast, Foreseen};
        let mut conn = state.db.conn().await?;
        let n = store::of_owner(&mut conn, e.tenant_id(), &e.person)
            .await?
            .len() as u64;
        Ok(Forecast::erased(vec![Foreseen::removed(
            "notes", "notes", n,
        )]))
    }

    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let tenant_id = e.tenant_id();
        let mut tx = state.db.begin().await?;
        let mut gone = Erased::of("notes", "notes");
        for n in store::of_owner(&mut tx, tenant_id, &e.person).await? {
            gone.rows += store::delete(&mut tx, tenant_id, &n.id).await?;
            search::enqueue_delete(&mut tx, tenant_id, KIND, &n.id).await?;
            gone.items += 1;
            gone.index_entries += 1;
        }
        tx.commit().await?;
        Ok(vec![gone])
    }

    async fn purge(
        &self,
        proof: &Purge,
        state: &AppState,
        class: &str,
        items: &[Due],
    ) -> Result<Purged, BoxError> {
        if class != NOTES {
            return Err(format!("notes keep no data class `{class}`").into());
        }
        let tenant_id = proof.tenant_id();
        let mut tx = state.db.begin().await?;
        let mut out = Purged::default();
        for d in items {
            let rows = store::delete(&mut tx, tenant_id, &d.id).await?;
            if rows == 0 {
                continue;
            }
            search::enqueue_delete(&mut tx, tenant_id, KIND, &d.id).await?;
            let mut p = Purged::rows_of(d, 1);
            p.rows = rows;
            p.index_entries = 1;
            out += p;
        }
        tx.commit().await?;
        Ok(out)
    }
}
