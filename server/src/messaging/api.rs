//! `/rooms`: rooms, members, messages, read state and the per-room event log.

use super::{
    messages, service,
    store::{EventRow, MemberRow, RoomRow},
};
use crate::{
    authn::Session,
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
pub struct Member {
    pub user_id: String,
    /// `owner`, `moderator` or `member`.
    pub role: String,
    /// The last sequence number this member has read (read receipts).
    pub read_seq: i64,
    pub joined_at: String,
}

impl From<MemberRow> for Member {
    fn from(m: MemberRow) -> Self {
        Member {
            user_id: m.user_id,
            role: m.role,
            read_seq: m.read_seq,
            joined_at: rfc3339(m.joined_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct Room {
    pub id: String,
    /// `direct`, `group` or `channel`.
    pub kind: String,
    pub name: String,
    pub topic: String,
    /// The room's picture: download it from `/files/{id}`.
    pub avatar_file_id: Option<String>,
    /// `full`: people who join see the whole history; `joined`: only from when they joined.
    pub history_visibility: String,
    /// End-to-end encrypted.
    pub encrypted: bool,
    /// Messages are removed once every member has them (or after `max_lifetime_secs`).
    pub delete_after_delivery: bool,
    pub max_lifetime_secs: Option<i64>,
    pub archived: bool,
    /// The room's latest sequence number.
    pub last_seq: i64,
    /// The caller's role, when a member.
    pub my_role: Option<String>,
    /// The caller's read pointer, when a member.
    pub read_seq: Option<i64>,
    /// Messages from others after the caller's read pointer.
    pub unread: i64,
    /// Members (in single-room answers; empty in lists).
    pub members: Vec<Member>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<service::RoomView> for Room {
    fn from(v: service::RoomView) -> Self {
        Room {
            id: v.room.id,
            kind: v.room.kind,
            name: v.room.name,
            topic: v.room.topic,
            avatar_file_id: v.room.avatar_file_id,
            history_visibility: v.room.history_visibility,
            encrypted: v.encrypted,
            delete_after_delivery: v.dad.is_some(),
            max_lifetime_secs: v.dad.flatten(),
            archived: v.room.archived_at.is_some(),
            last_seq: v.room.last_seq,
            my_role: v.me.as_ref().map(|m| m.role.clone()),
            read_seq: v.me.as_ref().map(|m| m.read_seq),
            unread: v.unread,
            members: v.members.into_iter().map(Into::into).collect(),
            created_at: rfc3339(v.room.created_at),
            updated_at: rfc3339(v.room.updated_at),
        }
    }
}

/// A channel anyone in the tenant may join.
#[derive(Debug, Object)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub topic: String,
}

impl From<RoomRow> for Channel {
    fn from(r: RoomRow) -> Self {
        Channel {
            id: r.id,
            name: r.name,
            topic: r.topic,
        }
    }
}

#[derive(Debug, Object)]
pub struct ChannelPage {
    pub items: Vec<Channel>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateRoom {
    /// `group` or `channel`.
    pub kind: String,
    #[oai(validator(max_length = 200))]
    pub name: String,
    #[oai(default)]
    pub topic: String,
    /// People to add besides the creator (who becomes the owner).
    #[oai(default)]
    pub member_ids: Vec<String>,
    /// `full` (default) or `joined`.
    #[oai(default = "default_history")]
    pub history_visibility: String,
    /// End-to-end encrypted (groups only): messages are ciphertext that only members' devices
    /// can open; see `/rooms/{id}/keys`.
    #[oai(default)]
    pub encrypted: bool,
    /// Delete each message (and its attachments) from the server once every member has
    /// acknowledged receiving it (`POST /rooms/{id}/delivered`) — groups only.
    #[oai(default)]
    pub delete_after_delivery: bool,
    /// With or without acknowledgements, remove messages this long after they were sent.
    pub max_lifetime_secs: Option<i64>,
}

fn default_history() -> String {
    "full".into()
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateDirect {
    /// The other person.
    pub user_id: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateRoom {
    /// An uploaded image (members may download it); `""` removes it.
    pub avatar_file_id: Option<String>,
    pub name: Option<String>,
    pub topic: Option<String>,
    pub history_visibility: Option<String>,
    pub archived: Option<bool>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AddMembers {
    pub user_ids: Vec<String>,
}

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
pub enum DirectResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<Room>),
    /// The pair's existing conversation.
    #[oai(status = 200)]
    Existing(Json<Room>),
}

#[derive(ApiResponse)]
pub enum CreatedRoom {
    #[oai(status = 201)]
    Created(Json<Room>),
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
pub struct RoomsApi;

#[OpenApi(tag = "ApiTags::Messaging")]
impl RoomsApi {
    /// Create a group (`rooms.create`) or a channel (`channels.create`); the creator owns it.
    #[oai(path = "/rooms", method = "post", operation_id = "rooms_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<CreateRoom>,
    ) -> ApiResult<CreatedRoom> {
        let b = body.0;
        let v = service::create(
            &state,
            &auth.0,
            service::NewRoom {
                kind: b.kind,
                name: b.name,
                topic: b.topic,
                member_ids: b.member_ids,
                history_visibility: b.history_visibility,
                encrypted: b.encrypted,
                delete_after_delivery: b.delete_after_delivery,
                max_lifetime_secs: b.max_lifetime_secs,
            },
        )
        .await?;
        Ok(CreatedRoom::Created(Json(v.into())))
    }

    /// The direct conversation with a person: created on first call, the same room afterwards.
    #[oai(path = "/rooms/direct", method = "post", operation_id = "rooms_direct")]
    async fn direct(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<CreateDirect>,
    ) -> ApiResult<DirectResponse> {
        let (v, created) = service::direct(&state, &auth.0, &body.0.user_id).await?;
        Ok(if created {
            DirectResponse::Created(Json(v.into()))
        } else {
            DirectResponse::Existing(Json(v.into()))
        })
    }

    /// The caller's rooms, most recently active first, with unread counts.
    #[oai(path = "/rooms", method = "get", operation_id = "rooms_list")]
    async fn list(&self, state: Data<&Arc<AppState>>, auth: Session) -> ApiResult<Json<Vec<Room>>> {
        let rooms = service::list_mine(&state, &auth.0).await?;
        Ok(Json(rooms.into_iter().map(Into::into).collect()))
    }

    /// The tenant's channels, to browse and join.
    #[oai(
        path = "/rooms/channels",
        method = "get",
        operation_id = "rooms_channels"
    )]
    async fn channels(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<ChannelPage>> {
        let limit = pagination::limit(limit.0)?;
        let after = pagination::decode(cursor.0.as_deref())?;
        let rows = service::channels(&state, &auth.0, after.as_deref(), limit).await?;
        let (rows, next_cursor) = pagination::page(rows, limit, |r| r.id.clone());
        Ok(Json(ChannelPage {
            items: rows.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// A room with its members.
    #[oai(path = "/rooms/:id", method = "get", operation_id = "rooms_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Room>> {
        Ok(Json(service::get(&state, &auth.0, &id.0).await?.into()))
    }

    /// Rename, set the topic or history visibility, archive (owners, moderators, `rooms.manage`).
    #[oai(path = "/rooms/:id", method = "patch", operation_id = "rooms_update")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<UpdateRoom>,
    ) -> ApiResult<Json<Room>> {
        let b = body.0;
        let v = service::update(
            &state,
            &auth.0,
            &id.0,
            service::RoomChange {
                avatar_file_id: b.avatar_file_id,
                name: b.name,
                topic: b.topic,
                history_visibility: b.history_visibility,
                archived: b.archived,
            },
        )
        .await?;
        Ok(Json(v.into()))
    }

    /// Add people (owners, moderators, `rooms.manage`).
    #[oai(
        path = "/rooms/:id/members",
        method = "post",
        operation_id = "rooms_add_members"
    )]
    async fn add_members(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<AddMembers>,
    ) -> ApiResult<Json<Room>> {
        Ok(Json(
            service::add_members(&state, &auth.0, &id.0, body.0.user_ids)
                .await?
                .into(),
        ))
    }

    /// Remove a member (owners, moderators, `rooms.manage`), or leave with one's own id. A
    /// removed member gets nothing more from the room, from the next request on.
    #[oai(
        path = "/rooms/:id/members/:user_id",
        method = "delete",
        operation_id = "rooms_remove_member"
    )]
    async fn remove_member(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        user_id: Path<String>,
    ) -> ApiResult<NoContent> {
        service::remove_member(&state, &auth.0, &id.0, &user_id.0).await?;
        Ok(NoContent::Done)
    }

    /// Join a channel.
    #[oai(path = "/rooms/:id/join", method = "post", operation_id = "rooms_join")]
    async fn join(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Room>> {
        Ok(Json(service::join(&state, &auth.0, &id.0).await?.into()))
    }

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
        let m = messages::send(
            &state,
            &auth.0,
            &id.0,
            messages::NewMessage {
                body: b.body,
                thread_root_id: b.thread_root_id,
                mentions: b.mentions,
                mention_room: b.mention_room,
                attachment_ids: b.attachment_ids,
                ciphertext: b.ciphertext,
                key_version: b.key_version,
            },
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
        Ok(Json(
            messages::edit(&state, &auth.0, &id.0, &message_id.0, &body.0.body)
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
        super::reactions::react(&state, &auth.0, &id.0, &message_id.0, &emoji.0, true).await?;
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
        super::reactions::react(&state, &auth.0, &id.0, &message_id.0, &emoji.0, false).await?;
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
        super::reactions::pin(&state, &auth.0, &id.0, &message_id.0, true).await?;
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
        super::reactions::pin(&state, &auth.0, &id.0, &message_id.0, false).await?;
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
        let v = super::reactions::pins(&state, &auth.0, &id.0).await?;
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
        let c = super::sync::since(&state, &auth.0, &body.0.cursor, per_room).await?;
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
