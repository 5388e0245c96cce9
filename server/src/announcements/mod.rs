//! Announcements: published by `announcements.publish` to an audience (everyone, departments
//! with or without their sub-departments, roles, people — `directory::audience`), with
//! Markdown text (returned as source and as sanitised HTML), attachments (files of the `files`
//! feature, readable by the audience only), pinning, an expiry and an optional acknowledgement
//! with a due date.
//!
//! - [`service`]: publish (a notice and a realtime frame to every person of the audience),
//!   edit (versioned, shown as edited), delete, the reader's list (what their audience
//!   membership covers **now**: pinned first, expired ones gone) and versions.
//! - [`receipts`]: read, acknowledge, dismiss; who has read and acknowledged; reminders
//!   (rate-limited per announcement).
//! - [`markdown`]: CommonMark → HTML → the safe subset (`pulldown-cmark` + `ammonia`).
//! - `policy` and `breach` notices: always to everyone, always acknowledged (and never
//!   dismissed without), never deleted, their publication, edits and acknowledgements in the
//!   audit log with their text.
//! - [`lifecycle`]: expired announcements as a data class; a person's receipts erased.
//! - [`hooks`]: the attachments' `FileConsumer`.

pub mod api;
pub mod hooks;
pub mod lifecycle;
pub mod markdown;
pub mod reading;
pub mod receipts;
pub mod service;
pub mod store;
