//! Announcements: publishing to an audience, notices and realtime frames, reading and
//! acknowledging, receipts and rate-limited reminders, versions, policy and breach notices,
//! audience resolution on current membership, inert Markdown, expiry, attachments, erasure.

use crate::both;
use crate::common::{Backend, Server, Tenant};
use crate::realtime::{connect, next_json, Socket};
use serde_json::{json, Value};
use std::collections::BTreeSet;

async fn dept(s: &Server, t: &Tenant, name: &str, parent: Option<&str>) -> String {
    s.post(
        "/api/v1/directory/departments",
        &t.admin_token,
        json!({ "name": name, "parent_id": parent }),
    )
    .await
    .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn place(s: &Server, t: &Tenant, who: &str, department: &str) {
    s.req(
        "PUT",
        &format!("/api/v1/directory/people/{who}"),
        Some(&t.admin_token),
        Some(json!({ "primary_department_id": department })),
    )
    .await
    .ok(200);
}

async fn publish(s: &Server, token: &str, body: Value) -> Value {
    s.post("/api/v1/announcements", token, body)
        .await
        .ok(201)
        .clone()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// The titles of the caller's list, in order.
async fn titles(s: &Server, token: &str, query: &str) -> Vec<String> {
    s.get(&format!("/api/v1/announcements{query}"), token)
        .await
        .ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect()
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The next `notice` frame on a socket, skipping others.
async fn next_notice(ws: &mut Socket) -> Value {
    loop {
        let v = next_json(ws).await;
        if v["type"] == "notice" {
            return v;
        }
    }
}

/// An RFC 3339 instant `secs` from now.
fn from_now(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339()
}

fn in_a_day() -> String {
    from_now(86_400)
}

async fn publish_notify_read_acknowledge(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let sales = dept(&s, &t, "Sales", None).await;
    let north = dept(&s, &t, "North", Some(&sales)).await;
    let ops = dept(&s, &t, "Ops", None).await;
    let (ann_id, ann) = s.staff(&t, "Ann").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    place(&s, &t, &ann_id, &north).await;
    place(&s, &t, &bob_id, &ops).await;
    let (mut ws, _) = connect(&s, &ann).await;
    let (mut bob_ws, _) = connect(&s, &bob).await;

    let a = publish(
        &s,
        &t.admin_token,
        json!({ "title": "Quarterly", "body": "**Hello** sales",
                "audience": [{ "kind": "department", "id": sales, "subtree": true }],
                "ack_required": true, "ack_due_at": in_a_day() }),
    )
    .await;
    let aid = id(&a);
    assert_eq!(a["kind"], "normal");
    assert_eq!(a["version"], 1);
    assert_eq!(a["edited"], false);
    assert_eq!(a["audience"][0]["kind"], "department");
    assert_eq!(a["audience"][0]["subtree"], true);
    // A notice and a realtime frame for the person in the sub-department.
    let f = next_notice(&mut ws).await;
    assert_eq!(f["source"], "announcement");
    assert_eq!(f["kind"], "published");
    assert_eq!(f["subject_id"], aid.as_str());
    assert_eq!(f["title"], "Quarterly");
    let n = s.get("/api/v1/notices", &ann).await.ok(200).clone();
    assert_eq!(n["unread"], 1);
    assert_eq!(n["items"][0]["subject_id"], aid.as_str());
    // Bob is not in the audience: nothing reaches him, and the announcement is not his to see.
    assert_eq!(s.get("/api/v1/notices", &bob).await.ok(200)["unread"], 0);
    assert!(tokio::time::timeout(
        std::time::Duration::from_millis(300),
        next_notice(&mut bob_ws)
    )
    .await
    .is_err());
    assert!(titles(&s, &bob, "").await.is_empty());
    let one = format!("/api/v1/announcements/{aid}");
    assert_eq!(s.get(&one, &bob).await.problem(404), "not_found");
    assert_eq!(
        s.post(&format!("{one}/acknowledge"), &bob, json!({}))
            .await
            .problem(404),
        "not_found"
    );

    let mine = s.get("/api/v1/announcements", &ann).await.ok(200).clone();
    assert_eq!(mine["items"][0]["id"], aid.as_str());
    assert!(mine["items"][0]["body_html"]
        .as_str()
        .unwrap()
        .contains("<strong>Hello</strong>"));
    assert_eq!(mine["items"][0]["body"], "**Hello** sales");
    assert_eq!(mine["items"][0]["acknowledged"], false);
    // Asked to acknowledge: no dismissing before.
    assert_eq!(
        s.post(&format!("{one}/dismiss"), &ann, json!({}))
            .await
            .problem(409),
        "conflict"
    );
    let r = s.post(&format!("{one}/read"), &ann, json!({})).await;
    assert!(r.ok(200)["read_at"].is_string());
    assert_eq!(s.get("/api/v1/notices", &ann).await.ok(200)["unread"], 0);
    let receipts = format!("{one}/receipts");
    let r = s.get(&receipts, &t.admin_token).await.ok(200).clone();
    assert_eq!(
        (
            r["audience"].clone(),
            r["read"].clone(),
            r["acknowledged"].clone(),
            r["pending"].clone()
        ),
        (json!(1), json!(1), json!(0), json!(1)),
        "{r}"
    );
    assert_eq!(r["items"][0]["user_id"], ann_id.as_str());
    assert_eq!(r["items"][0]["display_name"], "Ann");
    assert_eq!(r["items"][0]["status"], "read");
    let acked = s.post(&format!("{one}/acknowledge"), &ann, json!({})).await;
    assert_eq!(acked.ok(200)["acknowledged"], true);
    let r = s.get(&receipts, &t.admin_token).await.ok(200).clone();
    assert_eq!(
        (r["acknowledged"].clone(), r["pending"].clone()),
        (json!(1), json!(0))
    );
    // Staff cannot see receipts.
    assert_eq!(s.get(&receipts, &ann).await.problem(403), "forbidden");

    // An edit of the text is a new version, shown as edited; the acknowledgement was of the
    // old one, so Ann is told again and asked anew.
    let e = s
        .req(
            "PATCH",
            &one,
            Some(&t.admin_token),
            Some(json!({ "body": "**Hello** again" })),
        )
        .await;
    let e = e.ok(200).clone();
    assert_eq!(e["version"], 2);
    assert_eq!(e["edited"], true);
    assert!(e["edited_at"].is_string());
    let f = next_notice(&mut ws).await;
    assert_eq!(f["kind"], "edited");
    let mine = s.get(&one, &ann).await.ok(200).clone();
    assert_eq!(mine["acknowledged"], false);
    assert_eq!(mine["edited"], true);
    let v = s
        .get(&format!("{one}/versions"), &ann)
        .await
        .ok(200)
        .clone();
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    assert_eq!(v["items"][0]["body"], "**Hello** again");
    assert_eq!(v["items"][1]["body"], "**Hello** sales");
    assert_eq!(v["items"][1]["version"], 1);
    let r = s.get(&receipts, &t.admin_token).await.ok(200).clone();
    assert_eq!(r["items"][0]["acknowledged_version"], 1);
    assert_eq!(r["items"][0]["status"], "read");
    // Acknowledged again: now it may be dismissed, and leaves the list.
    s.post(&format!("{one}/acknowledge"), &ann, json!({}))
        .await
        .ok(200);
    assert_eq!(
        s.post(&format!("{one}/dismiss"), &ann, json!({}))
            .await
            .ok(200)["dismissed"],
        true
    );
    assert!(titles(&s, &ann, "").await.is_empty());
    assert_eq!(
        titles(&s, &ann, "?include_dismissed=true").await,
        ["Quarterly"]
    );

    // An announcement that asks for no acknowledgement cannot be acknowledged.
    let plain = publish(
        &s,
        &t.admin_token,
        json!({ "title": "Lunch", "body": "Pizza", "audience": [{ "kind": "everyone" }] }),
    )
    .await;
    assert_eq!(
        s.post(
            &format!("/api/v1/announcements/{}/acknowledge", id(&plain)),
            &bob,
            json!({})
        )
        .await
        .problem(409),
        "conflict"
    );
    // Bad input: a clear 4xx naming the field.
    for (body, field) in [
        (
            json!({ "title": "", "body": "x", "audience": [{ "kind": "everyone" }] }),
            "title",
        ),
        (
            json!({ "title": "x", "body": "x", "audience": [] }),
            "audience",
        ),
        (
            json!({ "title": "x", "body": "x", "audience": [{ "kind": "department" }] }),
            "audience",
        ),
        (
            json!({ "title": "x", "body": "x", "audience": [{ "kind": "role", "id": aid }] }),
            "audience",
        ),
        (
            json!({ "title": "x", "body": "x", "audience": [{ "kind": "everyone" }],
                 "expires_at": "2001-01-01T00:00:00Z" }),
            "expires_at",
        ),
        (
            json!({ "title": "x", "body": "x", "audience": [{ "kind": "everyone" }],
                 "ack_due_at": in_a_day() }),
            "ack_due_at",
        ),
        (
            json!({ "title": "x", "body": "x", "audience": [{ "kind": "everyone" }],
                 "attachment_ids": [aid] }),
            "attachment_ids",
        ),
    ] {
        let r = s.post("/api/v1/announcements", &t.admin_token, body).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.body["field"], field, "{}", r.text);
    }
}
both!(publish_notify_read_acknowledge);

async fn audience_follows_membership(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let sales = dept(&s, &t, "Sales", None).await;
    let support = dept(&s, &t, "Support", None).await;
    let role = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "Auditors", "permissions": ["audit.read"] }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let staff_role = s.builtin_role_id(&t, "staff").await;
    let (carol_id, carol) = s.staff(&t, "Carol").await;
    let (_, dave) = s.member(&t, "Dave", json!([staff_role, role])).await;
    place(&s, &t, &carol_id, &sales).await;
    let to = |audience: Value, title: &'static str| {
        let token = t.admin_token.clone();
        let s = &s;
        async move {
            publish(
                s,
                &token,
                json!({ "title": title, "body": "text", "audience": audience }),
            )
            .await
        }
    };
    let a1 = to(json!([{ "kind": "department", "id": sales }]), "To sales").await;
    to(
        json!([{ "kind": "department", "id": support }]),
        "To support",
    )
    .await;
    to(json!([{ "kind": "role", "id": role }]), "To auditors").await;
    to(json!([{ "kind": "person", "id": carol_id }]), "To Carol").await;
    assert_eq!(
        titles(&s, &carol, "")
            .await
            .into_iter()
            .collect::<BTreeSet<_>>(),
        set(&["To sales", "To Carol"])
    );
    assert_eq!(titles(&s, &dave, "").await, ["To auditors"]);
    // Carol moves to Support: from now on she sees exactly what Support's audience covers.
    place(&s, &t, &carol_id, &support).await;
    assert_eq!(
        titles(&s, &carol, "")
            .await
            .into_iter()
            .collect::<BTreeSet<_>>(),
        set(&["To support", "To Carol"])
    );
    let one = format!("/api/v1/announcements/{}", id(&a1));
    assert_eq!(s.get(&one, &carol).await.problem(404), "not_found");
    assert_eq!(
        s.post(&format!("{one}/read"), &carol, json!({}))
            .await
            .problem(404),
        "not_found"
    );
    to(json!([{ "kind": "everyone" }]), "To all").await;
    assert_eq!(titles(&s, &dave, "").await, ["To all", "To auditors"]);
    // Receipts count the audience as it is now: Support has Carol only.
    let r = s
        .get(&format!("{one}/receipts"), &t.admin_token)
        .await
        .ok(200)
        .clone();
    assert_eq!(r["audience"], 0, "{r}");
    // Publishers see every announcement with `all`; staff may not ask.
    assert_eq!(titles(&s, &t.admin_token, "?all=true").await.len(), 5);
    assert_eq!(
        s.get("/api/v1/announcements?all=true", &carol)
            .await
            .problem(403),
        "forbidden"
    );
}
both!(audience_follows_membership);

