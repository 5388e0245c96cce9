//! What the room and message services share: the views they answer with, text and member
//! checks, the search kind.
//!
//! Function level: casbin permissions (`rooms.create`, `channels.create`, `messages.send`,
//! `rooms.manage`, `messages.moderate`), passed in as [`Granted`](crate::authz::Granted) proofs.
//! Object level: membership and room roles, checked in [`access`](super::access) against the
//! current rows on every call. Changes go through [`emit::Change`](super::emit::Change).

use super::{
    access::{self, Joined},
    store::{self, MemberRow, MessageRow, RoomRow},
};
use crate::{
    audit::Entry,
    authn::Principal,
    error::{ApiError, ApiResult},
    users,
};
use sqlx::AnyConnection;

pub use super::access::KIND;
pub const MAX_MEMBERS_PER_CALL: usize = 500;

pub struct RoomView {
    pub room: RoomRow,
    /// End-to-end encrypted.
    pub encrypted: bool,
    /// Delete-after-delivery, with its maximum lifetime if any.
    pub dad: Option<Option<i64>>,
    pub me: Option<MemberRow>,
    pub unread: i64,
    pub members: Vec<MemberRow>,
    /// The department whose members the room follows.
    pub follows: Option<super::store::follows::FollowRow>,
}

#[derive(Clone)]
pub struct MessageView {
    pub message: MessageRow,
    pub attachments: Vec<String>,
    /// (emoji, user id), in the order given.
    pub reactions: Vec<(String, String)>,
}

pub(super) fn clean_text(field: &str, v: &str, max: usize) -> ApiResult<String> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(ApiError::validation(
            field,
            format!("at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::validation(
            field,
            "control characters are not allowed",
        ));
    }
    Ok(v.to_string())
}

pub(super) fn check_history(v: &str) -> ApiResult<()> {
    if matches!(v, "full" | "joined") {
        Ok(())
    } else {
        Err(ApiError::validation(
            "history_visibility",
            "`full` or `joined`",
        ))
    }
}

/// Ids of active people of the tenant; anything else is a 422 naming the request's `field`.
pub(super) async fn active_users(
    conn: &mut AnyConnection,
    tenant_id: &str,
    field: &str,
    ids: &[String],
) -> ApiResult<()> {
    if ids.len() > MAX_MEMBERS_PER_CALL {
        return Err(ApiError::validation(
            field,
            format!("at most {MAX_MEMBERS_PER_CALL} at a time"),
        ));
    }
    for id in ids {
        // Through the users service: a missing or foreign id is its 404, any other error stays.
        let ok = match users::service::load(conn, tenant_id, id).await {
            Ok(u) => u.status != "disabled",
            Err(e) if e.status() == poem::http::StatusCode::NOT_FOUND => false,
            Err(e) => return Err(e),
        };
        if !ok {
            // The id is not echoed: an id of another tenant must not come back in any answer.
            return Err(ApiError::validation(
                field,
                "no active user of this tenant has this id",
            ));
        }
    }
    Ok(())
}

pub(super) fn audit_room(p: &Principal, action: &'static str, room_id: &str) -> Entry {
    p.audit(action).target("room", room_id)
}

/// A room as the caller sees it, with its members.
pub(super) async fn view(conn: &mut AnyConnection, p: &Principal, id: &str) -> ApiResult<RoomView> {
    let (room, me) = access::visible(conn, p, id).await?;
    let unread = match &me {
        Some(m) => store::unread(conn, &p.tenant_id, id, &p.user_id, m.read_seq).await?,
        None => 0,
    };
    let members = store::members(conn, &p.tenant_id, id).await?;
    let encrypted = super::e2e::encrypted(conn, &p.tenant_id, id).await?;
    let dad = super::dad::settings(conn, &p.tenant_id, id).await?;
    let follows = store::follows::of_room(conn, &p.tenant_id, id).await?;
    Ok(RoomView {
        room,
        encrypted,
        dad,
        me,
        unread,
        members,
        follows,
    })
}

/// A message with its attachments and reactions.
pub(super) async fn message_view(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message: MessageRow,
) -> ApiResult<MessageView> {
    let attachments = store::attachments(conn, tenant_id, &message.id).await?;
    let reactions = store::reactions(conn, tenant_id, &message.id).await?;
    Ok(MessageView {
        message,
        attachments,
        reactions,
    })
}

/// A message of the room the member may see (not before their history floor); 404 otherwise.
pub(super) async fn visible_message(
    conn: &mut AnyConnection,
    j: &Joined<'_>,
    id: &str,
) -> ApiResult<MessageRow> {
    let m = if crate::db::is_id(id) {
        store::message(conn, &j.principal().tenant_id, id).await?
    } else {
        None
    };
    match m {
        Some(m) if m.room_id == j.room_id() && m.seq > j.floor() => Ok(m),
        _ => Err(ApiError::not_found("message")),
    }
}
