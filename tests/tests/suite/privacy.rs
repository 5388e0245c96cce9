//! Privacy-policy versions and recorded consent: publishing, the consent gate on REST and the
//! WebSocket, re-consent, versions scheduled for later, acceptance counts, a person's history,
//! and what may not be done (edit a version, publish without `settings.manage`).

use crate::both;
use crate::common::{Backend, Resp, Server, Tenant};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const POLICIES: &str = "/api/v1/privacy/policies";
const POLICY: &str = "/api/v1/privacy/policy";
const ACCEPT: &str = "/api/v1/privacy/policy/accept";

fn ws_url(s: &Server, query: &str) -> String {
    format!(
        "{}/api/v1/events{query}",
        s.base.replacen("http://", "ws://", 1)
    )
}

/// Open the socket with a ticket; the `ready` frame is read.
async fn connect(s: &Server, token: &str) -> Socket {
    let t = s.post("/api/v1/events/ticket", token, json!({})).await;
    let ticket = t.ok(200)["ticket"].as_str().unwrap().to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(s, &format!("?ticket={ticket}")))
        .await
        .expect("websocket");
    let ready = next_text(&mut ws, 10).await;
    assert_eq!(ready["type"], "ready", "{ready}");
    ws
}

async fn next_text(ws: &mut Socket, secs: u64) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(secs), ws.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .expect("frame");
        match m {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Close(c) => panic!("closed: {c:?}"),
            _ => {}
        }
    }
}