async fn markdown_script_injection_is_inert(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, bob) = s.staff(&t, "Bob").await;
    let attack = "# Hi\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n\
                  [click](javascript:alert(3)) <a href=\"javascript:alert(4)\" onclick=\"alert(5)\">x</a>\n\n\
                  <iframe src=\"https://evil.test\"></iframe><svg onload=alert(6)>\n\n\
                  ![pixel](https://tracker.test/p.png) [ok](https://example.com)";
    let a = publish(
        &s,
        &t.admin_token,
        json!({ "title": "<b>Title</b>", "body": attack, "audience": [{ "kind": "everyone" }] }),
    )
    .await;
    let got = s
        .get(&format!("/api/v1/announcements/{}", id(&a)), &bob)
        .await
        .ok(200)
        .clone();
    // The source comes back as written; the HTML is inert.
    assert_eq!(got["body"], attack);
    assert_eq!(got["title"], "<b>Title</b>");
    let html = got["body_html"].as_str().unwrap().to_lowercase();
    for bad in [
        "<script",
        "alert(",
        "onerror",
        "onclick",
        "onload",
        "javascript:",
        "<iframe",
        "<svg",
        "<img",
        "tracker.test",
    ] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    assert!(html.contains("<h1>hi</h1>"), "{html}");
    assert!(html.contains("href=\"https://example.com\""), "{html}");
    let v = s
        .get(&format!("/api/v1/announcements/{}/versions", id(&a)), &bob)
        .await
        .ok(200)
        .clone();
    assert!(!v["items"][0]["body_html"]
        .as_str()
        .unwrap()
        .contains("<script"));
}
both!(markdown_script_injection_is_inert);

