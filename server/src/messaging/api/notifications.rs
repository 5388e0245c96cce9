//! `/notifications`: the caller's mentions and direct-message notices.

use super::super::notifications;
use crate::{authn::Session, db::rfc3339, error::ApiResult, http::ApiTags, pagination, AppState};
use poem::web::Data;
use poem_openapi::{param::Query, payload::Json, Object, OpenApi};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct Notification {
    pub id: String,
    /// `mention`, `room_mention` or `direct`.
    pub kind: String,
    pub room_id: String,
    pub message_id: String,
    pub actor_id: String,
    pub read: bool,
    pub created_at: String,
}

#[derive(Debug, Object)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    /// Unread notifications in all.
    pub unread: i64,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct MarkNotifications {
    #[oai(default)]
    pub ids: Vec<String>,
    /// Mark every notification read.
    #[oai(default)]
    pub all: bool,
}

#[derive(Debug, Object)]
pub struct Marked {
    pub marked: u64,
}

#[derive(Default)]
pub struct NotificationsApi;

#[OpenApi(tag = "ApiTags::Messaging")]
impl NotificationsApi {
    /// The caller's notifications (mentions, direct messages), newest first.
    #[oai(
        path = "/notifications",
        method = "get",
        operation_id = "notifications_list"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        unread_only: Query<Option<bool>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<NotificationPage>> {
        let limit = pagination::limit(limit.0)?;
        let before = pagination::decode(cursor.0.as_deref())?;
        let (rows, unread) = notifications::list(
            &state,
            &auth.0,
            unread_only.0.unwrap_or(false),
            before.as_deref(),
            limit,
        )
        .await?;
        let (rows, next_cursor) = pagination::page(rows, limit, |n| n.id.clone());
        Ok(Json(NotificationPage {
            items: rows
                .into_iter()
                .map(|n| Notification {
                    id: n.id,
                    kind: n.kind,
                    room_id: n.room_id,
                    message_id: n.message_id,
                    actor_id: n.actor_id,
                    read: n.read_at.is_some(),
                    created_at: rfc3339(n.created_at),
                })
                .collect(),
            unread,
            next_cursor,
        }))
    }

    /// Mark notifications read (some, or `all`).
    #[oai(
        path = "/notifications/read",
        method = "post",
        operation_id = "notifications_mark_read"
    )]
    async fn read(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<MarkNotifications>,
    ) -> ApiResult<Json<Marked>> {
        let marked = notifications::mark_read(&state, &auth.0, &body.0.ids, body.0.all).await?;
        Ok(Json(Marked { marked }))
    }
}
