//! Notes: a person's own Markdown notes (`notes.use`) with an optional GPS location,
//! attachments, pinning and tags (normalised, at most 20). Only their owner sees them — in
//! the API (others: 404), in search (the `note` kind, read by the owner's token only) and in
//! file downloads.
//!
//! - [`service`]: write, read, edit, delete, the list (pinned first; filters tag, pinned,
//!   text).
//! - [`hooks`]: the `note` search kind and the attachments' `FileConsumer`.
//! - [`lifecycle`] and [`export`]: the `notes` data class, erasure and the person's export.

pub mod api;
pub mod export;
pub mod hooks;
pub mod lifecycle;
pub mod service;
pub mod store;
