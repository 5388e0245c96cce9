//! `/tasks`: personal and assigned tasks, their checklists and the caller's reminders
//! (`tasks.use`; assigning to someone else needs `tasks.assign`).

use super::{
    checklist, reminders,
    service::{self, DueInput, Role, View},
    store::{ItemRow, ReminderRow, Scope},
};
use crate::{
    authn::Session,
    db::rfc3339,
    error::ApiResult,
    http::{instant_param, ApiTags, NoContent},
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    types::MaybeUndefined,
    ApiResponse, Enum, Object, OpenApi,
};
use std::sync::Arc;

/// A point on Earth (WGS 84 degrees).
#[derive(Debug, Clone, Copy, Object)]
pub struct GpsPoint {
    /// -90 to 90.
    pub latitude: f64,
    /// -180 to 180.
    pub longitude: f64,
}

impl GpsPoint {
    pub fn of(lat: Option<i64>, lon: Option<i64>) -> Option<GpsPoint> {
        lat.zip(lon).map(|(a, b)| GpsPoint {
            latitude: service::degrees(a),
            longitude: service::degrees(b),
        })
    }
}

/// When a task is due: a day, or a day and a time of day, in an IANA time zone.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct TaskDueInput {
    /// `YYYY-MM-DD`.
    #[oai(validator(max_length = 20))]
    pub date: String,
    /// `HH:MM` or `HH:MM:SS`; absent: all day.
    #[oai(validator(max_length = 20))]
    pub time: Option<String>,
    /// An IANA zone such as `Europe/Berlin` (default `UTC`).
    #[oai(validator(max_length = 64))]
    pub zone: Option<String>,
}

impl From<TaskDueInput> for DueInput {
    fn from(d: TaskDueInput) -> Self {
        DueInput {
            date: d.date,
            time: d.time,
            zone: d.zone,
        }
    }
}

#[derive(Debug, Object)]
pub struct TaskDue {
    pub date: String,
    /// `HH:MM:SS`; absent: all day.
    pub time: Option<String>,
    pub zone: String,
    /// The due instant (all day: the start of the day in its zone).
    pub at: String,
    /// When it counts as overdue (all day: when the day ends in its zone).
    pub overdue_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum TaskPriority {
    Low,
    Normal,
    High,
    Urgent,
}

impl TaskPriority {
    fn as_str(self) -> &'static str {
        match self {
            TaskPriority::Low => "low",
            TaskPriority::Normal => "normal",
            TaskPriority::High => "high",
            TaskPriority::Urgent => "urgent",
        }
    }
    fn parse(s: &str) -> TaskPriority {
        match s {
            "low" => TaskPriority::Low,
            "high" => TaskPriority::High,
            "urgent" => TaskPriority::Urgent,
            _ => TaskPriority::Normal,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum TaskStatus {
    Todo,
    InProgress,
    Done,
}

impl TaskStatus {
    fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Todo => "todo",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Done => "done",
        }
    }
    fn parse(s: &str) -> TaskStatus {
        match s {
            "in_progress" => TaskStatus::InProgress,
            "done" => TaskStatus::Done,
            _ => TaskStatus::Todo,
        }
    }
}

/// The caller's part in a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "TaskRole", rename_all = "snake_case")]
pub enum TaskRole {
    /// Created it: may change everything.
    Owner,
    /// Assigned it: may change its status and checklist.
    Assignee,
}

/// Which tasks a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum TaskScope {
    /// Created by the caller or assigned to them (the default).
    Mine,
    /// Created by the caller and assigned to someone else.
    AssignedByMe,
    /// Assigned to the caller.
    AssignedToMe,
}

#[derive(Debug, Object)]
pub struct TaskAttachment {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Debug, Object)]
pub struct ChecklistItem {
    pub id: String,
    pub text: String,
    pub done: bool,
    pub done_at: Option<String>,
}

