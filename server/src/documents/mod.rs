//! Document management: spaces (personal, team, company), folders, documents with versions
//! on the files layer, sharing with people and roles, the trash, per-person quotas, previews,
//! and permission-aware search.
//!
//! Layout: one service per resource (`spaces`, `folders`, `docs`, `uploads`, `versions`,
//! `shares`, `trash`, `settings`) holding the rules, `access` holding the access checks and
//! the proofs they make, `store/` holding all SQL, `api/` the HTTP handlers, and `hooks` what
//! documents plugs into the registries. A request flows route -> service -> store.

pub mod access;
pub mod api;
pub mod docs;
pub mod erase;
pub mod export;
pub mod folders;
pub mod hooks;
pub mod lifecycle;
pub mod meta;
pub mod readers;
pub mod record;
pub mod settings;
pub mod shares;
pub mod spaces;
pub mod store;
pub mod trash;
pub mod uploads;
pub mod versions;

/// The documents HTTP API at its old path (`api.rs` merges it from here).
pub mod doc_api {
    pub use super::api::DocumentFilesApi;
}
