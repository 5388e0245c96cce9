//! A person's uploads in their data export, and the file rows other features' exporters copy.

use super::store::{self, FileRow};
use crate::{
    authz::Proof,
    db::rfc3339,
    lifecycle::export::{Exporter, Section, Sink, StoredFile, Subject},
    AppState, BoxError,
};
use async_trait::async_trait;
use serde_json::json;

const SECTIONS: &[Section] = &[Section {
    name: "files",
    description: "Files you uploaded, as uploaded (those attached to your messages are listed \
                  here too, and stored once, with the messages)",
}];

/// A file row as the export sink copies it.
pub fn stored_file(f: &FileRow) -> StoredFile {
    StoredFile {
        file_id: f.id.clone(),
        name: f.name.clone(),
        content_type: f.content_type.clone(),
        size: f.size,
        sha256: f.sha256.clone(),
        blob_key: f.blob_key.clone(),
        key_version: f.key_version,
    }
}

/// Uploads in the export registry (`app::exporters`); registered after the features that use
/// files, so a file they wrote is listed here by its path there.
pub struct Uploads;

#[async_trait]
impl Exporter for Uploads {
    fn sections(&self) -> &'static [Section] {
        SECTIONS
    }

    async fn export(
        &self,
        state: &AppState,
        subject: &Subject,
        sink: &mut Sink,
    ) -> Result<(), BoxError> {
        let mut items = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let page = {
                let mut conn = state.db.conn().await?;
                store::list_by_uploader(
                    &mut conn,
                    subject.tenant_id(),
                    subject.user_id(),
                    before.as_deref(),
                    500,
                )
                .await?
            };
            let Some(last) = page.last() else { break };
            before = Some(last.id.clone());
            for f in &page {
                let path = match sink.written(&f.id) {
                    Some(p) => p.to_string(),
                    None => sink.file(state, "files", &stored_file(f)).await?,
                };
                items.push(json!({
                    "id": f.id,
                    "name": f.name,
                    "content_type": f.content_type,
                    "size": f.size,
                    "sha256": f.sha256,
                    "uploaded_at": rfc3339(f.created_at),
                    "path": path,
                }));
            }
            if page.len() < 500 {
                break;
            }
        }
        sink.records("files", "files", &items).await?;
        Ok(())
    }
}
