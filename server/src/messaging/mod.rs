//! Messaging: direct conversations, groups and channels; members with room roles; messages with
//! threads, mentions, attachments, edits and tombstones; read pointers and unread counts; and a
//! per-room event log numbered by sequence, from which clients catch up without gaps.
//!
//! Layout: `api/` (handlers, by resource) → services (`rooms`, `members`, `messages`,
//! `reactions`, `sync`, `e2e`, `notifications`, `dad`; shared pieces in `service`, room-level
//! proofs in `access`, the change tail in `emit`) → `store/` (all SQL, by resource). `hooks`
//! plugs messaging into search, files and realtime; `lifecycle` into the data lifecycle.

pub mod access;
pub mod api;
pub mod dad;
pub mod e2e;
mod emit;
pub mod erase;
pub mod export;
pub mod follow;
pub mod hooks;
pub mod lifecycle;
pub mod members;
pub mod messages;
pub mod notifications;
mod purge;
pub mod reactions;
pub mod rooms;
pub mod scrub;
pub mod service;
pub mod store;
pub mod sync;
