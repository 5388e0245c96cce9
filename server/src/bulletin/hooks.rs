//! What the bulletin board plugs into the infrastructure's registries ([`register`]): posts are
//! searchable by everyone who may read the board, and their photos are read through the posts
//! that show them.

use super::{readers, service, store};
use crate::{authn::Principal, error::ApiResult, files, search, AppState, Registries};
use async_trait::async_trait;
use sqlx::AnyConnection;
use std::time::Duration;

/// Posts, found by title, description, place and category; readable by holders of
/// `bulletin.post` while the post is on the board.
pub struct Posts;

#[async_trait]
impl search::Searchable for Posts {
    fn kind(&self) -> &'static str {
        service::KIND
    }

    async fn load(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<search::Doc>, sqlx::Error> {
        readers::search_doc(conn, tenant_id, id).await
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
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        id: &str,
    ) -> ApiResult<bool> {
        readers::can_read(state, conn, p, id).await
    }

    /// The board's token, while the person holds `bulletin.post`.
    async fn reader_tokens(
        &self,
        state: &AppState,
        _conn: &mut AnyConnection,
        p: &Principal,
    ) -> ApiResult<Vec<String>> {
        readers::reader_tokens(state, p).await
    }
}

/// Photos of posts: their authors' own uploads, read by whoever may read the board while the
/// post is on it.
pub struct Photos;

#[async_trait]
impl files::readers::FileConsumer for Photos {
    fn uses_sql(&self) -> Option<&'static str> {
        Some(store::FILE_IN_USE)
    }

    async fn may_read(
        &self,
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        f: &files::store::FileRow,
    ) -> ApiResult<bool> {
        readers::photo_readable(state, conn, p, &f.id).await
    }
}

/// The board in the registries: the post search kind, the readers of post photos, and the pass
/// that takes expired posts out of the index.
pub fn register(r: &mut Registries) {
    r.searchables.register(Posts);
    r.file_readers.register(Photos);
    r.periodic.register(
        "bulletin_expiry",
        // Expired posts are off the board at once; this pass takes them out of the index.
        |_| Some(Duration::from_secs(10)),
        |s| Box::pin(async move { Ok(readers::sweep_expired(s).await?) }),
    );
}
