//! What messaging plugs into the infrastructure's registries ([`register`]): messages are
//! searchable, rooms share the files attached to them, and realtime reads rooms and their
//! events from here.

use super::{messages, service::KIND, store};
use crate::{authn::Principal, error::ApiResult, files, realtime, search, AppState, Registries};
use async_trait::async_trait;
use sqlx::AnyConnection;
use std::time::Duration;

/// Messaging in the registries: messages are searchable, rooms' members read their files,
/// and two periodic passes (room follows the directory does not announce, delete-after-delivery
/// lifetimes running out).
pub fn register(r: &mut Registries) {
    r.searchables.register(Messages);
    r.file_readers.register(Attachments);
    r.periodic.register(
        "room_follows",
        // What the directory does not announce: accounts disabled or enabled, role holders.
        |_| Some(Duration::from_secs(300)),
        |s| Box::pin(async move { Ok(super::follow::sync_all(s).await?) }),
    );
    r.periodic.register(
        "delete_after_delivery",
        // Acknowledgements purge at once; this pass catches room lifetimes running out.
        |_| Some(Duration::from_secs(2)),
        |s| Box::pin(async move { Ok(super::dad::purge_all(s).await?) }),
    );
}

/// Messages, found by their text; readable by members who were in the room when it was sent.
pub struct Messages;

#[async_trait]
impl search::Searchable for Messages {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn load(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<search::Doc>, sqlx::Error> {
        messages::search_doc(conn, tenant_id, id).await
    }

    async fn ids_after(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<String>, sqlx::Error> {
        store::message_ids_after(conn, tenant_id, after, limit).await
    }

    async fn readable(
        &self,
        _state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        id: &str,
    ) -> ApiResult<bool> {
        messages::can_read(conn, p, id).await
    }

    /// The rooms the person belongs to now.
    async fn reader_tokens(
        &self,
        _state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
    ) -> ApiResult<Vec<String>> {
        Ok(store::room_ids_of(conn, &p.tenant_id, &p.user_id)
            .await?
            .iter()
            .map(|r| messages::room_token(r))
            .collect())
    }
}

/// Files attached to messages, and room avatars: read by the rooms' members.
pub struct Attachments;

#[async_trait]
impl files::readers::FileConsumer for Attachments {
    fn uses_sql(&self) -> Option<&'static str> {
        Some(store::lifecycle::FILE_IN_USE)
    }

    async fn may_read(
        &self,
        _state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        f: &files::store::FileRow,
    ) -> ApiResult<bool> {
        Ok(
            store::file_shared_with(conn, &p.tenant_id, &f.id, &p.user_id).await?
                || store::avatar_visible_to(conn, &p.tenant_id, &f.id, &p.user_id).await?,
        )
    }
}

/// Rooms and their stored events, for realtime delivery.
pub struct Rooms;

#[async_trait]
impl realtime::Rooms for Rooms {
    async fn rooms_of(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<Vec<String>, sqlx::Error> {
        store::room_ids_of(conn, tenant_id, user_id).await
    }

    async fn head(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        room_id: &str,
    ) -> Result<Option<i64>, sqlx::Error> {
        Ok(store::room(conn, tenant_id, room_id)
            .await?
            .map(|r| r.last_seq))
    }

    async fn events(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        room_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<realtime::StoredEvent>, sqlx::Error> {
        Ok(store::events(conn, tenant_id, room_id, after_seq, limit)
            .await?
            .into_iter()
            .map(|e| realtime::StoredEvent {
                room_id: e.room_id,
                seq: e.seq,
                kind: e.kind,
                actor_id: e.actor_id,
                message_id: e.message_id,
                payload: e.payload,
                created_at: e.created_at,
            })
            .collect())
    }
}
