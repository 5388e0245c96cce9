//! Session lookups are cached per node (`authn::cache`); every revocation still holds at the
//! very next request on the node that made it. The cache lives 10 minutes here, so only the
//! invalidation each change sends (not an entry's expiry) can make these pass; the metrics show
//! the cache really answered.

use crate::both;
use crate::common::{Backend, Server, METRICS_TOKEN};
use serde_json::json;

const LONG_CACHE: [(&str, &str); 2] = [
    ("STOA_SESSION__CACHE_SECS", "600"),
    ("STOA_METRICS_TOKEN", METRICS_TOKEN),
];

/// How many lookups the cache answered so far.
async fn cache_hits(s: &Server) -> u64 {
    s.metrics(METRICS_TOKEN)
        .await
        .lines()
        .find(|l| l.starts_with("stoa_session_lookups_total{from=\"cache\"}"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

async fn every_revocation_holds_at_the_next_request(b: Backend) {
    let Some(s) = Server::start_with(b, &LONG_CACHE).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let (bob, bob_token) = s.staff(&t, "Bob").await;

    // The cache answers repeated requests.
    let before = cache_hits(&s).await;
    for _ in 0..5 {
        s.get("/api/v1/me", &bob_token).await.ok(200);
    }
    assert!(
        cache_hits(&s).await >= before + 4,
        "repeated lookups of one session come from the cache"
    );

    // A role granted and taken away: at the next request.
    s.get("/api/v1/users", &bob_token).await.problem(403);
    let role = s
        .post(
            "/api/v1/roles",
            &admin,
            json!({ "name": "Reader", "permissions": ["users.read"] }),
        )
        .await;
    let role_id = role.ok(201)["id"].as_str().unwrap().to_string();
    let bob_roles = format!("/api/v1/users/{bob}/roles");
    let set = |ids: serde_json::Value| {
        s.req(
            "PUT",
            &bob_roles,
            Some(&admin),
            Some(json!({ "role_ids": ids })),
        )
    };
    set(json!([role_id])).await.ok(200);
    s.get("/api/v1/users", &bob_token).await.ok(200);
    // Narrowing the role itself (not the binding) holds too.
    s.req(
        "PATCH",
        &format!("/api/v1/roles/{role_id}"),
        Some(&admin),
        Some(json!({ "permissions": [] })),
    )
    .await
    .ok(200);
    s.get("/api/v1/users", &bob_token).await.problem(403);

    // A privacy policy in effect holds everyone at the consent gate at once; accepting it
    // lets them through at once.
    let v1 = s
        .post(
            "/api/v1/privacy/policies",
            &admin,
            json!({ "label": "v1", "body": "We keep your data in-house." }),
        )
        .await
        .ok(201)
        .clone();
    assert_eq!(
        s.get("/api/v1/rooms", &bob_token).await.problem(403),
        "consent_required"
    );
    for token in [&admin, &bob_token] {
        s.post(
            "/api/v1/privacy/policy/accept",
            token,
            json!({ "version_id": v1["id"] }),
        )
        .await
        .ok(200);
        s.get("/api/v1/rooms", token).await.ok(200);
    }
    // A version published to take effect later holds them from that instant, although their
    // lookups were cached before it existed (publishing drops them, so the next lookups learn
    // when the gate changes).
    let v2 = s
        .post(
            "/api/v1/privacy/policies",
            &admin,
            json!({ "label": "v2", "body": "Still in-house.",
                    "effective_at": crate::privacy::in_secs(2), "requires_reconsent": true }),
        )
        .await
        .ok(201)
        .clone();
    s.eventually("v2 holds the cached sessions", || async {
        s.get("/api/v1/rooms", &bob_token).await.status == 403
            && s.get("/api/v1/rooms", &admin).await.status == 403
    })
    .await;
    for token in [&admin, &bob_token] {
        s.post(
            "/api/v1/privacy/policy/accept",
            token,
            json!({ "version_id": v2["id"] }),
        )
        .await
        .ok(200);
        s.get("/api/v1/rooms", token).await.ok(200);
    }

    // One session revoked by an admin; a person signing out; a disabled account.
    let second = s.login_token("acme", "bob@acme.test").await;
    s.get("/api/v1/me", &second).await.ok(200);
    let mine = s.get("/api/v1/me/sessions", &second).await.ok(200).clone();
    let second_id = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["current"] == true)
        .expect("the session is listed")["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.delete(&format!("/api/v1/users/{bob}/sessions/{second_id}"), &admin)
        .await
        .ok(204);
    s.get("/api/v1/me", &second).await.problem(401);
    s.get("/api/v1/me", &bob_token).await.ok(200);

    let (_, leaver) = s.staff(&t, "Lee Leaver").await;
    s.post(
        "/api/v1/privacy/policy/accept",
        &leaver,
        json!({ "version_id": v2["id"] }),
    )
    .await
    .ok(200);
    s.get("/api/v1/me", &leaver).await.ok(200);
    s.req("POST", "/api/v1/auth/logout", Some(&leaver), None)
        .await
        .ok(204);
    s.get("/api/v1/me", &leaver).await.problem(401);

    s.get("/api/v1/me", &bob_token).await.ok(200);
    let r = s
        .post(&format!("/api/v1/users/{bob}/disable"), &admin, json!({}))
        .await;
    assert!(r.status < 300, "{}", r.text);
    s.get("/api/v1/me", &bob_token).await.problem(401);

    // A suspended tenant: every session of it, at once.
    s.get("/api/v1/me", &admin).await.ok(200);
    s.operator(
        "POST",
        &format!("/api/v1/operator/tenants/{}/suspend", t.id),
        None,
    )
    .await
    .ok(200);
    s.get("/api/v1/me", &admin).await.problem(401);
}
both!(every_revocation_holds_at_the_next_request);
