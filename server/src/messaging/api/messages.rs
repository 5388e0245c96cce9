//! `/rooms/{id}/messages` and the room's timeline: send, page, edit, delete, react, pin, read and
//! delivery pointers, the event log and `/sync`.

use super::super::{
    messages::{self, NewMessage},
    reactions, service,
    store::EventRow,
    sync,
};
use crate::{
    authn::Session,
    authz::perm,
    db::rfc3339,
    error::{ApiError, ApiResult},
    http::{ApiTags, NoContent},
    pagination, AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SendMessage {
    /// The text (at most 10,000 characters); may be empty when there are attachments.
    #[oai(default)]
    pub body: String,
    /// Reply in the thread of this top-level message.
    pub thread_root_id: Option<String>,
    /// Members mentioned by id.
    #[oai(default)]
    pub mentions: Vec<String>,
    /// `@room`: notify everyone in the room.
    #[oai(default)]
    pub mention_room: bool,
    /// Encrypted rooms: the message encrypted by the client (base64), instead of `body`.
    pub ciphertext: Option<String>,
    /// Encrypted rooms: the room key version `ciphertext` is under.
    pub key_version: Option<i64>,
    /// Ids of files the sender uploaded; members of the room may then download them.
    #[oai(default)]
    pub attachment_ids: Vec<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct EditMessage {
    pub body: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct MarkRead {
    /// Everything up to this sequence number has been read.
    pub seq: i64,
}

#[derive(Debug, Object)]
pub struct ReadState {
    pub unread: i64,
}

/// One emoji on a message.
#[derive(Debug, Object)]
pub struct Reaction {
    pub emoji: String,
    pub count: i64,
    /// Who reacted (at most the first 50).
    pub user_ids: Vec<String>,
}

#[derive(Debug, Object)]
pub struct Message {
    pub id: String,
    pub room_id: String,
    /// The room sequence number of the event that created it.
    pub seq: i64,
    pub sender_id: String,
    /// Empty once deleted, and in encrypted rooms (see `ciphertext`).
    pub body: String,
    /// Encrypted rooms: the client's ciphertext (base64) and its room key version.
    pub ciphertext: Option<String>,
    pub key_version: Option<i64>,
    pub thread_root_id: Option<String>,
    pub mentions: Vec<String>,
    pub mention_room: bool,
    pub attachment_ids: Vec<String>,
    pub reactions: Vec<Reaction>,
    pub edited: bool,
    pub deleted: bool,
    pub created_at: String,
}

fn summarise(pairs: Vec<(String, String)>) -> Vec<Reaction> {
    let mut out: Vec<Reaction> = Vec::new();
    for (emoji, user) in pairs {
        match out.iter_mut().find(|r| r.emoji == emoji) {
            Some(r) => {
                r.count += 1;
                if r.user_ids.len() < 50 {
                    r.user_ids.push(user);
                }
            }
            None => out.push(Reaction {
                emoji,
                count: 1,
                user_ids: vec![user],
            }),
        }
    }
    out
}

impl From<service::MessageView> for Message {
    fn from(v: service::MessageView) -> Self {
        let m = v.message;
        let reactions = summarise(v.reactions);
        Message {
            id: m.id,
            room_id: m.room_id,
            seq: m.seq,
            sender_id: m.sender_id,
            body: if m.key_version.is_some() {
                String::new()
            } else {
                m.body.clone()
            },
            ciphertext: m
                .key_version
                .filter(|_| m.deleted_at.is_none())
                .map(|_| m.body.clone()),
            key_version: m.key_version,
            thread_root_id: m.thread_root_id,
            mentions: serde_json::from_str(&m.mentions).unwrap_or_default(),
            mention_room: m.mentions_room != 0,
            attachment_ids: v.attachments,
            reactions,
            edited: m.edited_at.is_some(),
            deleted: m.deleted_at.is_some(),
            created_at: rfc3339(m.created_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct MessagePage {
    /// Oldest first.
    pub items: Vec<Message>,
    /// True when older (or, paging forward, newer) messages remain.
    pub more: bool,
}

#[derive(Debug, Object)]
pub struct RoomEvent {
    pub room_id: String,
    pub seq: i64,
    /// `room.created`, `room.updated`, `member.joined`, `member.left`, `member.read`,
    /// `message.created`, `message.edited`, `message.deleted`, `message.pinned`,
    /// `message.unpinned`, `reaction.added`, `reaction.removed`. A message's earlier events lose
    /// their text and carry `"superseded": true` after an edit, `"deleted": true` after a
    /// delete, `"purged": true` once a delete-after-delivery room removed it.
    pub kind: String,
    pub actor_id: String,
    pub message_id: Option<String>,
    pub payload: serde_json::Value,
    pub created_at: String,
}

impl From<EventRow> for RoomEvent {
    fn from(e: EventRow) -> Self {
        RoomEvent {
            room_id: e.room_id,
            seq: e.seq,
            kind: e.kind,
            actor_id: e.actor_id,
            message_id: e.message_id,
            payload: serde_json::from_str(&e.payload).unwrap_or_default(),
            created_at: rfc3339(e.created_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct EventPage {
    pub items: Vec<RoomEvent>,
    /// The room's latest sequence number: ask again after the last item until it is reached.
    pub last_seq: i64,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SyncRequest {
    /// Room id → the last sequence number the client has. Empty on a fresh device.
    #[oai(default)]
    pub cursor: std::collections::HashMap<String, i64>,
    /// Events per room in one answer (1–500, default 100); call again while `more` is true.
    pub limit_per_room: Option<u32>,
}

#[derive(Debug, Object)]
pub struct RoomSync {
    pub room_id: String,
    pub kind: String,
    pub name: String,
    pub last_seq: i64,
    /// Oldest first; continue from the last one's `seq`.
    pub events: Vec<RoomEvent>,
    pub more: bool,
}

#[derive(Debug, Object)]
pub struct SyncResponse {
    /// Rooms with something new (rooms the cursor did not know start from what the caller may see).
    pub rooms: Vec<RoomSync>,
    /// Rooms in the cursor the caller no longer belongs to: drop them.
    pub left: Vec<String>,
}

#[derive(ApiResponse)]
pub enum SentMessage {
    #[oai(status = 201)]
    Created(Json<Message>),
}

fn seq_param(field: &str, v: Option<i64>) -> ApiResult<Option<i64>> {
    match v {
        Some(n) if n < 0 => Err(ApiError::validation(
            field,
            "a sequence number is 0 or more",
        )),
        other => Ok(other),
    }
}

#[derive(Default)]
pub struct MessagesApi;

#[OpenApi(tag = "ApiTags::Messaging")]
impl MessagesApi {
    /// Send a message. Send an `Idempotency-Key` so that a retry after a timeout never posts twice.
    #[oai(
        path = "/rooms/:id/messages",
        method = "post",
        operation_id = "messages_send"
    )]
    async fn send(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<SendMessage>,
    ) -> ApiResult<SentMessage> {
        let b = body.0;
        let g = state.authz.require(&auth.0, perm::MESSAGES_SEND).await?;
        let m = messages::send(
            &state,
            &g,
            &id.0,
            NewMessage {
                body: b.body,
                thread_root_id: b.thread_root_id,
                mentions: b.mentions,
                mention_room: b.mention_room,
                attachment_ids: b.attachment_ids,
                ciphertext: b.ciphertext,
                key_version: b.key_version,
            },
            |v| crate::http::json_answer(201, &Message::from(v.clone())),
        )
        .await?;
        Ok(SentMessage::Created(Json(m.into())))
    }

    /// A page of messages by sequence: the newest without parameters, older with `before_seq`,
    /// newer with `after_seq`. Oldest first.
    #[oai(
        path = "/rooms/:id/messages",
        method = "get",
        operation_id = "messages_list"
    )]
    async fn messages(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        after_seq: Query<Option<i64>>,
        before_seq: Query<Option<i64>>,
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<MessagePage>> {
        let limit = pagination::limit(limit.0)?;
        let after = seq_param("after_seq", after_seq.0)?;
        let before = seq_param("before_seq", before_seq.0)?;
        let mut rows = messages::messages(&state, &auth.0, &id.0, after, before, limit + 1).await?;
        let more = rows.len() as i64 > limit;
        if more {
            if after.is_some() {
                rows.truncate(limit as usize);
            } else {
                rows.remove(0);
            }
        }
        Ok(Json(MessagePage {
            items: rows.into_iter().map(Into::into).collect(),
            more,
        }))
    }

    /// Edit one's own message (marked as edited; the previous text is kept for the audit trail).
    #[oai(
        path = "/rooms/:id/messages/:message_id",
        method = "patch",
        operation_id = "messages_edit"
    )]
    async fn edit(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        message_id: Path<String>,
        body: Json<EditMessage>,
    ) -> ApiResult<Json<Message>> {
        let g = state.authz.require(&auth.0, perm::MESSAGES_SEND).await?;
        Ok(Json(
            messages::edit(&state, &g, &id.0, &message_id.0, &body.0.body)
                .await?
                .into(),
        ))
    }

    /// Delete a message: its text and attachments go, a tombstone stays in the timeline.
    #[oai(
        path = "/rooms/:id/messages/:message_id",
        method = "delete",
        operation_id = "messages_delete"
    )]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        message_id: Path<String>,
    ) -> ApiResult<NoContent> {
        messages::delete(&state, &auth.0, &id.0, &message_id.0).await?;
        Ok(NoContent::Done)
    }

    /// React to a message (idempotent).
    #[oai(
        path = "/rooms/:id/messages/:message_id/reactions/:emoji",
        method = "put",
        operation_id = "messages_react"
    )]
    async fn react(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        message_id: Path<String>,
        emoji: Path<String>,
    ) -> ApiResult<NoContent> {
        reactions::check_reaction(&emoji.0)?;
        let g = state.authz.require(&auth.0, perm::MESSAGES_SEND).await?;
        reactions::react(&state, &g, &id.0, &message_id.0, &emoji.0, true).await?;
        Ok(NoContent::Done)
    }

    /// Take back one's reaction.
    #[oai(
        path = "/rooms/:id/messages/:message_id/reactions/:emoji",
        method = "delete",
        operation_id = "messages_unreact"
    )]
    async fn unreact(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        message_id: Path<String>,
        emoji: Path<String>,
    ) -> ApiResult<NoContent> {
        reactions::check_reaction(&emoji.0)?;
        let g = state.authz.require(&auth.0, perm::MESSAGES_SEND).await?;
        reactions::react(&state, &g, &id.0, &message_id.0, &emoji.0, false).await?;
        Ok(NoContent::Done)
    }

    /// Pin a message (room owners and moderators, or `messages.moderate`).
    #[oai(
        path = "/rooms/:id/pins/:message_id",
        method = "put",
        operation_id = "rooms_pin"
    )]
    async fn pin(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        message_id: Path<String>,
    ) -> ApiResult<NoContent> {
        reactions::pin(&state, &auth.0, &id.0, &message_id.0, true).await?;
        Ok(NoContent::Done)
    }

    /// Unpin a message.
    #[oai(
        path = "/rooms/:id/pins/:message_id",
        method = "delete",
        operation_id = "rooms_unpin"
    )]
    async fn unpin(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        message_id: Path<String>,
    ) -> ApiResult<NoContent> {
        reactions::pin(&state, &auth.0, &id.0, &message_id.0, false).await?;
        Ok(NoContent::Done)
    }

    /// The room's pinned messages, most recently pinned first.
    #[oai(path = "/rooms/:id/pins", method = "get", operation_id = "rooms_pins")]
    async fn pins(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Vec<Message>>> {
        let v = reactions::pins(&state, &auth.0, &id.0).await?;
        Ok(Json(v.into_iter().map(Into::into).collect()))
    }

    /// Acknowledge receiving the room's events up to `seq` (delete-after-delivery rooms remove a
    /// message once every member has).
    #[oai(
        path = "/rooms/:id/delivered",
        method = "post",
        operation_id = "rooms_mark_delivered"
    )]
    async fn delivered(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<MarkRead>,
    ) -> ApiResult<NoContent> {
        messages::mark_delivered(&state, &auth.0, &id.0, body.0.seq).await?;
        Ok(NoContent::Done)
    }

    /// Move the caller's read pointer forward; answers the remaining unread count.
    #[oai(
        path = "/rooms/:id/read",
        method = "post",
        operation_id = "rooms_mark_read"
    )]
    async fn read(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<MarkRead>,
    ) -> ApiResult<Json<ReadState>> {
        let unread = messages::mark_read(&state, &auth.0, &id.0, body.0.seq).await?;
        Ok(Json(ReadState { unread }))
    }

    /// Everything that changed in all the caller's rooms since the client's cursor.
    #[oai(path = "/sync", method = "post", operation_id = "messaging_sync")]
    async fn sync(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<SyncRequest>,
    ) -> ApiResult<Json<SyncResponse>> {
        let per_room = match body.0.limit_per_room {
            None => 100,
            Some(n) if (1..=500).contains(&n) => i64::from(n),
            Some(_) => return Err(ApiError::validation("limit_per_room", "between 1 and 500")),
        };
        let c = sync::since(&state, &auth.0, &body.0.cursor, per_room).await?;
        Ok(Json(SyncResponse {
            rooms: c
                .rooms
                .into_iter()
                .map(|r| RoomSync {
                    room_id: r.room.id,
                    kind: r.room.kind,
                    name: r.room.name,
                    last_seq: r.room.last_seq,
                    events: r.events.into_iter().map(Into::into).collect(),
                    more: r.more,
                })
                .collect(),
            left: c.left,
        }))
    }

    /// The room's events after `after_seq`, oldest first: what a reconnecting client missed.
    #[oai(
        path = "/rooms/:id/events",
        method = "get",
        operation_id = "rooms_events"
    )]
    async fn events(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        after_seq: Query<Option<i64>>,
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<EventPage>> {
        let limit = pagination::limit(limit.0)?;
        let after = seq_param("after_seq", after_seq.0)?.unwrap_or(0);
        let (rows, last_seq) = messages::events(&state, &auth.0, &id.0, after, limit).await?;
        Ok(Json(EventPage {
            items: rows.into_iter().map(Into::into).collect(),
            last_seq,
        }))
    }
}
