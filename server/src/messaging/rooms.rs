//! Rooms: create groups, channels and direct conversations; read them; change their settings.

use super::{
    access::holder,
    access::{self, not_found},
    emit::Change,
    service::{active_users, audit_room, check_history, clean_text, view, RoomView},
    store::{self, RoomRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::{perm, Granted},
    db::{is_unique_violation, new_id, now_ms},
    error::{ApiError, ApiResult},
    AppState,
};
use serde_json::json;

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

/// The permission creating a room of `kind` needs: `rooms.create` for a group,
/// `channels.create` for a channel (direct conversations have their own call).
pub async fn may_create<'a>(
    state: &AppState,
    p: &'a Principal,
    kind: &str,
) -> ApiResult<Granted<'a>> {
    state.authz.require(p, kind_permission(kind)?).await
}

fn kind_permission(kind: &str) -> ApiResult<&'static str> {
    match kind {
        "group" => Ok(perm::ROOMS_CREATE),
        "channel" => Ok(perm::CHANNELS_CREATE),
        _ => Err(ApiError::validation(
            "kind",
            "`group` or `channel` (direct conversations: POST /rooms/direct)",
        )),
    }
}

/// Create a group or a channel, given the permission [`may_create`] checked; the creator owns it.
#[tracing::instrument(skip_all, fields(tenant_id = %g.principal().tenant_id, kind = %n.kind))]
pub async fn create(state: &AppState, g: &Granted<'_>, n: NewRoom) -> ApiResult<RoomView> {
    let p = holder(g, kind_permission(&n.kind)?)?;
    let name = clean_text("name", &n.name, 200)?;
    if name.is_empty() {
        return Err(ApiError::validation("name", "a room needs a name"));
    }
    let topic = clean_text("topic", &n.topic, 1000)?;
    check_history(&n.history_visibility)?;
    let mut ch = Change::begin(state, p).await?;
    let mut others: Vec<String> = n
        .member_ids
        .into_iter()
        .filter(|id| *id != p.user_id)
        .collect();
    others.sort();
    others.dedup();
    active_users(&mut ch.tx, &p.tenant_id, "member_ids", &others).await?;
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
    store::insert_room(&mut ch.tx, &room).await?;
    if n.encrypted {
        if room.kind == "channel" {
            return Err(ApiError::validation(
                "encrypted",
                "channels are open to the tenant; encrypt groups",
            ));
        }
        super::e2e::enable(&mut ch.tx, &p.tenant_id, &room.id).await?;
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
        super::dad::enable(&mut ch.tx, &p.tenant_id, &room.id, n.max_lifetime_secs).await?;
    }
    ch.event(
        &room.id,
        "room.created",
        None,
        json!({ "kind": room.kind, "name": room.name }),
    )
    .await?;
    ch.join(&room.id, &p.user_id, "owner", None).await?;
    for user in &others {
        ch.join(&room.id, user, "member", None).await?;
    }
    audit::record(
        &mut ch.tx,
        audit_room(p, "room.created", &room.id)
            .details(json!({ "kind": room.kind, "members": others.len() + 1 })),
    )
    .await?;
    let view = view(&mut ch.tx, p, &room.id).await?;
    ch.commit(state).await?;
    Ok(view)
}

/// The direct conversation with another person (needs `rooms.create`): created once, the same
/// room afterwards.
#[tracing::instrument(skip_all, fields(tenant_id = %g.principal().tenant_id))]
pub async fn direct(state: &AppState, g: &Granted<'_>, other: &str) -> ApiResult<(RoomView, bool)> {
    let p = holder(g, perm::ROOMS_CREATE)?;
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
    let mut ch = Change::begin(state, p).await?;
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
    if let Err(e) = store::insert_room(&mut ch.tx, &room).await {
        drop(ch);
        if is_unique_violation(&e) {
            // Created concurrently (or one of the two left it): use that room, rejoining it.
            let mut ch = Change::begin(state, p).await?;
            let r = store::room_by_direct_key(&mut ch.tx, &p.tenant_id, &key)
                .await?
                .ok_or_else(not_found)?;
            if store::member(&mut ch.tx, &p.tenant_id, &r.id, &p.user_id)
                .await?
                .is_none()
            {
                ch.join(&r.id, &p.user_id, "member", None).await?;
            }
            let v = view(&mut ch.tx, p, &r.id).await?;
            ch.commit(state).await?;
            return Ok((v, false));
        }
        return Err(e.into());
    }
    ch.event(&room.id, "room.created", None, json!({ "kind": "direct" }))
        .await?;
    for user in &pair {
        ch.join(&room.id, user, "member", None).await?;
    }
    let v = view(&mut ch.tx, p, &room.id).await?;
    ch.commit(state).await?;
    Ok((v, true))
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %id))]
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<RoomView> {
    let mut conn = state.db.conn().await?;
    view(&mut conn, p, id).await
}

/// The caller's rooms with unread counts.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
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
        let encrypted = super::e2e::encrypted(&mut conn, &p.tenant_id, &room.id).await?;
        let dad = super::dad::settings(&mut conn, &p.tenant_id, &room.id).await?;
        let follows = store::follows::of_room(&mut conn, &p.tenant_id, &room.id).await?;
        out.push(RoomView {
            follows,
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

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
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
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %id))]
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    c: RoomChange,
) -> ApiResult<RoomView> {
    let mut ch = Change::begin(state, p).await?;
    let (room, me) = access::visible(&mut ch.tx, p, id).await?;
    let m = access::manager(state, p, &room, me.as_ref()).await?;
    let room = apply(state, &mut ch, &m, room, c).await?;
    store::update_room(&mut ch.tx, &room).await?;
    let payload = json!({ "name": room.name, "topic": room.topic, "avatar_file_id": room.avatar_file_id, "history_visibility": room.history_visibility, "archived": room.archived_at.is_some() });
    ch.event(id, "room.updated", None, payload.clone()).await?;
    audit::record(
        &mut ch.tx,
        audit_room(p, "room.updated", id).details(payload),
    )
    .await?;
    let v = view(&mut ch.tx, p, id).await?;
    ch.commit(state).await?;
    Ok(v)
}

/// The room with a change applied, checked (the manager's proof says it may be changed).
async fn apply(
    state: &AppState,
    ch: &mut Change,
    m: &access::Manager<'_>,
    mut room: RoomRow,
    c: RoomChange,
) -> ApiResult<RoomRow> {
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
            let f = crate::files::service::readable(state, &mut ch.tx, m.principal(), &a)
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
    Ok(room)
}
