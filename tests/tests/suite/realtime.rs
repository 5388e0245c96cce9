//! The WebSocket: tickets, delivery to current members only, typing, catch-up without gaps after
//! a reconnect, and a disabled account's socket closing.

use crate::both;
use crate::common::{room, send, Backend, Server};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn ws_url(s: &Server, query: &str) -> String {
    format!(
        "{}/api/v1/events{query}",
        s.base.replacen("http://", "ws://", 1)
    )
}

pub(crate) async fn connect(s: &Server, token: &str) -> (Socket, Value) {
    let t = s.post("/api/v1/events/ticket", token, json!({})).await;
    let ticket = t.ok(200)["ticket"].as_str().unwrap().to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(s, &format!("?ticket={ticket}")))
        .await
        .expect("websocket");
    let ready = next_json(&mut ws).await;
    assert_eq!(ready["type"], "ready", "{ready}");
    (ws, ready)
}

/// The next text frame as JSON (bounded wait).
pub(crate) async fn next_json(ws: &mut Socket) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("socket open")
            .expect("frame");
        match m {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Close(c) => panic!("closed: {c:?}"),
            _ => {}
        }
    }
}

/// The next event frame of a given kind, skipping others.
pub(crate) async fn next_event(ws: &mut Socket, kind: &str) -> Value {
    loop {
        let v = next_json(ws).await;
        if v["type"] == "event" && v["kind"] == kind {
            return v;
        }
    }
}

async fn say(s: &Server, token: &str, room: &str, body: &str) -> Value {
    send(s, token, room, json!({ "body": body })).await
}

async fn delivery_follows_membership(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let group = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "G", "member_ids": [bob_id] }),
    )
    .await;
    let other = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "H", "member_ids": [bob_id] }),
    )
    .await;
    let (mut a_ws, _) = connect(&s, &alice).await;
    let (mut b_ws, ready) = connect(&s, &bob).await;
    assert!(ready["rooms"][&group].as_i64().is_some(), "{ready}");

    let m = say(&s, &alice, &group, "chào Bob").await;
    let e = next_event(&mut b_ws, "message.created").await;
    assert_eq!(e["room_id"], group.as_str());
    assert_eq!(e["seq"], m["seq"]);
    assert_eq!(e["payload"]["body"], "chào Bob");

    // Typing is relayed, not stored.
    a_ws.send(Message::Text(
        json!({ "type": "typing", "room_id": group })
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let typing = loop {
        let v = next_json(&mut b_ws).await;
        if v["type"] == "typing" {
            break v;
        }
    };
    assert_eq!(typing["room_id"], group.as_str());
    let evs = s
        .get(&format!("/api/v1/rooms/{group}/events?limit=200"), &alice)
        .await;
    assert!(!evs.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "typing"));

    // Removed: the removal is the last thing Bob's socket hears of that room.
    let r = s
        .req(
            "DELETE",
            &format!("/api/v1/rooms/{group}/members/{bob_id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let left = next_event(&mut b_ws, "member.left").await;
    assert_eq!(left["payload"]["user_id"], bob_id.as_str());
    say(&s, &alice, &group, "secret after removal").await;
    say(&s, &alice, &other, "still here").await;
    // The next message Bob gets is from the room he is still in.
    let e = next_event(&mut b_ws, "message.created").await;
    assert_eq!(e["room_id"], other.as_str(), "{e}");

    // Tickets work once; no credential, no socket.
    let t2 = s.post("/api/v1/events/ticket", &bob, json!({})).await;
    let ticket = t2.ok(200)["ticket"].as_str().unwrap().to_string();
    tokio_tungstenite::connect_async(ws_url(&s, &format!("?ticket={ticket}")))
        .await
        .unwrap();
    let again = tokio_tungstenite::connect_async(ws_url(&s, &format!("?ticket={ticket}"))).await;
    assert!(again.is_err(), "a ticket is single-use");
    assert!(tokio_tungstenite::connect_async(ws_url(&s, ""))
        .await
        .is_err());
    // The Authorization header works for non-browser clients.
    let mut req = ws_url(&s, "").into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {bob}").parse().unwrap());
    let (mut h_ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(next_json(&mut h_ws).await["type"], "ready");
}
both!(delivery_follows_membership);

async fn reconnect_catches_up_without_gaps(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let group = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "G", "member_ids": [bob_id] }),
    )
    .await;
    let (ws, ready) = connect(&s, &bob).await;
    let cursor = ready["rooms"][&group].as_i64().unwrap();
    drop(ws);
    // While Bob is away.
    for i in 0..7 {
        say(&s, &alice, &group, &format!("m{i}")).await;
    }
    let (mut ws, ready) = connect(&s, &bob).await;
    let head = ready["rooms"][&group].as_i64().unwrap();
    assert_eq!(head, cursor + 7);
    // Catch up from his cursor to the head announced by `ready`, in small pages.
    let mut seen = Vec::new();
    let mut after = cursor;
    while after < head {
        let r = s
            .get(
                &format!("/api/v1/rooms/{group}/events?after_seq={after}&limit=3"),
                &bob,
            )
            .await;
        for e in r.ok(200)["items"].as_array().unwrap() {
            seen.push(e["seq"].as_i64().unwrap());
            assert_eq!(e["kind"], "message.created");
        }
        after = *seen.last().unwrap();
    }
    assert_eq!(seen, ((cursor + 1)..=head).collect::<Vec<_>>());
    // Live events continue right after the head: no gap, no duplicate.
    say(&s, &alice, &group, "live").await;
    let e = next_event(&mut ws, "message.created").await;
    assert_eq!(e["seq"].as_i64().unwrap(), head + 1);
}
both!(reconnect_catches_up_without_gaps);

