//! Messaging's function-level permission on every path that writes on a person's behalf
//! (issue 12): a person whose role lost `messages.send` can no longer edit messages, register
//! an end-to-end device key or upload room keys — not only no longer send.

use crate::both;
use crate::common::{room, send, Backend, Server};
use serde_json::json;

/// An X25519 public key's shape (32 bytes, base64); the server checks only the shape.
const PUBLIC_KEY: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

async fn losing_messages_send_stops_every_write(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    // Bob starts as staff (who holds `messages.send`), Carol stays staff throughout.
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (carol_id, carol) = s.staff(&t, "Carol").await;
    let members = json!([bob_id, carol_id]);
    let group = room(
        &s,
        &admin,
        json!({ "kind": "group", "name": "Plans", "member_ids": members }),
    )
    .await;
    let sealed = room(
        &s,
        &admin,
        json!({ "kind": "group", "name": "Sealed", "member_ids": members, "encrypted": true }),
    )
    .await;
    let msg = send(&s, &bob, &group, json!({ "body": "first draft" })).await;
    let msg_id = msg["id"].as_str().unwrap().to_string();
    let edit = |token: String, body: &'static str| {
        let s = &s;
        let path = format!("/api/v1/rooms/{group}/messages/{msg_id}");
        async move {
            s.req("PATCH", &path, Some(&token), Some(json!({ "body": body })))
                .await
        }
    };
    let register = |token: String, device: &'static str| {
        let s = &s;
        async move {
            s.req(
                "PUT",
                &format!("/api/v1/me/devices/{device}"),
                Some(&token),
                Some(json!({ "public_key": PUBLIC_KEY })),
            )
            .await
        }
    };
    // While Bob may send, all three work (the controls for the refusals below).
    edit(bob.clone(), "second draft").await.ok(200);
    register(bob.clone(), "bob-phone").await.ok(200);
    register(carol.clone(), "carol-phone").await.ok(200);

    // Bob's role becomes one without `messages.send`.
    let r = s
        .post(
            "/api/v1/roles",
            &admin,
            json!({ "name": "Reader", "description": "Reads only", "permissions": ["directory.read"] }),
        )
        .await;
    let reader = r.ok(201)["id"].as_str().unwrap().to_string();
    s.req(
        "PUT",
        &format!("/api/v1/users/{bob_id}/roles"),
        Some(&admin),
        Some(json!({ "role_ids": [reader] })),
    )
    .await
    .ok(200);
    let r = s
        .post(
            &format!("/api/v1/rooms/{group}/messages"),
            &bob,
            json!({ "body": "still here?" }),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden", "sending was already refused");

    // Editing his own message needs `messages.send` too: the text stays as it was.
    let r = edit(bob.clone(), "rewritten after losing the right").await;
    assert_eq!(r.problem(403), "forbidden");
    let page = s
        .get(&format!("/api/v1/rooms/{group}/messages"), &carol)
        .await;
    let items = page.ok(200)["items"].as_array().unwrap().clone();
    let m = items.iter().find(|m| m["id"] == msg_id.as_str()).unwrap();
    assert_eq!(m["body"], "second draft");

    // Registering an end-to-end device key needs `messages.send`.
    let r = register(bob.clone(), "bob-laptop").await;
    assert_eq!(r.problem(403), "forbidden");

    // Uploading room keys needs `messages.send`, not only membership (Bob is still a member).
    let keys = json!({ "version": 1, "keys": [
        { "user_id": carol_id, "device_id": "carol-phone", "wrapped_key": "AAAA" }
    ] });
    let r = s
        .post(&format!("/api/v1/rooms/{sealed}/keys"), &bob, keys.clone())
        .await;
    assert_eq!(r.problem(403), "forbidden");
    // Nothing was stored: Carol, who may send, uploads version 1 herself.
    let r = s
        .post(&format!("/api/v1/rooms/{sealed}/keys"), &carol, keys)
        .await;
    assert_eq!(r.ok(200)["latest_version"], 1);
    // Reading stays open to a member: what was given to him before is his.
    s.get(&format!("/api/v1/rooms/{sealed}/keys"), &bob)
        .await
        .ok(200);
}
both!(losing_messages_send_stops_every_write);
