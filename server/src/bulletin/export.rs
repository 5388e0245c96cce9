//! The bulletin board in a person's data export: the posts they wrote (on the board or
//! expired and not yet purged), with their photos as the original files.

use super::store;
use crate::{
    authz::Proof,
    db::rfc3339,
    files,
    lifecycle::export::{Exporter, Section, Sink, Subject},
    AppState, BoxError,
};
use async_trait::async_trait;
use serde_json::{json, Value};

const SECTIONS: &[Section] = &[Section {
    name: "bulletin",
    description: "Your posts on the bulletin board (lost and found), with their photos",
}];

/// The bulletin board in the export registry (`app::exporters`).
pub struct Bulletin;

#[async_trait]
impl Exporter for Bulletin {
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
        let (posts, photos) = {
            let mut conn = state.db.conn().await?;
            let posts = store::by_author(&mut conn, tenant, user).await?;
            let ids: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
            let photos = store::photos_of(&mut conn, tenant, &ids).await?;
            (posts, photos)
        };
        let mut items: Vec<Value> = Vec::with_capacity(posts.len());
        for p in posts {
            let mut shown = Vec::new();
            for ph in photos.iter().filter(|ph| ph.post_id == p.id) {
                let row = {
                    let mut conn = state.db.conn().await?;
                    files::service::stored(&mut conn, tenant, &ph.file_id).await?
                };
                // Photos are the author's own uploads; anything else is not copied.
                if let Some(f) = row.filter(|f| f.uploader_id == user) {
                    let path = sink
                        .file(state, "bulletin", &files::service::stored_file(&f))
                        .await?;
                    shown.push(json!({ "file_id": f.id, "name": f.name,
                                       "content_type": f.content_type, "size": f.size,
                                       "sha256": f.sha256, "path": path }));
                }
            }
            items.push(json!({
                "id": p.id,
                "kind": p.kind,
                "category": p.category,
                "occurred_on": p.occurred_on,
                "place": {
                    "province": p.province,
                    "district": p.district,
                    "commune": p.commune,
                    "detail": p.place_detail,
                },
                "title": p.title,
                "description": p.description,
                "contact_preference": p.contact_preference,
                "contact_note": p.contact_note,
                "status": p.status,
                "resolved_at": p.resolved_at.map(rfc3339),
                "expires_at": rfc3339(p.expires_at),
                "created_at": rfc3339(p.created_at),
                "updated_at": rfc3339(p.updated_at),
                "photos": shown,
            }));
        }
        sink.records("bulletin", "posts", &items).await?;
        Ok(())
    }
}
