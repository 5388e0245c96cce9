//! Taking text out of a room's event log.
//!
//! The log is what `GET /rooms/{id}/events`, `POST /sync` and the WebSocket replay to members,
//! so text that is gone from a message must be gone from its events too, while every event keeps
//! its sequence number (clients stay gap-free). One routine serves the three cases:
//!
//! * a delete-after-delivery purge removes everything about the message;
//! * a delete leaves a tombstone: the events that carried the message's text (`message.created`,
//!   `message.edited`) keep who sent it and where it sits in a thread, nothing of its content;
//! * an edit supersedes the text before it: earlier `message.created` / `message.edited` events
//!   lose their text, and only the new edit event carries the current one.
//!
//! The edit history itself stays in `message_edits` for the audit trail; no member API serves it.
//! Frames a WebSocket already delivered cannot be recalled; catch-up never returns old text.

use super::store;
use serde_json::{json, Value};
use sqlx::AnyConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scrub {
    /// Purged (delete-after-delivery, retention): nothing of the message remains, in any of its
    /// events. Purges rewrite a whole batch's events in one statement
    /// (`store::lifecycle::purge_event_payloads`) to exactly this shape.
    Purged,
    /// Deleted: a tombstone without content.
    Deleted,
    /// Edited: text in events before `latest_seq` (the edit that replaced it) is superseded.
    Superseded { latest_seq: i64 },
}

/// Events that carry a message's text.
fn carries_text(kind: &str) -> bool {
    matches!(kind, "message.created" | "message.edited")
}

/// The scrubbed payload of one event, or `None` when the event stays as it is.
pub fn scrubbed(
    message_id: &str,
    kind: &str,
    seq: i64,
    payload: &Value,
    how: Scrub,
) -> Option<Value> {
    let id = Value::String(message_id.to_string());
    match how {
        Scrub::Purged => Some(json!({ "id": id, "purged": true })),
        _ if !carries_text(kind) => None,
        Scrub::Superseded { latest_seq } if seq >= latest_seq => None,
        Scrub::Deleted | Scrub::Superseded { .. } => {
            let marker = if how == Scrub::Deleted {
                "deleted"
            } else {
                "superseded"
            };
            if payload.get(marker) == Some(&Value::Bool(true)) {
                return None;
            }
            let mut out = serde_json::Map::new();
            out.insert("id".into(), id);
            if kind == "message.created" {
                // Who sent it and where it sits stay: the timeline and threads keep their shape.
                for k in ["sender_id", "thread_root_id"] {
                    if let Some(v) = payload.get(k) {
                        out.insert(k.into(), v.clone());
                    }
                }
                if how != Scrub::Deleted {
                    // Mentions and attachments are not changed by an edit.
                    for k in ["mentions", "mention_room", "attachments"] {
                        if let Some(v) = payload.get(k) {
                            out.insert(k.into(), v.clone());
                        }
                    }
                }
            }
            out.insert("body".into(), Value::String(String::new()));
            out.insert(marker.into(), Value::Bool(true));
            Some(Value::Object(out))
        }
    }
}

/// Rewrite the events of one message in place, inside the caller's transaction.
pub async fn message_events(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    message_id: &str,
    how: Scrub,
) -> Result<u64, sqlx::Error> {
    let mut n = 0;
    for e in store::message_events(&mut *conn, tenant_id, room_id, message_id).await? {
        let payload: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
        if let Some(new) = scrubbed(message_id, &e.kind, e.seq, &payload, how) {
            store::set_event_payload(&mut *conn, tenant_id, room_id, e.seq, &new).await?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created() -> Value {
        json!({ "id": "m1", "sender_id": "u1", "body": "secret plan", "thread_root_id": null,
                "mentions": ["u2"], "mention_room": false, "attachments": ["f1"] })
    }

    #[test]
    fn deletion_keeps_the_shape_not_the_content() {
        let c = scrubbed("m1", "message.created", 5, &created(), Scrub::Deleted).unwrap();
        assert_eq!(
            c,
            json!({ "id": "m1", "sender_id": "u1", "thread_root_id": null, "body": "", "deleted": true })
        );
        let e = scrubbed(
            "m1",
            "message.edited",
            6,
            &json!({ "id": "m1", "body": "new plan" }),
            Scrub::Deleted,
        )
        .unwrap();
        assert_eq!(e, json!({ "id": "m1", "body": "", "deleted": true }));
        let sealed = json!({ "id": "m1", "sender_id": "u1", "body": "", "ciphertext": "AAAA", "key_version": 2 });
        let s = scrubbed("m1", "message.created", 5, &sealed, Scrub::Deleted).unwrap();
        assert!(s.get("ciphertext").is_none(), "{s}");
        // Reactions and pins carry no text and stay.
        assert!(scrubbed(
            "m1",
            "reaction.added",
            7,
            &json!({ "id": "m1", "emoji": "👍" }),
            Scrub::Deleted
        )
        .is_none());
        assert!(scrubbed(
            "m1",
            "message.deleted",
            8,
            &json!({ "id": "m1" }),
            Scrub::Deleted
        )
        .is_none());
    }

    #[test]
    fn an_edit_supersedes_only_what_came_before_it() {
        let how = Scrub::Superseded { latest_seq: 9 };
        let c = scrubbed("m1", "message.created", 5, &created(), how).unwrap();
        assert_eq!(c["body"], "");
        assert_eq!(c["superseded"], true);
        assert_eq!(c["mentions"], json!(["u2"]));
        assert_eq!(c["attachments"], json!(["f1"]));
        let old_edit = json!({ "id": "m1", "body": "second text" });
        assert_eq!(
            scrubbed("m1", "message.edited", 6, &old_edit, how).unwrap(),
            json!({ "id": "m1", "body": "", "superseded": true })
        );
        let new_edit = json!({ "id": "m1", "body": "third text" });
        assert!(scrubbed("m1", "message.edited", 9, &new_edit, how).is_none());
        // Already scrubbed: nothing to write again.
        assert!(scrubbed("m1", "message.created", 5, &c, how).is_none());
    }

    #[test]
    fn a_purge_leaves_only_the_id() {
        for kind in ["message.created", "reaction.added", "message.pinned"] {
            assert_eq!(
                scrubbed("m1", kind, 1, &created(), Scrub::Purged).unwrap(),
                json!({ "id": "m1", "purged": true })
            );
        }
    }
}
