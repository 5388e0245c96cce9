//! Reactions (anyone in the room) and pins (room owners and moderators, or `messages.moderate`).

use super::{
    messages::{floor, own_message},
    service::{event, joined, publish, Emitted, MessageView},
    store,
};
use crate::{
    authn::Principal,
    authz::perm,
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

/// Add (`add`) or take back one's reaction.
pub async fn react(
    state: &AppState,
    p: &Principal,
    room_id: &str,
    message_id: &str,
    emoji: &str,
    add: bool,
) -> ApiResult<()> {
    check_emoji(emoji)?;
    state.authz.require(p, perm::MESSAGES_SEND).await?;
    let mut em = Emitted::default();
    let mut tx = state.db.begin().await?;
    let (_, _, m) = own_message(&mut tx, p, room_id, message_id).await?;
    if m.deleted_at.is_some() {
        return Err(ApiError::conflict(
            Code::Conflict,
            "the message was deleted",
        ));
    }
    let changed = if add {
        store::add_reaction(&mut tx, &p.tenant_id, message_id, &p.user_id, emoji).await?
    } else {
        store::remove_reaction(&mut tx, &p.tenant_id, message_id, &p.user_id, emoji).await?
    };
    if changed {
        let kind = if add {
            "reaction.added"
        } else {
            "reaction.removed"
        };
        let payload = json!({ "message_id": message_id, "emoji": emoji, "user_id": p.user_id });
        event(
            &mut tx,
            p,
            &mut em,
            room_id,
            kind,
            Some(message_id),
            payload,
        )
        .await?;
    }
    tx.commit().await?;
    publish(state, p, &em).await;
    Ok(())
}

/// Pin or unpin a message.
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
    let mut em = Emitted::default();
    let mut tx = state.db.begin().await?;
    let (_, me, m) = own_message(&mut tx, p, room_id, message_id).await?;
    if !(moderate || me.role == "owner" || me.role == "moderator") {
        return Err(ApiError::forbidden(perm::MESSAGES_MODERATE));
    }
    if on && m.deleted_at.is_some() {
        return Err(ApiError::conflict(
            Code::Conflict,
            "the message was deleted",
        ));
    }
    let changed = if on {
        store::pin(&mut tx, &p.tenant_id, room_id, message_id, &p.user_id).await?
    } else {
        store::unpin(&mut tx, &p.tenant_id, room_id, message_id).await?
    };
    if changed {
        let kind = if on {
            "message.pinned"
        } else {
            "message.unpinned"
        };
        let payload = json!({ "message_id": message_id, "by": p.user_id });
        event(
            &mut tx,
            p,
            &mut em,
            room_id,
            kind,
            Some(message_id),
            payload,
        )
        .await?;
    }
    tx.commit().await?;
    publish(state, p, &em).await;
    Ok(())
}

/// The room's pinned messages, most recently pinned first.
pub async fn pins(state: &AppState, p: &Principal, room_id: &str) -> ApiResult<Vec<MessageView>> {
    let mut conn = state.db.conn().await?;
    let (room, me) = joined(&mut conn, p, room_id).await?;
    let mut out = Vec::new();
    for id in store::pins(&mut conn, &p.tenant_id, room_id).await? {
        let Some(m) = store::message(&mut conn, &p.tenant_id, &id).await? else {
            continue;
        };
        if m.seq <= floor(&room, &me) {
            continue;
        }
        let attachments = store::attachments(&mut conn, &p.tenant_id, &id).await?;
        let reactions = store::reactions(&mut conn, &p.tenant_id, &id).await?;
        out.push(MessageView {
            message: m,
            attachments,
            reactions,
        });
    }
    Ok(out)
}