async fn policy_and_breach_notices(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (_, carol) = s.staff(&t, "Carol").await;
    // The audience is forced to everyone and the acknowledgement to required.
    let p = publish(
        &s,
        &t.admin_token,
        json!({ "kind": "policy", "title": "New privacy policy", "body": "We changed **X**.",
                "audience": [{ "kind": "person", "id": bob_id }], "ack_required": false }),
    )
    .await;
    assert_eq!(p["kind"], "policy");
    assert_eq!(
        p["audience"],
        json!([{ "kind": "everyone", "id": null, "subtree": false }])
    );
    assert_eq!(p["ack_required"], true);
    let one = format!("/api/v1/announcements/{}", id(&p));
    assert_eq!(titles(&s, &carol, "").await, ["New privacy policy"]);
    assert_eq!(
        s.post(&format!("{one}/dismiss"), &carol, json!({}))
            .await
            .problem(409),
        "conflict"
    );
    assert_eq!(
        s.delete(&one, &t.admin_token).await.problem(409),
        "conflict"
    );
    let r = s
        .req(
            "PATCH",
            &one,
            Some(&t.admin_token),
            Some(json!({ "ack_required": false })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    s.req(
        "PATCH",
        &one,
        Some(&t.admin_token),
        Some(json!({ "body": "We changed **Y**." })),
    )
    .await
    .ok(200);
    s.post(&format!("{one}/acknowledge"), &bob, json!({}))
        .await
        .ok(200);
    s.post(&format!("{one}/dismiss"), &bob, json!({}))
        .await
        .ok(200);
    // Kept in the audit log: publication and edit with their text, the acknowledgement.
    let audit = |action: &'static str| {
        let s = &s;
        let token = t.admin_token.clone();
        async move {
            s.get(&format!("/api/v1/audit?action={action}"), &token)
                .await
                .ok(200)["items"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let published = audit("announcement.published").await;
    assert_eq!(published[0]["target_id"], id(&p).as_str());
    assert_eq!(published[0]["details"]["body"], "We changed **X**.");
    let edited = audit("announcement.edited").await;
    assert_eq!(edited[0]["details"]["body"], "We changed **Y**.");
    assert_eq!(edited[0]["details"]["version"], 2);
    let acked = audit("announcement.acknowledged").await;
    assert_eq!(acked.len(), 1);
    assert_eq!(acked[0]["actor_id"], bob_id.as_str());
    assert_eq!(acked[0]["details"]["version"], 2);
    // A breach notice likewise.
    let br = publish(
        &s,
        &t.admin_token,
        json!({ "kind": "breach", "title": "Incident", "body": "Details." }),
    )
    .await;
    assert_eq!(br["audience"][0]["kind"], "everyone");
    assert_eq!(br["ack_required"], true);
    // Carol was told of the policy, of its edit (asked to acknowledge anew), and of the breach.
    let kinds: Vec<Value> = s.get("/api/v1/notices", &carol).await.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        [json!("published"), json!("edited"), json!("published")]
    );
}
both!(policy_and_breach_notices);

async fn reminders_are_rate_limited(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, bob) = s.staff(&t, "Bob").await;
    let (_, carol) = s.staff(&t, "Carol").await;
    let a = publish(
        &s,
        &t.admin_token,
        json!({ "title": "Sign the form", "body": "Please", "audience": [{ "kind": "everyone" }],
                "ack_required": true }),
    )
    .await;
    let one = format!("/api/v1/announcements/{}", id(&a));
    s.post(&format!("{one}/acknowledge"), &carol, json!({}))
        .await
        .ok(200);
    let pending = s
        .get(&format!("{one}/receipts?status=unread"), &t.admin_token)
        .await;
    let pending = pending.ok(200).clone();
    // Bob and the admin have not acknowledged.
    assert_eq!(pending["pending"], 2, "{pending}");
    let r = s
        .post(&format!("{one}/remind"), &t.admin_token, json!({}))
        .await;
    assert_eq!(r.ok(200)["reminded"], 2);
    let n = s.get("/api/v1/notices", &bob).await.ok(200).clone();
    assert_eq!(n["items"][0]["kind"], "reminder");
    assert_eq!(n["unread"], 2);
    assert_eq!(
        s.get("/api/v1/notices?unread_only=true", &carol)
            .await
            .ok(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let again = s
        .post(&format!("{one}/remind"), &t.admin_token, json!({}))
        .await;
    assert_eq!(again.problem(429), "rate_limited");
    let wait: u64 = again.header("retry-after").unwrap().parse().unwrap();
    assert!((3000..=3600).contains(&wait), "{wait}");
    assert_eq!(
        s.post(&format!("{one}/remind"), &bob, json!({}))
            .await
            .problem(403),
        "forbidden"
    );
    // Notices: marked read by subject, by id, all; each person only their own.
    let first = n["items"][0]["id"].as_str().unwrap().to_string();
    let m = s
        .post("/api/v1/notices/read", &carol, json!({ "ids": [first] }))
        .await;
    assert_eq!(m.ok(200)["marked"], 0);
    let m = s
        .post("/api/v1/notices/read", &bob, json!({ "ids": [first] }))
        .await;
    assert_eq!(m.ok(200)["marked"], 1);
    let m = s
        .post(
            "/api/v1/notices/read",
            &bob,
            json!({ "source": "announcement", "subject_id": id(&a) }),
        )
        .await;
    assert_eq!(m.ok(200)["marked"], 1);
    assert_eq!(s.get("/api/v1/notices", &bob).await.ok(200)["unread"], 0);
    assert_eq!(
        s.post("/api/v1/notices/read", &bob, json!({}))
            .await
            .problem(422),
        "validation_failed"
    );
}
both!(reminders_are_rate_limited);

async fn pinned_expiry_and_attachments(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let hr = dept(&s, &t, "HR", None).await;
    let (ann_id, ann) = s.staff(&t, "Ann").await;
    let (_, bob) = s.staff(&t, "Bob").await;
    place(&s, &t, &ann_id, &hr).await;
    let file = s
        .upload(&t.admin_token, "plan.txt", b"the plan".to_vec())
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    publish(
        &s,
        &t.admin_token,
        json!({ "title": "Pinned", "body": "x", "audience": [{ "kind": "everyone" }], "pinned": true }),
    )
    .await;
    let with_file = publish(
        &s,
        &t.admin_token,
        json!({ "title": "HR plan", "body": "See the file",
                "audience": [{ "kind": "department", "id": hr }], "attachment_ids": [file] }),
    )
    .await;
    assert_eq!(with_file["attachments"][0]["id"], file.as_str());
    assert_eq!(with_file["attachments"][0]["name"], "plan.txt");
    // Pinned first, though older.
    assert_eq!(titles(&s, &ann, "").await, ["Pinned", "HR plan"]);
    // The audience may download the attachment; others may not.
    let dl = format!("/api/v1/files/{file}");
    assert_eq!(s.get(&dl, &ann).await.status, 200);
    assert_eq!(s.get(&dl, &bob).await.problem(404), "not_found");
    // Paging: one at a time, in the same order.
    let p1 = s
        .get("/api/v1/announcements?limit=1", &ann)
        .await
        .ok(200)
        .clone();
    assert_eq!(p1["items"][0]["title"], "Pinned");
    let c = p1["next_cursor"].as_str().unwrap();
    let p2 = s
        .get(&format!("/api/v1/announcements?limit=1&cursor={c}"), &ann)
        .await
        .ok(200)
        .clone();
    assert_eq!(p2["items"][0]["title"], "HR plan");
    assert!(p2["next_cursor"].is_null());
    // Expired ones leave the list (and their attachments' readers).
    let soon = from_now(2);
    s.req(
        "PATCH",
        &format!("/api/v1/announcements/{}", id(&with_file)),
        Some(&t.admin_token),
        Some(json!({ "expires_at": soon })),
    )
    .await
    .ok(200);
    s.eventually("the announcement expires", || async {
        titles(&s, &ann, "").await == ["Pinned"]
    })
    .await;
    assert_eq!(s.get(&dl, &ann).await.problem(404), "not_found");
    assert_eq!(
        s.get(&format!("/api/v1/announcements/{}", id(&with_file)), &ann)
            .await
            .problem(404),
        "not_found"
    );
    // The publisher still sees it with `all`.
    assert!(titles(&s, &t.admin_token, "?all=true")
        .await
        .contains(&"HR plan".to_string()));
    // Deleting an ordinary announcement removes it and its notices.
    s.delete(
        &format!("/api/v1/announcements/{}", id(&with_file)),
        &t.admin_token,
    )
    .await
    .ok(204);
    assert_eq!(
        s.count(&format!(
            "select count(*) from notices where subject_id = '{}'",
            id(&with_file)
        ))
        .await,
        0
    );
}
both!(pinned_expiry_and_attachments);

/// A person's receipts and notices go with them; what they published stays, under the
/// pseudonym their account now carries.
async fn erasure(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let role = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "Publishers", "permissions": ["announcements.publish"] }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (pub_id, publisher) = s.member(&t, "Paula", json!([role])).await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let a = publish(
        &s,
        &publisher,
        json!({ "title": "From Paula", "body": "x", "audience": [{ "kind": "everyone" }],
                "ack_required": true }),
    )
    .await;
    assert_eq!(a["author_name"], "Paula");
    s.post(
        &format!("/api/v1/announcements/{}/acknowledge", id(&a)),
        &bob,
        json!({}),
    )
    .await
    .ok(200);
    s.req(
        "PUT",
        "/api/v1/settings/account-deletion",
        Some(&t.admin_token),
        Some(json!({ "grace_days": 0, "authored_messages": "delete", "sign_in_cancels": true })),
    )
    .await
    .ok(200);
    for who in [&bob_id, &pub_id] {
        s.post(
            &format!("/api/v1/users/{who}/deletion"),
            &t.admin_token,
            json!({}),
        )
        .await
        .ok(202);
        let path = format!("/api/v1/users/{who}/deletion");
        s.eventually("the erasure ends", || async {
            s.get(&path, &t.admin_token).await.ok(200)["status"] == "erased"
        })
        .await;
    }
    for table in ["announcement_receipts", "notices"] {
        assert_eq!(
            s.count(&format!(
                "select count(*) from {table} where user_id = '{bob_id}'"
            ))
            .await,
            0,
            "{table}"
        );
    }
    let got = s
        .get(&format!("/api/v1/announcements/{}", id(&a)), &t.admin_token)
        .await
        .ok(200)
        .clone();
    assert!(got["author_name"]
        .as_str()
        .unwrap()
        .starts_with("Deleted user"));
}
both!(erasure);

/// On PostgreSQL a notice written on one node reaches a socket on another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_reach_other_nodes() {
    let Some(a) = Server::start(Backend::Postgres).await else {
        return;
    };
    let b = a.sibling().await;
    let t = a.tenant("acme").await;
    let (_, bob) = a.staff(&t, "Bob").await;
    let (mut ws, _) = connect(&b, &bob).await;
    let p = publish(
        &a,
        &t.admin_token,
        json!({ "title": "Across nodes", "body": "x", "audience": [{ "kind": "everyone" }] }),
    )
    .await;
    let f = next_notice(&mut ws).await;
    assert_eq!(f["subject_id"], id(&p).as_str());
    assert_eq!(f["title"], "Across nodes");
}
