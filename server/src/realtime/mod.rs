//! Realtime delivery: one WebSocket per client session at `/api/v1/events`.
//!
//! After a room change commits, the service hands the [`Hub`] the events it wrote (held in
//! memory, published only once the commit returned, so only committed events go out) and the
//! hub routes them to the sockets of the room's members on this node ([`sockets`]: a frame
//! wakes only the sockets it is for). Each socket forwards the events of rooms its person
//! belongs to **now**: membership follows member events about its person, is re-read on a
//! timer, and the socket re-checks the session (closing when the account is disabled, the
//! session revoked or the tenant suspended). Typing notices are ephemeral. A socket that falls
//! `realtime.buffer` frames behind is closed with a reason instead of growing memory; the client
//! reconnects and catches up by sequence (`GET /rooms/{id}/events?after_seq=`).
//!
//! Besides room events, the hub carries **personal** frames: a frame for a list of people of a
//! tenant (a notice: "an announcement was published for you"), delivered to those people's
//! sockets only. The feature that wrote the notices publishes the frame after its commit; other
//! nodes get a reference (tenant, batch) and read the recipients and the frame through the
//! [`Personal`] hook, so the `NOTIFY` payload stays small whatever the number of recipients.
//!
//! Across nodes (PostgreSQL), a change is also announced with `NOTIFY stoa_realtime` carrying
//! `(tenant, room, seq range)`, sent inside its transaction (PostgreSQL delivers it at commit);
//! every other node's listener reads those events and publishes
//! them to its own sockets. A notification missed while a listener reconnects is not lost: the
//! events are in the database and clients catch up by sequence.

pub mod api;
mod sockets;
pub mod store;
pub mod ws;

use crate::db::Db;
use async_trait::async_trait;
pub use sockets::Subscription;
use sqlx::AnyConnection;
use std::sync::Arc;

/// A committed event of a room, as the feature that owns rooms stored it.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub room_id: String,
    pub seq: i64,
    pub kind: String,
    pub actor_id: String,
    pub message_id: Option<String>,
    /// JSON.
    pub payload: String,
    pub created_at: i64,
}

/// Where realtime finds rooms and their events: the feature that owns rooms (messaging)
/// implements it and `app.rs` hands it to the [`Hub`]. Realtime names no feature.
#[async_trait]
pub trait Rooms: Send + Sync {
    /// The rooms a person belongs to now.
    async fn rooms_of(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<Vec<String>, sqlx::Error>;
    /// A room's last sequence number, `None` when it is gone.
    async fn head(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        room_id: &str,
    ) -> Result<Option<i64>, sqlx::Error>;
    /// A room's committed events after `after_seq`, at most `limit`, in order.
    async fn events(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        room_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, sqlx::Error>;
}

/// Where realtime reads a batch of personal frames that another node announced: the
/// infrastructure that writes per-person notices implements it and `app.rs` hands it to the
/// [`Hub`].
#[async_trait]
pub trait Personal: Send + Sync {
    /// The people a batch is for and the frame they get (serialised JSON); `None` when the
    /// batch is unknown (gone, or never committed).
    async fn batch(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        batch_id: &str,
    ) -> Result<Option<(Vec<String>, String)>, sqlx::Error>;
}

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
    /// A frame for some people of a tenant (a notice), to their sockets only.
    Personal {
        tenant_id: String,
        users: std::collections::HashSet<String>,
        json: String,
    },
    /// Someone is typing (not stored).
    Typing {
        tenant_id: String,
        room_id: String,
        json: String,
    },
    /// Close sockets (account disabled, sessions revoked, tenant suspended), or have them
    /// re-check their session (a privacy policy took effect).
    Kick(Kick),
}

/// Which sockets to close: a tenant's, narrowed to a person and to one session, sparing one
/// session (the one that changed the password keeps its sockets). Empty fields match all. With
/// `recheck`, the sockets hit re-check their session instead and close only when it no longer
/// holds (a new privacy policy took effect: only people who must now consent lose theirs).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Kick {
    #[serde(rename = "t")]
    pub tenant_id: String,
    #[serde(rename = "u", default)]
    pub user_id: String,
    #[serde(rename = "s", default)]
    pub session_id: String,
    #[serde(rename = "k", default)]
    pub keep_session: String,
    #[serde(rename = "c", default)]
    pub recheck: bool,
    /// Close nothing: only what this node caches about the named sessions is dropped
    /// ([`Kick::refresh`]).
    #[serde(rename = "o", default, skip_serializing_if = "std::ops::Not::not")]
    pub cache_only: bool,
}

