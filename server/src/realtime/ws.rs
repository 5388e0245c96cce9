//! The `/api/v1/events` WebSocket.

use super::Frame;
use crate::{
    authn::{self, tokens, Principal},
    db::now_ms,
    error::ApiError,
    AppState,
};
use futures_util::{SinkExt, StreamExt};
use poem::{
    handler,
    web::{
        websocket::{CloseCode, Message, WebSocket, WebSocketConfig},
        Data,
    },
    IntoResponse, Request, Response,
};
use std::{collections::HashSet, sync::Arc, time::Duration};

/// How often an open socket re-checks its session and re-reads its rooms. Revocations close
/// sockets at once through the hub ([`super::Kick`]: account disabled, session revoked or signed
/// out, password changed, tenant suspended; on every node), and so does a privacy policy
/// published to take effect at once (the sockets re-check; those whose person must now consent
/// close with [`CLOSE_CONSENT_REQUIRED`]); membership follows the room's own events. So this is
/// the backstop for what no kick reached (a change made by the command-line tool in another
/// process, a notification lost while a node's listener reconnected) — and how a privacy policy
/// scheduled for later reaches open sockets: they close within this period after it takes
/// effect, while REST calls are refused from that instant. Each socket starts at a random point
/// of the period, so that thousands of sockets do not re-check together; two queries per socket
/// per period is what an idle socket costs.
const RECHECK: Duration = Duration::from_secs(30);
const MAX_CLIENT_FRAME: usize = 4096;

/// Close codes (4000–4999 are the application's).
pub const CLOSE_SESSION_ENDED: u16 = 4001;
/// The person must accept the privacy policy (`GET /api/v1/privacy/policy`) before reconnecting.
pub const CLOSE_CONSENT_REQUIRED: u16 = 4003;
pub const CLOSE_SLOW: u16 = 4008;

/// The person behind a ticket or bearer header, refused (403 `consent_required`) while the
/// consent gate holds them.
async fn authenticate(state: &AppState, req: &Request) -> Result<Principal, ApiError> {
    let p = credential(state, req).await?;
    if p.consent_pending {
        return Err(ApiError::consent_required());
    }
    Ok(p)
}

async fn credential(state: &AppState, req: &Request) -> Result<Principal, ApiError> {
    let ctx = authn::ctx_of(req);
    let ticket = req.uri().query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "ticket")
            .map(|(_, v)| v.to_string())
    });
    if let Some(ticket) = ticket {
        let mut tx = state.db.begin().await?;
        let hash = super::store::take_ticket(&mut tx, &tokens::hash(&ticket), now_ms()).await?;
        tx.commit().await?;
        let hash = hash.ok_or_else(ApiError::unauthenticated)?;
        return authn::resolve_hash(state, &hash, ctx).await;
    }
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(ApiError::unauthenticated)?;
    authn::resolve(state, token.trim(), ctx).await
}

/// Buffers sized to what the socket carries. The library's defaults (128 KiB read buffer,
/// allocated eagerly, and 128 KiB of write batching) cost a quarter of a megabyte per idle
/// socket; clients only send small control frames (typing, ping) and the server flushes each
/// event as it goes, so 4 KiB to read and no write batching keep an idle socket to a few KiB.
/// A client frame larger than the limit closes the socket (it never had a use).
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(1 << 20)
        .max_message_size(Some(64 * 1024))
        .max_frame_size(Some(64 * 1024))
}

/// Upgrade to a WebSocket, authenticated by `?ticket=` (from `POST /api/v1/events/ticket`) or an
/// `Authorization: Bearer` header.
#[handler]
pub async fn events(req: &Request, ws: WebSocket, state: Data<&Arc<AppState>>) -> Response {
    let state = state.0.clone();
    let request_id = req
        .data::<crate::ops::ctx::RequestCtx>()
        .map(|c| c.request_id.clone());
    match authenticate(&state, req).await {
        Ok(p) => ws
            .config(socket_config())
            .on_upgrade(move |socket| run(state, p, socket))
            .into_response(),
        Err(e) => e.into_response_with(request_id),
    }
}

async fn rooms_of(state: &AppState, p: &Principal) -> Option<HashSet<String>> {
    let mut conn = state.db.conn().await.ok()?;
    state
        .hub
        .rooms
        .rooms_of(&mut conn, &p.tenant_id, &p.user_id)
        .await
        .ok()
        .map(|v| v.into_iter().collect())
}

/// Why a socket must close now (its close code and reason), `None` while its session holds. A
/// failure to check keeps the socket until the next check.
async fn ended(state: &AppState, p: &Principal) -> Option<(u16, &'static str)> {
    match authn::standing(state, p).await {
        Ok(authn::Standing::Valid) | Err(_) => None,
        Ok(authn::Standing::Ended) => Some((CLOSE_SESSION_ENDED, "the session ended")),
        Ok(authn::Standing::ConsentPending) => Some((
            CLOSE_CONSENT_REQUIRED,
            "accept the privacy policy, then reconnect",
        )),
    }
}

