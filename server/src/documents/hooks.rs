//! What documents plugs into the infrastructure's registries ([`register`]): documents are
//! searchable, and document content (files of scope `document`) is read only through the
//! documents that use it.

use super::{docs, readers};
use crate::{
    authn::Principal, error::ApiResult, files, jobs::outbox::HandlerError, search, AppState,
    Registries,
};
use async_trait::async_trait;
use sqlx::AnyConnection;

/// Documents, found by name and the text of their current content.
pub struct Documents;

#[async_trait]
impl search::Searchable for Documents {
    fn kind(&self) -> &'static str {
        docs::KIND
    }

    async fn load(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<search::Doc>, sqlx::Error> {
        docs::search_doc(conn, tenant_id, id).await
    }

    async fn ids_after(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<String>, sqlx::Error> {
        docs::ids_after(conn, tenant_id, after, limit).await
    }

    async fn readable(
        &self,
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        id: &str,
    ) -> ApiResult<bool> {
        docs::can_read(state, conn, p, id).await
    }

    /// The spaces and roles that give the person read access now.
    async fn reader_tokens(
        &self,
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
    ) -> ApiResult<Vec<String>> {
        readers::reader_tokens(state, conn, p).await
    }
}

/// Document content: files of scope `document`.
pub struct Content;

#[async_trait]
impl files::readers::FileConsumer for Content {
    fn scope(&self) -> Option<&'static str> {
        Some(files::store::SCOPE_DOCUMENT)
    }

    async fn may_read(
        &self,
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        f: &files::store::FileRow,
    ) -> ApiResult<bool> {
        docs::file_readable(state, conn, p, &f.id).await
    }

    /// Live documents whose current content is the file.
    async fn showing(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        file_id: &str,
    ) -> Result<Vec<(&'static str, String)>, sqlx::Error> {
        Ok(docs::using_file(conn, tenant_id, file_id)
            .await?
            .into_iter()
            .map(|d| (docs::KIND, d))
            .collect())
    }
}

/// Documents in the registries: the `document` search kind and the readers of their content.
pub fn register(r: &mut Registries) {
    r.searchables.register(Documents);
    r.file_readers.register(Content);
}

/// A directory change (`directory::service::TOPIC_CHANGED`, consumed with messaging's in
/// `app.rs`): a merged department's shares go to the department it merged into.
pub async fn on_directory_changed(
    s: &AppState,
    tenant_id: &str,
    payload: &str,
) -> Result<(), HandlerError> {
    let p: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    if let (Some(from), Some(into)) = (p["from"].as_str(), p["into"].as_str()) {
        super::shares::on_department_merged(s, tenant_id, from, into)
            .await
            .map_err(HandlerError::retry)?;
    }
    Ok(())
}
