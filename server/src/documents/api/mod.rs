//! The documents HTTP API, one file per resource: handlers parse input, call the services
//! and shape responses. `api.rs` merges [`DocumentsApi`] and [`DocumentFilesApi`].

pub mod docs;
pub mod folders;
pub mod settings;
pub mod shares;
pub mod spaces;
pub mod trash;
pub mod versions;

/// `/spaces` and `/folders`.
pub type DocumentsApi = (spaces::SpacesApi, folders::FoldersApi);

/// Documents, their versions, the trash, shares, document settings and storage.
pub type DocumentFilesApi = (
    docs::DocsApi,
    versions::VersionsApi,
    trash::TrashApi,
    shares::SharesApi,
    settings::SettingsApi,
);
