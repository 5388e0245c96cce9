//! `/rooms` (rooms, members, settings, joining channels).

use super::super::{
    follow, members,
    rooms::{self, NewRoom, RoomChange},
    service,
    store::{MemberRow, RoomRow},
};
use crate::{
    authn::Session,
    authz::perm,
    db::rfc3339,
    error::ApiResult,
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
    /// The department whose members the room follows: members are then managed by the
    /// directory (adding, removing or leaving by hand answers 409 `membership_managed`).
    pub follows: Option<RoomFollow>,
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
            follows: v.follows.map(|f| RoomFollow {
                department_id: f.department_id,
                subtree: f.subtree == 1,
                since: rfc3339(f.updated_at),
            }),
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

/// The department a room follows.
#[derive(Debug, Object)]
pub struct RoomFollow {
    pub department_id: String,
    /// Sub-departments' members are members too.
    pub subtree: bool,
    /// When the room started following this department.
    pub since: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct FollowDepartment {
    pub department_id: String,
    /// Include the members of its sub-departments (default false).
    #[oai(default)]
    pub subtree: bool,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AddMembers {
    pub user_ids: Vec<String>,
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
        let g = rooms::may_create(&state, &auth.0, &b.kind).await?;
        let v = rooms::create(
            &state,
            &g,
            NewRoom {
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
        let g = state.authz.require(&auth.0, perm::ROOMS_CREATE).await?;
        let (v, created) = rooms::direct(&state, &g, &body.0.user_id).await?;
        Ok(if created {
            DirectResponse::Created(Json(v.into()))
        } else {
            DirectResponse::Existing(Json(v.into()))
        })
    }

    /// The caller's rooms, most recently active first, with unread counts.
    #[oai(path = "/rooms", method = "get", operation_id = "rooms_list")]
    async fn list(&self, state: Data<&Arc<AppState>>, auth: Session) -> ApiResult<Json<Vec<Room>>> {
        let rooms = rooms::list_mine(&state, &auth.0).await?;
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
        let rows = rooms::channels(&state, &auth.0, after.as_deref(), limit).await?;
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
        Ok(Json(rooms::get(&state, &auth.0, &id.0).await?.into()))
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
        let v = rooms::update(
            &state,
            &auth.0,
            &id.0,
            RoomChange {
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
            members::add_members(&state, &auth.0, &id.0, body.0.user_ids)
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
        members::remove_member(&state, &auth.0, &id.0, &user_id.0).await?;
        Ok(NoContent::Done)
    }

    /// Make a group or channel follow a department (owners, moderators, `rooms.manage`; also
    /// `directory.read`): its members become the department's active members at once and
    /// follow them as people join and leave the department. The room's owners stay.
    #[oai(
        path = "/rooms/:id/follow",
        method = "put",
        operation_id = "rooms_follow"
    )]
    async fn follow(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<FollowDepartment>,
    ) -> ApiResult<Json<Room>> {
        let b = body.0;
        Ok(Json(
            follow::set(&state, &auth.0, &id.0, &b.department_id, b.subtree)
                .await?
                .into(),
        ))
    }

    /// Stop following a department: the members stay and are managed by hand again.
    #[oai(
        path = "/rooms/:id/follow",
        method = "delete",
        operation_id = "rooms_unfollow"
    )]
    async fn unfollow(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Room>> {
        Ok(Json(follow::clear(&state, &auth.0, &id.0).await?.into()))
    }

    /// Join a channel.
    #[oai(path = "/rooms/:id/join", method = "post", operation_id = "rooms_join")]
    async fn join(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Room>> {
        let g = state.authz.require(&auth.0, perm::MESSAGES_SEND).await?;
        Ok(Json(members::join(&state, &g, &id.0).await?.into()))
    }
}
