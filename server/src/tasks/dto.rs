//! The tasks API's request and response types.

use super::{
    service::{self, DueInput, Role, View},
    store::{ItemRow, ReminderRow},
};
use crate::db::rfc3339;
use poem_openapi::{payload::Json, types::MaybeUndefined, ApiResponse, Enum, Object};

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
    pub(super) fn as_str(self) -> &'static str {
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
    pub(super) fn as_str(self) -> &'static str {
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

pub(super) fn checklist_of(items: Vec<ItemRow>) -> Json<Checklist> {
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
