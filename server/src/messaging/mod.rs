//! Messaging: direct conversations, groups and channels; members with room roles; messages with
//! threads, mentions, attachments, edits and tombstones; read pointers and unread counts; and a
//! per-room event log numbered by sequence, from which clients catch up without gaps.

pub mod api;
pub mod dad;
pub mod e2e;
pub mod hooks;
pub mod messages;
pub mod notifications;
pub mod reactions;
pub mod scrub;
pub mod service;
pub mod store;
pub mod sync;
