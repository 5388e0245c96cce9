//! What announcements plug into the registries ([`register`]): their attachments as a
//! `FileConsumer`, so the audience — and only the audience, while the announcement is live —
//! may download an announcement's files.

use super::store;
use crate::{
    authn::Principal, db::now_ms, directory::audience, error::ApiResult, files, AppState,
    Registries,
};
use async_trait::async_trait;
use sqlx::AnyConnection;

/// Files attached to announcements.
pub struct Attachments;

#[async_trait]
impl files::readers::FileConsumer for Attachments {
    fn uses_sql(&self) -> Option<&'static str> {
        Some(store::FILE_IN_USE)
    }

    /// The people the announcement is for now, while it has not expired; and whoever oversees
    /// announcements (publishers, receipt readers), for any file attached to one.
    async fn may_read(
        &self,
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        f: &files::store::FileRow,
    ) -> ApiResult<bool> {
        if !store::file_attached(conn, &p.tenant_id, &f.id).await? {
            return Ok(false);
        }
        let tokens = audience::tokens_of(conn, &p.tenant_id, &p.user_id).await?;
        if store::file_visible(conn, &p.tenant_id, &f.id, &tokens, now_ms()).await? {
            return Ok(true);
        }
        super::service::oversees(state, p).await
    }
}

/// Announcements in the registries: the readers of attachments.
pub fn register(r: &mut Registries) {
    r.file_readers.register(Attachments);
}
