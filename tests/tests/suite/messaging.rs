//! Messaging: rooms and membership, messages, threads, edits and tombstones, read state,
//! catch-up by sequence, idempotent sends, attachments and search — membership decides, now.

use crate::both;
use crate::common::{room, send, Backend, Server};
use serde_json::{json, Value};

async fn rooms_and_membership(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (alice_id, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (carol_id, carol) = s.staff(&t, "Carol").await;
    let other = s.tenant("globex").await;

    // Direct: one room per pair, whoever asks.
    let r1 = s
        .post("/api/v1/rooms/direct", &alice, json!({ "user_id": bob_id }))
        .await;
    let direct = r1.ok(201)["id"].as_str().unwrap().to_string();
    let r2 = s
        .post("/api/v1/rooms/direct", &bob, json!({ "user_id": alice_id }))
        .await;
    assert_eq!(r2.ok(200)["id"], direct.as_str());
    assert_eq!(r2.body["kind"], "direct");
    assert_eq!(r2.body["members"].as_array().unwrap().len(), 2);
    let r = s
        .post(
            "/api/v1/rooms/direct",
            &alice,
            json!({ "user_id": alice_id }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = s
        .post(
            "/api/v1/rooms/direct",
            &alice,
            json!({ "user_id": other.admin_id }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    // The error names the field the request has.
    assert_eq!(r.body["field"], "user_id", "{}", r.text);
    let r = s
        .post(
            "/api/v1/rooms",
            &alice,
            json!({ "kind": "group", "name": "G", "member_ids": [bob_id, "nobody"] }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(r.body["field"], "member_ids", "{}", r.text);
    // Carol is not in it.
    assert_eq!(
        s.get(&format!("/api/v1/rooms/{direct}"), &carol)
            .await
            .problem(404),
        "not_found"
    );
    let r = s
        .post(
            &format!("/api/v1/rooms/{direct}/members"),
            &alice,
            json!({ "user_ids": [carol_id] }),
        )
        .await;
    assert_eq!(r.problem(409), "conflict");

    // A group: the creator owns it; staff may not create channels.
    let group = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "Sales VN", "member_ids": [bob_id] }),
    )
    .await;
    let g = s.get(&format!("/api/v1/rooms/{group}"), &bob).await;
    assert_eq!(g.ok(200)["my_role"], "member");
    assert_eq!(
        s.get(&format!("/api/v1/rooms/{group}"), &alice)
            .await
            .ok(200)["my_role"],
        "owner"
    );
    let r = s
        .post(
            "/api/v1/rooms",
            &alice,
            json!({ "kind": "channel", "name": "All" }),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    // Bob (a member) may not rename it or add people; Alice (owner) may.
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/rooms/{group}"),
            Some(&bob),
            Some(json!({ "name": "x" })),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/rooms/{group}"),
            Some(&alice),
            Some(json!({ "topic": "Hà Nội & HCMC" })),
        )
        .await;
    assert_eq!(r.ok(200)["topic"], "Hà Nội & HCMC");

    // A channel: visible to everyone, joinable, messages only after joining.
    let channel = room(
        &s,
        &t.admin_token,
        json!({ "kind": "channel", "name": "General" }),
    )
    .await;
    let list = s.get("/api/v1/rooms/channels", &carol).await;
    assert!(list.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == channel.as_str()));
    assert_eq!(
        s.get(&format!("/api/v1/rooms/{channel}"), &carol)
            .await
            .ok(200)["my_role"],
        Value::Null
    );
    let r = s
        .get(&format!("/api/v1/rooms/{channel}/messages"), &carol)
        .await;
    assert_eq!(r.problem(403), "forbidden");
    s.req(
        "POST",
        &format!("/api/v1/rooms/{channel}/join"),
        Some(&carol),
        None,
    )
    .await
    .ok(200);
    send(&s, &carol, &channel, json!({ "body": "xin chào" })).await;
    // Other tenants see nothing.
    assert_eq!(
        s.get(&format!("/api/v1/rooms/{channel}"), &other.admin_token)
            .await
            .problem(404),
        "not_found"
    );

    // History visibility `joined`: a late joiner sees only what came after.
    let secret = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "Board", "history_visibility": "joined" }),
    )
    .await;
    send(&s, &alice, &secret, json!({ "body": "before Carol" })).await;
    s.post(
        &format!("/api/v1/rooms/{secret}/members"),
        &alice,
        json!({ "user_ids": [carol_id] }),
    )
    .await
    .ok(200);
    send(&s, &alice, &secret, json!({ "body": "after Carol" })).await;
    let page = s
        .get(&format!("/api/v1/rooms/{secret}/messages"), &carol)
        .await;
    let bodies: Vec<&str> = page.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["after Carol"]);
    assert_eq!(
        s.get(&format!("/api/v1/rooms/{secret}/messages"), &alice)
            .await
            .ok(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Removal takes effect on the next request; leaving too.
    let r = s
        .req(
            "DELETE",
            &format!("/api/v1/rooms/{secret}/members/{carol_id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        s.get(&format!("/api/v1/rooms/{secret}/messages"), &carol)
            .await
            .problem(404),
        "not_found"
    );
    assert_eq!(
        s.get(&format!("/api/v1/rooms/{secret}/events"), &carol)
            .await
            .problem(404),
        "not_found"
    );
    let r = s
        .req(
            "DELETE",
            &format!("/api/v1/rooms/{group}/members/{bob_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let mine = s.get("/api/v1/rooms", &bob).await;
    assert!(!mine
        .ok(200)
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == group.as_str()));

    // Archived rooms take no messages.
    s.req(
        "PATCH",
        &format!("/api/v1/rooms/{group}"),
        Some(&alice),
        Some(json!({ "archived": true })),
    )
    .await
    .ok(200);
    let r = s
        .post(
            &format!("/api/v1/rooms/{group}/messages"),
            &alice,
            json!({ "body": "x" }),
        )
        .await;
    assert_eq!(r.problem(409), "conflict");
}
both!(rooms_and_membership);

async fn messages_threads_reads_and_catch_up(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (alice_id, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (carol_id, _) = s.staff(&t, "Carol").await;
    let group = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "Team", "member_ids": [bob_id] }),
    )
    .await;

    // Threads and mentions.
    let root = send(
        &s,
        &alice,
        &group,
        json!({ "body": "Plan for Đà Nẵng?", "mentions": [bob_id] }),
    )
    .await;
    let root_id = root["id"].as_str().unwrap().to_string();
    assert_eq!(root["mentions"], json!([bob_id]));
    let reply = send(
        &s,
        &bob,
        &group,
        json!({ "body": "Yes", "thread_root_id": root_id, "mention_room": true }),
    )
    .await;
    assert_eq!(reply["thread_root_id"], root_id.as_str());
    let r = s
        .post(
            &format!("/api/v1/rooms/{group}/messages"),
            &bob,
            json!({ "body": "x", "thread_root_id": reply["id"] }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = s
        .post(
            &format!("/api/v1/rooms/{group}/messages"),
            &bob,
            json!({ "body": "x", "mentions": [carol_id] }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = s
        .post(
            &format!("/api/v1/rooms/{group}/messages"),
            &bob,
            json!({ "body": "x".repeat(10_001) }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");

    // Unread counts and read pointers.
    for i in 0..5 {
        send(&s, &alice, &group, json!({ "body": format!("update {i}") })).await;
    }
    let rooms = s.get("/api/v1/rooms", &bob).await;
    let mine = rooms
        .ok(200)
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == group.as_str())
        .unwrap()
        .clone();
    // Bob's own reply marked everything before it read: the five updates remain.
    assert_eq!(mine["unread"], 5, "{mine}");
    let last_seq = mine["last_seq"].as_i64().unwrap();
    let r = s
        .post(
            &format!("/api/v1/rooms/{group}/read"),
            &bob,
            json!({ "seq": last_seq }),
        )
        .await;
    assert_eq!(r.ok(200)["unread"], 0);
    // Read receipts: Alice sees how far Bob has read.
    let g = s.get(&format!("/api/v1/rooms/{group}"), &alice).await;
    let bob_m = g.ok(200)["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == bob_id.as_str())
        .unwrap()
        .clone();
    assert!(bob_m["read_seq"].as_i64().unwrap() >= last_seq);
    // The pointer never moves back.
    let r = s
        .post(
            &format!("/api/v1/rooms/{group}/read"),
            &bob,
            json!({ "seq": 1 }),
        )
        .await;
    assert_eq!(r.ok(200)["unread"], 0);

    // Edit and delete: marked edited, old text kept; a tombstone stays.
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/rooms/{group}/messages/{root_id}"),
            Some(&alice),
            Some(json!({ "body": "Plan for Đà Nẵng, Q3?" })),
        )
        .await;
    assert_eq!(r.ok(200)["edited"], true);
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/rooms/{group}/messages/{root_id}"),
            Some(&bob),
            Some(json!({ "body": "hijack" })),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    let r = s
        .req(
            "DELETE",
            &format!("/api/v1/rooms/{group}/messages/{root_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    let r = s
        .req(
            "DELETE",
            &format!("/api/v1/rooms/{group}/messages/{root_id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let page = s
        .get(&format!("/api/v1/rooms/{group}/messages?limit=200"), &bob)
        .await;
    let items = page.ok(200)["items"].as_array().unwrap().clone();
    let tomb = items.iter().find(|m| m["id"] == root_id.as_str()).unwrap();
    assert_eq!(
        (tomb["deleted"].clone(), tomb["body"].clone()),
        (json!(true), json!(""))
    );
    let seqs: Vec<i64> = items.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    // Paging backwards and forwards by sequence.
    let newest = s
        .get(&format!("/api/v1/rooms/{group}/messages?limit=3"), &bob)
        .await;
    let newest_items = newest.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(newest_items.len(), 3);
    assert_eq!(newest.body["more"], true);
    let first_seq = newest_items[0]["seq"].as_i64().unwrap();
    let older = s
        .get(
            &format!("/api/v1/rooms/{group}/messages?before_seq={first_seq}&limit=200"),
            &bob,
        )
        .await;
    let older_n = older.ok(200)["items"].as_array().unwrap().len();
    assert_eq!(older_n + 3, items.len());
    let newer = s
        .get(
            &format!("/api/v1/rooms/{group}/messages?after_seq={first_seq}"),
            &bob,
        )
        .await;
    assert_eq!(newer.ok(200)["items"].as_array().unwrap().len(), 2);

    // Catch-up: pages of events after a sequence cover everything once, with no gap.
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let r = s
            .get(
                &format!("/api/v1/rooms/{group}/events?after_seq={after}&limit=4"),
                &bob,
            )
            .await;
        let body = r.ok(200).clone();
        let evs = body["items"].as_array().unwrap();
        if evs.is_empty() {
            assert_eq!(after, body["last_seq"].as_i64().unwrap());
            break;
        }
        for e in evs {
            seen.push(e["seq"].as_i64().unwrap());
        }
        after = *seen.last().unwrap();
    }
    let expect: Vec<i64> = (1..=after).collect();
    assert_eq!(seen, expect);
    let kinds: Vec<String> = {
        let r = s
            .get(&format!("/api/v1/rooms/{group}/events?limit=200"), &alice)
            .await;
        r.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };
    for k in [
        "room.created",
        "member.joined",
        "message.created",
        "message.edited",
        "message.deleted",
        "member.read",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }

    // A retried send with the same Idempotency-Key posts once.
    let retry = |key: &'static str| {
        let rb = s
            .http()
            .post(s.url(&format!("/api/v1/rooms/{group}/messages")))
            .bearer_auth(&alice)
            .header("idempotency-key", key)
            .json(&json!({ "body": "exactly once" }));
        Server::finish(rb)
    };
    let a = retry("send-1").await;
    let b2 = retry("send-1").await;
    assert_eq!(a.ok(201)["id"], b2.ok(201)["id"]);
    assert_eq!(b2.header("idempotent-replayed").as_deref(), Some("true"));
    // The answer committed with the message is the answer the first send gave, byte for byte.
    assert_eq!(a.text, b2.text);
    assert_eq!(a.header("content-type"), b2.header("content-type"));
    // Concurrent retries of one send post once: each gets the message or "still running".
    let racers = futures_util::future::join_all((0..6).map(|_| retry("send-race"))).await;
    let mut ids = std::collections::HashSet::new();
    for r in &racers {
        assert!(
            r.status == 201 || r.status == 409,
            "{} {}",
            r.status,
            r.text
        );
        if r.status == 201 {
            ids.insert(r.ok(201)["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(ids.len(), 1, "every 201 names the one message");
    let page = s
        .get(&format!("/api/v1/rooms/{group}/messages?limit=200"), &alice)
        .await;
    let n = page.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["body"] == "exactly once")
        .count();
    assert_eq!(n, 2, "one for send-1, one for send-race");
    let _ = alice_id;
}
both!(messages_threads_reads_and_catch_up);

async fn attachments_follow_membership(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (carol_id, carol) = s.staff(&t, "Carol").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    let group = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "Docs", "member_ids": [bob_id] }),
    )
    .await;
    let file = s.upload(&alice, "plan.txt", b"the plan".to_vec()).await;
    let file_id = file.ok(201)["id"].as_str().unwrap().to_string();
    // Bob cannot attach Alice's file, nor download it yet.
    let r = s
        .post(
            &format!("/api/v1/rooms/{group}/messages"),
            &bob,
            json!({ "attachment_ids": [file_id] }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(s.download(&bob, &file_id, &[]).await.0, 404);
    let m = send(&s, &alice, &group, json!({ "attachment_ids": [file_id] })).await;
    assert_eq!(m["attachment_ids"], json!([file_id]));
    // Members download it; others do not.
    let (st, _, body) = s.download(&bob, &file_id, &[]).await;
    assert_eq!((st, body), (200, b"the plan".to_vec()));
    assert_eq!(s.download(&carol, &file_id, &[]).await.0, 404);
    s.post(
        &format!("/api/v1/rooms/{group}/members"),
        &alice,
        json!({ "user_ids": [carol_id] }),
    )
    .await
    .ok(200);
    assert_eq!(s.download(&carol, &file_id, &[]).await.0, 200);
    // Removed from the room: no more downloads.
    let r = s
        .req(
            "DELETE",
            &format!("/api/v1/rooms/{group}/members/{carol_id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(s.download(&carol, &file_id, &[]).await.0, 404);
    // The message deleted: the attachment goes with it.
    let mid = m["id"].as_str().unwrap();
    let r = s
        .req(
            "DELETE",
            &format!("/api/v1/rooms/{group}/messages/{mid}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(s.download(&bob, &file_id, &[]).await.0, 404);
    assert_eq!(s.download(&alice, &file_id, &[]).await.0, 200);
}
both!(attachments_follow_membership);

async fn message_search_follows_membership(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (_, carol) = s.staff(&t, "Carol").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    let group = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "Ops", "member_ids": [bob_id] }),
    )
    .await;
    let m = send(
        &s,
        &alice,
        &group,
        json!({ "body": "Kho hàng ở Hải Phòng đã đầy" }),
    )
    .await;
    let find = |token: String| {
        let s = &s;
        async move {
            let r = s
                .http()
                .get(s.url("/api/v1/search"))
                .query(&[("q", "hai phong"), ("kind", "message")])
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let v: Value = r.json().await.unwrap();
            v["items"].as_array().unwrap().len()
        }
    };
    s.eventually("the message to be searchable", || async {
        find(bob.clone()).await == 1
    })
    .await;
    assert_eq!(find(carol.clone()).await, 0);
    // Bob leaves: from the next query on, he no longer finds it.
    let r = s
        .req(
            "DELETE",
            &format!("/api/v1/rooms/{group}/members/{bob_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(find(bob.clone()).await, 0);
    // Deleted messages leave the index.
    let mid = m["id"].as_str().unwrap();
    s.req(
        "DELETE",
        &format!("/api/v1/rooms/{group}/messages/{mid}"),
        Some(&alice),
        None,
    )
    .await;
    s.eventually("the deleted message to leave the index", || async {
        find(alice.clone()).await == 0
    })
    .await;
}
both!(message_search_follows_membership);

async fn sync_returns_everything_since_the_cursor(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let r1 = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "One", "member_ids": [bob_id] }),
    )
    .await;
    let r2 = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "Two", "member_ids": [bob_id] }),
    )
    .await;
    send(&s, &alice, &r1, json!({ "body": "hello" })).await;
    // A fresh device: everything Bob may see, room by room.
    let first = s.post("/api/v1/sync", &bob, json!({})).await;
    let rooms = first.ok(200)["rooms"].as_array().unwrap().clone();
    assert_eq!(rooms.len(), 2);
    let mut cursor = serde_json::Map::new();
    for r in &rooms {
        let evs = r["events"].as_array().unwrap();
        assert_eq!(evs.first().unwrap()["seq"], 1);
        assert_eq!(evs.last().unwrap()["seq"], r["last_seq"]);
        cursor.insert(r["room_id"].as_str().unwrap().into(), r["last_seq"].clone());
    }
    // Nothing new: nothing returned.
    let again = s
        .post("/api/v1/sync", &bob, json!({ "cursor": cursor }))
        .await;
    assert!(again.ok(200)["rooms"].as_array().unwrap().is_empty());
    // Changes in both rooms come back exactly, in pages.
    for i in 0..3 {
        send(&s, &alice, &r1, json!({ "body": format!("a{i}") })).await;
    }
    send(&s, &alice, &r2, json!({ "body": "b" })).await;
    let mut seen: std::collections::HashMap<String, Vec<i64>> = Default::default();
    loop {
        let r = s
            .post(
                "/api/v1/sync",
                &bob,
                json!({ "cursor": cursor, "limit_per_room": 2 }),
            )
            .await;
        let body = r.ok(200).clone();
        let rooms = body["rooms"].as_array().unwrap();
        if rooms.is_empty() {
            break;
        }
        for room in rooms {
            let id = room["room_id"].as_str().unwrap().to_string();
            for e in room["events"].as_array().unwrap() {
                seen.entry(id.clone())
                    .or_default()
                    .push(e["seq"].as_i64().unwrap());
            }
            let last = room["events"].as_array().unwrap().last().unwrap()["seq"].clone();
            cursor.insert(id, last);
        }
    }
    let one_start = first.body["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["room_id"] == r1.as_str())
        .unwrap()["last_seq"]
        .as_i64()
        .unwrap();
    assert_eq!(
        seen[&r1],
        ((one_start + 1)..=(one_start + 3)).collect::<Vec<_>>()
    );
    assert_eq!(seen[&r2].len(), 1);
    // Removed from a room: it is listed as left.
    s.req(
        "DELETE",
        &format!("/api/v1/rooms/{r2}/members/{bob_id}"),
        Some(&alice),
        None,
    )
    .await;
    let r = s
        .post("/api/v1/sync", &bob, json!({ "cursor": cursor }))
        .await;
    assert_eq!(r.ok(200)["left"], json!([r2]));
    let r = s
        .post("/api/v1/sync", &bob, json!({ "cursor": { "x": -1 } }))
        .await;
    assert_eq!(r.problem(422), "validation_failed");
}
both!(sync_returns_everything_since_the_cursor);

/// Issue 10: catch-up (`/events`, `/sync`) handed members the body of a deleted message and
/// the text an edit replaced. Only the current text of a live message may remain in the log.
async fn deleted_and_replaced_text_leaves_the_event_log(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let group = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "Plans", "member_ids": [bob_id] }),
    )
    .await;
    let edit = |id: String, body: &'static str| {
        let (s, group, alice) = (&s, &group, &alice);
        async move {
            s.req(
                "PATCH",
                &format!("/api/v1/rooms/{group}/messages/{id}"),
                Some(alice),
                Some(json!({ "body": body })),
            )
            .await
            .ok(200)
            .clone()
        }
    };
    // Edited twice: only the last text may be anywhere in the log.
    let kept = send(&s, &alice, &group, json!({ "body": "draft one: apricot" })).await;
    let kept_id = kept["id"].as_str().unwrap().to_string();
    edit(kept_id.clone(), "draft two: blueberry").await;
    edit(kept_id.clone(), "final: cherry").await;
    // Sent, replied to, edited, then deleted: none of its text may remain.
    let gone = send(&s, &alice, &group, json!({ "body": "mistake: damson" })).await;
    let gone_id = gone["id"].as_str().unwrap().to_string();
    send(
        &s,
        &bob,
        &group,
        json!({ "body": "a reply that stays", "thread_root_id": gone_id }),
    )
    .await;
    edit(gone_id.clone(), "still a mistake: elderberry").await;
    s.req(
        "DELETE",
        &format!("/api/v1/rooms/{group}/messages/{gone_id}"),
        Some(&alice),
        None,
    )
    .await;

    let events = s
        .get(&format!("/api/v1/rooms/{group}/events?limit=200"), &bob)
        .await;
    let events = events.ok(200)["items"].as_array().unwrap().clone();
    let sync = s.post("/api/v1/sync", &bob, json!({})).await;
    let synced = sync.ok(200)["rooms"][0]["events"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(events, synced, "both catch-up paths read the same log");
    let text = serde_json::to_string(&events).unwrap();
    for old in ["apricot", "blueberry", "damson", "elderberry"] {
        assert!(!text.contains(old), "`{old}` is still in the log: {text}");
    }
    assert!(text.contains("final: cherry") && text.contains("a reply that stays"));
    let of = |id: &str, kind: &str| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["message_id"] == id && e["kind"] == kind)
            .map(|e| e["payload"].clone())
            .collect()
    };
    // The kept message: its creation keeps its shape, superseded; the last edit has the text.
    let created = &of(&kept_id, "message.created")[0];
    assert_eq!(created["superseded"], true);
    assert_eq!(created["body"], "");
    assert_eq!(created["sender_id"], kept["sender_id"]);
    let edits = of(&kept_id, "message.edited");
    assert_eq!(edits.len(), 2);
    assert_eq!(edits[0]["superseded"], true);
    assert_eq!(edits[1]["body"], "final: cherry");
    // The deleted one: a tombstone in every event that carried its text, sequence kept.
    let created = &of(&gone_id, "message.created")[0];
    assert_eq!(created["deleted"], true);
    assert_eq!(created["sender_id"], gone["sender_id"]);
    assert_eq!(of(&gone_id, "message.edited")[0]["deleted"], true);
    assert_eq!(of(&gone_id, "message.deleted").len(), 1);
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    // Messages themselves: the current text, and a tombstone.
    let page = s
        .get(&format!("/api/v1/rooms/{group}/messages?limit=200"), &bob)
        .await;
    let page_text = page.ok(200).to_string();
    assert!(page_text.contains("final: cherry"));
    for old in ["apricot", "blueberry", "damson", "elderberry"] {
        assert!(!page_text.contains(old), "{page_text}");
    }
}
both!(deleted_and_replaced_text_leaves_the_event_log);

async fn reactions_and_pins(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (alice_id, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let group = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "G", "member_ids": [bob_id] }),
    )
    .await;
    let m = send(&s, &bob, &group, json!({ "body": "ship it" })).await;
    let mid = m["id"].as_str().unwrap().to_string();
    let react = |token: &str, method: &'static str, emoji: &str| {
        let path = format!("/api/v1/rooms/{group}/messages/{mid}/reactions/{emoji}");
        let token = token.to_string();
        let s = &s;
        async move { s.req(method, &path, Some(&token), None).await }
    };
    assert_eq!(react(&alice, "PUT", "%F0%9F%91%8D").await.status, 204);
    assert_eq!(
        react(&alice, "PUT", "%F0%9F%91%8D").await.status,
        204,
        "idempotent"
    );
    assert_eq!(react(&bob, "PUT", "%F0%9F%91%8D").await.status, 204);
    assert_eq!(react(&bob, "PUT", "ok").await.status, 204);
    let page = s
        .get(&format!("/api/v1/rooms/{group}/messages"), &alice)
        .await;
    let msg = page.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == mid.as_str())
        .unwrap()
        .clone();
    let thumbs = msg["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["emoji"] == "👍")
        .unwrap()
        .clone();
    assert_eq!(thumbs["count"], 2);
    assert!(thumbs["user_ids"]
        .as_array()
        .unwrap()
        .contains(&json!(alice_id)));
    assert_eq!(react(&bob, "DELETE", "ok").await.status, 204);
    assert_eq!(
        react(&bob, "PUT", "a%20b").await.problem(422),
        "validation_failed"
    );
    // Pins: the owner may, a plain member may not.
    let pin = format!("/api/v1/rooms/{group}/pins/{mid}");
    assert_eq!(
        s.req("PUT", &pin, Some(&bob), None).await.problem(403),
        "forbidden"
    );
    assert_eq!(s.req("PUT", &pin, Some(&alice), None).await.status, 204);
    let pins = s.get(&format!("/api/v1/rooms/{group}/pins"), &bob).await;
    assert_eq!(pins.ok(200)[0]["id"], mid.as_str());
    assert_eq!(s.req("DELETE", &pin, Some(&alice), None).await.status, 204);
    assert!(s
        .get(&format!("/api/v1/rooms/{group}/pins"), &bob)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .is_empty());
    let kinds: Vec<String> = s
        .get(&format!("/api/v1/rooms/{group}/events?limit=200"), &bob)
        .await
        .ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    for k in [
        "reaction.added",
        "reaction.removed",
        "message.pinned",
        "message.unpinned",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k}");
    }
    // Non-members see nothing of it.
    let (_, carol) = s.staff(&t, "Carol").await;
    assert_eq!(react(&carol, "PUT", "ok").await.problem(404), "not_found");
}
both!(reactions_and_pins);

