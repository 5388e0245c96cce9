//! Rules for rooms and messages.
//!
//! Function level: casbin permissions (`rooms.create`, `channels.create`, `messages.send`,
//! `rooms.manage`, `messages.moderate`). Object level: membership, checked against the current
//! rows on every call — a removed member learns nothing more of the room. Every change in a room
//! takes the room's next sequence number and records an event in the same transaction, so a
//! client that catches up by sequence misses nothing.

use super::store::{self, MemberRow, MessageRow, RoomRow};
use crate::{
    audit::{self, Entry},
    authn::Principal,
    authz::perm,
    db::{is_unique_violation, new_id, now_ms, Tx},
    error::{ApiError, ApiResult, Code},
    users, AppState,
};
use serde_json::json;
use sqlx::AnyConnection;

pub const KIND: &str = "message";
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
}

pub struct MessageView {
    pub message: MessageRow,
    pub attachments: Vec<String>,
    /// (emoji, user id), in the order given.
    pub reactions: Vec<(String, String)>,
}

fn not_found() -> ApiError {
    ApiError::not_found("room")
}

/// The room if the caller may see it: a member, or anyone in the tenant for a channel.
pub(super) async fn visible(
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<(RoomRow, Option<MemberRow>)> {
    if !crate::db::is_id(id) {
        return Err(not_found());
    }
    let room = store::room(conn, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    let me = store::member(conn, &p.tenant_id, id, &p.user_id).await?;
    if me.is_none() && room.kind != "channel" {
        return Err(not_found());
    }
    Ok((room, me))
}

/// The room and the caller's membership; a visible room one has not joined is a 403.
pub(super) async fn joined(
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<(RoomRow, MemberRow)> {
    let (room, me) = visible(conn, p, id).await?;
    match me {
        Some(m) => Ok((room, m)),
        None => Err(ApiError::new(Code::Forbidden, "join the channel first")),
    }
}

async fn may_manage(state: &AppState, p: &Principal, me: Option<&MemberRow>) -> ApiResult<bool> {
    if me.is_some_and(|m| m.role == "owner" || m.role == "moderator") {
        return Ok(true);
    }
    Ok(state
        .authz
        .permissions(p)
        .await?
        .contains(perm::ROOMS_MANAGE))
}

fn clean_text(field: &str, v: &str, max: usize) -> ApiResult<String> {
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

fn check_history(v: &str) -> ApiResult<()> {
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
async fn active_users(
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
        let ok = crate::db::is_id(id)
            && users::store::get(conn, tenant_id, id)
                .await?
                .is_some_and(|u| u.status != "disabled");
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

/// The span of sequence numbers one change wrote in a room, for publishing after commit.
#[derive(Default)]
pub(super) struct Emitted {
    room_id: String,
    first: i64,
    last: i64,
}

pub(super) async fn event(
    tx: &mut Tx,
    p: &Principal,
    em: &mut Emitted,
    room_id: &str,
    kind: &str,
    message_id: Option<&str>,
    payload: serde_json::Value,
) -> ApiResult<i64> {
    let seq = store::append_event(
        tx,
        &p.tenant_id,
        room_id,
        kind,
        &p.user_id,
        message_id,
        &payload,
    )
    .await?;
    if em.first == 0 {
        em.first = seq;
        em.room_id = room_id.to_string();
    }
    em.last = seq;
    Ok(seq)
}

/// Send what a committed change wrote to this node's open sockets.
pub(super) async fn publish(state: &AppState, p: &Principal, em: &Emitted) {
    if em.first > 0 {
        state
            .hub
            .announce(&state.db, &p.tenant_id, &em.room_id, em.first, em.last)
            .await;
    }
}

pub(super) fn audit_room(p: &Principal, action: &'static str, room_id: &str) -> Entry {
    p.audit(action).target("room", room_id)
}

pub struct NewRoom {
    pub kind: String,
    pub name: String,
    pub topic: String,
    pub member_ids: Vec<String>,
    pub history_visibility: String,
    pub encrypted: bool,
    pub delete_after_delivery: bool,
    pub max_lifetime_secs: Option<i64>,
}

/// Create a group (needs `rooms.create`) or a channel (needs `channels.create`).
pub async fn create(state: &AppState, p: &Principal, n: NewRoom) -> ApiResult<RoomView> {
    let mut em = Emitted::default();
    match n.kind.as_str() {
        "group" => state.authz.require(p, perm::ROOMS_CREATE).await?,
        "channel" => state.authz.require(p, perm::CHANNELS_CREATE).await?,
        _ => {
            return Err(ApiError::validation(
                "kind",
                "`group` or `channel` (direct conversations: POST /rooms/direct)",
            ))
        }
    };
    let name = clean_text("name", &n.name, 200)?;
    if name.is_empty() {
        return Err(ApiError::validation("name", "a room needs a name"));
    }
    let topic = clean_text("topic", &n.topic, 1000)?;
    check_history(&n.history_visibility)?;
    let mut tx = state.db.begin().await?;
    let mut others: Vec<String> = n
        .member_ids
        .into_iter()
        .filter(|id| *id != p.user_id)
        .collect();
    others.sort();
    others.dedup();
    active_users(&mut tx, &p.tenant_id, "member_ids", &others).await?;
    let now = now_ms();
    let room = RoomRow {
        tenant_id: p.tenant_id.clone(),
        id: new_id(),
        kind: n.kind,
        name,
        topic,
        avatar_file_id: None,
        history_visibility: n.history_visibility,
        direct_key: None,
        created_by: p.user_id.clone(),
        archived_at: None,
        last_seq: 0,
        created_at: now,
        updated_at: now,
    };
    store::insert_room(&mut tx, &room).await?;
    if n.encrypted {
        if room.kind == "channel" {
            return Err(ApiError::validation(
                "encrypted",
                "channels are open to the tenant; encrypt groups",
            ));
        }
        super::e2e::enable(&mut tx, &p.tenant_id, &room.id).await?;
    }
    if n.delete_after_delivery || n.max_lifetime_secs.is_some() {
        if room.kind == "channel" {
            return Err(ApiError::validation(
                "delete_after_delivery",
                "channels keep their history; use a group",
            ));
        }
        if n.max_lifetime_secs
            .is_some_and(|s| !(1..=366 * 24 * 3600).contains(&s))
        {
            return Err(ApiError::validation(
                "max_lifetime_secs",
                "1 second to 366 days",
            ));
        }
        super::dad::enable(&mut tx, &p.tenant_id, &room.id, n.max_lifetime_secs).await?;
    }
    event(
        &mut tx,
        p,
        &mut em,
        &room.id,
        "room.created",
        None,
        json!({ "kind": room.kind, "name": room.name }),
    )
    .await?;
    for (user, role) in std::iter::once((p.user_id.clone(), "owner"))
        .chain(others.iter().map(|u| (u.clone(), "member")))
    {
        let seq = event(
            &mut tx,
            p,
            &mut em,
            &room.id,
            "member.joined",
            None,
            json!({ "user_id": user, "role": role }),
        )
        .await?;
        store::add_member(&mut tx, &p.tenant_id, &room.id, &user, role, seq - 1).await?;
    }
    audit::record(
        &mut tx,
        audit_room(p, "room.created", &room.id)
            .details(json!({ "kind": room.kind, "members": others.len() + 1 })),
    )
    .await?;
    let view = view(&mut tx, p, &room.id).await?;
    tx.commit().await?;
    publish(state, p, &em).await;
    Ok(view)
}

/// The direct conversation with another person: created once, the same room afterwards.
pub async fn direct(state: &AppState, p: &Principal, other: &str) -> ApiResult<(RoomView, bool)> {
    let mut em = Emitted::default();
    state.authz.require(p, perm::ROOMS_CREATE).await?;
    if other == p.user_id {
        return Err(ApiError::validation(
            "user_id",
            "a direct conversation needs another person",
        ));
    }
    let mut pair = [p.user_id.clone(), other.to_string()];
    pair.sort();
    let key = pair.join(":");
    {
        let mut conn = state.db.conn().await?;
        if let Some(r) = store::room_by_direct_key(&mut conn, &p.tenant_id, &key).await? {
            if store::member(&mut conn, &p.tenant_id, &r.id, &p.user_id)
                .await?
                .is_some()
            {
                return Ok((view(&mut conn, p, &r.id).await?, false));
            }
        }
        active_users(&mut conn, &p.tenant_id, "user_id", &[other.to_string()]).await?;
    }
    let mut tx = state.db.begin().await?;
    let now = now_ms();
    let room = RoomRow {
        tenant_id: p.tenant_id.clone(),
        id: new_id(),
        kind: "direct".into(),
        name: String::new(),
        topic: String::new(),
        avatar_file_id: None,
        history_visibility: "full".into(),
        direct_key: Some(key.clone()),
        created_by: p.user_id.clone(),
        archived_at: None,
        last_seq: 0,
        created_at: now,
        updated_at: now,
    };
    if let Err(e) = store::insert_room(&mut tx, &room).await {
        drop(tx);
        if is_unique_violation(&e) {
            // Created concurrently (or one of the two left it): use that room, rejoining it.
            let mut tx = state.db.begin().await?;
            let r = store::room_by_direct_key(&mut tx, &p.tenant_id, &key)
                .await?
                .ok_or_else(not_found)?;
            if store::member(&mut tx, &p.tenant_id, &r.id, &p.user_id)
                .await?
                .is_none()
            {
                let seq = event(
                    &mut tx,
                    p,
                    &mut em,
                    &r.id,
                    "member.joined",
                    None,
                    json!({ "user_id": p.user_id, "role": "member" }),
                )
                .await?;
                store::add_member(&mut tx, &p.tenant_id, &r.id, &p.user_id, "member", seq - 1)
                    .await?;
            }
            let v = view(&mut tx, p, &r.id).await?;
            tx.commit().await?;
            publish(state, p, &em).await;
            return Ok((v, false));
        }
        return Err(e.into());
    }
    event(
        &mut tx,
        p,
        &mut em,
        &room.id,
        "room.created",
        None,
        json!({ "kind": "direct" }),
    )
    .await?;
    for user in &pair {
        let seq = event(
            &mut tx,
            p,
            &mut em,
            &room.id,
            "member.joined",
            None,
            json!({ "user_id": user, "role": "member" }),
        )
        .await?;
        store::add_member(&mut tx, &p.tenant_id, &room.id, user, "member", seq - 1).await?;
    }
    let v = view(&mut tx, p, &room.id).await?;
    tx.commit().await?;
    publish(state, p, &em).await;
    Ok((v, true))
}

async fn view(conn: &mut AnyConnection, p: &Principal, id: &str) -> ApiResult<RoomView> {
    let (room, me) = visible(conn, p, id).await?;
    let unread = match &me {
        Some(m) => store::unread(conn, &p.tenant_id, id, &p.user_id, m.read_seq).await?,
        None => 0,
    };
    let members = store::members(conn, &p.tenant_id, id).await?;
    let encrypted = super::e2e::epoch(conn, &p.tenant_id, id).await?.is_some();
    let dad = super::dad::settings(conn, &p.tenant_id, id).await?;
    Ok(RoomView {
        room,
        encrypted,
        dad,
        me,
        unread,
        members,
    })
}

pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<RoomView> {
    let mut conn = state.db.conn().await?;
    view(&mut conn, p, id).await
}

/// The caller's rooms with unread counts.
pub async fn list_mine(state: &AppState, p: &Principal) -> ApiResult<Vec<RoomView>> {
    let mut conn = state.db.conn().await?;
    let rooms = store::rooms_of(&mut conn, &p.tenant_id, &p.user_id).await?;
    let mut out = Vec::with_capacity(rooms.len());
    for room in rooms {
        let me = store::member(&mut conn, &p.tenant_id, &room.id, &p.user_id).await?;
        let unread = match &me {
            Some(m) => {
                store::unread(&mut conn, &p.tenant_id, &room.id, &p.user_id, m.read_seq).await?
            }
            None => 0,
        };
        let encrypted = super::e2e::epoch(&mut conn, &p.tenant_id, &room.id)
            .await?
            .is_some();
        let dad = super::dad::settings(&mut conn, &p.tenant_id, &room.id).await?;
        out.push(RoomView {
            room,
            encrypted,
            dad,
            me,
            unread,
            members: Vec::new(),
        });
    }
    Ok(out)
}

pub async fn channels(
    state: &AppState,
    p: &Principal,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<RoomRow>> {
    let mut conn = state.db.conn().await?;
    Ok(store::channels(&mut conn, &p.tenant_id, after, limit + 1).await?)
}

pub struct RoomChange {
    /// An image file the caller may read; empty clears it.
    pub avatar_file_id: Option<String>,
    pub name: Option<String>,
    pub topic: Option<String>,
    pub history_visibility: Option<String>,
    pub archived: Option<bool>,
}

/// Rename, set the topic or history visibility, archive: owners, moderators or `rooms.manage`.
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    c: RoomChange,
) -> ApiResult<RoomView> {
    let mut em = Emitted::default();
    let mut tx = state.db.begin().await?;
    let (mut room, me) = visible(&mut tx, p, id).await?;
    if !may_manage(state, p, me.as_ref()).await? {
        return Err(ApiError::forbidden(perm::ROOMS_MANAGE));
    }
    if room.kind == "direct" && (c.name.is_some() || c.history_visibility.is_some()) {
        return Err(ApiError::validation(
            "name",
            "direct conversations have no name or history setting",
        ));
    }
    if let Some(n) = c.name {
        room.name = clean_text("name", &n, 200)?;
        if room.name.is_empty() {
            return Err(ApiError::validation("name", "a room needs a name"));
        }
    }
    if let Some(a) = c.avatar_file_id {
        if a.is_empty() {
            room.avatar_file_id = None;
        } else {
            let f = crate::files::service::readable(state, &mut tx, p, &a)
                .await
                .map_err(|_| {
                    ApiError::validation("avatar_file_id", "a file you uploaded (or can read)")
                })?;
            if !f.content_type.starts_with("image/") {
                return Err(ApiError::validation("avatar_file_id", "an image"));
            }
            room.avatar_file_id = Some(a);
        }
    }
    if let Some(t) = c.topic {
        room.topic = clean_text("topic", &t, 1000)?;
    }
    if let Some(h) = c.history_visibility {
        check_history(&h)?;
        room.history_visibility = h;
    }
    if let Some(a) = c.archived {
        room.archived_at = a.then(now_ms);
    }
    store::update_room(&mut tx, &room).await?;
    let payload = json!({ "name": room.name, "topic": room.topic, "avatar_file_id": room.avatar_file_id, "history_visibility": room.history_visibility, "archived": room.archived_at.is_some() });
    event(
        &mut tx,
        p,
        &mut em,
        id,
        "room.updated",
        None,
        payload.clone(),
    )
    .await?;
    audit::record(&mut tx, audit_room(p, "room.updated", id).details(payload)).await?;
    let v = view(&mut tx, p, id).await?;
    tx.commit().await?;
    publish(state, p, &em).await;
    Ok(v)
}

/// Add people to a group or channel: owners, moderators or `rooms.manage`.
pub async fn add_members(
    state: &AppState,
    p: &Principal,
    id: &str,
    user_ids: Vec<String>,
) -> ApiResult<RoomView> {
    let mut em = Emitted::default();
    let mut tx = state.db.begin().await?;
    let (room, me) = visible(&mut tx, p, id).await?;
    if room.kind == "direct" {
        return Err(ApiError::conflict(
            Code::Conflict,
            "direct conversations have exactly two people; create a group",
        ));
    }
    if !may_manage(state, p, me.as_ref()).await? {
        return Err(ApiError::forbidden(perm::ROOMS_MANAGE));
    }
    active_users(&mut tx, &p.tenant_id, "user_ids", &user_ids).await?;
    let mut added = Vec::new();
    for user in user_ids {
        if store::member(&mut tx, &p.tenant_id, id, &user)
            .await?
            .is_some()
        {
            continue;
        }
        let seq = event(
            &mut tx,
            p,
            &mut em,
            id,
            "member.joined",
            None,
            json!({ "user_id": user, "role": "member", "added_by": p.user_id }),
        )
        .await?;
        store::add_member(&mut tx, &p.tenant_id, id, &user, "member", seq - 1).await?;
        super::e2e::bump_epoch(&mut tx, &p.tenant_id, id).await?;
        added.push(user);
    }
    audit::record(
        &mut tx,
        audit_room(p, "room.members_added", id).details(json!({ "user_ids": added })),
    )
    .await?;
    let v = view(&mut tx, p, id).await?;
    tx.commit().await?;
    publish(state, p, &em).await;
    Ok(v)
}

/// Remove someone (owners, moderators, `rooms.manage`) or leave (oneself).
pub async fn remove_member(
    state: &AppState,
    p: &Principal,
    id: &str,
    user_id: &str,
) -> ApiResult<()> {
    let mut em = Emitted::default();
    let mut tx = state.db.begin().await?;
    let (room, me) = visible(&mut tx, p, id).await?;
    let leaving = user_id == p.user_id;
    if !leaving && !may_manage(state, p, me.as_ref()).await? {
        return Err(ApiError::forbidden(perm::ROOMS_MANAGE));
    }
    let target = store::member(&mut tx, &p.tenant_id, id, user_id).await?;
    let Some(target) = target else {
        return Err(ApiError::not_found("member"));
    };
    if target.role == "owner"
        && !leaving
        && me.as_ref().is_none_or(|m| m.role != "owner")
        && !state
            .authz
            .permissions(p)
            .await?
            .contains(perm::ROOMS_MANAGE)
    {
        return Err(ApiError::new(
            Code::Forbidden,
            "only an owner or a room manager removes an owner",
        ));
    }
    store::remove_member(&mut tx, &p.tenant_id, id, user_id).await?;
    super::e2e::bump_epoch(&mut tx, &p.tenant_id, id).await?;
    event(
        &mut tx,
        p,
        &mut em,
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
        &mut tx,
        audit_room(p, action, id).details(json!({ "user_id": user_id, "kind": room.kind })),
    )
    .await?;
    tx.commit().await?;
    publish(state, p, &em).await;
    Ok(())
}

/// Join a channel (anyone who may send messages).
pub async fn join(state: &AppState, p: &Principal, id: &str) -> ApiResult<RoomView> {
    let mut em = Emitted::default();
    state.authz.require(p, perm::MESSAGES_SEND).await?;
    let mut tx = state.db.begin().await?;
    let (room, me) = visible(&mut tx, p, id).await?;
    if me.is_none() {
        if room.archived_at.is_some() {
            return Err(ApiError::conflict(
                Code::Conflict,
                "the channel is archived",
            ));
        }
        let seq = event(
            &mut tx,
            p,
            &mut em,
            id,
            "member.joined",
            None,
            json!({ "user_id": p.user_id, "role": "member" }),
        )
        .await?;
        store::add_member(&mut tx, &p.tenant_id, id, &p.user_id, "member", seq - 1).await?;
    }
    let v = view(&mut tx, p, id).await?;
    tx.commit().await?;
    publish(state, p, &em).await;
    Ok(v)
}
