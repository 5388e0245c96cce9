//! Who may do what in a room: the object-level checks and the proofs they hand out.
//!
//! Function-level permissions come from casbin as an [`authz::Granted`](crate::authz::Granted).
//! Room-level rights are checked here, against the current rows on every call (a removed member
//! learns nothing more of the room), and each check returns a proof whose fields are private:
//! [`Joined`] (a member now), [`Manager`] (may manage the room) and [`Moderator`] (may remove or
//! pin anyone's messages). The functions that change a room take the proof they need, so a
//! change cannot be written without its check.

use super::store::{self, MemberRow, RoomRow};
use crate::{
    authn::Principal,
    authz::{perm, Granted},
    error::{ApiError, ApiResult, Code},
    AppState,
};
use sqlx::AnyConnection;

/// The search kind of a message.
pub const KIND: &str = "message";

pub(super) fn not_found() -> ApiError {
    ApiError::not_found("room")
}

/// The room if the caller may see it: a member, or anyone in the tenant for a channel.
pub(super) async fn visible(
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<(RoomRow, Option<MemberRow>)> {
    let (room, me, _) = visible_with_epoch(conn, p, id).await?;
    Ok((room, me))
}

/// [`visible`], with the room's end-to-end key epoch (`None`: not encrypted).
async fn visible_with_epoch(
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<store::RoomMemberEpoch> {
    if !crate::db::is_id(id) {
        return Err(not_found());
    }
    // One query for all three: this runs on every message sent and every room read.
    let (room, me, epoch) = store::room_with_member(conn, &p.tenant_id, id, &p.user_id)
        .await?
        .ok_or_else(not_found)?;
    if me.is_none() && room.kind != "channel" {
        return Err(not_found());
    }
    Ok((room, me, epoch))
}

/// Proof that a person belongs to a room now (made only by [`joined`]).
pub struct Joined<'a> {
    principal: &'a Principal,
    room: RoomRow,
    me: MemberRow,
    e2e_epoch: Option<i64>,
}

impl<'a> Joined<'a> {
    pub fn principal(&self) -> &'a Principal {
        self.principal
    }

    pub fn room(&self) -> &RoomRow {
        &self.room
    }

    pub fn room_id(&self) -> &str {
        &self.room.id
    }

    /// The room's end-to-end key epoch, read with the membership; `None`: not encrypted.
    pub fn e2e_epoch(&self) -> Option<i64> {
        self.e2e_epoch
    }

    /// The person's membership row.
    pub fn member(&self) -> &MemberRow {
        &self.me
    }

    /// Messages at or below this sequence number are hidden from the member: everything is
    /// visible, or only what came after joining in `joined`-history rooms.
    pub fn floor(&self) -> i64 {
        floor(&self.room, &self.me)
    }
}

/// The sequence number a member's view of a room starts after.
pub(super) fn floor(room: &RoomRow, me: &MemberRow) -> i64 {
    if room.history_visibility == "joined" {
        me.joined_seq
    } else {
        0
    }
}

/// The room and the caller's membership; a visible room one has not joined is a 403.
pub async fn joined<'a>(
    conn: &mut AnyConnection,
    p: &'a Principal,
    id: &str,
) -> ApiResult<Joined<'a>> {
    let (room, me, e2e_epoch) = visible_with_epoch(conn, p, id).await?;
    match me {
        Some(me) => Ok(Joined {
            principal: p,
            room,
            me,
            e2e_epoch,
        }),
        None => Err(ApiError::new(Code::Forbidden, "join the channel first")),
    }
}

/// Proof that a person may manage a room: its owner or a moderator, or `rooms.manage` (made only
/// by [`manager`]).
pub struct Manager<'a> {
    principal: &'a Principal,
    room_id: String,
    /// Whether the tenant-wide permission (not only a room role) backs it.
    by_permission: bool,
}

impl<'a> Manager<'a> {
    pub fn principal(&self) -> &'a Principal {
        self.principal
    }

    pub fn room_id(&self) -> &str {
        &self.room_id
    }
}

/// Check that the caller may manage a visible room (`visible` gave `room` and `me`).
pub(super) async fn manager<'a>(
    state: &AppState,
    p: &'a Principal,
    room: &RoomRow,
    me: Option<&MemberRow>,
) -> ApiResult<Manager<'a>> {
    let by_role = me.is_some_and(|m| m.role == "owner" || m.role == "moderator");
    let by_permission = !by_role
        && state
            .authz
            .permissions(p)
            .await?
            .contains(perm::ROOMS_MANAGE);
    if !(by_role || by_permission) {
        return Err(ApiError::forbidden(perm::ROOMS_MANAGE));
    }
    Ok(Manager {
        principal: p,
        room_id: room.id.clone(),
        by_permission,
    })
}

impl Manager<'_> {
    /// An owner may be removed only by an owner or a room manager (`rooms.manage`).
    pub(super) async fn may_remove_owner(
        &self,
        state: &AppState,
        me: Option<&MemberRow>,
    ) -> ApiResult<bool> {
        if self.by_permission || me.is_some_and(|m| m.role == "owner") {
            return Ok(true);
        }
        Ok(state
            .authz
            .permissions(self.principal)
            .await?
            .contains(perm::ROOMS_MANAGE))
    }
}

/// Proof that a member may remove or pin anyone's messages in the room: a room owner or
/// moderator, or `messages.moderate` (made only by [`moderator`]).
pub struct Moderator<'j, 'a> {
    joined: &'j Joined<'a>,
}

impl<'a> Moderator<'_, 'a> {
    pub fn joined(&self) -> &Joined<'a> {
        self.joined
    }
}

/// Check that a member may moderate; `moderate` says whether they hold `messages.moderate`
/// (looked up before the transaction).
pub(super) fn moderator<'j, 'a>(
    joined: &'j Joined<'a>,
    moderate: bool,
) -> ApiResult<Moderator<'j, 'a>> {
    let role = &joined.member().role;
    if moderate || role == "owner" || role == "moderator" {
        Ok(Moderator { joined })
    } else {
        Err(ApiError::forbidden(perm::MESSAGES_MODERATE))
    }
}

/// The person a function-level proof was made for, when it proves `permission` (a proof of
/// another permission is refused as that permission's 403).
pub(super) fn holder<'a>(g: &Granted<'a>, permission: &'static str) -> ApiResult<&'a Principal> {
    if g.permission() == permission {
        Ok(g.principal())
    } else {
        Err(ApiError::forbidden(permission))
    }
}
