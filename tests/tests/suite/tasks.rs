//! Tasks: the four answers, who may see and change what, due dates in a zone, checklists,
//! filters and paging, assignment notices, attachments, links to messages, reminders that
//! fire once (across a restart and a redelivery), search visibility and erasure.

use crate::both;
use crate::common::{room, send, Backend, Server, Tenant};
use crate::realtime::{connect, next_json};
use serde_json::{json, Value};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn task(s: &Server, token: &str, body: Value) -> Value {
    s.post("/api/v1/tasks", token, body).await.ok(201).clone()
}

async fn patch(s: &Server, token: &str, id: &str, body: Value) -> crate::common::Resp {
    s.req(
        "PATCH",
        &format!("/api/v1/tasks/{id}"),
        Some(token),
        Some(body),
    )
    .await
}

/// Titles of a list, in order.
async fn titles(s: &Server, token: &str, query: &str) -> Vec<String> {
    s.get(&format!("/api/v1/tasks{query}"), token).await.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_string())
        .collect()
}

async fn notices(s: &Server, token: &str, kind: &str) -> Vec<Value> {
    s.get("/api/v1/notices", token).await.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["source"] == "task" && n["kind"] == kind)
        .cloned()
        .collect()
}

/// A role without any permission, and a person holding only it.
async fn powerless(s: &Server, t: &Tenant, name: &str) -> String {
    let role = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": format!("Nothing {name}"), "permissions": [] }),
        )
        .await;
    let role = role.ok(201)["id"].as_str().unwrap().to_string();
    s.member(t, name, json!([role])).await.1
}

