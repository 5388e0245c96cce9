//! Notes in a person's data export: every note they wrote, with its tags and the ids of its
//! attached files (their own uploads, in the `files` section).

use super::{service::KIND, store};
use crate::{
    authz::Proof,
    db::rfc3339,
    lifecycle::export::{Exporter, Section, Sink, Subject},
    AppState, BoxError,
};
use async_trait::async_trait;
use serde_json::{json, Value};

const SECTIONS: &[Section] = &[Section {
    name: "notes",
    description: "Your notes, with their tags",
}];

/// Notes in the export registry (`app::exporters`).
pub struct Notes;

#[async_trait]
impl Exporter for Notes {
    fn sections(&self) -> &'static [Section] {
        SECTIONS
    }

    async fn export(
        &self,
        state: &AppState,
        subject: &Subject,
        sink: &mut Sink,
    ) -> Result<(), BoxError> {
        let (tenant, user) = (subject.tenant_id(), subject.user_id());
        let mut conn = state.db.conn().await?;
        let mut items: Vec<Value> = Vec::new();
        for n in store::of_owner(&mut conn, tenant, user).await? {
            let tags = store::tags(&mut conn, tenant, &n.id).await?;
            let files = store::attachments(&mut conn, tenant, &n.id).await?;
            items.push(json!({
                "id": n.id,
                "kind": KIND,
                "title": n.title,
                "body": n.body,
                "pinned": n.pinned == 1,
                "tags": tags,
                "location": n.latitude_e7.zip(n.longitude_e7).map(|(a, b)| json!({
                    "latitude": crate::tasks::service::degrees(a),
                    "longitude": crate::tasks::service::degrees(b),
                })),
                "attachment_file_ids": files,
                "created_at": rfc3339(n.created_at),
                "updated_at": rfc3339(n.updated_at),
            }));
        }
        drop(conn);
        sink.records("notes", "notes", &items).await?;
        Ok(())
    }
}
