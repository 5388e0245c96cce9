//! Documents in a person's data export: the documents they own (in the trash too), with their
//! metadata, the current version's file, and the earlier versions they wrote themselves.

use super::store::{docs, versions};
use crate::{
    authz::Proof,
    db::rfc3339,
    lifecycle::export::{Exporter, Section, Sink, Subject},
    AppState, BoxError,
};
use async_trait::async_trait;
use serde_json::{json, Value};

const SECTIONS: &[Section] = &[Section {
    name: "documents",
    description: "Documents you own, with their details, the current version and the earlier \
                  versions you wrote, as original files",
}];

/// Documents in the export registry (`app::exporters`).
pub struct Documents;

#[async_trait]
impl Exporter for Documents {
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
        let owned = {
            let mut conn = state.db.conn().await?;
            docs::owned_by(&mut conn, tenant, user).await?
        };
        let mut items = Vec::new();
        for d in owned {
            let vs = {
                let mut conn = state.db.conn().await?;
                versions::list(&mut conn, tenant, &d.id).await?
            };
            let mut out_versions: Vec<Value> = Vec::new();
            for v in vs {
                let current = v.number == d.version;
                let mut entry = json!({
                    "number": v.number,
                    "current": current,
                    "written_by_you": v.author_id == user,
                    "created_at": rfc3339(v.created_at),
                    "restored_from": v.restored_from,
                    "path": null,
                });
                if current || v.author_id == user {
                    let f = {
                        let mut conn = state.db.conn().await?;
                        crate::files::service::stored(&mut conn, tenant, &v.file_id).await?
                    };
                    if let Some(f) = f {
                        let mut sf = crate::files::service::stored_file(&f);
                        // The document's name, with the version when it is not the current one.
                        sf.name = if current {
                            d.name.clone()
                        } else {
                            format!("v{}-{}", v.number, d.name)
                        };
                        let path = sink.file(state, "documents", &sf).await?;
                        entry["path"] = path.into();
                        entry["size"] = f.size.into();
                        entry["sha256"] = f.sha256.into();
                        entry["content_type"] = f.content_type.into();
                    }
                }
                out_versions.push(entry);
            }
            let location = d
                .location()
                .map(|(lat, lon)| json!({ "latitude": lat, "longitude": lon }));
            items.push(json!({
                "id": d.id,
                "name": d.name,
                "title": d.title,
                "description": d.description,
                "keywords": d.keyword_list(),
                "location": location,
                "space_id": d.space_id,
                "folder_id": d.folder_id,
                "version": d.version,
                "created_at": rfc3339(d.created_at),
                "updated_at": rfc3339(d.updated_at),
                "in_trash": d.trashed_at.is_some(),
                "versions": out_versions,
            }));
        }
        sink.records("documents", "documents", &items).await?;
        Ok(())
    }
}