/// What else a node keeps about sessions and must forget when they are kicked (the session
/// cache): told synchronously, before any socket hears of the kick, on the node that sent it
/// and on every node that receives it.
pub trait Observer: Send + Sync {
    fn kicked(&self, k: &Kick);
    /// The notification listener connected (`true`) or lost its connection (`false`): kicks
    /// sent meanwhile by other nodes were missed.
    fn listening(&self, connected: bool);
}

impl Kick {
    /// Every socket of a tenant.
    pub fn tenant(tenant_id: &str) -> Kick {
        Kick {
            tenant_id: tenant_id.to_string(),
            ..Kick::default()
        }
    }

    /// Every socket of a person.
    pub fn user(tenant_id: &str, user_id: &str) -> Kick {
        Kick {
            user_id: user_id.to_string(),
            ..Kick::tenant(tenant_id)
        }
    }

    /// The sockets of one session.
    pub fn session(tenant_id: &str, user_id: &str, session_id: &str) -> Kick {
        Kick {
            session_id: session_id.to_string(),
            ..Kick::user(tenant_id, user_id)
        }
    }

    /// Re-check the session instead of closing: close only the sockets whose session no longer
    /// holds (ended, or consent now pending).
    pub fn unless_valid(mut self) -> Kick {
        self.recheck = true;
        self
    }

    /// A tenant's policies changed: no socket closes, but every node drops what it caches
    /// about the tenant's sessions (their policy version) and reads it afresh.
    pub fn refresh(tenant_id: &str) -> Kick {
        Kick {
            cache_only: true,
            ..Kick::tenant(tenant_id)
        }
    }

    /// Spare the sockets of this session.
    pub fn keeping(mut self, session_id: &str) -> Kick {
        self.keep_session = session_id.to_string();
        self
    }

    /// Whether a socket of this session is to close.
    pub fn hits(&self, tenant_id: &str, user_id: &str, session_id: &str) -> bool {
        self.tenant_id == tenant_id
            && (self.user_id.is_empty() || self.user_id == user_id)
            && (self.session_id.is_empty() || self.session_id == session_id)
            && self.keep_session != session_id
    }
}

pub struct Hub {
    sockets: sockets::Sockets,
    /// Frames a socket may fall behind by before it is cut off.
    buffer: usize,
    /// Where rooms and their events are read.
    pub rooms: Arc<dyn Rooms>,
    /// Where another node's personal batches are read (none: they are not delivered here).
    personal: Option<Arc<dyn Personal>>,
    /// Tells this node's own notifications from other nodes'.
    node_id: String,
    /// Told of every kick before the sockets are.
    observers: Vec<Arc<dyn Observer>>,
}

impl Hub {
    /// `buffer`: frames kept for a slow socket before it is cut off.
    pub fn new(buffer: usize, rooms: Arc<dyn Rooms>) -> Hub {
        Hub {
            sockets: sockets::Sockets::default(),
            buffer: buffer.max(1),
            rooms,
            personal: None,
            node_id: uuid::Uuid::new_v4().simple().to_string(),
            observers: Vec::new(),
        }
    }

    /// Tell `o` of every kick (and of the notification listener's connection).
    pub fn with_observer(mut self, o: Arc<dyn Observer>) -> Hub {
        self.observers.push(o);
        self
    }

    fn listening(&self, connected: bool) {
        for o in &self.observers {
            o.listening(connected);
        }
    }

    /// Read other nodes' personal batches through `p`.
    pub fn with_personal(mut self, p: Arc<dyn Personal>) -> Hub {
        self.personal = Some(p);
        self
    }
}

const CHANNEL: &str = "stoa_realtime";

