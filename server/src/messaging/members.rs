//! Room members: add people, remove them (or leave), join channels. Every membership change
//! raises an encrypted room's key epoch.

use super::{
    access::holder,
    access::{self, Manager},
    emit::Change,
    service::{active_users, audit_room, view, RoomView},
    store,
};
use crate::{
    audit,
    authn::Principal,
    authz::{perm, Granted},
    error::{ApiError, ApiResult, Code},
    AppState,
};
use serde_json::json;

/// Add people to a group or channel: owners, moderators or `rooms.manage`.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %id))]
pub async fn add_members(
    state: &AppState,
    p: &Principal,
    id: &str,
    user_ids: Vec<String>,
) -> ApiResult<RoomView> {
    let mut ch = Change::begin(state, p).await?;
    let (room, me) = access::visible(&mut ch.tx, p, id).await?;
    if room.kind == "direct" {
        return Err(ApiError::conflict(
            Code::Conflict,
            "direct conversations have exactly two people; create a group",
        ));
    }
    let m = access::manager(state, p, &room, me.as_ref()).await?;
    super::follow::refuse_manual(&mut ch.tx, &p.tenant_id, id).await?;
    active_users(&mut ch.tx, &p.tenant_id, "user_ids", &user_ids).await?;
    let added = add(&mut ch, &m, user_ids).await?;
    audit::record(
        &mut ch.tx,
        audit_room(p, "room.members_added", id).details(json!({ "user_ids": added })),
    )
    .await?;
    let v = view(&mut ch.tx, p, id).await?;
    ch.commit(state).await?;
    Ok(v)
}

/// Add the people who are not members yet; returns who was added.
async fn add(ch: &mut Change, m: &Manager<'_>, user_ids: Vec<String>) -> ApiResult<Vec<String>> {
    let p = m.principal();
    let id = m.room_id();
    let mut added = Vec::new();
    for user in user_ids {
        if store::member(&mut ch.tx, &p.tenant_id, id, &user)
            .await?
            .is_some()
        {
            continue;
        }
        ch.join(id, &user, "member", Some(("added_by", &p.user_id)))
            .await?;
        super::e2e::bump_epoch(&mut ch.tx, &p.tenant_id, id).await?;
        added.push(user);
    }
    Ok(added)
}

/// Remove someone (owners, moderators, `rooms.manage`) or leave (oneself).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %id))]
pub async fn remove_member(
    state: &AppState,
    p: &Principal,
    id: &str,
    user_id: &str,
) -> ApiResult<()> {
    let mut ch = Change::begin(state, p).await?;
    let (room, me) = access::visible(&mut ch.tx, p, id).await?;
    let leaving = user_id == p.user_id;
    let manager = if leaving {
        None
    } else {
        Some(access::manager(state, p, &room, me.as_ref()).await?)
    };
    let target = store::member(&mut ch.tx, &p.tenant_id, id, user_id).await?;
    let Some(target) = target else {
        return Err(ApiError::not_found("member"));
    };
    super::follow::refuse_manual(&mut ch.tx, &p.tenant_id, id).await?;
    if let Some(m) = &manager {
        if target.role == "owner" && !m.may_remove_owner(state, me.as_ref()).await? {
            return Err(ApiError::new(
                Code::Forbidden,
                "only an owner or a room manager removes an owner",
            ));
        }
    }
    store::remove_member(&mut ch.tx, &p.tenant_id, id, user_id).await?;
    super::e2e::bump_epoch(&mut ch.tx, &p.tenant_id, id).await?;
    ch.event(
        id,
        "member.left",
        None,
        json!({ "user_id": user_id, "by": p.user_id }),
    )
    .await?;
    let action = if leaving {
        "room.left"
    } else {
        "room.member_removed"
    };
    audit::record(
        &mut ch.tx,
        audit_room(p, action, id).details(json!({ "user_id": user_id, "kind": room.kind })),
    )
    .await?;
    ch.commit(state).await?;
    Ok(())
}

/// Join a channel (anyone who may send messages: `messages.send`).
#[tracing::instrument(skip_all, fields(tenant_id = %g.principal().tenant_id, room_id = %id))]
pub async fn join(state: &AppState, g: &Granted<'_>, id: &str) -> ApiResult<RoomView> {
    let p = holder(g, perm::MESSAGES_SEND)?;
    let mut ch = Change::begin(state, p).await?;
    let (room, me) = access::visible(&mut ch.tx, p, id).await?;
    if me.is_none() {
        super::follow::refuse_manual(&mut ch.tx, &p.tenant_id, id).await?;
        if room.archived_at.is_some() {
            return Err(ApiError::conflict(
                Code::Conflict,
                "the channel is archived",
            ));
        }
        ch.join(id, &p.user_id, "member", None).await?;
    }
    let v = view(&mut ch.tx, p, id).await?;
    ch.commit(state).await?;
    Ok(v)
}
