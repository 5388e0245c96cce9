//! Erasing one person from messaging (account deletion, through the lifecycle registry).
//!
//! - **Transfer**: rooms the person owns get the successor the request names (made a member
//!   when they are not one), or else another member (a moderator first), as when an owner
//!   leaves.
//! - **Messages they wrote**, per the tenant's choice: deleted from every store exactly as a
//!   retention purge deletes them ([`purge::messages`](super::purge::messages)), or kept under
//!   the pseudonym with their attachments removed (the file goes from every store once no
//!   message carries it). A message a legal hold covers stays as it is.
//! - Their reactions, notifications (to them and about them), devices and the room keys
//!   wrapped for them, then their memberships (with `member.left` events; an encrypted room's
//!   key epoch is raised, as for anyone leaving).

use super::{emit::Change, purge, store};
use crate::{
    authz::Proof,
    lifecycle::{
        erase::{AuthoredMessages, Erased, Erasure, Forecast, Foreseen, Transferred},
        holds::Item,
        Purged,
    },
    AppState, BoxError,
};
use serde_json::json;

const FEATURE: &str = "messaging";
const BATCH: i64 = 200;

pub async fn transfer(e: &Erasure, state: &AppState) -> Result<Vec<Transferred>, BoxError> {
    let tenant_id = e.tenant_id();
    let rooms = {
        let mut conn = state.db.conn().await?;
        store::erase::owned_rooms(&mut conn, tenant_id, &e.person).await?
    };
    let mut to_successor = 0u64;
    let mut to_members = 0u64;
    for room in rooms {
        let mut ch = Change::on(state.db.begin().await?, tenant_id, "");
        let named = match e.transfers.rooms_to.as_deref() {
            Some(s) if s != e.person => Some(s.to_string()),
            _ => None,
        };
        let heir = match named {
            Some(s) => {
                if store::member(&mut ch.tx, tenant_id, &room, &s)
                    .await?
                    .is_none()
                {
                    ch.join(&room, &s, "owner", Some(("transferred_from", &e.person)))
                        .await?;
                    super::e2e::bump_epoch(&mut ch.tx, tenant_id, &room).await?;
                }
                to_successor += 1;
                Some(s)
            }
            None => {
                let h = store::erase::heir(&mut ch.tx, tenant_id, &room, &e.person).await?;
                if h.is_some() {
                    to_members += 1;
                }
                h
            }
        };
        if let Some(h) = heir {
            store::erase::make_owner(&mut ch.tx, tenant_id, &room, &h).await?;
            ch.event(
                &room,
                "member.role_changed",
                None,
                json!({ "user_id": h, "role": "owner" }),
            )
            .await?;
        }
        ch.commit(state).await?;
    }
    let mut out = Vec::new();
    if let Some(s) = e.transfers.rooms_to.as_deref().filter(|_| to_successor > 0) {
        out.push(Transferred {
            feature: FEATURE.into(),
            what: "rooms owned".into(),
            items: to_successor,
            to: format!("person:{s}"),
        });
    }
    if to_members > 0 {
        out.push(Transferred {
            feature: FEATURE.into(),
            what: "rooms owned".into(),
            items: to_members,
            to: "another member of each room".into(),
        });
    }
    Ok(out)
}

