//! Document management: spaces (personal, team, company), folders, documents with versions
//! on the files layer, sharing with people and roles, the trash, per-person quotas, previews,
//! and permission-aware search.

pub mod api;
pub mod doc_api;
pub mod docs;
pub mod hooks;
pub mod service;
pub mod settings;
pub mod shares;
