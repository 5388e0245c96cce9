//! Reactions (anyone in the room who may send) and pins (room owners and moderators, or
//! `messages.moderate`).

use super::{
    access,
    access::holder,
    emit::Change,
    messages::joined_message,
    service::{message_view, MessageView},
    store,
};
use crate::{
    authn::Principal,
    authz::{perm, Granted},
    error::{ApiError, ApiResult, Code},
    AppState,
};
use serde_json::json;

fn check_emoji(e: &str) -> ApiResult<()> {
    let n = e.chars().count();
    if n == 0 || n > 32 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ApiError::validation(
            "emoji",
            "1 to 32 characters, no spaces",
        ));
    }
    Ok(())
}

fn not_deleted(m: &store::MessageRow) -> ApiResult<()> {
    if m.deleted_at.is_some() {
        return Err(ApiError::conflict(
            Code::Conflict,
            "the message was deleted",
        ));
    }
    Ok(())
}

/// Add (`add`) or take back one's reaction (needs `messages.send`).
#[tracing::instrument(skip_all, fields(tenant_id = %g.principal().tenant_id, room_id = %room_id, message_id = %message_id))]
pub async fn react(
    state: &AppState,
    g: &Granted<'_>,
    room_id: &str,
    message_id: &str,
    emoji: &str,
    add: bool,
) -> ApiResult<()> {
    check_emoji(emoji)?;
    let p = holder(g, perm::MESSAGES_SEND)?;
    let mut ch = Change::begin(state, p).await?;
    let (_, m) = joined_message(&mut ch.tx, p, room_id, message_id).await?;
    not_deleted(&m)?;
    let changed = if add {
        store::add_reaction(&mut ch.tx, &p.tenant_id, message_id, &p.user_id, emoji).await?
    } else {
        store::remove_reaction(&mut ch.tx, &p.tenant_id, message_id, &p.user_id, emoji).await?
    };
    if changed {
        let kind = if add {
            "reaction.added"
        } else {
            "reaction.removed"
        };
        let payload = json!({ "message_id": message_id, "emoji": emoji, "user_id": p.user_id });
        ch.event(room_id, kind, Some(message_id), payload).await?;
    }
    ch.commit(state).await?;
    Ok(())
}

/// Check an emoji before anything else (handlers call it before the permission check, so a
/// malformed one is a 422 for everyone).
pub fn check_reaction(emoji: &str) -> ApiResult<()> {
    check_emoji(emoji)
}

/// Pin or unpin a message.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %room_id, message_id = %message_id))]
pub async fn pin(
    state: &AppState,
    p: &Principal,
    room_id: &str,
    message_id: &str,
    on: bool,
) -> ApiResult<()> {
    let moderate = state
        .authz
        .permissions(p)
        .await?
        .contains(perm::MESSAGES_MODERATE);
    let mut ch = Change::begin(state, p).await?;
    let (j, m) = joined_message(&mut ch.tx, p, room_id, message_id).await?;
    let md = access::moderator(&j, moderate)?;
    if on {
        not_deleted(&m)?;
    }
    let changed = if on {
        store::pin(
            &mut ch.tx,
            &p.tenant_id,
            md.joined().room_id(),
            message_id,
            &p.user_id,
        )
        .await?
    } else {
        store::unpin(&mut ch.tx, &p.tenant_id, md.joined().room_id(), message_id).await?
    };
    if changed {
        let kind = if on {
            "message.pinned"
        } else {
            "message.unpinned"
        };
        let payload = json!({ "message_id": message_id, "by": p.user_id });
        ch.event(room_id, kind, Some(message_id), payload).await?;
    }
    ch.commit(state).await?;
    Ok(())
}

/// The room's pinned messages, most recently pinned first.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %room_id))]
pub async fn pins(state: &AppState, p: &Principal, room_id: &str) -> ApiResult<Vec<MessageView>> {
    let mut conn = state.db.conn().await?;
    let j = access::joined(&mut conn, p, room_id).await?;
    let mut out = Vec::new();
    for id in store::pins(&mut conn, &p.tenant_id, room_id).await? {
        let Some(m) = store::message(&mut conn, &p.tenant_id, &id).await? else {
            continue;
        };
        if m.seq <= j.floor() {
            continue;
        }
        out.push(message_view(&mut conn, &p.tenant_id, m).await?);
    }
    Ok(out)
}