async fn basics(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let other = s.tenant("other").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let admin = &t.admin_token;

    let v = task(
        &s,
        admin,
        json!({ "title": "  Quarterly report ", "description": "**Bold** _plan_",
                "due": { "date": "2031-03-30", "time": "02:30", "zone": "Europe/Berlin" },
                "priority": "high", "location": { "latitude": 21.0285, "longitude": 105.8542 } }),
    )
    .await;
    let tid = id(&v);
    assert_eq!(v["title"], "Quarterly report");
    assert_eq!(v["role"], "owner");
    assert_eq!(v["status"], "todo");
    assert_eq!(v["priority"], "high");
    // 02:30 does not exist in Berlin that night: the first instant after the gap.
    assert_eq!(v["due"]["at"], "2031-03-30T01:00:00.000Z", "{v}");
    assert_eq!(v["due"]["zone"], "Europe/Berlin");
    assert_eq!(v["location"]["latitude"], 21.0285);
    assert_eq!(v["overdue"], false);

    // Bad input: a clear 4xx naming the field.
    for (body, field) in [
        (json!({ "title": "" }), "title"),
        (
            json!({ "title": "x", "due": { "date": "2031-02-30" } }),
            "due.date",
        ),
        (
            json!({ "title": "x", "due": { "date": "2031-02-03", "zone": "Mars/Base" } }),
            "due.zone",
        ),
        (
            json!({ "title": "x", "location": { "latitude": 91.0, "longitude": 0.0 } }),
            "location.latitude",
        ),
        (
            json!({ "title": "x", "assignee_id": "nobody" }),
            "assignee_id",
        ),
        (
            json!({ "title": "x", "attachment_ids": ["nope"] }),
            "attachment_ids",
        ),
        (
            json!({ "title": "x", "source_message_id": "nope" }),
            "source_message_id",
        ),
    ] {
        let r = s.post("/api/v1/tasks", admin, body).await;
        assert_eq!(r.problem(422), "validation_failed", "{}", r.text);
        assert_eq!(r.body["field"], field, "{}", r.text);
    }
    let r = s
        .post(
            "/api/v1/tasks",
            admin,
            json!({ "title": "x", "priority": "whenever" }),
        )
        .await;
    assert!((400..500).contains(&r.status), "{}", r.text);

    // Others: 404, another tenant 404, no session 401, no permission 403.
    let path = format!("/api/v1/tasks/{tid}");
    assert_eq!(s.get(&path, &bob).await.problem(404), "not_found");
    assert_eq!(
        patch(&s, &bob, &tid, json!({ "status": "done" }))
            .await
            .problem(404),
        "not_found"
    );
    assert_eq!(
        s.get(&path, &other.admin_token).await.problem(404),
        "not_found"
    );
    assert_eq!(
        s.req("GET", &path, None, None).await.problem(401),
        "unauthenticated"
    );
    let none = powerless(&s, &t, "Nobody").await;
    let r = s.get("/api/v1/tasks", &none).await;
    assert_eq!(r.problem(403), "forbidden");
    assert!(r.body["detail"].as_str().unwrap().contains("tasks.use"));

    // The checklist: add, check, edit, reorder, remove; the assignee may, others may not.
    let cl = format!("/api/v1/tasks/{tid}/checklist");
    s.post(&cl, admin, json!({ "text": "Collect numbers" }))
        .await
        .ok(201);
    let items = s
        .post(&cl, admin, json!({ "text": "Write", "done": true }))
        .await
        .ok(201)["items"]
        .clone();
    let (a, b2) = (id(&items[0]), id(&items[1]));
    assert_eq!(items[1]["done"], true);
    let items = s
        .req(
            "PATCH",
            &format!("{cl}/{a}"),
            Some(admin),
            Some(json!({ "done": true, "text": "Collect all numbers" })),
        )
        .await
        .ok(200)["items"]
        .clone();
    assert_eq!(items[0]["text"], "Collect all numbers");
    assert!(items[0]["done_at"].is_string());
    let items = s
        .req(
            "PUT",
            &format!("{cl}/order"),
            Some(admin),
            Some(json!({ "item_ids": [b2, a] })),
        )
        .await
        .ok(200)["items"]
        .clone();
    assert_eq!(id(&items[0]), b2);
    let r = s
        .req(
            "PUT",
            &format!("{cl}/order"),
            Some(admin),
            Some(json!({ "item_ids": [a] })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let items = s
        .req("DELETE", &format!("{cl}/{b2}"), Some(admin), None)
        .await
        .ok(200)["items"]
        .clone();
    assert_eq!(items.as_array().unwrap().len(), 1);
    assert_eq!(
        s.req("DELETE", &format!("{cl}/{b2}"), Some(admin), None)
            .await
            .problem(404),
        "not_found"
    );
    assert_eq!(
        s.post(&cl, &bob, json!({ "text": "sneak" }))
            .await
            .problem(404),
        "not_found"
    );

    // Assigned to Bob: he may change the status and checklist, nothing else.
    patch(&s, admin, &tid, json!({ "assignee_id": bob_id }))
        .await
        .ok(200);
    let v = patch(&s, &bob, &tid, json!({ "status": "in_progress" }))
        .await
        .ok(200)
        .clone();
    assert_eq!(v["role"], "assignee");
    assert_eq!(v["status"], "in_progress");
    assert_eq!(
        patch(&s, &bob, &tid, json!({ "title": "Mine now" }))
            .await
            .problem(403),
        "forbidden"
    );
    assert_eq!(s.delete(&path, &bob).await.problem(403), "forbidden");
    s.post(&cl, &bob, json!({ "text": "Bob's step" }))
        .await
        .ok(201);
    let v = patch(&s, &bob, &tid, json!({ "status": "done" }))
        .await
        .ok(200)
        .clone();
    assert!(v["completed_at"].is_string());
    let v = patch(
        &s,
        admin,
        &tid,
        json!({ "status": "todo", "due": null, "location": null }),
    )
    .await
    .ok(200)
    .clone();
    assert!(
        v["completed_at"].is_null() && v["due"].is_null() && v["location"].is_null(),
        "{v}"
    );

    // Delete: the owner; then it is gone for both.
    s.delete(&path, admin).await.ok(204);
    assert_eq!(s.get(&path, &bob).await.problem(404), "not_found");
    assert_eq!(s.get(&path, admin).await.problem(404), "not_found");
}
both!(basics);

async fn filters_and_paging(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let admin = &t.admin_token;
    let admin_id = t.admin_id.clone();
    task(
        &s,
        admin,
        json!({ "title": "Past", "due": { "date": "2020-01-01" } }),
    )
    .await;
    task(&s, admin, json!({ "title": "Today-ish", "due": { "date": "2030-06-01", "time": "09:00", "zone": "Asia/Ho_Chi_Minh" } })).await;
    task(&s, admin, json!({ "title": "Undated" })).await;
    task(
        &s,
        admin,
        json!({ "title": "For Bob", "assignee_id": bob_id, "due": { "date": "2030-01-01" } }),
    )
    .await;
    let done = task(
        &s,
        admin,
        json!({ "title": "Done past", "due": { "date": "2019-01-01" }, "status": "done" }),
    )
    .await;
    assert!(done["completed_at"].is_string());
    task(
        &s,
        &bob,
        json!({ "title": "Bob to admin", "assignee_id": admin_id }),
    )
    .await;
    task(&s, &bob, json!({ "title": "Bob alone" })).await;

    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // Soonest due first, undated last (in creation order).
    assert_eq!(
        titles(&s, admin, "").await,
        v(&[
            "Done past",
            "Past",
            "For Bob",
            "Today-ish",
            "Undated",
            "Bob to admin"
        ])
    );
    assert_eq!(
        titles(&s, admin, "?scope=assigned_by_me").await,
        v(&["For Bob"])
    );
    assert_eq!(
        titles(&s, admin, "?scope=assigned_to_me").await,
        v(&["Bob to admin"])
    );
    assert_eq!(
        titles(&s, &bob, "").await,
        v(&["For Bob", "Bob to admin", "Bob alone"])
    );
    assert_eq!(titles(&s, admin, "?overdue=true").await, v(&["Past"]));
    assert_eq!(titles(&s, admin, "?status=done").await, v(&["Done past"]));
    assert_eq!(
        titles(
            &s,
            admin,
            "?status=todo,in_progress&due_after=2021-01-01T00:00:00Z"
        )
        .await,
        v(&["For Bob", "Today-ish"])
    );
    assert_eq!(
        titles(
            &s,
            admin,
            "?due_before=2030-06-01T00:00:00Z&due_after=2020-01-01T00:00:00Z"
        )
        .await,
        v(&["Past", "For Bob"])
    );
    // Paging walks the same order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/api/v1/tasks?limit=2&cursor={c}"),
            None => "/api/v1/tasks?limit=2".to_string(),
        };
        let page = s.get(&q, admin).await.ok(200).clone();
        for t in page["items"].as_array().unwrap() {
            seen.push(t["title"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, titles(&s, admin, "").await);
    // Bad filters: clear 4xx.
    for q in [
        "?status=later",
        "?due_before=yesterday",
        "?cursor=%%%",
        "?scope=everyone",
        "?limit=0",
    ] {
        let r = s.get(&format!("/api/v1/tasks{q}"), admin).await;
        assert!((400..500).contains(&r.status), "{q}: {}", r.text);
    }
}
both!(filters_and_paging);

async fn assignment_and_attachments(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (carol_id, carol) = s.staff(&t, "Carol").await;
    let admin = &t.admin_token;
    let (mut ws, _) = connect(&s, &bob).await;
    let f = s
        .upload(admin, "plan.txt", b"the plan".to_vec())
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = task(
        &s,
        admin,
        json!({ "title": "Review the plan", "assignee_id": bob_id, "attachment_ids": [f] }),
    )
    .await;
    assert_eq!(v["attachments"][0]["id"], f.as_str());
    // Bob is told, in the list and on his socket.
    let frame = loop {
        let j = next_json(&mut ws).await;
        if j["type"] == "notice" {
            break j;
        }
    };
    assert_eq!(frame["source"], "task");
    assert_eq!(frame["kind"], "assigned");
    assert_eq!(frame["subject_id"], id(&v).as_str());
    assert_eq!(notices(&s, &bob, "assigned").await.len(), 1);
    assert!(notices(&s, admin, "assigned").await.is_empty());
    // The owner and the assignee may download the attachment; nobody else.
    assert_eq!(s.download(admin, &f, &[]).await.0, 200);
    assert_eq!(s.download(&bob, &f, &[]).await.0, 200);
    assert_eq!(s.download(&carol, &f, &[]).await.0, 404);
    // Without `tasks.assign`: a personal task is fine, giving one away is 403.
    let role = s
        .post(
            "/api/v1/roles",
            admin,
            json!({ "name": "Tasks only", "permissions": ["tasks.use"] }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, dora) = s.member(&t, "Dora", json!([role])).await;
    task(&s, &dora, json!({ "title": "My own" })).await;
    let r = s
        .post(
            "/api/v1/tasks",
            &dora,
            json!({ "title": "Yours", "assignee_id": bob_id }),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    assert!(r.body["detail"].as_str().unwrap().contains("tasks.assign"));
    // Reassigning tells the new assignee; Bob no longer sees it.
    patch(&s, admin, &id(&v), json!({ "assignee_id": carol_id }))
        .await
        .ok(200);
    assert_eq!(notices(&s, &carol, "assigned").await.len(), 1);
    assert_eq!(
        s.get(&format!("/api/v1/tasks/{}", id(&v)), &bob)
            .await
            .problem(404),
        "not_found"
    );
    assert_eq!(s.download(&bob, &f, &[]).await.0, 404);
}
both!(assignment_and_attachments);

async fn from_a_message(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (_, carol) = s.staff(&t, "Carol").await;
    let admin = &t.admin_token;
    let r = room(
        &s,
        admin,
        json!({ "kind": "group", "name": "Ops", "member_ids": [bob_id] }),
    )
    .await;
    let m = id(&send(&s, admin, &r, json!({ "body": "please fix the printer" })).await);
    let m2 = id(&send(&s, admin, &r, json!({ "body": "and the coffee machine" })).await);
    // Carol is not in the room: she cannot make a task of it.
    let x = s
        .post(
            "/api/v1/tasks",
            &carol,
            json!({ "title": "x", "source_message_id": m }),
        )
        .await;
    assert_eq!(x.problem(422), "validation_failed");
    let v = task(
        &s,
        &bob,
        json!({ "title": "Fix the printer", "source_message_id": m }),
    )
    .await;
    let link = &v["source_message"];
    assert_eq!(link["available"], true);
    assert_eq!(link["room_id"], r.as_str());
    assert_eq!(link["message_id"], m.as_str());
    assert_eq!(link["link"], format!("/rooms/{r}/messages/{m}").as_str());
    let w = task(
        &s,
        &bob,
        json!({ "title": "Coffee", "source_message_id": m2 }),
    )
    .await;
    // The message is deleted: the link says only that it is gone.
    s.req(
        "DELETE",
        &format!("/api/v1/rooms/{r}/messages/{m}"),
        Some(admin),
        None,
    )
    .await
    .ok(204);
    let v = s
        .get(&format!("/api/v1/tasks/{}", id(&v)), &bob)
        .await
        .ok(200)
        .clone();
    assert_eq!(v["source_message"]["available"], false);
    assert!(
        v["source_message"]["room_id"].is_null() && v["source_message"]["message_id"].is_null()
    );
    assert!(!v.to_string().contains("printer") || v["title"] == "Fix the printer");
    // Bob leaves the room: the other link goes quiet too.
    s.req(
        "DELETE",
        &format!("/api/v1/rooms/{r}/members/{bob_id}"),
        Some(admin),
        None,
    )
    .await
    .ok(204);
    let w = s
        .get(&format!("/api/v1/tasks/{}", id(&w)), &bob)
        .await
        .ok(200)
        .clone();
    assert_eq!(w["source_message"]["available"], false, "{w}");
    assert!(!w.to_string().contains(&r));
}
both!(from_a_message);

/// A due time `secs` from now (UTC, whole seconds): (date, time).
fn due_in(secs: i64) -> (String, String) {
    let at = chrono::Utc::now() + chrono::Duration::seconds(secs);
    (
        at.format("%Y-%m-%d").to_string(),
        at.format("%H:%M:%S").to_string(),
    )
}

async fn reminders_fire_once(b: Backend) {
    let Some(mut s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let admin = t.admin_token.clone();
    // Due in 68 s; a reminder a minute before: it goes out ~8 s from now.
    let (date, time) = due_in(68);
    let v = task(
        &s,
        &admin,
        json!({ "title": "Call the bank", "assignee_id": bob_id,
                "due": { "date": date, "time": time, "zone": "UTC" } }),
    )
    .await;
    let tid = id(&v);
    let path = format!("/api/v1/tasks/{tid}/reminders");
    let r = s
        .req(
            "PUT",
            &path,
            Some(&bob),
            Some(json!({ "minutes_before": [1] })),
        )
        .await;
    assert_eq!(r.ok(200)["items"][0]["minutes_before"], 1);
    // Bad reminders: clear 422s; a task without a due date has none.
    let r = s
        .req(
            "PUT",
            &path,
            Some(&bob),
            Some(json!({ "minutes_before": [-5] })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let undated = id(&task(&s, &admin, json!({ "title": "Whenever" })).await);
    let r = s
        .req(
            "PUT",
            &format!("/api/v1/tasks/{undated}/reminders"),
            Some(&admin),
            Some(json!({ "minutes_before": [5] })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    // A reminder for the admin (owner) that the task's completion cancels, set far ahead.
    let far = id(&task(
        &s,
        &admin,
        json!({ "title": "Far away", "due": { "date": due_in(66).0, "time": due_in(66).1 } }),
    )
    .await);
    s.req(
        "PUT",
        &format!("/api/v1/tasks/{far}/reminders"),
        Some(&admin),
        Some(json!({ "minutes_before": [1] })),
    )
    .await
    .ok(200);
    patch(&s, &admin, &far, json!({ "status": "done" }))
        .await
        .ok(200);

    // The server stops before the moment and comes back: the reminder is still due.
    s.stop();
    s.spawn().await;
    s.eventually("Bob's reminder", || async {
        notices(&s, &bob, "reminder").await.len() == 1
    })
    .await;
    let n = &notices(&s, &bob, "reminder").await[0];
    assert_eq!(n["subject_id"], tid.as_str());
    assert_eq!(n["title"], "Call the bank");
    // A redelivery of the same outbox message (at least once) sends nothing more.
    s.sql(
        "insert into outbox (tenant_id, topic, payload, created_at, available_at, attempts)
         select tenant_id, topic, payload, created_at, available_at, 0 from outbox
         where topic = 'tasks.reminder'",
    )
    .await;
    s.eventually("every reminder message handled", || async {
        s.count(
            "select count(*) from outbox where topic = 'tasks.reminder'
             and done_at is null and dead_at is null",
        )
        .await
            == 0
    })
    .await;
    s.stop();
    s.spawn().await;
    s.eventually("the far reminder's moment passes", || async {
        s.count(
            "select count(*) from outbox where topic = 'tasks.reminder'
             and done_at is null and dead_at is null",
        )
        .await
            == 0
    })
    .await;
    assert_eq!(notices(&s, &bob, "reminder").await.len(), 1);
    // The done task reminded nobody.
    assert!(notices(&s, &admin, "reminder").await.is_empty());
    let v = s
        .get(&format!("/api/v1/tasks/{tid}"), &bob)
        .await
        .ok(200)
        .clone();
    assert!(v["reminders"][0]["sent_at"].is_string(), "{v}");
    assert_eq!(
        s.count("select count(*) from task_reminders where sent_at is not null")
            .await,
        1
    );
}
both!(reminders_fire_once);

async fn search_visibility(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (_, carol) = s.staff(&t, "Carol").await;
    let admin = &t.admin_token;
    let v = task(&s, admin, json!({ "title": "Zanzibar shipment", "description": "customs papers", "assignee_id": bob_id })).await;
    let kinds = |r: &Value| -> Vec<String> {
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["kind"] == "task")
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect()
    };
    s.eventually("the assignee finds the task", || async {
        kinds(s.search(&bob, "zanzibar").await.ok(200)) == vec![id(&v)]
    })
    .await;
    assert_eq!(
        kinds(s.search(admin, "customs").await.ok(200)),
        vec![id(&v)]
    );
    assert!(kinds(s.search(&carol, "zanzibar").await.ok(200)).is_empty());
    // Unassigned: Bob no longer finds it.
    patch(&s, admin, &id(&v), json!({ "assignee_id": null }))
        .await
        .ok(200);
    s.eventually("the former assignee no longer finds it", || async {
        kinds(s.search(&bob, "zanzibar").await.ok(200)).is_empty()
    })
    .await;
    assert_eq!(
        kinds(s.search(admin, "zanzibar").await.ok(200)),
        vec![id(&v)]
    );
}
both!(search_visibility);

async fn erasure_transfers(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (alice_id, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let admin = &t.admin_token;
    let own = id(&task(&s, &alice, json!({ "title": "Alice private errand" })).await);
    let given = id(&task(
        &s,
        &alice,
        json!({ "title": "Bob's job", "assignee_id": bob_id }),
    )
    .await);
    let got = id(&task(
        &s,
        &bob,
        json!({ "title": "Alice's job", "assignee_id": alice_id }),
    )
    .await);
    s.req(
        "PUT",
        &format!("/api/v1/tasks/{got}/reminders"),
        Some(&alice),
        Some(json!({ "minutes_before": [] })),
    )
    .await;
    s.req(
        "PUT",
        "/api/v1/settings/account-deletion",
        Some(admin),
        Some(json!({ "grace_days": 0, "authored_messages": "delete", "sign_in_cancels": true })),
    )
    .await
    .ok(200);
    s.post(
        &format!("/api/v1/users/{alice_id}/deletion"),
        admin,
        json!({}),
    )
    .await
    .ok(202);
    let path = format!("/api/v1/users/{alice_id}/deletion");
    s.eventually("the erasure ends", || async {
        s.get(&path, admin).await.ok(200)["status"] == "erased"
    })
    .await;
    // Her personal task is gone; the one she gave Bob is Bob's now; the one Bob gave her is
    // back with Bob, unassigned.
    assert_eq!(
        s.count(&format!("select count(*) from tasks where id = '{own}'"))
            .await,
        0
    );
    let v = s
        .get(&format!("/api/v1/tasks/{given}"), &bob)
        .await
        .ok(200)
        .clone();
    assert_eq!(v["role"], "owner");
    assert_eq!(v["owner_id"], bob_id.as_str());
    let v = s
        .get(&format!("/api/v1/tasks/{got}"), &bob)
        .await
        .ok(200)
        .clone();
    assert!(v["assignee_id"].is_null());
    assert_eq!(
        s.count(&format!(
            "select count(*) from tasks where owner_id = '{alice_id}' or assignee_id = '{alice_id}'"
        ))
        .await,
        0
    );
    let d = s.get(&path, admin).await.ok(200).clone();
    let report = s
        .get(
            &format!(
                "/api/v1/erasure-reports/{}",
                d["report_id"].as_str().unwrap()
            ),
            admin,
        )
        .await
        .ok(200)
        .clone();
    let text = report.to_string();
    assert!(
        text.contains("assigned tasks") && text.contains("assignments"),
        "{report}"
    );
}
both!(erasure_transfers);

/// A person's export has their tasks (owned and assigned) and their notes, and nothing of
/// anyone else's.
async fn export(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (_, carol) = s.staff(&t, "Carol").await;
    task(
        &s,
        &t.admin_token,
        json!({ "title": "Given to Bob", "assignee_id": bob_id }),
    )
    .await;
    task(
        &s,
        &bob,
        json!({ "title": "Bob's own errand", "due": { "date": "2031-05-01" } }),
    )
    .await;
    task(&s, &carol, json!({ "title": "Carol's secret task" })).await;
    s.post(
        "/api/v1/notes",
        &bob,
        json!({ "body": "bob-note-canary", "tags": ["x"] }),
    )
    .await
    .ok(201);
    s.post(
        "/api/v1/notes",
        &carol,
        json!({ "body": "carol-note-canary" }),
    )
    .await
    .ok(201);
    let e = s
        .post("/api/v1/me/export", &bob, json!({}))
        .await
        .ok(202)
        .clone();
    let export_id = id(&e);
    crate::exports::ready(
        &s,
        &bob,
        &format!("/api/v1/me/exports/{export_id}"),
        &export_id,
    )
    .await;
    let url = crate::exports::link(&s, &bob, &export_id).await;
    let (status, bytes, _) = crate::exports::fetch(&s, &url).await;
    assert_eq!(status, 200);
    let entries = crate::exports::unzip(&bytes);
    let all: String = entries
        .values()
        .map(|b| String::from_utf8_lossy(b).to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        entries.keys().any(|k| k.starts_with("tasks/")),
        "{:?}",
        entries.keys()
    );
    assert!(
        entries.keys().any(|k| k.starts_with("notes/")),
        "{:?}",
        entries.keys()
    );
    for want in ["Given to Bob", "Bob's own errand", "bob-note-canary"] {
        assert!(all.contains(want), "{want}");
    }
    for other in ["Carol's secret task", "carol-note-canary"] {
        assert!(!all.contains(other), "{other}");
    }
}
both!(export);