/// What [`transfer`] and [`erase`] would do, counted: the rooms owned and who takes them, the
/// messages written (removed, kept under the pseudonym or held), their attachments and the
/// memberships.
pub async fn foresee(e: &Erasure, state: &AppState) -> Result<Forecast, BoxError> {
    let tenant_id = e.tenant_id();
    let mut conn = state.db.conn().await?;
    let mut out = Forecast::default();
    let rooms = store::erase::owned_rooms(&mut conn, tenant_id, &e.person).await?;
    match e.transfers.rooms_to.as_deref().filter(|s| *s != e.person) {
        Some(s) if !rooms.is_empty() => out.transferred.push(Transferred {
            feature: FEATURE.into(),
            what: "rooms owned".into(),
            items: rooms.len() as u64,
            to: format!("person:{s}"),
        }),
        Some(_) => {}
        None => {
            let mut heirs = 0u64;
            for room in &rooms {
                if store::erase::heir(&mut conn, tenant_id, room, &e.person)
                    .await?
                    .is_some()
                {
                    heirs += 1;
                }
            }
            if heirs > 0 {
                out.transferred.push(Transferred {
                    feature: FEATURE.into(),
                    what: "rooms owned".into(),
                    items: heirs,
                    to: "another member of each room".into(),
                });
            }
            let alone = rooms.len() as u64 - heirs;
            if alone > 0 {
                out.erased.push(Foreseen {
                    kept: alone,
                    ..Foreseen::of(FEATURE, "rooms owned with no other member (left empty)")
                });
            }
        }
    }
    let mut messages = Foreseen::of(FEATURE, "messages");
    let mut after = String::new();
    loop {
        let page = store::erase::authored(&mut conn, tenant_id, &e.person, &after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for m in &page {
            let item = Item {
                people: &[e.person.as_str()],
                room: Some(&m.room_id),
                space: None,
                at: m.created_at,
            };
            if e.held_by(&item).is_some() {
                messages.held += 1;
            } else if e.messages == AuthoredMessages::Delete {
                messages.items += 1;
                messages.bytes += u64::try_from(m.bytes).unwrap_or(0);
            } else {
                messages.kept += 1;
            }
        }
    }
    let attachments = store::erase::attachment_count(&mut conn, tenant_id, &e.person).await?;
    let memberships = store::room_ids_of(&mut conn, tenant_id, &e.person).await?;
    out.erased.extend([
        messages,
        Foreseen::unless_held(e, FEATURE, "attachments", attachments),
        Foreseen::removed(FEATURE, "memberships", memberships.len() as u64),
    ]);
    Ok(out)
}

pub async fn erase(e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
    let tenant_id = e.tenant_id();
    let mut messages = Erased::of(FEATURE, "messages");
    let mut attachments = Erased::of(FEATURE, "attachments");
    let mut after = String::new();
    loop {
        let page = {
            let mut conn = state.db.conn().await?;
            store::erase::authored(&mut conn, tenant_id, &e.person, &after, BATCH).await?
        };
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        let mut ch = Change::on(state.db.begin().await?, tenant_id, "");
        let mut due = Vec::new();
        for m in &page {
            let item = Item {
                people: &[e.person.as_str()],
                room: Some(&m.room_id),
                space: None,
                at: m.created_at,
            };
            if e.held_by(&item).is_some() {
                messages.held += 1;
                continue;
            }
            match e.messages {
                AuthoredMessages::Delete => due.push(m.clone()),
                AuthoredMessages::Pseudonymise => {
                    messages.kept += 1;
                    for file in store::erase::attached(&mut ch.tx, tenant_id, &m.id).await? {
                        let n =
                            store::lifecycle::detach(&mut ch.tx, tenant_id, &m.id, &file).await?;
                        attachments.add(Purged {
                            items: n,
                            rows: n,
                            ..Purged::default()
                        });
                        if n > 0
                            && store::lifecycle::carried_by(&mut ch.tx, tenant_id, &file).await?
                                == 0
                        {
                            attachments
                                .add(crate::files::service::purge(e, &mut ch.tx, &file).await?);
                        }
                        ch.index(&m.id).await?;
                    }
                }
            }
        }
        if !due.is_empty() {
            let ids: Vec<String> = due.iter().map(|m| m.id.clone()).collect();
            let p = purge::messages(e, &mut ch, &ids).await?;
            if p.items > 0 {
                messages.bytes += due
                    .iter()
                    .map(|m| u64::try_from(m.bytes).unwrap_or(0))
                    .sum::<u64>();
            }
            messages.add(p);
        }
        ch.commit(state).await?;
    }

    let mut tx = state.db.begin().await?;
    let reactions = store::erase::delete_reactions(&mut tx, tenant_id, &e.person).await?;
    let notifications = store::erase::delete_notifications(&mut tx, tenant_id, &e.person).await?;
    let keys = store::erase::delete_room_keys(&mut tx, tenant_id, &e.person).await?;
    let devices = store::erase::delete_devices(&mut tx, tenant_id, &e.person).await?;
    tx.commit().await?;

    let rooms = {
        let mut conn = state.db.conn().await?;
        store::room_ids_of(&mut conn, tenant_id, &e.person).await?
    };
    let mut memberships = 0u64;
    for room in rooms {
        let mut ch = Change::on(state.db.begin().await?, tenant_id, "");
        let n = store::erase::delete_membership(&mut ch.tx, tenant_id, &room, &e.person).await?;
        if n > 0 {
            super::e2e::bump_epoch(&mut ch.tx, tenant_id, &room).await?;
            ch.event(
                &room,
                "member.left",
                None,
                json!({ "user_id": e.person, "by": "" }),
            )
            .await?;
        }
        memberships += n;
        ch.commit(state).await?;
    }
    Ok(vec![
        messages,
        attachments,
        Erased::rows(FEATURE, "reactions", reactions),
        Erased::rows(FEATURE, "notifications", notifications),
        Erased::rows(FEATURE, "room_keys", keys),
        Erased::rows(FEATURE, "devices", devices),
        Erased::rows(FEATURE, "memberships", memberships),
    ])
}
