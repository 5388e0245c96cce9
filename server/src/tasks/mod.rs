//! Tasks: personal to-dos (`tasks.use`) or assigned to someone else (`tasks.assign`, with a
//! notice to the assignee), with a Markdown description, a due day or day and time in an IANA
//! zone ([`due`]), priority, status (done records when), a checklist ([`checklist`]),
//! attachments (files readable by the owner and the assignee only), an optional GPS location,
//! per-person reminders ([`reminders`]: outbox rows due at their moment, sent once) and an
//! optional link to the message the task was made from (shown only while the reader may read
//! that message).
//!
//! - [`service`]: who may see (owner and assignee; others 404) and change (the owner
//!   everything, the assignee status and checklist) a task; create, edit, delete, the list
//!   with its filters, and `due_between` for the agenda.
//! - [`list`]: the list with its filters, `due_between` for the agenda, search documents.
//! - [`hooks`]: the `task` search kind and the attachments' `FileConsumer`.
//! - [`lifecycle`] and [`export`]: the `tasks_done` data class, erasure (assigned tasks go to
//!   their assignees) and the person's export.

pub mod access;
pub mod api;
pub mod checklist;
pub mod dto;
pub mod due;
pub mod export;
pub mod hooks;
pub mod lifecycle;
pub mod list;
pub mod reminders;
pub mod service;
pub mod store;