async fn disabled_account_socket_closes(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (mut ws, _) = connect(&s, &bob).await;
    let r = s
        .post(
            &format!("/api/v1/users/{bob_id}/disable"),
            &t.admin_token,
            json!({}),
        )
        .await;
    assert!(r.status < 300, "{}", r.text);
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("close within 10 s")
        {
            Some(Ok(Message::Close(c))) => break c,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    let frame = closed.expect("a close frame with a reason");
    assert_eq!(u16::from(frame.code), 4001);
    // And a new socket is refused.
    let t2 = s.post("/api/v1/events/ticket", &bob, json!({})).await;
    assert_eq!(t2.problem(401), "unauthenticated");
}
both!(disabled_account_socket_closes);

/// The close frame a socket gets next (bounded wait).
async fn closed_with(ws: &mut Socket) -> u16 {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("close within 10 s")
        {
            Some(Ok(Message::Close(Some(c)))) => return u16::from(c.code),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// Revoking a session, changing the password, signing out and suspending the tenant close the
/// affected sockets at once (the sockets' own periodic re-check is only a backstop), and leave
/// every other socket open.
async fn revocations_close_sockets_at_once(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let group = room(
        &s,
        &t.admin_token,
        json!({ "kind": "group", "name": "G", "member_ids": [bob_id] }),
    )
    .await;
    let email = "bob@acme.test";
    let laptop = s.login_token("acme", email).await;
    let phone = s.login_token("acme", email).await;
    let (mut on_bob, _) = connect(&s, &bob).await;
    let (mut on_laptop, _) = connect(&s, &laptop).await;
    let (mut on_phone, _) = connect(&s, &phone).await;
    // Revoking the laptop's session closes its socket only.
    let sessions = s.get("/api/v1/me/sessions", &bob).await;
    let mut ids: Vec<String> = sessions
        .ok(200)
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["current"] == false)
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    let laptop_id = {
        // The laptop's session is the one the phone's listing does not call current and
        // the laptop's own listing does.
        let mine = s.get("/api/v1/me/sessions", &laptop).await;
        mine.ok(200)
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["current"] == true)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(ids.contains(&laptop_id));
    let r = s
        .req(
            "DELETE",
            &format!("/api/v1/me/sessions/{laptop_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(closed_with(&mut on_laptop).await, 4001);
    // Changing the password closes the other sessions' sockets; this session's stays.
    let r = s
        .post(
            "/api/v1/me/password",
            &bob,
            json!({ "current_password": crate::common::PASSWORD, "new_password": "another long passphrase" }),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(closed_with(&mut on_phone).await, 4001);
    say(&s, &t.admin_token, &group, "still here?").await;
    assert_eq!(
        next_event(&mut on_bob, "message.created").await["payload"]["body"],
        "still here?"
    );
    // Signing out closes this session's socket.
    let (mut on_admin, _) = connect(&s, &t.admin_token).await;
    let r = s.req("POST", "/api/v1/auth/logout", Some(&bob), None).await;
    assert_eq!(r.status, 204);
    assert_eq!(closed_with(&mut on_bob).await, 4001);
    // Suspending the tenant closes every socket of it.
    let r = s
        .operator(
            "POST",
            &format!("/api/v1/operator/tenants/{}/suspend", t.id),
            None,
        )
        .await;
    assert_eq!(r.ok(200)["status"], "suspended");
    assert_eq!(closed_with(&mut on_admin).await, 4001);
}
both!(revocations_close_sockets_at_once);

/// Two nodes on one PostgreSQL database: a change on one reaches sockets on the other, and
/// disabling an account on one closes its sockets on the other at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_cross_nodes() {
    let Some(a) = Server::start(Backend::Postgres).await else {
        return;
    };
    let b = a.sibling().await;
    let t = a.tenant("acme").await;
    let (_, alice) = a.staff(&t, "Alice").await;
    let (bob_id, bob) = a.staff(&t, "Bob").await;
    let group = room(
        &a,
        &alice,
        json!({ "kind": "group", "name": "G", "member_ids": [bob_id] }),
    )
    .await;
    let (mut ws, _) = connect(&b, &bob).await;
    let m = say(&a, &alice, &group, "from node A").await;
    let e = next_event(&mut ws, "message.created").await;
    assert_eq!(e["seq"], m["seq"]);
    let started = std::time::Instant::now();
    let r = a
        .post(
            &format!("/api/v1/users/{bob_id}/disable"),
            &t.admin_token,
            json!({}),
        )
        .await;
    assert!(r.status < 300, "{}", r.text);
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("close")
        {
            Some(Ok(Message::Close(Some(c)))) => {
                assert_eq!(u16::from(c.code), 4001);
                break;
            }
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
    // Well before the 5-second session re-check: the kick crossed nodes.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

async fn slow_consumers_are_cut_off(b: Backend) {
    let Some(s) = Server::start_with(b, &[("STOA_REALTIME__BUFFER", "16")]).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let group = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "G", "member_ids": [bob_id] }),
    )
    .await;
    // Bob's client stops reading; large messages fill the socket's buffers, then the hub's.
    let (mut ws, _) = connect(&s, &bob).await;
    let big = "x".repeat(9_000);
    let senders = (0..6).map(|_| async {
        for _ in 0..250 {
            say(&s, &alice, &group, &big).await;
        }
    });
    futures_util::future::join_all(senders).await;
    // Draining what was buffered ends in a close with the reason, not in unbounded memory.
    let code = loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("frames")
        {
            Some(Ok(Message::Close(Some(c)))) => break u16::from(c.code),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(code, 4008);
    // Reconnecting works, and catch-up covers what the closed socket missed.
    let (_, ready) = connect(&s, &bob).await;
    assert!(ready["rooms"][&group].as_i64().unwrap() >= 1500);
}
both!(slow_consumers_are_cut_off);
