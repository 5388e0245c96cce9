//! Rooms that follow a department: the room's members are the department's active members
//! (with `subtree`, its sub-departments' too), kept so as people join and leave the
//! department — the model of group-synced channels in the anchors. While a room follows, its
//! membership is the directory's to manage: adding, removing or leaving by hand answers 409
//! `membership_managed`; the room's owners stay whether or not they belong, so a room is never
//! left without one. Stopping the follow keeps the members as they are.
//!
//! The directory says when membership may have changed (its `directory.changed` outbox topic:
//! a placement, an import, a move, a merge); [`on_directory_change`] then brings every
//! following room of the tenant in line, and the `room_follows` periodic pass does the same for
//! all tenants, catching what the directory does not announce (an account disabled or enabled,
//! a role's holders). A merged department's followers follow the department it went into; a
//! room whose department is gone stops following and keeps its members.

use super::{
    access,
    emit::Change,
    service::{audit_room, view, RoomView},
    store::{self, follows::FollowRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::now_ms,
    directory::audience::{self, Target},
    error::{ApiError, ApiResult, Code},
    AppState,
};
use serde_json::json;
use std::collections::HashSet;

/// Refuse a change of members made by hand in a room that follows a department.
pub(super) async fn refuse_manual(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> ApiResult<()> {
    match store::follows::of_room(conn, tenant_id, room_id).await? {
        Some(f) => Err(ApiError::conflict(
            Code::MembershipManaged,
            format!(
                "this room's members follow department {}: change the department's members, \
                 or stop following (DELETE /rooms/{room_id}/follow)",
                f.department_id
            ),
        )),
        None => Ok(()),
    }
}

/// Make a group or channel follow a department (owners, moderators or `rooms.manage`, who
/// also browse the directory): its members become the department's at once.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %id))]
pub async fn set(
    state: &AppState,
    p: &Principal,
    id: &str,
    department_id: &str,
    subtree: bool,
) -> ApiResult<RoomView> {
    state.authz.require(p, perm::DIRECTORY_READ).await?;
    let mut ch = Change::begin(state, p).await?;
    let (room, me) = access::visible(&mut ch.tx, p, id).await?;
    let _manager = access::manager(state, p, &room, me.as_ref()).await?;
    if room.kind == "direct" {
        return Err(ApiError::conflict(
            Code::Conflict,
            "a direct conversation cannot follow a department",
        ));
    }
    if room.archived_at.is_some() {
        return Err(ApiError::conflict(Code::Conflict, "the room is archived"));
    }
    let target = Target::Department {
        id: department_id.to_string(),
        subtree,
    };
    audience::validate(
        &mut ch.tx,
        &p.tenant_id,
        "department_id",
        std::slice::from_ref(&target),
    )
    .await?;
    let f = FollowRow {
        room_id: id.to_string(),
        department_id: department_id.to_string(),
        subtree: i64::from(subtree),
        updated_at: now_ms(),
    };
    store::follows::set(&mut ch.tx, &p.tenant_id, &f).await?;
    let (added, removed) = reconcile(&mut ch, &p.tenant_id, &f).await?;
    audit::record(
        &mut ch.tx,
        audit_room(p, "room.follow_set", id).details(json!({
            "department_id": department_id, "subtree": subtree,
            "added": added, "removed": removed,
        })),
    )
    .await?;
    let v = view(&mut ch.tx, p, id).await?;
    ch.commit(state).await?;
    Ok(v)
}

/// Stop following: the members stay as they are and are managed by hand again.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %id))]
pub async fn clear(state: &AppState, p: &Principal, id: &str) -> ApiResult<RoomView> {
    let mut ch = Change::begin(state, p).await?;
    let (room, me) = access::visible(&mut ch.tx, p, id).await?;
    let _manager = access::manager(state, p, &room, me.as_ref()).await?;
    if store::follows::clear(&mut ch.tx, &p.tenant_id, id).await? {
        audit::record(&mut ch.tx, audit_room(p, "room.follow_cleared", id)).await?;
    }
    let v = view(&mut ch.tx, p, id).await?;
    ch.commit(state).await?;
    Ok(v)
}

/// Bring one room's members in line with its department: add the members missing, remove those
/// who are not (owners stay). Returns (added, removed).
async fn reconcile(
    ch: &mut Change,
    tenant_id: &str,
    f: &FollowRow,
) -> ApiResult<(Vec<String>, Vec<String>)> {
    let target = Target::Department {
        id: f.department_id.clone(),
        subtree: f.subtree == 1,
    };
    let wanted: HashSet<String> = audience::people(&mut ch.tx, tenant_id, &[target])
        .await?
        .into_iter()
        .collect();
    let current = store::members(&mut ch.tx, tenant_id, &f.room_id).await?;
    let present: HashSet<&str> = current.iter().map(|m| m.user_id.as_str()).collect();
    let mut added: Vec<String> = wanted
        .iter()
        .filter(|u| !present.contains(u.as_str()))
        .cloned()
        .collect();
    added.sort();
    let removed: Vec<String> = current
        .iter()
        .filter(|m| m.role != "owner" && !wanted.contains(&m.user_id))
        .map(|m| m.user_id.clone())
        .collect();
    for user in &added {
        ch.join(&f.room_id, user, "member", Some(("added_by", "directory")))
            .await?;
    }
    for user in &removed {
        store::remove_member(&mut ch.tx, tenant_id, &f.room_id, user).await?;
        ch.event(
            &f.room_id,
            "member.left",
            None,
            json!({ "user_id": user, "by": "directory" }),
        )
        .await?;
    }
    if !added.is_empty() || !removed.is_empty() {
        super::e2e::bump_epoch(&mut ch.tx, tenant_id, &f.room_id).await?;
    }
    Ok((added, removed))
}

/// Bring every following room of a tenant in line (each room in its own transaction); how many
/// memberships changed. A room whose department is gone stops following.
pub async fn sync_tenant(state: &AppState, tenant_id: &str) -> ApiResult<u64> {
    let follows = {
        let mut conn = state.db.conn().await?;
        store::follows::of_tenant(&mut conn, tenant_id).await?
    };
    let mut changed = 0u64;
    for f in follows {
        let mut ch = Change::on(state.db.begin().await?, tenant_id, "");
        // Read again in the transaction: the follow may have been cleared or changed meanwhile.
        let Some(f) = store::follows::of_room(&mut ch.tx, tenant_id, &f.room_id).await? else {
            continue;
        };
        let gone = audience::validate(
            &mut ch.tx,
            tenant_id,
            "department_id",
            &[Target::Department {
                id: f.department_id.clone(),
                subtree: false,
            }],
        )
        .await
        .is_err();
        if gone {
            store::follows::clear(&mut ch.tx, tenant_id, &f.room_id).await?;
            audit::record(
                &mut ch.tx,
                audit::Entry::new(tenant_id, "room.follow_ended")
                    .target("room", &f.room_id)
                    .details(
                        json!({ "department_id": f.department_id, "reason": "department_gone" }),
                    ),
            )
            .await?;
        } else {
            let (added, removed) = reconcile(&mut ch, tenant_id, &f).await?;
            if added.is_empty() && removed.is_empty() {
                continue;
            }
            changed += (added.len() + removed.len()) as u64;
            audit::record(
                &mut ch.tx,
                audit::Entry::new(tenant_id, "room.members_synced")
                    .target("room", &f.room_id)
                    .details(json!({
                        "department_id": f.department_id, "added": added, "removed": removed,
                    })),
            )
            .await?;
        }
        ch.commit(state).await?;
    }
    Ok(changed)
}

/// The directory's `directory.changed` notice: follow a merged department's successor, then
/// bring the tenant's following rooms in line.
pub async fn on_directory_change(
    state: &AppState,
    tenant_id: &str,
    payload: &str,
) -> ApiResult<u64> {
    let payload: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    if payload["kind"] == "merged" {
        if let (Some(from), Some(into)) = (payload["from"].as_str(), payload["into"].as_str()) {
            let mut tx = state.db.begin().await?;
            store::follows::retarget(&mut tx, tenant_id, from, into, now_ms()).await?;
            tx.commit().await?;
        }
    }
    sync_tenant(state, tenant_id).await
}

/// The periodic pass over every tenant with following rooms.
pub async fn sync_all(state: &AppState) -> ApiResult<u64> {
    let tenants = {
        let mut conn = state.db.conn().await?;
        store::follows::tenants(&mut conn).await?
    };
    let mut changed = 0;
    for t in tenants {
        changed += sync_tenant(state, &t).await?;
    }
    Ok(changed)
}
