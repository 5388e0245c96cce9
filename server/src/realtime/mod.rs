//! Realtime delivery: one WebSocket per client session at `/api/v1/events`.
//!
//! After a room change commits, the service asks the [`Hub`] to publish the events it wrote;
//! the hub reads them back from the database (so only committed events go out) and broadcasts
//! them to this node's sockets. Each socket forwards the events of rooms its person belongs to
//! **now**: it keeps the membership set, updates it on member events about its person, re-reads
//! it on a timer, and re-checks the session (closing when the account is disabled, the session
//! revoked or the tenant suspended). Typing notices are ephemeral. A socket that falls behind
//! the broadcast buffer is closed with a reason instead of growing memory; the client reconnects
//! and catches up by sequence (`GET /rooms/{id}/events?after_seq=`).
//!
//! Deviation, for now: delivery is per node. Several nodes need the publish to cross nodes
//! (PostgreSQL `LISTEN/NOTIFY` carrying `(tenant, room, seq range)`); until then clients on
//! another node see the events on their next catch-up.

pub mod api;
pub mod ws;

use crate::{db::Db, messaging::store};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Frames kept for slow sockets before they are cut off.
const BUFFER: usize = 4096;

#[derive(Debug)]
pub enum Frame {
    /// A stored room event, already serialised.
    Event {
        tenant_id: String,
        room_id: String,
        /// For `member.joined` / `member.left`: whose membership changed.
        member: Option<String>,
        joined: bool,
        json: String,
    },
    /// Someone is typing (not stored).
    Typing {
        tenant_id: String,
        room_id: String,
        json: String,
    },
    /// Close this person's sockets (account disabled, sessions revoked).
    Kick { tenant_id: String, user_id: String },
}

pub struct Hub {
    tx: broadcast::Sender<Arc<Frame>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            tx: broadcast::channel(BUFFER).0,
        }
    }
}

impl Hub {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Frame>> {
        self.tx.subscribe()
    }

    fn send(&self, f: Frame) {
        // No subscriber is not an error.
        let _ = self.tx.send(Arc::new(f));
    }

    /// Broadcast a room's committed events `[first, last]`.
    pub async fn publish(&self, db: &Db, tenant_id: &str, room_id: &str, first: i64, last: i64) {
        if self.tx.receiver_count() == 0 || last < first {
            return;
        }
        let rows = match db.conn().await {
            Ok(mut conn) => {
                store::events(&mut conn, tenant_id, room_id, first - 1, last - first + 1).await
            }
            Err(e) => Err(e),
        };
        let rows = match rows {
            Ok(r) => r,
            Err(e) => {
                // Clients catch up by sequence; nothing is lost, only late.
                tracing::warn!(error = %e, "could not read events to publish");
                return;
            }
        };
        for e in rows {
            let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
            let member = match e.kind.as_str() {
                "member.joined" | "member.left" => payload["user_id"].as_str().map(str::to_string),
                _ => None,
            };
            let json = serde_json::json!({
                "type": "event",
                "room_id": e.room_id,
                "seq": e.seq,
                "kind": e.kind,
                "actor_id": e.actor_id,
                "message_id": e.message_id,
                "payload": payload,
                "created_at": crate::db::rfc3339(e.created_at),
            })
            .to_string();
            self.send(Frame::Event {
                tenant_id: tenant_id.to_string(),
                room_id: e.room_id,
                member,
                joined: e.kind == "member.joined",
                json,
            });
        }
    }

    pub fn typing(&self, tenant_id: &str, room_id: &str, user_id: &str) {
        let json = serde_json::json!({ "type": "typing", "room_id": room_id, "user_id": user_id })
            .to_string();
        self.send(Frame::Typing {
            tenant_id: tenant_id.to_string(),
            room_id: room_id.to_string(),
            json,
        });
    }

    pub fn kick(&self, tenant_id: &str, user_id: &str) {
        self.send(Frame::Kick {
            tenant_id: tenant_id.to_string(),
            user_id: user_id.to_string(),
        });
    }
}