#[derive(serde::Deserialize)]
struct ClientFrame {
    #[serde(rename = "type")]
    kind: String,
    room_id: Option<String>,
}

async fn run(state: Arc<AppState>, p: Principal, socket: poem::web::websocket::WebSocketStream) {
    let (mut sink, mut stream) = socket.split();
    let mut sub = state.hub.subscribe(&p.tenant_id, &p.user_id, &p.session_id);
    let mut draining = state.drain.subscribe();
    sub.reading();
    let Some(read) = rooms_of(&state, &p).await else {
        return;
    };
    // Membership changes published while the rooms were read are applied over them. Events of
    // these rooms published before this point are covered by the heads below (the client
    // catches up from them).
    let mut rooms = sub.set_rooms(read);
    // Where each room stands, so the client can catch up from its own cursor.
    let mut heads = serde_json::Map::new();
    {
        if let Ok(mut conn) = state.db.conn().await {
            for r in &rooms {
                if let Ok(Some(head)) = state.hub.rooms.head(&mut conn, &p.tenant_id, r).await {
                    heads.insert(r.clone(), head.into());
                }
            }
        }
    }
    let ready = serde_json::json!({ "type": "ready", "user_id": p.user_id, "rooms": heads });
    if sink.send(Message::Text(ready.to_string())).await.is_err() {
        return;
    }
    let offset = RECHECK.mul_f64(rand::random::<f64>());
    let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + offset, RECHECK);
    let close =
        |code: u16, why: &str| Message::Close(Some((CloseCode::from(code), why.to_string())));
    loop {
        tokio::select! {
            // The node is shutting down: the client reconnects (through the balancer, to
            // another node) and catches up by sequence.
            _ = crate::ops::drain::Drain::closing(&mut draining) => {
                let _ = sink.send(Message::Close(Some((CloseCode::Away, "the server is restarting: reconnect".into())))).await;
                return;
            }
            frame = sub.rx.recv() => match frame {
                Some(f) => {
                    let mut out = None;
                    let mut forget = None;
                    match &*f {
                        Frame::Event { tenant_id, room_id, member, joined, json } if *tenant_id == p.tenant_id => {
                            let about_me = member.as_deref() == Some(p.user_id.as_str());
                            if about_me && *joined {
                                rooms.insert(room_id.clone());
                            }
                            if rooms.contains(room_id) {
                                out = Some(json.clone());
                                if about_me && !*joined {
                                    // Removed or left: the room's last event for this socket.
                                    forget = Some(room_id.clone());
                                }
                            }
                        }
                        Frame::Typing { tenant_id, room_id, json } if *tenant_id == p.tenant_id && rooms.contains(room_id) => {
                            out = Some(json.clone());
                        }
                        Frame::Personal { tenant_id, users, json } if *tenant_id == p.tenant_id && users.contains(&p.user_id) => {
                            out = Some(json.clone());
                        }
                        Frame::Kick(k) if k.hits(&p.tenant_id, &p.user_id, &p.session_id) => {
                            let why = if k.recheck {
                                ended(&state, &p).await
                            } else {
                                Some((CLOSE_SESSION_ENDED, "the session ended"))
                            };
                            if let Some((code, why)) = why {
                                let _ = sink.send(close(code, why)).await;
                                return;
                            }
                        }
                        _ => {}
                    }
                    if let Some(room) = forget {
                        rooms.remove(&room);
                    }
                    if let Some(text) = out {
                        if sink.send(Message::Text(text)).await.is_err() {
                            return;
                        }
                    }
                }
                None => {
                    if sub.lagged() {
                        let _ = sink.send(close(CLOSE_SLOW, "too slow: reconnect and catch up by sequence")).await;
                    }
                    return;
                }
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(t))) if t.len() <= MAX_CLIENT_FRAME => {
                    if let Ok(f) = serde_json::from_str::<ClientFrame>(&t) {
                        let pong = match (f.kind.as_str(), f.room_id) {
                            ("typing", Some(room)) if rooms.contains(&room) => {
                                state.hub.typing(&p.tenant_id, &room, &p.user_id);
                                false
                            }
                            ("ping", _) => true,
                            _ => false,
                        };
                        if pong && sink.send(Message::Text(r#"{"type":"pong"}"#.into())).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = recheck.tick() => {
                if let Some((code, why)) = ended(&state, &p).await {
                    let _ = sink.send(close(code, why)).await;
                    return;
                }
                sub.reading();
                if let Some(now) = rooms_of(&state, &p).await {
                    rooms = sub.set_rooms(now);
                }
            }
        }
    }
}
