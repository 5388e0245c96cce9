//! Notes: the four answers, only the owner sees them (API, search, downloads), Markdown
//! sanitised on output, tags normalised, filters and paging, erasure.

use crate::both;
use crate::common::{Backend, Server};
use serde_json::{json, Value};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn titles(s: &Server, token: &str, query: &str) -> Vec<String> {
    s.get(&format!("/api/v1/notes{query}"), token).await.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_string())
        .collect()
}

async fn notes(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let other = s.tenant("other").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (_, carol) = s.staff(&t, "Carol").await;
    let f = s
        .upload(&bob, "sketch.txt", b"a sketch".to_vec())
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = s
        .post(
            "/api/v1/notes",
            &bob,
            json!({ "title": "Site visit", "body": "**Okapi** seen <script>alert(1)</script> [x](javascript:alert(1))",
                    "tags": ["  #Field Work ", "field   work", "Hà Nội"], "pinned": true,
                    "location": { "latitude": 10.7769, "longitude": 106.7009 },
                    "attachment_ids": [f] }),
        )
        .await
        .ok(201)
        .clone();
    let nid = id(&v);
    assert_eq!(v["tags"], json!(["field work", "hà nội"]));
    let html = v["body_html"].as_str().unwrap();
    assert!(html.contains("<strong>Okapi</strong>"), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
    assert_eq!(v["location"]["longitude"], 106.7009);
    assert_eq!(v["attachments"][0]["id"], f.as_str());
    s.post(
        "/api/v1/notes",
        &bob,
        json!({ "title": "Groceries", "body": "milk, eggs", "tags": ["home"] }),
    )
    .await
    .ok(201);
    s.post("/api/v1/notes", &bob, json!({ "body": "untitled thought" }))
        .await
        .ok(201);

    // Only Bob sees it: others (admins too) 404, another tenant 404, no session 401.
    let path = format!("/api/v1/notes/{nid}");
    for token in [&carol, &t.admin_token, &other.admin_token] {
        assert_eq!(s.get(&path, token).await.problem(404), "not_found");
        assert_eq!(
            s.req(
                "PATCH",
                &path,
                Some(token),
                Some(json!({ "pinned": false }))
            )
            .await
            .problem(404),
            "not_found"
        );
        assert_eq!(s.delete(&path, token).await.problem(404), "not_found");
    }
    assert!(titles(&s, &carol, "").await.is_empty());
    assert_eq!(
        s.req("GET", "/api/v1/notes", None, None).await.problem(401),
        "unauthenticated"
    );
    assert_eq!(s.download(&bob, &f, &[]).await.0, 200);
    assert_eq!(s.download(&carol, &f, &[]).await.0, 404);
    // Without `notes.use`: 403.
    let role = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "Bare", "permissions": [] }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, bare) = s.member(&t, "Bare", json!([role])).await;
    let r = s.get("/api/v1/notes", &bare).await;
    assert_eq!(r.problem(403), "forbidden");
    assert!(r.body["detail"].as_str().unwrap().contains("notes.use"));

    // Bad input: clear 4xx.
    for body in [
        json!({ "body": "" }),
        json!({ "body": "x", "tags": [""] }),
        json!({ "body": "x", "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>() }),
        json!({ "body": "x", "location": { "latitude": 0.0, "longitude": 181.0 } }),
        json!({ "body": "x", "attachment_ids": ["nope"] }),
    ] {
        let r = s.post("/api/v1/notes", &bob, body.clone()).await;
        assert_eq!(r.problem(422), "validation_failed", "{body}: {}", r.text);
    }

    // Filters and order: pinned first, then most recently changed.
    assert_eq!(titles(&s, &bob, "").await, ["Site visit", "", "Groceries"]);
    assert_eq!(
        titles(&s, &bob, "?tag=%23Field%20Work").await,
        ["Site visit"]
    );
    assert_eq!(titles(&s, &bob, "?pinned=false").await, ["", "Groceries"]);
    assert_eq!(titles(&s, &bob, "?q=EGGS").await, ["Groceries"]);
    assert_eq!(titles(&s, &bob, "?q=100%25").await, Vec::<String>::new());
    let page = s.get("/api/v1/notes?limit=1", &bob).await.ok(200).clone();
    let c = page["next_cursor"].as_str().unwrap().to_string();
    assert_eq!(
        titles(&s, &bob, &format!("?limit=5&cursor={c}")).await,
        ["", "Groceries"]
    );
    assert!((400..500).contains(&s.get("/api/v1/notes?cursor=%%%", &bob).await.status));

    // Edit and delete.
    let v = s
        .req(
            "PATCH",
            &path,
            Some(&bob),
            Some(json!({ "pinned": false, "tags": ["Done"], "location": null })),
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(v["tags"], json!(["done"]));
    assert!(v["location"].is_null());
    assert_eq!(titles(&s, &bob, "").await, ["Site visit", "", "Groceries"]);

    // Search: the owner finds it; nobody else does.
    let hits = |r: &Value| -> usize {
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["kind"] == "note")
            .count()
    };
    s.eventually("the owner finds the note", || async {
        hits(s.search(&bob, "okapi").await.ok(200)) == 1
    })
    .await;
    assert_eq!(hits(s.search(&carol, "okapi").await.ok(200)), 0);
    assert_eq!(hits(s.search(&t.admin_token, "okapi").await.ok(200)), 0);

    s.delete(&path, &bob).await.ok(204);
    assert_eq!(s.get(&path, &bob).await.problem(404), "not_found");
    s.eventually("the deleted note leaves the index", || async {
        hits(s.search(&bob, "okapi").await.ok(200)) == 0
    })
    .await;

    // Erasure takes the rest.
    s.req(
        "PUT",
        "/api/v1/settings/account-deletion",
        Some(&t.admin_token),
        Some(json!({ "grace_days": 0, "authored_messages": "delete", "sign_in_cancels": true })),
    )
    .await
    .ok(200);
    s.post(
        &format!("/api/v1/users/{bob_id}/deletion"),
        &t.admin_token,
        json!({}),
    )
    .await
    .ok(202);
    let dpath = format!("/api/v1/users/{bob_id}/deletion");
    s.eventually("the erasure ends", || async {
        s.get(&dpath, &t.admin_token).await.ok(200)["status"] == "erased"
    })
    .await;
    assert_eq!(s.count("select count(*) from notes").await, 0);
    assert_eq!(s.count("select count(*) from note_tags").await, 0);
}
both!(notes);
