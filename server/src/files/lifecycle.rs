//! Files' data class for the lifecycle registry: **uploads nothing uses** — people's own files
//! that no feature uses any more (not attached to a message, not a room's avatar, …), by when
//! they were uploaded. Which files are in use is asked of the features that use files: each
//! [`FileConsumer`](super::readers::FileConsumer) gives a SQL condition over its own tables, so
//! files names none of them and a preview counts exactly what a run removes. Attached files go
//! with their messages or attachments (messaging's classes); document content with its versions
//! and trash (documents' classes).

use super::{readers::Readers, service, store};
use crate::{
    authz::Proof,
    lifecycle::{forever, one_day, DataClass, Due, Lifecycle, Purge, Purged, Source},
    AppState, BoxError,
};
use async_trait::async_trait;
use std::sync::OnceLock;

pub const FILES: &str = "files";

/// The class and the "nothing uses it" condition, made once from the consumers `app.rs`
/// registers (the same in every state of a process).
static CLASS: OnceLock<(&'static [DataClass], &'static str)> = OnceLock::new();

/// Files in the lifecycle registry (`app::lifecycle`).
pub struct Files {
    classes: &'static [DataClass],
    unused: &'static str,
}

impl Files {
    pub fn new(readers: &Readers) -> Files {
        let (classes, unused) = *CLASS.get_or_init(|| {
            let unused: &'static str = Box::leak(
                format!("f.scope = 'user' and not ({})", readers.in_use_sql()).into_boxed_str(),
            );
            let source: &'static Source = Box::leak(Box::new(Source {
                from: "files f",
                tenant: "f.tenant_id",
                id: "f.id",
                time: "f.created_at",
                container: None,
                people: &["f.uploader_id"],
                bytes: "f.size",
                only: unused,
                pinned: None,
            }));
            let classes: &'static [DataClass] = Box::leak(Box::new([DataClass {
                name: FILES,
                feature: "files",
                description: "Uploads nothing uses any more (not attached, not an avatar), by \
                              upload time, with their thumbnails and extracted text",
                tables: &["files", "file_texts", "file_previews"],
                source,
                container: None,
                default_days: forever,
                min_days: one_day,
            }]));
            (classes, unused)
        });
        Files { classes, unused }
    }
}

#[async_trait]
impl Lifecycle for Files {
    fn classes(&self) -> &'static [DataClass] {
        self.classes
    }

    /// The person's uploads that nothing uses (after messaging and documents removed what used
    /// them) go from every store; files still in use stay with what uses them (a transferred
    /// document, a message kept under the pseudonym in another policy, a room's avatar).
    async fn erase(
        &self,
        e: &crate::lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<Vec<crate::lifecycle::erase::Erased>, BoxError> {
        let tenant_id = e.tenant_id();
        let mut out = crate::lifecycle::erase::Erased::of("files", "uploads");
        let mut tx = state.db.begin().await?;
        let ids = store::uploads_where(&mut tx, tenant_id, &e.person, self.unused).await?;
        if e.person_held() {
            // A hold on the person keeps their uploads.
            out.held = ids.len() as u64;
            return Ok(vec![out]);
        }
        for id in ids {
            let p = service::purge(e, &mut tx, &id).await?;
            if p.blobs > 0 {
                out.items += 1;
            }
            out.add(Purged { items: 0, ..p });
        }
        tx.commit().await?;
        state.outbox_wake.noted();
        Ok(vec![out])
    }

    /// The person's uploads nothing uses now, with their size; a file something uses goes
    /// with it and is counted there (messages' attachments, documents).
    async fn foresee(
        &self,
        e: &crate::lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<crate::lifecycle::erase::Forecast, BoxError> {
        use crate::lifecycle::erase::{Forecast, Foreseen};
        let mut conn = state.db.conn().await?;
        let (n, bytes) =
            store::uploads_of(&mut conn, e.tenant_id(), &e.person, self.unused).await?;
        let mut row = Foreseen::unless_held(e, "files", "uploads", n);
        if !e.person_held() {
            row.bytes = bytes;
        }
        Ok(Forecast::erased(vec![row]))
    }

    async fn purge(
        &self,
        proof: &Purge,
        state: &AppState,
        class: &str,
        items: &[Due],
    ) -> Result<Purged, BoxError> {
        if class != FILES {
            return Err(format!("files keep no data class `{class}`").into());
        }
        let tenant_id = proof.tenant_id();
        let mut tx = state.db.begin().await?;
        let mut out = Purged::default();
        for d in items {
            // Still unused now, in this transaction: a file attached since the listing stays.
            if !store::matches(&mut tx, tenant_id, &d.id, self.unused).await? {
                continue;
            }
            let p = service::purge(proof, &mut tx, &d.id).await?;
            if p.blobs > 0 {
                out.items += 1;
            }
            out += p;
        }
        tx.commit().await?;
        if out.items > 0 {
            state.outbox_wake.noted();
        }
        Ok(out)
    }
}
