//! Messaging in a person's data export: the rooms they are in (or wrote in), their own
//! messages — plaintext where the server has it, the stored ciphertext in end-to-end encrypted
//! rooms (flagged per message and counted in the manifest) — with their attachments as
//! original files and their earlier versions, their reactions and their notifications.
//! Other people's messages are not theirs and stay out.

use super::store::{export as store, notifications};
use crate::{
    authz::Proof,
    db::rfc3339,
    lifecycle::export::{Exporter, Section, Sink, Subject},
    AppState, BoxError,
};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::collections::HashMap;

const SECTIONS: &[Section] = &[
    Section {
        name: "rooms",
        description: "Conversations, groups and channels you belong to or wrote in",
    },
    Section {
        name: "messages",
        description: "Messages you sent, one file per room, with their attachments and earlier \
                      versions",
    },
    Section {
        name: "reactions",
        description: "Reactions you gave to messages",
    },
    Section {
        name: "notifications",
        description: "Notifications you received (mentions, direct messages)",
    },
    Section {
        name: "devices",
        description: "Devices you registered for end-to-end encrypted rooms, with their public \
                      keys (the private keys never left them)",
    },
];

const PAGE: i64 = 1000;

/// Messaging in the export registry (`app::exporters`).
pub struct Messaging;

#[async_trait]
impl Exporter for Messaging {
    fn sections(&self) -> &'static [Section] {
        SECTIONS
    }

    async fn export(
        &self,
        state: &AppState,
        subject: &Subject,
        sink: &mut Sink,
    ) -> Result<(), BoxError> {
        let (tenant, user) = (subject.tenant_id(), subject.user_id());
        let rooms = {
            let mut conn = state.db.conn().await?;
            store::rooms_of_person(&mut conn, tenant, user).await?
        };
        let room_items: Vec<Value> = rooms
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "kind": r.kind,
                    "name": r.name,
                    "topic": r.topic,
                    "created_by_you": r.created_by == user,
                    "created_at": rfc3339(r.created_at),
                    "archived_at": r.archived_at.map(rfc3339),
                    "your_role": r.role,
                    "joined_at": r.joined_at.map(rfc3339),
                    "read_up_to_seq": r.read_seq,
                    "member": r.role.is_some(),
                    "end_to_end_encrypted": r.encrypted != 0,
                    "messages": format!("messages/{}.json", r.id),
                })
            })
            .collect();
        sink.records("rooms", "rooms", &room_items).await?;

        let (mut plaintext, mut ciphertext, mut files_left_out) = (0u64, 0u64, 0u64);
        for r in &rooms {
            let (attachments, edits) = {
                let mut conn = state.db.conn().await?;
                (
                    store::own_attachments(&mut conn, tenant, &r.id, user).await?,
                    store::own_edits(&mut conn, tenant, &r.id, user).await?,
                )
            };
            let mut files_of: HashMap<String, Vec<Value>> = HashMap::new();
            for (message_id, file_id) in attachments {
                let row = {
                    let mut conn = state.db.conn().await?;
                    crate::files::service::stored(&mut conn, tenant, &file_id).await?
                };
                let entry = match row {
                    // Only what the person uploaded: a file of someone else's they attached
                    // is named, not copied.
                    Some(f) if f.uploader_id == user => {
                        let path = sink
                            .file(state, "messages", &crate::files::service::stored_file(&f))
                            .await?;
                        json!({ "file_id": f.id, "name": f.name, "content_type": f.content_type,
                                "size": f.size, "sha256": f.sha256, "path": path })
                    }
                    Some(_) => {
                        files_left_out += 1;
                        json!({ "file_id": file_id, "path": null,
                                "note": "uploaded by someone else: not part of your data" })
                    }
                    None => continue,
                };
                files_of.entry(message_id).or_default().push(entry);
            }
            let mut edits_of: HashMap<String, Vec<(String, i64)>> = HashMap::new();
            for (message_id, body, at) in edits {
                edits_of.entry(message_id).or_default().push((body, at));
            }
            let mut items = Vec::new();
            let mut after = 0;
            loop {
                let page = {
                    let mut conn = state.db.conn().await?;
                    store::own_messages(&mut conn, tenant, &r.id, user, after, PAGE).await?
                };
                let Some(last) = page.last() else { break };
                after = last.seq;
                let full = page.len() as i64 == PAGE;
                for m in page {
                    let encrypted = m.key_version.is_some();
                    if encrypted {
                        ciphertext += 1;
                    } else {
                        plaintext += 1;
                    }
                    let text_key = if encrypted { "ciphertext" } else { "body" };
                    let earlier: Vec<Value> = edits_of
                        .remove(&m.id)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(b, at)| json!({ text_key: b, "replaced_at": rfc3339(at) }))
                        .collect();
                    let mut item = json!({
                        "id": m.id,
                        "room_id": r.id,
                        "seq": m.seq,
                        "sent_at": rfc3339(m.created_at),
                        "edited_at": m.edited_at.map(rfc3339),
                        "thread_root_id": m.thread_root_id,
                        "encrypted": encrypted,
                        "key_version": m.key_version,
                        "attachments": files_of.remove(&m.id).unwrap_or_default(),
                        "earlier_versions": earlier,
                    });
                    item[text_key] = Value::String(m.body);
                    items.push(item);
                }
                if !full {
                    break;
                }
            }
            if !items.is_empty() || r.role.is_some() {
                sink.records("messages", &r.id, &items).await?;
            }
        }
        sink.detail("messages", "plaintext", plaintext.into())?;
        sink.detail("messages", "ciphertext", ciphertext.into())?;
        if ciphertext > 0 {
            sink.note(
                "messages",
                "Messages in end-to-end encrypted rooms are exported as the ciphertext the server \
                 stores (\"encrypted\": true, field \"ciphertext\"): the server never holds their \
                 keys. Your devices can decrypt them with the room keys of \"key_version\".",
            )?;
        }
        if files_left_out > 0 {
            sink.note(
                "messages",
                "Files someone else uploaded that you attached are named but not included.",
            )?;
        }

        let reactions = {
            let mut conn = state.db.conn().await?;
            store::own_reactions(&mut conn, tenant, user).await?
        };
        let reaction_items: Vec<Value> = reactions
            .into_iter()
            .map(|(message_id, room_id, emoji, at)| {
                json!({ "message_id": message_id, "room_id": room_id, "emoji": emoji,
                        "at": rfc3339(at) })
            })
            .collect();
        sink.records("reactions", "reactions", &reaction_items)
            .await?;

        let mut notes = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let page = {
                let mut conn = state.db.conn().await?;
                notifications::list(&mut conn, tenant, user, false, before.as_deref(), PAGE).await?
            };
            let Some(last) = page.last() else { break };
            before = Some(last.id.clone());
            let full = page.len() as i64 == PAGE;
            notes.extend(page.into_iter().map(|n| {
                json!({
                    "id": n.id, "kind": n.kind, "room_id": n.room_id,
                    "message_id": n.message_id, "actor_id": n.actor_id,
                    "created_at": rfc3339(n.created_at), "read_at": n.read_at.map(rfc3339),
                })
            }));
            if !full {
                break;
            }
        }
        sink.records("notifications", "notifications", &notes)
            .await?;
        let devices = {
            let mut conn = state.db.conn().await?;
            store::devices(&mut conn, tenant, user).await?
        };
        let devices: Vec<Value> = devices
            .into_iter()
            .map(|(id, key, at)| json!({ "device_id": id, "public_key": key, "registered_at": rfc3339(at) }))
            .collect();
        sink.records("devices", "devices", &devices).await?;
        Ok(())
    }
}
