//! What notes plug into the registries ([`register`]): notes are searchable by their owner alone,
//! and files attached to a note are readable by its owner alone.

use super::{service, store};
use crate::{authn::Principal, error::ApiResult, files, search, AppState, Registries};
use async_trait::async_trait;
use sqlx::AnyConnection;

/// Notes, found by title, text and tags; the reader is the owner (`u:` token).
pub struct Notes;

#[async_trait]
impl search::Searchable for Notes {
    fn kind(&self) -> &'static str {
        service::KIND
    }

    async fn load(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<search::Doc>, sqlx::Error> {
        service::search_doc(conn, tenant_id, id).await
    }

    async fn ids_after(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<String>, sqlx::Error> {
        store::ids_after(conn, tenant_id, after, limit).await
    }

    async fn readable(
        &self,
        _state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        id: &str,
    ) -> ApiResult<bool> {
        service::can_read(conn, p, id).await
    }
}

/// Files attached to notes.
pub struct Attachments;

#[async_trait]
impl files::readers::FileConsumer for Attachments {
    fn uses_sql(&self) -> Option<&'static str> {
        Some(store::FILE_IN_USE)
    }

    async fn may_read(
        &self,
        _state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        f: &files::store::FileRow,
    ) -> ApiResult<bool> {
        Ok(store::file_readable_by(conn, &p.tenant_id, &f.id, &p.user_id).await?)
    }
}

/// Notes in the registries: the note search kind and the readers of attachments.
pub fn register(r: &mut Registries) {
    r.searchables.register(Notes);
    r.file_readers.register(Attachments);
}
