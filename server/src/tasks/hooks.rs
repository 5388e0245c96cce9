//! What tasks plug into the registries ([`register`]): tasks are searchable by their owner and
//! assignee, and files attached to a task are readable by them — nobody else.

use super::{service, store};
use crate::{
    authn::Principal, error::ApiResult, files, jobs::outbox::Lane, search, AppState, Registries,
};
use async_trait::async_trait;
use sqlx::AnyConnection;

/// Tasks, found by title and description; readers: the owner and the assignee (`u:` tokens).
pub struct Tasks;

#[async_trait]
impl search::Searchable for Tasks {
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

/// Files attached to tasks.
pub struct Attachments;

#[async_trait]
impl files::readers::FileConsumer for Attachments {
    fn uses_sql(&self) -> Option<&'static str> {
        Some(store::FILE_IN_USE)
    }

    /// The owner and the assignee of a task the file is attached to.
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

/// Tasks in the registries: the task search kind, the readers of attachments, and the timed
/// reminder chain.
pub fn register(r: &mut Registries) {
    r.searchables.register(Tasks);
    r.file_readers.register(Attachments);
    r.topics.register(
        super::reminders::TOPIC,
        |s, m| Box::pin(super::reminders::handle(s, &m.tenant_id, &m.payload)),
        Lane::default(),
    );
}
