//! `/tasks`: personal and assigned tasks, their checklists and the caller's reminders
//! (`tasks.use`; assigning to someone else needs `tasks.assign`).

pub use super::dto::*;
use super::{
    checklist, reminders,
    service::{self, DueInput},
    store::Scope,
};
use crate::{
    authn::Session,
    error::ApiResult,
    http::{instant_param, ApiTags, NoContent},
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    types::MaybeUndefined,
    OpenApi,
};
use std::sync::Arc;

fn due_patch(v: MaybeUndefined<TaskDueInput>) -> Option<Option<DueInput>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(d) => Some(Some(d.into())),
    }
}

#[derive(Default)]
pub struct TasksApi;

#[OpenApi(tag = "ApiTags::Tasks")]
impl TasksApi {
    /// Create a task
    ///
    /// Personal, or assigned to someone else (needs `tasks.assign`; the assignee gets a notice
    /// and a realtime `notice` frame). With `source_message_id`, made from a message the caller
    /// can read now; the task links back to it. Needs `tasks.use`.
    #[oai(path = "/tasks", method = "post", operation_id = "tasks_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<NewTask>,
    ) -> ApiResult<Created> {
        let b = body.0;
        let v = service::create(
            &state,
            &auth.0,
            service::NewTask {
                title: b.title,
                description: b.description,
                due: b.due.map(Into::into),
                priority: b.priority.map(|p| p.as_str().into()),
                status: b.status.map(|s| s.as_str().into()),
                assignee_id: b.assignee_id,
                location: b.location.map(|g| (g.latitude, g.longitude)),
                attachment_ids: b.attachment_ids,
                source_message_id: b.source_message_id,
            },
        )
        .await?;
        Ok(Created::Created(Json(v.into())))
    }

    /// The caller's tasks
    ///
    /// `scope`: `mine` (created by or assigned to the caller, the default), `assigned_by_me`,
    /// `assigned_to_me`; `status` (comma-separated), `due_before` / `due_after` (RFC 3339, on
    /// the due instant), `overdue`. Soonest due first, undated last.
    #[oai(path = "/tasks", method = "get", operation_id = "tasks_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        scope: Query<Option<TaskScope>>,
        status: Query<Option<String>>,
        due_before: Query<Option<String>>,
        due_after: Query<Option<String>>,
        overdue: Query<Option<bool>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<TaskPage>> {
        let (items, next_cursor) = service::list(
            &state,
            &auth.0,
            service::Filter {
                scope: match scope.0.unwrap_or(TaskScope::Mine) {
                    TaskScope::Mine => Scope::Mine,
                    TaskScope::AssignedByMe => Scope::AssignedByMe,
                    TaskScope::AssignedToMe => Scope::AssignedToMe,
                },
                statuses: status.0.into_iter().collect(),
                due_before: instant_param("due_before", due_before.0)?,
                due_after: instant_param("due_after", due_after.0)?,
                overdue: overdue.0.unwrap_or(false),
                limit: limit.0,
                cursor: cursor.0,
            },
        )
        .await?;
        Ok(Json(TaskPage {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// A task
    ///
    /// For its owner and its assignee; anyone else gets 404.
    #[oai(path = "/tasks/:id", method = "get", operation_id = "tasks_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Task>> {
        Ok(Json(service::get(&state, &auth.0, &id.0).await?.into()))
    }

    /// Edit a task
    ///
    /// The owner may change everything; the assignee only `status` (403 for anything else).
    /// A new assignee gets a notice; moving the due date moves every reminder.
    #[oai(path = "/tasks/:id", method = "patch", operation_id = "tasks_update")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<TaskPatch>,
    ) -> ApiResult<Json<Task>> {
        let b = body.0;
        let v = service::update(
            &state,
            &auth.0,
            &id.0,
            service::Edit {
                title: b.title,
                description: b.description,
                due: due_patch(b.due),
                priority: b.priority.map(|p| p.as_str().into()),
                status: b.status.map(|s| s.as_str().into()),
                assignee_id: match b.assignee_id {
                    MaybeUndefined::Undefined => None,
                    MaybeUndefined::Null => Some(None),
                    MaybeUndefined::Value(a) => Some(Some(a)),
                },
                location: match b.location {
                    MaybeUndefined::Undefined => None,
                    MaybeUndefined::Null => Some(None),
                    MaybeUndefined::Value(g) => Some(Some((g.latitude, g.longitude))),
                },
                attachment_ids: b.attachment_ids,
            },
        )
        .await?;
        Ok(Json(v.into()))
    }

    /// Delete a task
    ///
    /// The owner only, with its checklist, reminders and the notices about it.
    #[oai(path = "/tasks/:id", method = "delete", operation_id = "tasks_delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        service::delete(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }

    /// Add a checklist item
    ///
    /// At the end of the checklist (at most 100 items). Owner or assignee.
    #[oai(
        path = "/tasks/:id/checklist",
        method = "post",
        operation_id = "tasks_checklist_add"
    )]
    async fn checklist_add(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<NewChecklistItem>,
    ) -> ApiResult<ItemAdded> {
        let items = checklist::add(&state, &auth.0, &id.0, &body.0.text, body.0.done).await?;
        Ok(ItemAdded::Created(checklist_of(items)))
    }

    /// Edit or check a checklist item
    ///
    /// Owner or assignee.
    #[oai(
        path = "/tasks/:id/checklist/:item_id",
        method = "patch",
        operation_id = "tasks_checklist_update"
    )]
    async fn checklist_update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        item_id: Path<String>,
        body: Json<ChecklistItemPatch>,
    ) -> ApiResult<Json<Checklist>> {
        let b = body.0;
        let items = checklist::edit(
            &state,
            &auth.0,
            &id.0,
            &item_id.0,
            b.text.as_deref(),
            b.done,
        )
        .await?;
        Ok(checklist_of(items))
    }

    /// Remove a checklist item
    ///
    /// Owner or assignee.
    #[oai(
        path = "/tasks/:id/checklist/:item_id",
        method = "delete",
        operation_id = "tasks_checklist_remove"
    )]
    async fn checklist_remove(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        item_id: Path<String>,
    ) -> ApiResult<Json<Checklist>> {
        Ok(checklist_of(
            checklist::remove(&state, &auth.0, &id.0, &item_id.0).await?,
        ))
    }

    /// Reorder the checklist
    ///
    /// Name every item once, in the new order. Owner or assignee.
    #[oai(
        path = "/tasks/:id/checklist/order",
        method = "put",
        operation_id = "tasks_checklist_reorder"
    )]
    async fn checklist_reorder(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<ChecklistOrder>,
    ) -> ApiResult<Json<Checklist>> {
        Ok(checklist_of(
            checklist::reorder(&state, &auth.0, &id.0, &body.0.item_ids).await?,
        ))
    }

    /// Set one's reminders of a task
    ///
    /// Minutes before the due instant; replaces the caller's reminders of this task (an empty
    /// list removes them). Each goes out once, as a notice and a realtime `notice` frame, if the
    /// task is still due then, not done, and still the caller's. Owner or assignee.
    #[oai(
        path = "/tasks/:id/reminders",
        method = "put",
        operation_id = "tasks_reminders_set"
    )]
    async fn reminders_set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<ReminderSet>,
    ) -> ApiResult<Json<TaskReminders>> {
        let rows = reminders::set(&state, &auth.0, &id.0, &body.0.minutes_before).await?;
        Ok(Json(TaskReminders {
            items: rows.into_iter().map(Into::into).collect(),
        }))
    }
}