async fn notifications_for_mentions_and_direct_messages(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (alice_id, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (carol_id, carol) = s.staff(&t, "Carol").await;
    let group = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "G", "member_ids": [bob_id, carol_id] }),
    )
    .await;
    send(
        &s,
        &alice,
        &group,
        json!({ "body": "Bob, see this", "mentions": [bob_id, alice_id] }),
    )
    .await;
    send(
        &s,
        &alice,
        &group,
        json!({ "body": "everyone", "mention_room": true, "mentions": [bob_id] }),
    )
    .await;
    send(&s, &alice, &group, json!({ "body": "no mention" })).await;
    let d = s
        .post(
            "/api/v1/rooms/direct",
            &alice,
            json!({ "user_id": carol_id }),
        )
        .await;
    let direct = d.ok(201)["id"].as_str().unwrap().to_string();
    send(&s, &alice, &direct, json!({ "body": "psst" })).await;

    let list = |token: String, q: &'static str| {
        let s = &s;
        async move {
            s.get(&format!("/api/v1/notifications{q}"), &token)
                .await
                .ok(200)
                .clone()
        }
    };
    let b_n = list(bob.clone(), "").await;
    let kinds: Vec<&str> = b_n["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["mention", "mention"], "{b_n}");
    assert_eq!(b_n["unread"], 2);
    let c_n = list(carol.clone(), "").await;
    let kinds: Vec<&str> = c_n["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["direct", "room_mention"], "{c_n}");
    // Nobody is notified of their own message.
    assert_eq!(list(alice.clone(), "").await["unread"], 0);

    // Marking: one's own only.
    let first = b_n["items"][0]["id"].as_str().unwrap().to_string();
    let r = s
        .post(
            "/api/v1/notifications/read",
            &carol,
            json!({ "ids": [first] }),
        )
        .await;
    assert_eq!(r.ok(200)["marked"], 0);
    let r = s
        .post(
            "/api/v1/notifications/read",
            &bob,
            json!({ "ids": [first] }),
        )
        .await;
    assert_eq!(r.ok(200)["marked"], 1);
    let unread = list(bob.clone(), "?unread_only=true").await;
    assert_eq!(unread["items"].as_array().unwrap().len(), 1);
    assert_eq!(unread["unread"], 1);
    let r = s
        .post("/api/v1/notifications/read", &bob, json!({ "all": true }))
        .await;
    assert_eq!(r.ok(200)["marked"], 1);
    assert_eq!(list(bob.clone(), "").await["unread"], 0);
}
both!(notifications_for_mentions_and_direct_messages);

async fn delete_after_delivery(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let r = s
        .post("/api/v1/rooms", &alice, json!({ "kind": "group", "name": "Ephemeral", "delete_after_delivery": true, "member_ids": [bob_id] }))
        .await;
    assert_eq!(r.ok(201)["delete_after_delivery"], true);
    let group = r.body["id"].as_str().unwrap().to_string();
    let file = s
        .upload(&alice, "photo.txt", b"one-time photo".to_vec())
        .await;
    let file_id = file.ok(201)["id"].as_str().unwrap().to_string();
    let m = send(
        &s,
        &alice,
        &group,
        json!({ "body": "vanishing words", "attachment_ids": [file_id] }),
    )
    .await;
    let mid = m["id"].as_str().unwrap().to_string();
    // Until Bob has it, it stays.
    let page = s
        .get(&format!("/api/v1/rooms/{group}/messages"), &bob)
        .await;
    assert_eq!(page.ok(200)["items"].as_array().unwrap().len(), 1);
    assert_eq!(s.download(&bob, &file_id, &[]).await.0, 200);
    s.eventually("the message to be searchable", || async {
        let r = s
            .http()
            .get(s.url("/api/v1/search"))
            .query(&[("q", "vanishing")])
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        v["items"].as_array().unwrap().len() == 1
    })
    .await;
    // Bob acknowledges: the message, its attachment and its content in the log are gone.
    let seq = m["seq"].as_i64().unwrap();
    let r = s
        .post(
            &format!("/api/v1/rooms/{group}/delivered"),
            &bob,
            json!({ "seq": seq }),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let page = s
        .get(&format!("/api/v1/rooms/{group}/messages"), &alice)
        .await;
    assert!(page.ok(200)["items"].as_array().unwrap().is_empty());
    assert_eq!(s.download(&alice, &file_id, &[]).await.0, 404);
    let evs = s
        .get(&format!("/api/v1/rooms/{group}/events?limit=200"), &bob)
        .await;
    assert!(!evs.ok(200).to_string().contains("vanishing"));
    let created = evs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["message_id"] == mid.as_str())
        .unwrap()
        .clone();
    assert_eq!(created["payload"]["purged"], true);
    s.eventually("the index to forget it", || async {
        let r = s
            .http()
            .get(s.url("/api/v1/search"))
            .query(&[("q", "vanishing")])
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        v["items"].as_array().unwrap().is_empty()
    })
    .await;
    s.eventually("the blob to be removed", || async {
        s.blob_files().0.is_empty()
    })
    .await;

    // A maximum lifetime removes messages nobody acknowledged.
    let r = s
        .post("/api/v1/rooms", &alice, json!({ "kind": "group", "name": "Timed", "max_lifetime_secs": 1, "member_ids": [bob_id] }))
        .await;
    let timed = r.ok(201)["id"].as_str().unwrap().to_string();
    send(&s, &alice, &timed, json!({ "body": "gone soon" })).await;
    s.eventually("the lifetime to run out", || async {
        let page = s
            .get(&format!("/api/v1/rooms/{timed}/messages"), &alice)
            .await;
        page.ok(200)["items"].as_array().unwrap().is_empty()
    })
    .await;
    let r = s
        .post(
            "/api/v1/rooms",
            &alice,
            json!({ "kind": "group", "name": "x", "max_lifetime_secs": 0 }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
}
both!(delete_after_delivery);

async fn room_avatars(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (_, carol) = s.staff(&t, "Carol").await;
    let group = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "G", "member_ids": [bob_id] }),
    )
    .await;
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    png.extend_from_slice(&[0u8; 64]);
    let img = s.upload(&alice, "logo.png", png).await;
    let img_id = img.ok(201)["id"].as_str().unwrap().to_string();
    let txt = s.upload(&alice, "notes.txt", b"text".to_vec()).await;
    let txt_id = txt.ok(201)["id"].as_str().unwrap().to_string();
    let patch = |id: &str| json!({ "avatar_file_id": id });
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/rooms/{group}"),
            Some(&alice),
            Some(patch(&txt_id)),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/rooms/{group}"),
            Some(&alice),
            Some(patch(&img_id)),
        )
        .await;
    assert_eq!(r.ok(200)["avatar_file_id"], img_id.as_str());
    assert_eq!(s.download(&bob, &img_id, &[]).await.0, 200);
    assert_eq!(s.download(&carol, &img_id, &[]).await.0, 404);
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/rooms/{group}"),
            Some(&alice),
            Some(patch("")),
        )
        .await;
    assert_eq!(r.ok(200)["avatar_file_id"], Value::Null);
    assert_eq!(s.download(&bob, &img_id, &[]).await.0, 404);
}
both!(room_avatars);