impl From<ItemRow> for ChecklistItem {
    fn from(i: ItemRow) -> Self {
        ChecklistItem {
            id: i.id,
            text: i.text,
            done: i.done == 1,
            done_at: i.done_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Object)]
pub struct TaskReminder {
    pub minutes_before: i64,
    /// When it goes out.
    pub fire_at: String,
    /// When it went.
    pub sent_at: Option<String>,
}

impl From<ReminderRow> for TaskReminder {
    fn from(r: ReminderRow) -> Self {
        TaskReminder {
            minutes_before: r.minutes_before,
            fire_at: rfc3339(r.fire_at),
            sent_at: r.sent_at.map(rfc3339),
        }
    }
}

/// The message a task was made from.
#[derive(Debug, Object)]
pub struct TaskSourceMessage {
    /// The caller may read the message now. When false (deleted, or no longer in the room),
    /// nothing else is said about it.
    pub available: bool,
    pub room_id: Option<String>,
    pub message_id: Option<String>,
    /// Where the message is: `/rooms/{room_id}/messages/{message_id}` (relative to `/api/v1`).
    pub link: Option<String>,
}

#[derive(Debug, Object)]
pub struct Task {
    pub id: String,
    pub owner_id: String,
    /// Absent: a personal task.
    pub assignee_id: Option<String>,
    /// The caller's part in it.
    pub role: TaskRole,
    pub title: String,
    /// Markdown, as written.
    pub description: String,
    pub due: Option<TaskDue>,
    /// Not done and past `due.overdue_at`.
    pub overdue: bool,
    pub priority: TaskPriority,
    pub status: TaskStatus,
    pub completed_at: Option<String>,
    pub location: Option<GpsPoint>,
    pub checklist: Vec<ChecklistItem>,
    pub attachments: Vec<TaskAttachment>,
    /// The caller's own reminders.
    pub reminders: Vec<TaskReminder>,
    pub source_message: Option<TaskSourceMessage>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<View> for Task {
    fn from(v: View) -> Self {
        let t = v.row;
        let now = crate::db::now_ms();
        Task {
            overdue: t.status != "done" && t.overdue_at.is_some_and(|o| o <= now),
            due: match (t.due_date, t.due_zone, t.due_at, t.overdue_at) {
                (Some(date), Some(zone), Some(at), Some(o)) => Some(TaskDue {
                    date,
                    time: t.due_time,
                    zone,
                    at: rfc3339(at),
                    overdue_at: rfc3339(o),
                }),
                _ => None,
            },
            id: t.id,
            owner_id: t.owner_id,
            assignee_id: t.assignee_id,
            role: match v.role {
                Role::Owner => TaskRole::Owner,
                Role::Assignee => TaskRole::Assignee,
            },
            title: t.title,
            description: t.description,
            priority: TaskPriority::parse(&t.priority),
            status: TaskStatus::parse(&t.status),
            completed_at: t.completed_at.map(rfc3339),
            location: GpsPoint::of(t.latitude_e7, t.longitude_e7),
            checklist: v.checklist.into_iter().map(Into::into).collect(),
            attachments: v
                .attachments
                .into_iter()
                .map(|f| TaskAttachment {
                    id: f.id,
                    name: f.name,
                    content_type: f.content_type,
                    size: f.size,
                })
                .collect(),
            reminders: v.reminders.into_iter().map(Into::into).collect(),
            source_message: v.source.map(|s| match s.message {
                Some((room, msg)) => TaskSourceMessage {
                    available: true,
                    link: Some(format!("/rooms/{room}/messages/{msg}")),
                    room_id: Some(room),
                    message_id: Some(msg),
                },
                None => TaskSourceMessage {
                    available: false,
                    room_id: None,
                    message_id: None,
                    link: None,
                },
            }),
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct TaskPage {
    pub items: Vec<Task>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewTask {
    /// 1 to 200 characters.
    #[oai(validator(max_length = 1000))]
    pub title: String,
    /// Markdown, at most 20,000 characters.
    #[oai(default, validator(max_length = 100000))]
    pub description: String,
    pub due: Option<TaskDueInput>,
    /// Default `normal`.
    pub priority: Option<TaskPriority>,
    /// Default `todo`.
    pub status: Option<TaskStatus>,
    /// Someone else to do it (needs `tasks.assign`; they get a notice).
    pub assignee_id: Option<String>,
    pub location: Option<GpsPoint>,
    /// Files the caller uploaded (at most 10): readable by the owner and the assignee.
    #[oai(default)]
    pub attachment_ids: Vec<String>,
    /// The message this task is made from: the caller must be able to read it now.
    pub source_message_id: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct TaskPatch {
    #[oai(validator(max_length = 1000))]
    pub title: Option<String>,
    #[oai(validator(max_length = 100000))]
    pub description: Option<String>,
    /// `null` removes the due date (and the reminders).
    pub due: MaybeUndefined<TaskDueInput>,
    pub priority: Option<TaskPriority>,
    /// The only field an assignee may change (`done` records when).
    pub status: Option<TaskStatus>,
    /// `null` makes it personal again; someone else needs `tasks.assign`.
    pub assignee_id: MaybeUndefined<String>,
    /// `null` removes it.
    pub location: MaybeUndefined<GpsPoint>,
    /// Replaces the attachments.
    pub attachment_ids: Option<Vec<String>>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewChecklistItem {
    /// 1 to 500 characters.
    #[oai(validator(max_length = 2000))]
    pub text: String,
    #[oai(default)]
    pub done: bool,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ChecklistItemPatch {
    #[oai(validator(max_length = 2000))]
    pub text: Option<String>,
    pub done: Option<bool>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ChecklistOrder {
    /// Every item of the checklist, each once, in the new order.
    #[oai(validator(max_items = 1000))]
    pub item_ids: Vec<String>,
}

#[derive(Debug, Object)]
pub struct Checklist {
    pub items: Vec<ChecklistItem>,
}

fn checklist_of(items: Vec<ItemRow>) -> Json<Checklist> {
    Json(Checklist {
        items: items.into_iter().map(Into::into).collect(),
    })
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ReminderSet {
    /// Minutes before the due instant (0 to 40,320; at most five): replaces the caller's.
    #[oai(validator(max_items = 100))]
    pub minutes_before: Vec<i64>,
}

#[derive(Debug, Object)]
pub struct TaskReminders {
    pub items: Vec<TaskReminder>,
}

#[derive(ApiResponse)]
pub enum Created {
    #[oai(status = 201)]
    Created(Json<Task>),
}

#[derive(ApiResponse)]
pub enum ItemAdded {
    #[oai(status = 201)]
    Created(Json<Checklist>),
}

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
