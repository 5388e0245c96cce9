//! Tasks in a person's data export: every task they own or are assigned, with its checklist
//! and their own reminders. Attached files are listed by id (the person's own uploads are in
//! the `files` section).

use super::store;
use crate::{
    authz::Proof,
    db::rfc3339,
    lifecycle::export::{Exporter, Section, Sink, Subject},
    AppState, BoxError,
};
use async_trait::async_trait;
use serde_json::{json, Value};

const SECTIONS: &[Section] = &[Section {
    name: "tasks",
    description: "Tasks you created or that were assigned to you, with their checklists",
}];

/// Tasks in the export registry (`app::exporters`).
pub struct Tasks;

#[async_trait]
impl Exporter for Tasks {
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
        for t in store::of_person(&mut conn, tenant, user).await? {
            let role = if t.owner_id == user {
                "owner"
            } else {
                "assignee"
            };
            let checklist: Vec<Value> = store::items(&mut conn, tenant, &t.id)
                .await?
                .into_iter()
                .map(|i| {
                    json!({ "text": i.text, "done": i.done == 1,
                                 "done_at": i.done_at.map(rfc3339) })
                })
                .collect();
            let reminders: Vec<i64> = store::reminders(&mut conn, tenant, &t.id)
                .await?
                .into_iter()
                .filter(|r| r.user_id == user)
                .map(|r| r.minutes_before)
                .collect();
            let files = store::attachments(&mut conn, tenant, &t.id).await?;
            items.push(json!({
                "id": t.id,
                "role": role,
                "title": t.title,
                "description": t.description,
                "due": t.due_date.as_ref().map(|d| json!({
                    "date": d, "time": t.due_time, "zone": t.due_zone,
                    "at": t.due_at.map(rfc3339),
                })),
                "priority": t.priority,
                "status": t.status,
                "completed_at": t.completed_at.map(rfc3339),
                "location": t.latitude_e7.zip(t.longitude_e7).map(|(a, b)| json!({
                    "latitude": super::service::degrees(a), "longitude": super::service::degrees(b),
                })),
                "source_message_id": t.source_message_id,
                "checklist": checklist,
                "reminders_minutes_before": reminders,
                "attachment_file_ids": files,
                "created_at": rfc3339(t.created_at),
                "updated_at": rfc3339(t.updated_at),
            }));
        }
        drop(conn);
        sink.records("tasks", "tasks", &items).await?;
        Ok(())
    }
}
