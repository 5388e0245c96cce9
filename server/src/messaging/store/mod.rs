//! All of messaging's SQL, one file per resource. Every function takes a connection (or the
//! caller's transaction) and the tenant id and returns rows: no HTTP types, no authorization,
//! no rules (those live in the services next to this folder).
//!
//! Rooms, members, events, messages and reactions are re-exported here (`store::room`,
//! `store::member`…); end-to-end encryption, notifications, delete-after-delivery and the
//! lifecycle's queries are reached by their module (`store::e2e::epoch`).

pub mod dad;
pub mod e2e;
pub mod erase;
pub mod events;
pub mod export;
pub mod follows;
pub mod lifecycle;
pub mod members;
pub mod messages;
pub mod notifications;
pub mod reactions;
pub mod rooms;

pub use events::*;
pub use members::*;
pub use messages::*;
pub use reactions::*;
pub use rooms::*;