#[derive(serde::Serialize, serde::Deserialize)]
struct Notice {
    /// Origin node.
    n: String,
    t: String,
    /// Room (events) or empty (a kick).
    #[serde(default)]
    r: String,
    #[serde(default)]
    f: i64,
    #[serde(default)]
    l: i64,
    /// Sockets to close (a kick).
    #[serde(default)]
    kick: Option<Kick>,
    /// A batch of personal frames (read back through [`Personal`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    p: String,
}

impl Hub {
    /// A new socket of a session: it hears of its person's membership changes at once, and
    /// of its rooms once it set them ([`Subscription::reading`], [`Subscription::set_rooms`]).
    pub fn subscribe(&self, tenant_id: &str, user_id: &str, session_id: &str) -> Subscription {
        self.sockets
            .attach(tenant_id, user_id, session_id, self.buffer)
    }

    fn send(&self, f: Frame) {
        // No socket is not an error.
        self.sockets.route(f);
    }

    fn no_sockets(&self) -> bool {
        self.sockets.is_empty()
    }

    async fn notify(&self, db: &Db, n: Notice) {
        if db.backend != crate::db::Backend::Postgres {
            return;
        }
        let payload = serde_json::to_string(&n).unwrap_or_default();
        let sent = match db.conn().await {
            Ok(mut conn) => store::notify(&mut conn, CHANNEL, &payload).await,
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, "could not notify other nodes; their clients will catch up");
        }
    }

    /// Inside the transaction that writes a room's events `[first, last]`: tell the other nodes.
    /// PostgreSQL delivers a `NOTIFY` when the transaction commits, and never when it rolls back,
    /// so this costs no round trip of its own after the commit. Nothing to do on SQLite.
    pub async fn announce_in(
        &self,
        conn: &mut AnyConnection,
        backend: crate::db::Backend,
        tenant_id: &str,
        room_id: &str,
        first: i64,
        last: i64,
    ) -> Result<(), sqlx::Error> {
        if backend != crate::db::Backend::Postgres {
            return Ok(());
        }
        let n = Notice {
            n: self.node_id.clone(),
            t: tenant_id.to_string(),
            r: room_id.to_string(),
            f: first,
            l: last,
            kick: None,
            p: String::new(),
        };
        store::notify(
            conn,
            CHANNEL,
            &serde_json::to_string(&n).unwrap_or_default(),
        )
        .await
    }

    /// After a commit: broadcast the events it wrote to this node's sockets, from memory (the
    /// change holds them; reading them back would cost a query per change).
    pub fn publish_committed(&self, tenant_id: &str, events: Vec<StoredEvent>) {
        if self.no_sockets() {
            return;
        }
        for e in events {
            self.broadcast(tenant_id, e);
        }
    }

    /// Inside the transaction that writes a batch of personal frames: tell the other nodes
    /// (delivered at commit, as [`Hub::announce_in`]). The payload names the batch only, so
    /// it stays far below `NOTIFY`'s 8000 bytes whatever the number of people.
    pub async fn announce_personal_in(
        &self,
        conn: &mut AnyConnection,
        backend: crate::db::Backend,
        tenant_id: &str,
        batch_id: &str,
    ) -> Result<(), sqlx::Error> {
        if backend != crate::db::Backend::Postgres {
            return Ok(());
        }
        let n = Notice {
            n: self.node_id.clone(),
            t: tenant_id.to_string(),
            r: String::new(),
            f: 0,
            l: 0,
            kick: None,
            p: batch_id.to_string(),
        };
        store::notify(
            conn,
            CHANNEL,
            &serde_json::to_string(&n).unwrap_or_default(),
        )
        .await
    }

    /// After a commit: send a frame to the sockets of `users` of the tenant on this node.
    pub fn publish_personal(
        &self,
        tenant_id: &str,
        users: std::collections::HashSet<String>,
        json: String,
    ) {
        if self.no_sockets() || users.is_empty() {
            return;
        }
        self.send(Frame::Personal {
            tenant_id: tenant_id.to_string(),
            users,
            json,
        });
    }

    /// Another node's batch: read its people and frame, then send it to this node's sockets.
    async fn publish_batch(&self, db: &Db, tenant_id: &str, batch_id: &str) {
        let Some(personal) = &self.personal else {
            return;
        };
        if self.no_sockets() {
            return;
        }
        let batch = match db.conn().await {
            Ok(mut conn) => personal.batch(&mut conn, tenant_id, batch_id).await,
            Err(e) => Err(e),
        };
        match batch {
            Ok(Some((users, json))) => {
                self.publish_personal(tenant_id, users.into_iter().collect(), json)
            }
            Ok(None) => {}
            // The notices are in the database: the person sees them on the next list.
            Err(e) => tracing::warn!(error = %e, "could not read a personal batch to publish"),
        }
    }

    /// Close sockets on every node, after the change that revoked them committed.
    pub async fn kick_everywhere(&self, db: &Db, k: Kick) {
        self.kick(k.clone());
        self.notify(
            db,
            Notice {
                n: self.node_id.clone(),
                t: k.tenant_id.clone(),
                r: String::new(),
                f: 0,
                l: 0,
                kick: Some(k),
                p: String::new(),
            },
        )
        .await;
    }

    /// Broadcast a room's committed events `[first, last]` to this node's sockets.
    pub async fn publish(&self, db: &Db, tenant_id: &str, room_id: &str, first: i64, last: i64) {
        if self.no_sockets() || last < first {
            return;
        }
        let rows = match db.conn().await {
            Ok(mut conn) => {
                self.rooms
                    .events(&mut conn, tenant_id, room_id, first - 1, last - first + 1)
                    .await
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
            self.broadcast(tenant_id, e);
        }
    }

    /// One committed event to this node's sockets.
    fn broadcast(&self, tenant_id: &str, e: StoredEvent) {
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

    pub fn typing(&self, tenant_id: &str, room_id: &str, user_id: &str) {
        let json = serde_json::json!({ "type": "typing", "room_id": room_id, "user_id": user_id })
            .to_string();
        self.send(Frame::Typing {
            tenant_id: tenant_id.to_string(),
            room_id: room_id.to_string(),
            json,
        });
    }

    pub fn kick(&self, k: Kick) {
        for o in &self.observers {
            o.kicked(&k);
        }
        if !k.cache_only {
            self.send(Frame::Kick(k));
        }
    }
}

/// On PostgreSQL: listen for other nodes' announcements until `shutdown`, reconnecting as needed.
pub fn spawn_listener(
    state: Arc<crate::AppState>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    if state.db.backend != crate::db::Backend::Postgres {
        return None;
    }
    let url = state.cfg.database_url();
    Some(tokio::spawn(async move {
        let mut delay = std::time::Duration::from_millis(200);
        loop {
            let listener = async {
                let mut l = sqlx::postgres::PgListener::connect(&url).await?;
                l.listen(CHANNEL).await?;
                Ok::<_, sqlx::Error>(l)
            };
            let mut listener = tokio::select! {
                l = listener => match l {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "realtime listener cannot connect; retrying");
                        tokio::select! {
                            _ = tokio::time::sleep(delay) => {}
                            _ = shutdown.changed() => return,
                        }
                        delay = (delay * 2).min(std::time::Duration::from_secs(10));
                        continue;
                    }
                },
                _ = shutdown.changed() => return,
            };
            delay = std::time::Duration::from_millis(200);
            state.hub.listening(true);
            loop {
                // `try_recv`, not `recv`: `recv` reconnects silently, and whatever was sent
                // while it was away would be lost without this node knowing.
                let n = tokio::select! {
                    n = listener.try_recv() => n,
                    _ = shutdown.changed() => return,
                };
                let n = match n {
                    Ok(Some(n)) => n,
                    Ok(None) => {
                        tracing::warn!("realtime listener lost its connection; reconnecting");
                        state.hub.listening(false);
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "realtime listener lost its connection");
                        state.hub.listening(false);
                        break;
                    }
                };
                let Ok(notice) = serde_json::from_str::<Notice>(n.payload()) else {
                    continue;
                };
                if notice.n == state.hub.node_id {
                    continue;
                }
                if let Some(k) = notice.kick {
                    state.hub.kick(k);
                } else if !notice.p.is_empty() {
                    state
                        .hub
                        .publish_batch(&state.db, &notice.t, &notice.p)
                        .await;
                } else if !notice.r.is_empty() {
                    state
                        .hub
                        .publish(&state.db, &notice.t, &notice.r, notice.f, notice.l)
                        .await;
                }
            }
        }
    }))
}