/// The close code a socket gets next, within `secs`.
async fn closed_with(ws: &mut Socket, secs: u64) -> u16 {
    loop {
        match tokio::time::timeout(Duration::from_secs(secs), ws.next())
            .await
            .expect("close in time")
        {
            Some(Ok(Message::Close(Some(c)))) => return u16::from(c.code),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// The socket is open and answers a ping.
async fn still_open(ws: &mut Socket) {
    ws.send(Message::Text(r#"{"type":"ping"}"#.into()))
        .await
        .unwrap();
    loop {
        if next_text(ws, 10).await["type"] == "pong" {
            return;
        }
    }
}

async fn publish(s: &Server, t: &Tenant, body: Value) -> Value {
    s.post(POLICIES, &t.admin_token, body).await.ok(201).clone()
}

async fn accept(s: &Server, token: &str, version: &Value) -> Value {
    s.post(ACCEPT, token, json!({ "version_id": version["id"] }))
        .await
        .ok(200)
        .clone()
}

#[track_caller]
fn held(r: &Resp) {
    assert_eq!(r.problem(403), "consent_required", "{}", r.text);
}

/// RFC 3339 for `secs` seconds from now (UTC; civil date from days since the epoch).
pub(crate) fn in_secs(secs: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let ms = now.as_millis() as i64 + secs * 1000;
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Publishing a version in effect at once holds everyone who has not consented: REST answers
/// 403 `consent_required`, the ticket and the upgrade are refused and open sockets close with
/// 4003; reading and accepting the policy and signing out still work; after accepting,
/// everything works again.
async fn consent_gate_on_rest_and_websocket(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (staff_id, staff) = s.staff(&t, "Sam Staff").await;
    let (_, leaving) = s.staff(&t, "Lee Leaving").await;

    // No policy yet: nobody is held.
    s.get("/api/v1/rooms", &staff).await.ok(200);
    let p = s.get(POLICY, &staff).await.ok(200).clone();
    assert!(p["current"].is_null(), "{p}");
    assert_eq!(p["consent_required"], false);
    let mut open = connect(&s, &staff).await;

    let v1 = publish(
        &s,
        &t,
        json!({ "label": "2026-11", "body": "# Privacy\n\nWe keep **little**." }),
    )
    .await;
    assert_eq!(v1["status"], "current", "{v1}");
    assert_eq!(v1["accepted"], 0);
    assert_eq!(v1["pending"], 3, "admin, Sam and Lee: {v1}");
    assert_eq!(closed_with(&mut open, 10).await, 4003);

    // REST: held, except reading and accepting the policy and signing out.
    held(&s.get("/api/v1/rooms", &staff).await);
    held(&s.get("/api/v1/me", &staff).await);
    held(&s.get("/api/v1/me/consents", &staff).await);
    held(&s.get(POLICIES, &t.admin_token).await);
    assert_eq!(
        s.req("POST", "/api/v1/auth/logout", Some(&leaving), None)
            .await
            .status,
        204
    );
    // A retried write is not answered from the idempotency store while held, nor is the
    // refusal kept: the same key works once consent is given.
    let key_post = |token: &str| {
        s.http()
            .post(s.url("/api/v1/rooms"))
            .bearer_auth(token)
            .header("idempotency-key", "privacy-room-1")
            .json(&json!({ "kind": "group", "name": "After consent" }))
    };
    held(&Server::finish(key_post(&staff)).await);
    // WebSocket: ticket and upgrade refused.
    held(&s.post("/api/v1/events/ticket", &staff, json!({})).await);
    let mut req = ws_url(&s, "").into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {staff}").parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            assert_eq!(r.status().as_u16(), 403);
            let body = String::from_utf8(r.body().clone().unwrap_or_default()).unwrap();
            assert!(body.contains("consent_required"), "{body}");
        }
        other => panic!("the upgrade should be refused: {other:?}"),
    }

    // The policy is readable while held.
    let p = s.get(POLICY, &staff).await.ok(200).clone();
    assert_eq!(p["consent_required"], true);
    assert_eq!(p["current"]["id"], v1["id"]);
    assert_eq!(p["current"]["label"], "2026-11");
    assert!(p["current"]["body"]
        .as_str()
        .unwrap()
        .contains("**little**"));
    assert!(p["current"]["accepted_at"].is_null());
    assert!(p["upcoming"].is_null());

    // Accepting records who, which version, when and from where; again answers the same.
    let c = accept(&s, &staff, &v1).await;
    assert_eq!(c["version_id"], v1["id"]);
    assert_eq!(c["label"], "2026-11");
    assert!(!c["ip"].as_str().unwrap().is_empty(), "{c}");
    assert!(c["accepted_at"].is_string());
    let again = accept(&s, &staff, &v1).await;
    assert_eq!(again["id"], c["id"]);
    assert_eq!(again["accepted_at"], c["accepted_at"]);

    // Everything works again, the retried key included.
    s.get("/api/v1/rooms", &staff).await.ok(200);
    let r = Server::finish(key_post(&staff)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let replay = Server::finish(key_post(&staff)).await;
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    let mut ws = connect(&s, &staff).await;
    still_open(&mut ws).await;
    let p = s.get(POLICY, &staff).await.ok(200).clone();
    assert_eq!(p["consent_required"], false);
    assert_eq!(p["current"]["accepted_at"], c["accepted_at"]);

    // The admin is a person too: held until accepting.
    accept(&s, &t.admin_token, &v1).await;
    let got = s
        .get(
            &format!("{POLICIES}/{}", v1["id"].as_str().unwrap()),
            &t.admin_token,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(got["accepted"], 2, "{got}");
    assert_eq!(got["pending"], 1, "Lee has not accepted: {got}");
    assert!(got["body"].as_str().unwrap().starts_with("# Privacy"));

    // Both consents are in the audit log, with the publication.
    let audit = s
        .get("/api/v1/audit?action=privacy_policy.*", &t.admin_token)
        .await
        .ok(200)
        .clone();
    let actions: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor_id"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(actions.contains(&("privacy_policy.published", t.admin_id.as_str())));
    assert!(actions.contains(&("privacy_policy.accepted", staff_id.as_str())));
}
both!(consent_gate_on_rest_and_websocket);

/// A version without re-consent keeps earlier consents valid (and open sockets open); one with
/// re-consent holds everyone again once in effect. A version scheduled for later is not
/// current yet, may be accepted ahead of time, and holds people (sockets included, at their
/// periodic re-check) from its effective instant.
async fn reconsent_and_scheduled_versions(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, staff) = s.staff(&t, "Sam Staff").await;
    let v1 = publish(&s, &t, json!({ "label": "v1", "body": "One." })).await;
    accept(&s, &t.admin_token, &v1).await;
    accept(&s, &staff, &v1).await;
    let mut ws = connect(&s, &staff).await;

    // v2 without re-consent: consent to v1 still counts; the socket stays open.
    let v2 = publish(&s, &t, json!({ "label": "v2", "body": "Two." })).await;
    assert_eq!(v2["status"], "current");
    assert_eq!(v2["pending"], 0, "{v2}");
    s.get("/api/v1/rooms", &staff).await.ok(200);
    still_open(&mut ws).await;
    // v1 is superseded: it can no longer be accepted (by someone who has not yet).
    let (_, newcomer) = s.staff(&t, "Nia New").await;
    held(&s.get("/api/v1/rooms", &newcomer).await);
    let r = s
        .post(ACCEPT, &newcomer, json!({ "version_id": v1["id"] }))
        .await;
    assert_eq!(r.problem(409), "conflict");
    accept(&s, &newcomer, &v2).await;
    s.get("/api/v1/rooms", &newcomer).await.ok(200);

    // v3 with re-consent, effective in a few seconds: not current yet.
    let v3 = publish(
        &s,
        &t,
        json!({ "label": "v3", "body": "Three.", "effective_at": in_secs(4), "requires_reconsent": true }),
    )
    .await;
    assert_eq!(v3["status"], "upcoming", "{v3}");
    assert_eq!(v3["pending"], 3, "everyone, once it is in effect: {v3}");
    s.get("/api/v1/rooms", &staff).await.ok(200);
    let p = s.get(POLICY, &staff).await.ok(200).clone();
    assert_eq!(p["current"]["id"], v2["id"]);
    assert_eq!(p["upcoming"]["id"], v3["id"]);
    assert_eq!(p["consent_required"], false);
    // Listed latest first, with where each stands.
    let list = s.get(POLICIES, &t.admin_token).await.ok(200).clone();
    let standing: Vec<(&str, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["label"].as_str().unwrap(), v["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        standing,
        [("v3", "upcoming"), ("v2", "current"), ("v1", "superseded")]
    );
    assert!(
        list["items"][0]["body"].is_null(),
        "lists leave the text out"
    );
    assert!(list["items"][2]["pending"].is_null());
    let page = s
        .get(&format!("{POLICIES}?limit=2"), &t.admin_token)
        .await
        .ok(200)
        .clone();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = s
        .get(
            &format!("{POLICIES}?limit=2&cursor={cursor}"),
            &t.admin_token,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(rest["items"][0]["label"], "v1");
    assert!(rest["next_cursor"].is_null());

    // The newcomer accepts v3 ahead of time; Sam and the admin do not.
    accept(&s, &newcomer, &v3).await;
    let counted = s
        .get(
            &format!("{POLICIES}/{}", v3["id"].as_str().unwrap()),
            &t.admin_token,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(counted["accepted"], 1);
    assert_eq!(counted["pending"], 2, "{counted}");

    // Once v3 is in effect: Sam is held on REST at once, and his socket closes at its
    // periodic re-check (every 30 seconds).
    s.eventually("v3 takes effect", || async {
        s.get("/api/v1/rooms", &staff).await.status == 403
    })
    .await;
    held(&s.get("/api/v1/rooms", &staff).await);
    held(&s.get("/api/v1/rooms", &t.admin_token).await);
    s.get("/api/v1/rooms", &newcomer).await.ok(200);
    assert_eq!(closed_with(&mut ws, 40).await, 4003);
    let p = s.get(POLICY, &staff).await.ok(200).clone();
    assert_eq!(p["current"]["id"], v3["id"]);
    assert_eq!(p["current"]["requires_reconsent"], true);
    assert_eq!(p["consent_required"], true);
    accept(&s, &staff, &v3).await;
    s.get("/api/v1/rooms", &staff).await.ok(200);

    // Sam's history: newest first, paged.
    let h = s
        .get("/api/v1/me/consents?limit=1", &staff)
        .await
        .ok(200)
        .clone();
    assert_eq!(h["items"][0]["label"], "v3");
    let cursor = h["next_cursor"].as_str().unwrap();
    let h2 = s
        .get(
            &format!("/api/v1/me/consents?limit=1&cursor={cursor}"),
            &staff,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(h2["items"][0]["label"], "v1");
    assert!(h2["next_cursor"].is_null());
    assert_eq!(h2["items"][0]["version_id"], v1["id"]);
}
both!(reconsent_and_scheduled_versions);

/// Versions are immutable; publishing needs `settings.manage`; bad input is a clear 4xx; another
/// tenant sees none of ours.
async fn publishing_rules(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let other = s.tenant("other").await;
    let (_, staff) = s.staff(&t, "Sam Staff").await;
    let future = in_secs(86_400);
    let body = json!({ "label": "v1", "body": "Text.", "effective_at": future });

    // Without a session, without the permission.
    assert_eq!(
        s.req("POST", POLICIES, None, Some(body.clone()))
            .await
            .problem(401),
        "unauthenticated"
    );
    let r = s.post(POLICIES, &staff, body.clone()).await;
    assert_eq!(r.problem(403), "forbidden");
    assert!(r.body["detail"]
        .as_str()
        .unwrap()
        .contains("settings.manage"));
    assert_eq!(s.get(POLICIES, &staff).await.problem(403), "forbidden");

    let v1 = publish(&s, &t, body.clone()).await;
    // Not editable: no method changes a published version.
    let path = format!("{POLICIES}/{}", v1["id"].as_str().unwrap());
    for m in ["PUT", "PATCH", "DELETE"] {
        let r = s
            .req(
                m,
                &path,
                Some(&t.admin_token),
                Some(json!({ "label": "x" })),
            )
            .await;
        assert_eq!(r.problem(405), "method_not_allowed", "{m}");
    }
    // Bad input.
    let r = s
        .post(
            POLICIES,
            &t.admin_token,
            json!({ "label": "v1", "body": "Text.", "effective_at": in_secs(2 * 86_400) }),
        )
        .await;
    assert_eq!(r.problem(409), "conflict");
    assert_eq!(r.body["field"], "label");
    let r = s
        .post(
            POLICIES,
            &t.admin_token,
            json!({ "label": "v2", "body": "Text.", "effective_at": future }),
        )
        .await;
    assert_eq!(r.problem(409), "conflict");
    assert_eq!(r.body["field"], "effective_at");
    for (bad, field) in [
        (json!({ "label": " ", "body": "Text." }), "label"),
        (json!({ "label": "v2", "body": "  " }), "body"),
        (
            json!({ "label": "v2", "body": "Text.", "effective_at": "yesterday" }),
            "effective_at",
        ),
        (
            json!({ "label": "v2", "body": "Text.", "effective_at": "2020-01-01T00:00:00Z" }),
            "effective_at",
        ),
    ] {
        let r = s.post(POLICIES, &t.admin_token, bad).await;
        assert_eq!(r.problem(422), "validation_failed", "{field}");
        assert_eq!(r.body["field"], field);
    }
    let r = s
        .post(
            POLICIES,
            &t.admin_token,
            json!({ "label": "v2", "body": "Text.", "edited": true }),
        )
        .await;
    assert!((400..500).contains(&r.status), "{}", r.text);
    let r = s
        .post(ACCEPT, &staff, json!({ "version_id": "nope" }))
        .await;
    assert_eq!(r.problem(404), "not_found");

    // Another tenant: 404 for our version, and its own policy is empty.
    let r = s.get(&path, &other.admin_token).await;
    assert_eq!(r.problem(404), "not_found");
    let r = s
        .post(
            ACCEPT,
            &other.admin_token,
            json!({ "version_id": v1["id"] }),
        )
        .await;
    assert_eq!(r.problem(404), "not_found");
    let p = s.get(POLICY, &other.admin_token).await.ok(200).clone();
    assert!(p["current"].is_null() && p["upcoming"].is_null(), "{p}");
    let list = s.get(POLICIES, &other.admin_token).await.ok(200).clone();
    assert_eq!(list["items"], json!([]));
    // Nobody in either tenant is held by a version scheduled for tomorrow.
    s.get("/api/v1/rooms", &staff).await.ok(200);
    s.get("/api/v1/rooms", &other.admin_token).await.ok(200);
}
both!(publishing_rules);
