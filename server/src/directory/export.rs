//! The directory in a person's data export: their departments, position, manager, work
//! contact details, the departments they head and the people they manage.

use super::{service::Tree, store};
use crate::{
    authz::Proof,
    lifecycle::export::{Exporter, Section, Sink, Subject},
    AppState, BoxError,
};
use async_trait::async_trait;
use serde_json::json;

const SECTIONS: &[Section] = &[Section {
    name: "directory",
    description: "Your place in the organisation directory: departments, position, manager, \
                  work email and phone, the departments you head and the people you manage",
}];

/// The directory in the export registry (`app::exporters`).
pub struct Directory;

#[async_trait]
impl Exporter for Directory {
    fn sections(&self) -> &'static [Section] {
        SECTIONS
    }

    async fn export(
        &self,
        state: &AppState,
        subject: &Subject,
        sink: &mut Sink,
    ) -> Result<(), BoxError> {
        let tenant_id = subject.tenant_id();
        let me = vec![subject.user_id().to_string()];
        let record = {
            let mut conn = state.db.conn().await?;
            let tree = Tree::new(store::departments(&mut conn, tenant_id).await?);
            let memberships = store::memberships_of(&mut conn, tenant_id, &me).await?;
            let person = store::person(&mut conn, tenant_id, subject.user_id()).await?;
            let position = match person.as_ref().and_then(|p| p.position_id.clone()) {
                Some(id) => store::position(&mut conn, tenant_id, &id)
                    .await?
                    .map(|p| p.name),
                None => None,
            };
            let headed = store::headed_by(&mut conn, tenant_id, subject.user_id()).await?;
            let reports = store::reports_of(&mut conn, tenant_id, subject.user_id()).await?;
            let person = person.unwrap_or_default();
            json!({
                "departments": memberships.iter().map(|m| json!({
                    "id": m.department_id,
                    "path": tree.path(&m.department_id),
                    "primary": m.is_primary == 1,
                })).collect::<Vec<_>>(),
                "position": position,
                "manager_id": person.manager_id,
                "work_email": person.work_email,
                "work_phone": person.work_phone,
                "heads": headed.iter().map(|d| json!({
                    "id": d.id, "path": tree.path(&d.id),
                })).collect::<Vec<_>>(),
                "manages": reports,
            })
        };
        sink.records("directory", "directory", &[record]).await?;
        Ok(())
    }
}
