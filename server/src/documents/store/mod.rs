//! All SQL of documents, one file per resource. Stores take a connection (or the caller's
//! transaction) and the tenant id and return rows: no rules, no authorization, no HTTP.

pub mod docs;
pub mod erase;
pub mod folders;
pub mod lifecycle;
pub mod settings;
pub mod shares;
pub mod spaces;
pub mod trash;
pub mod versions;

pub use docs::DocRow;
pub use folders::FolderRow;
pub use shares::{ShareRow, SharedItem};
pub use spaces::SpaceRow;
pub use versions::VersionRow;

#[cfg(test)]
mod migration_tests;
