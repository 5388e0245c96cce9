//! Data retention: policies, previews, legal holds, overrides and purge runs that reach every
//! store. Ages come from an injectable clock: the server is restarted 40 days in the future
//! (`STOA_CLOCK_OFFSET_SECS`), never from sleeping.

use crate::both;
use crate::common::{
    id, image_with_thumbnail, personal_space, room, send, upload_doc, Backend, Server, PIXEL_PNG,
};
use serde_json::{json, Value};

const FORTY_DAYS: &str = "3456000";

/// Save a policy change (as the tenant's admin); the policy after.
async fn set_policy(s: &Server, token: &str, body: Value) -> Value {
    s.req("PUT", "/api/v1/retention/policy", Some(token), Some(body))
        .await
        .ok(200)
        .clone()
}

/// Restart the server `secs` seconds in the future; the admin's new session.
pub(crate) async fn later(s: &mut Server, secs: &str, admin_email: &str) -> String {
    s.stop();
    s.set_env("STOA_CLOCK_OFFSET_SECS", secs);
    s.spawn().await;
    s.login_token("acme", admin_email).await
}

/// Tables and columns of the server's database whose text contains `needle`.
pub(crate) async fn columns_containing(s: &Server, needle: &str) -> Vec<String> {
    use sqlx::{Connection, Row};
    let like = format!("%{needle}%");
    let mut hits = Vec::new();
    match s.backend {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&s.database_url)
                .await
                .unwrap();
            let tables: Vec<String> =
                sqlx::query_scalar("select name from sqlite_master where type = 'table'")
                    .fetch_all(&mut c)
                    .await
                    .unwrap();
            for t in tables {
                let cols = sqlx::query(&format!("pragma table_info(\"{t}\")"))
                    .fetch_all(&mut c)
                    .await
                    .unwrap();
                for col in cols {
                    let name: String = col.get("name");
                    let n: i64 = sqlx::query_scalar(&format!(
                        "select count(*) from \"{t}\" where cast(\"{name}\" as text) like $1"
                    ))
                    .bind(&like)
                    .fetch_one(&mut c)
                    .await
                    .unwrap();
                    if n > 0 {
                        hits.push(format!("{t}.{name}"));
                    }
                }
            }
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&s.database_url).await.unwrap();
            let cols: Vec<(String, String)> = sqlx::query_as(
                "select table_name::text, column_name::text from information_schema.columns
                 where table_schema = current_schema()",
            )
            .fetch_all(&mut c)
            .await
            .unwrap();
            for (t, name) in cols {
                let n: i64 = sqlx::query_scalar(&format!(
                    "select count(*) from \"{t}\" where cast(\"{name}\" as text) like $1"
                ))
                .bind(&like)
                .fetch_one(&mut c)
                .await
                .unwrap();
                if n > 0 {
                    hits.push(format!("{t}.{name}"));
                }
            }
        }
    }
    hits
}

/// Blob files (objects and temporaries) whose bytes contain `needle`.
pub(crate) fn blobs_containing(s: &Server, needle: &str) -> usize {
    let (objects, tmp) = s.blob_files();
    objects
        .iter()
        .chain(tmp.iter())
        .filter(|p| {
            std::fs::read(p)
                .map(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .unwrap_or(false)
        })
        .count()
}

/// Search hits for `q`.
pub(crate) async fn hits(s: &Server, token: &str, q: &str) -> usize {
    s.search(token, q).await.ok(200)["items"]
        .as_array()
        .map(|a| a.len())
        .unwrap_or(0)
}

/// Index entries of one item, read with the server stopped.
pub(crate) fn indexed(s: &Server, kind: &str, item: &str) -> String {
    let out = s.cli(
        &[
            "search", "count", "--tenant", "acme", "--kind", kind, "--id", item,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// One class's figures in a preview or a run report.
fn class<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == name)
        .unwrap_or_else(|| panic!("class {name} in {v}"))
}

/// Start a run and wait for its report.
async fn run(s: &Server, token: &str, dry_run: bool) -> Value {
    let r = s
        .post(
            "/api/v1/retention/runs",
            token,
            json!({ "dry_run": dry_run }),
        )
        .await;
    let run = id(r.ok(202));
    let path = format!("/api/v1/retention/runs/{run}");
    s.eventually("the retention run ends", || async {
        s.get(&path, token).await.ok(200)["status"] != "running"
    })
    .await;
    let r = s.get(&path, token).await;
    let v = r.ok(200).clone();
    assert_eq!(v["status"], "done", "{v}");
    v
}

/// Messages with attachments, thumbnails, edits, reactions, pins and notifications, and
/// documents with old versions and trash, all carrying a canary, are made older than the
/// policy; after one run no store holds the canary, while what a legal hold covers and what is
/// younger than the cut-off is intact and searchable. The preview counts what the run removes.
async fn purge_reaches_every_store(b: Backend) {
    canaries(b, false).await
}
both!(purge_reaches_every_store);

/// The same with blobs in S3 (SeaweedFS).
async fn purge_reaches_every_store_s3(b: Backend) {
    canaries(b, true).await
}
both!(purge_reaches_every_store_s3);

/// Objects in the S3 bucket: (all, referenced by a row), from a dry-run orphan sweep.
pub(crate) fn s3_objects(s: &Server) -> (u64, u64) {
    let out = s.cli(&["blobs", "sweep", "--dry-run", "--grace-secs", "0"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        r["scanned"].as_u64().unwrap(),
        r["referenced"].as_u64().unwrap(),
    )
}

async fn canaries(b: Backend, s3: bool) {
    let env = [
        // Plain local blobs, so that a canary left in one would show.
        ("STOA_STORAGE__ENCRYPT", "false"),
        ("STOA_RETENTION__RUN_EVERY_SECS", "0"),
        ("STOA_RETENTION__PAUSE_MS", "0"),
        ("STOA_RETENTION__BATCH", "2"),
        ("STOA_STORAGE__SWEEP_INTERVAL_SECS", "0"),
    ];
    let started = if s3 {
        Server::start_s3(b, &env[1..]).await
    } else {
        Server::start_with(b, &env).await
    };
    let Some(mut s) = started else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let (bob_id, bob) = s.staff(&t, "Bob Canary").await;
    let (hal_id, hal) = s.staff(&t, "Hal Held").await;

    // A direct conversation: a message with a text attachment and an image (thumbnail), edited,
    // reacted to and pinned; Bob's reply notifies the admin.
    let dm = id(s
        .post("/api/v1/rooms/direct", &admin, json!({ "user_id": bob_id }))
        .await
        .ok(201));
    let att = id(s
        .upload(&admin, "plan.txt", b"OLDCANARY attachment".to_vec())
        .await
        .ok(201));
    let png = image_with_thumbnail(&s, &admin).await;
    let m1 = id(&send(
        &s,
        &admin,
        &dm,
        json!({ "body": "OLDCANARY first draft", "attachment_ids": [att, png] }),
    )
    .await);
    s.req(
        "PATCH",
        &format!("/api/v1/rooms/{dm}/messages/{m1}"),
        Some(&admin),
        Some(json!({ "body": "OLDCANARY revised" })),
    )
    .await
    .ok(200);
    let react = format!("/api/v1/rooms/{dm}/messages/{m1}/reactions/%F0%9F%91%8D");
    assert_eq!(s.req("PUT", &react, Some(&bob), None).await.status, 204);
    let pin = format!("/api/v1/rooms/{dm}/pins/{m1}");
    assert_eq!(s.req("PUT", &pin, Some(&admin), None).await.status, 204);
    let m2 = id(&send(&s, &bob, &dm, json!({ "body": "OLDCANARY reply" })).await);
    // A group room where Hal, whom a legal hold will cover, writes.
    let g = room(
        &s,
        &admin,
        json!({ "kind": "group", "name": "Matters", "member_ids": [hal_id] }),
    )
    .await;
    let held_msg = id(&send(&s, &hal, &g, json!({ "body": "HELDCANARY kept" })).await);

    // Documents: old versions and the trash carry the canary; the current version does not.
    let space = personal_space(&s, &admin).await;
    let doc = upload_doc(&s, &admin, &space, "notes.txt", b"OLDCANARY version one").await;
    for text in ["OLDCANARY version two", "current text"] {
        s.raw(
            "POST",
            &format!("/api/v1/documents/{doc}/versions"),
            Some(&admin),
            "application/octet-stream",
            text.as_bytes().to_vec(),
        )
        .await
        .ok(200);
    }
    let trashed = upload_doc(&s, &admin, &space, "old.txt", b"OLDCANARY in the trash").await;
    assert_eq!(
        s.delete(&format!("/api/v1/documents/{trashed}"), &admin)
            .await
            .status,
        204
    );
    s.eventually("the canaries are searchable", || async {
        hits(&s, &admin, "OLDCANARY").await >= 3 && hits(&s, &hal, "HELDCANARY").await == 1
    })
    .await;

    // Forty days later.
    let admin = later(&mut s, FORTY_DAYS, &t.admin_email).await;
    let hal = s.login_token("acme", "hal.held@acme.test").await;
    let young = id(&send(&s, &admin, &dm, json!({ "body": "YOUNGCANARY fresh" })).await);
    let hold = s
        .post(
            "/api/v1/retention/holds",
            &admin,
            json!({ "name": "Hal's matter", "reason": "litigation", "people": [hal_id] }),
        )
        .await;
    let hold_id = id(hold.ok(201));
    assert!(
        hold.body["protects"]
            .as_array()
            .unwrap()
            .contains(&json!({ "class": "messages_group", "items": 1 })),
        "{}",
        hold.text
    );
    // A hold on the admin's personal space: its documents cannot be deleted by hand.
    let space_hold = s
        .post(
            "/api/v1/retention/holds",
            &admin,
            json!({ "name": "Space", "reason": "audit", "spaces": [space] }),
        )
        .await;
    let space_hold = id(space_hold.ok(201));
    let r = s.delete(&format!("/api/v1/documents/{doc}"), &admin).await;
    assert_eq!(r.problem(409), "legal_hold");
    let r = s
        .delete(&format!("/api/v1/trash/documents/{trashed}"), &admin)
        .await;
    assert_eq!(r.problem(409), "legal_hold");
    let r = s
        .post(
            &format!("/api/v1/retention/holds/{space_hold}/release"),
            &admin,
            json!({}),
        )
        .await;
    r.ok(200);
    // Deleting a held message by hand is refused.
    let r = s
        .delete(&format!("/api/v1/rooms/{g}/messages/{held_msg}"), &hal)
        .await;
    assert_eq!(r.problem(409), "legal_hold");

    let policy = json!({ "set": [
        { "class": "messages_direct", "days": 30 },
        { "class": "messages_group", "days": 30 },
        { "class": "notifications", "days": 30 },
        { "class": "document_versions", "days": 30 },
        { "class": "trash", "days": 30 },
    ]});
    // The preview of the proposal, then the saved policy's preview: the same numbers.
    let proposed = s
        .post("/api/v1/retention/preview", &admin, policy.clone())
        .await;
    let proposed = proposed.ok(200).clone();
    assert_eq!(
        class(&proposed, "messages_direct")["items"],
        2,
        "{proposed}"
    );
    assert_eq!(
        class(&proposed, "messages_direct")["containers"],
        // A direct conversation has no name.
        json!([{ "kind": "room", "id": dm, "name": "", "items": 2,
                 "bytes": class(&proposed, "messages_direct")["bytes"] }])
    );
    assert_eq!(class(&proposed, "messages_group")["items"], 0);
    assert_eq!(
        class(&proposed, "messages_group")["held"],
        json!([{ "hold_id": hold_id, "name": "Hal's matter", "items": 1 }])
    );
    assert_eq!(class(&proposed, "document_versions")["items"], 2);
    assert_eq!(class(&proposed, "trash")["items"], 1);
    assert!(class(&proposed, "notifications")["items"].as_u64().unwrap() >= 1);
    set_policy(&s, &admin, policy).await;
    let preview = s.post("/api/v1/retention/preview", &admin, json!({})).await;
    let preview = preview.ok(200).clone();
    let report = run(&s, &admin, false).await;
    for c in preview["classes"].as_array().unwrap() {
        let name = c["class"].as_str().unwrap();
        assert_eq!(
            class(&report["report"], name)["items"],
            c["items"],
            "{name}: preview {preview} run {report}"
        );
    }
    let direct = class(&report["report"], "messages_direct");
    assert_eq!(direct["blobs"], 2, "{report}");
    assert!(direct["index_entries"].as_u64().unwrap() >= 2);
    assert_eq!(
        class(&report["report"], "messages_group")["held"][0]["items"],
        1
    );
    // Nothing left to do: a second run removes nothing.
    let again = run(&s, &admin, false).await;
    assert_eq!(again["report"]["totals"]["items"], 0, "{again}");

    // The index forgets, and the blobs go (through the outbox).
    // Only the current version's content is left in the blob store.
    s.eventually(
        "the canaries leave the index and the blob store",
        || async {
            hits(&s, &admin, "OLDCANARY").await == 0
                && if s3 {
                    s3_objects(&s) == (1, 1)
                } else {
                    blobs_containing(&s, "OLDCANARY") == 0 && s.blob_files().0.len() == 1
                }
        },
    )
    .await;
    assert_eq!(hits(&s, &hal, "HELDCANARY").await, 1);
    assert_eq!(hits(&s, &admin, "YOUNGCANARY").await, 1);
    let versions = s
        .get(&format!("/api/v1/documents/{doc}/versions"), &admin)
        .await;
    assert_eq!(versions.ok(200).as_array().map(|a| a.len()), Some(1));
    let trash = s
        .get(&format!("/api/v1/spaces/{space}/trash"), &admin)
        .await;
    assert!(trash.ok(200).as_array().unwrap().is_empty());

    // With the server stopped: no table, no blob, no index entry holds what went.
    s.stop();
    assert_eq!(
        columns_containing(&s, "OLDCANARY").await,
        Vec::<String>::new()
    );
    assert_eq!(blobs_containing(&s, "OLDCANARY"), 0);
    assert!(!columns_containing(&s, "HELDCANARY").await.is_empty());
    assert!(!columns_containing(&s, "YOUNGCANARY").await.is_empty());
    for m in [&m1, &m2] {
        assert_eq!(indexed(&s, "message", m), "0", "{m}");
    }
    assert_eq!(indexed(&s, "message", &held_msg), "1");
    assert_eq!(indexed(&s, "message", &young), "1");
    assert_eq!(indexed(&s, "document", &trashed), "0");
    assert_eq!(indexed(&s, "document", &doc), "1");
}

/// Policies: bad ones get 422 naming the field; a policy that removes many items needs the
/// previewed count confirmed; overrides per room beat the tenant's policy, owners may set their
/// room's period within the tenant's bounds; pinned messages may be exempted; dry runs remove
/// nothing; holds are audited and, once released, stop protecting.
/// The status of a proposed 400-day override of `messages_group`, previewed by `token`.
async fn proposed_as(s: &Server, token: &str, path: &str, days: i64) -> u16 {
    s.post(
        &format!("{path}/preview"),
        token,
        json!({ "set": [{ "class": "messages_group", "days": days }] }),
    )
    .await
    .status
}

async fn policies_overrides_and_holds(b: Backend) {
    let Some(mut s) = Server::start_with(
        b,
        &[
            ("STOA_RETENTION__RUN_EVERY_SECS", "0"),
            ("STOA_RETENTION__PAUSE_MS", "0"),
            ("STOA_RETENTION__AUDIT_FLOOR_DAYS", "30"),
        ],
    )
    .await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let (_, sam) = s.staff(&t, "Sam Owner").await;
    // A session that ends now: a sign-in record.
    let spare = s.login_token("acme", &t.admin_email).await;
    assert_eq!(
        s.req("POST", "/api/v1/auth/logout", Some(&spare), None)
            .await
            .status,
        204
    );

    // The policy lists every class with its default.
    let p = s.get("/api/v1/retention/policy", &admin).await;
    let p = p.ok(200).clone();
    assert_eq!(class(&p, "messages_channel")["days"], Value::Null);
    assert_eq!(class(&p, "trash")["days"], 30);
    assert_eq!(class(&p, "trash")["is_default"], true);
    assert_eq!(class(&p, "messages_channel")["per"], "room");
    assert_eq!(class(&p, "document_versions")["per"], "space");

    // Bad policies: the field at fault.
    for (body, field) in [
        (
            json!({ "set": [{ "class": "messages_direct", "days": -3 }] }),
            "set[0].days",
        ),
        (
            json!({ "set": [{ "class": "messages_direct", "days": 0 }] }),
            "set[0].days",
        ),
        (
            json!({ "set": [{ "class": "trash", "days": 5 }, { "class": "nope", "days": 5 }] }),
            "set[1].class",
        ),
        (json!({ "reset": ["nope"] }), "reset[0]"),
        (json!({ "owner_min_days": -1 }), "owner_min_days"),
        // Below the install's audit floor.
        (
            json!({ "set": [{ "class": "audit_entries", "days": 29 }] }),
            "set[0].days",
        ),
    ] {
        let r = s
            .req("PUT", "/api/v1/retention/policy", Some(&admin), Some(body))
            .await;
        assert_eq!(r.problem(422), "validation_failed");
        assert_eq!(r.body["field"], field, "{}", r.text);
    }

    // Rooms: Sam owns one, the admin another; three messages each, one pinned in Sam's.
    let mine = room(&s, &sam, json!({ "kind": "group", "name": "Sam's" })).await;
    let other = room(&s, &admin, json!({ "kind": "group", "name": "Other" })).await;
    let mut pinned = String::new();
    for i in 0..3 {
        let m = send(&s, &sam, &mine, json!({ "body": format!("mine {i}") })).await;
        if i == 0 {
            pinned = id(&m);
        }
        send(&s, &admin, &other, json!({ "body": format!("other {i}") })).await;
    }
    assert_eq!(
        s.req(
            "PUT",
            &format!("/api/v1/rooms/{mine}/pins/{pinned}"),
            Some(&sam),
            None
        )
        .await
        .status,
        204
    );

    // Owners may not set periods until the tenant lets them.
    let set_mine = |days: Value| json!({ "set": [{ "class": "messages_group", "days": days }] });
    let path = format!("/api/v1/retention/overrides/room/{mine}");
    let r = s
        .req("PUT", &path, Some(&sam), Some(set_mine(json!(400))))
        .await;
    assert_eq!(r.problem(403), "forbidden");
    set_policy(
        &s,
        &admin,
        json!({ "owner_min_days": 365, "confirm_threshold": 3 }),
    )
    .await;
    let r = s
        .req("PUT", &path, Some(&sam), Some(set_mine(json!(30))))
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = s
        .req("PUT", &path, Some(&sam), Some(set_mine(Value::Null)))
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = s
        .req("PUT", &path, Some(&sam), Some(set_mine(json!(400))))
        .await;
    assert_eq!(r.ok(200).as_array().unwrap().len(), 1);
    // Someone else's room: not Sam's to govern.
    let r = s
        .req(
            "PUT",
            &format!("/api/v1/retention/overrides/room/{other}"),
            Some(&sam),
            Some(set_mine(json!(400))),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    let r = s.get("/api/v1/retention/overrides", &admin).await;
    assert_eq!(r.ok(200)[0]["id"], mine.as_str());

    // Forty days later, group messages older than 30 days go, except in Sam's room (400 days).
    let admin = later(&mut s, FORTY_DAYS, &t.admin_email).await;
    let sam = s.login_token("acme", "sam.owner@acme.test").await;
    let policy = json!({ "set": [{ "class": "messages_group", "days": 30 }] });
    // Removing 3 items is at the threshold; the override keeps Sam's.
    let preview = s
        .post("/api/v1/retention/preview", &admin, policy.clone())
        .await;
    let impact = class(preview.ok(200), "messages_group").clone();
    assert_eq!(impact["items"], 3);
    // Each room the preview counts in comes with its name.
    assert_eq!(
        impact["containers"],
        json!([{ "kind": "room", "id": other, "name": "Other", "items": 3,
                 "bytes": impact["containers"][0]["bytes"] }]),
        "{impact}"
    );
    // What a proposed override would remove in Sam's room alone, before it is saved.
    let preview_path = format!("{path}/preview");
    let proposed = |days: Value| {
        s.post(
            &preview_path,
            &admin,
            json!({ "set": [{ "class": "messages_group", "days": days }] }),
        )
    };
    let r = proposed(json!(30)).await;
    let c = class(r.ok(200), "messages_group").clone();
    assert_eq!(
        (c["items"].clone(), c["days"].clone()),
        (json!(3), json!(30)),
        "{c}"
    );
    assert_eq!(c["containers"][0]["name"], "Sam's", "{c}");
    assert_eq!(r.body["items"], 3, "{}", r.text);
    let r = proposed(json!(400)).await;
    assert_eq!(r.ok(200)["items"], 0, "{}", r.text);
    // The saved override (400 days) is what a reset-free, empty proposal shows.
    let r = s.post(&format!("{path}/preview"), &admin, json!({})).await;
    assert_eq!(
        class(r.ok(200), "messages_group")["days"],
        400,
        "{}",
        r.text
    );
    let r = proposed(json!(400)).await;
    // Only the classes a room can override are measured.
    let classes: Vec<&str> = r.ok(200)["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["class"].as_str().unwrap())
        .collect();
    assert!(
        classes.contains(&"messages_group") && !classes.contains(&"trash"),
        "{classes:?}"
    );
    let r = s
        .post(
            &format!("{path}/preview"),
            &admin,
            json!({ "set": [{ "class": "trash", "days": 5 }] }),
        )
        .await;
    assert_eq!(r.body["field"], "set[0].class", "{}", r.text);
    // Sam governs his room: he may preview it, not the admin's.
    assert_eq!(proposed_as(&s, &sam, &path, 400).await, 200);
    assert_eq!(
        proposed_as(
            &s,
            &sam,
            &format!("/api/v1/retention/overrides/room/{other}"),
            400
        )
        .await,
        403
    );
    // The pickers list every room, not only the admin's: Sam's, which the admin is not in.
    let r = s
        .get("/api/v1/retention/containers?kind=room&q=SAM", &admin)
        .await;
    assert_eq!(
        r.ok(200)["items"],
        json!([{ "kind": "room", "id": mine, "name": "Sam's" }]),
        "{}",
        r.text
    );
    // Accents and case do not matter, as in the people search.
    let hop = room(&s, &sam, json!({ "kind": "group", "name": "Phòng HỌP" })).await;
    for q in ["hop", "H%E1%BB%8CP", "ph%C3%B2ng"] {
        let r = s
            .get(
                &format!("/api/v1/retention/containers?kind=room&q={q}"),
                &admin,
            )
            .await;
        assert_eq!(r.ok(200)["items"][0]["id"], hop.as_str(), "{q}: {}", r.text);
    }
    let r = s
        .get("/api/v1/retention/containers?kind=room&limit=1", &admin)
        .await;
    let first = r.ok(200).clone();
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let r = s
        .get(
            &format!("/api/v1/retention/containers?kind=room&limit=1&cursor={cursor}"),
            &admin,
        )
        .await;
    assert_ne!(r.ok(200)["items"][0]["id"], first["items"][0]["id"]);
    let r = s
        .get("/api/v1/retention/containers?kind=space&q=company", &admin)
        .await;
    assert!(r.ok(200)["items"].is_array(), "{}", r.text);
    assert_eq!(
        s.get("/api/v1/retention/containers?kind=room", &sam)
            .await
            .problem(403),
        "forbidden"
    );
    let r = s
        .get("/api/v1/retention/containers?kind=folder", &admin)
        .await;
    assert_eq!(r.body["field"], "kind", "{}", r.text);
    // Without the override, six would go: above the threshold, so confirmation is needed.
    let r = s
        .req(
            "PUT",
            &path,
            Some(&admin),
            Some(json!({ "reset": ["messages_group"] })),
        )
        .await;
    assert!(r.ok(200).as_array().unwrap().is_empty());
    let r = s
        .req(
            "PUT",
            "/api/v1/retention/policy",
            Some(&admin),
            Some(policy.clone()),
        )
        .await;
    assert_eq!(r.problem(409), "confirmation_required");
    assert!(
        r.body["detail"].as_str().unwrap().contains("6 items"),
        "{}",
        r.text
    );
    // Exempting pinned messages keeps one of them.
    let mut confirmed = policy.clone();
    confirmed["exempt_pinned"] = json!(true);
    confirmed["confirm_items"] = json!(5);
    set_policy(&s, &admin, confirmed).await;

    // A dry run reports and removes nothing.
    let dry = run(&s, &admin, true).await;
    assert_eq!(class(&dry["report"], "messages_group")["items"], 5, "{dry}");
    let page = s.get(&format!("/api/v1/rooms/{mine}/messages"), &sam).await;
    assert_eq!(page.ok(200)["items"].as_array().unwrap().len(), 3);

    // A hold on Sam's room keeps it whole; released, it protects nothing.
    let hold = s
        .post(
            "/api/v1/retention/holds",
            &admin,
            json!({ "name": "Audit", "reason": "inquiry", "rooms": [mine] }),
        )
        .await;
    let hold_id = id(hold.ok(201));
    let done = run(&s, &admin, false).await;
    assert_eq!(
        class(&done["report"], "messages_group")["items"],
        3,
        "{done}"
    );
    assert_eq!(
        class(&done["report"], "messages_group")["held"][0]["items"],
        2
    );
    let r = s
        .post(
            &format!("/api/v1/retention/holds/{hold_id}/release"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.ok(200)["active"], false);
    let done = run(&s, &admin, false).await;
    assert_eq!(
        class(&done["report"], "messages_group")["items"],
        2,
        "{done}"
    );
    let page = s.get(&format!("/api/v1/rooms/{mine}/messages"), &sam).await;
    let left: Vec<String> = page.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(left, vec![pinned.clone()]);
    // A released hold cannot change.
    let r = s
        .req(
            "PUT",
            &format!("/api/v1/retention/holds/{hold_id}"),
            Some(&admin),
            Some(json!({ "name": "x", "reason": "y", "rooms": [mine] })),
        )
        .await;
    assert_eq!(r.problem(409), "conflict");

    // Runs are listed with their reports; every step was audited.
    let runs = s.get("/api/v1/retention/runs?limit=2", &admin).await;
    let runs = runs.ok(200).clone();
    assert_eq!(runs["items"].as_array().unwrap().len(), 2);
    assert!(runs["next_cursor"].is_string());
    let audit = s.get("/api/v1/audit?limit=100", &admin).await;
    let actions: Vec<String> = audit.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for a in [
        "retention.policy_changed",
        "retention.override_changed",
        "legal_hold.created",
        "legal_hold.released",
        "retention.run",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }

    // Sign-in records and the audit log's oldest entries go too; the chain still verifies
    // from its new start, and a start moved by hand is caught.
    let before = s.get("/api/v1/audit?limit=100", &admin).await;
    let oldest_before = before.ok(200)["items"].as_array().unwrap().len();
    set_policy(
        &s,
        &admin,
        json!({
            "set": [{ "class": "audit_entries", "days": 30 },
                    { "class": "sign_in_records", "days": 30 }],
            "confirm_items": 100000,
        }),
    )
    .await;
    let done = run(&s, &admin, false).await;
    assert_eq!(
        class(&done["report"], "sign_in_records")["items"],
        1,
        "{done}"
    );
    let gone = class(&done["report"], "audit_entries")["items"]
        .as_u64()
        .unwrap();
    assert!(gone > 5, "{done}");
    let after = s.get("/api/v1/audit?limit=100", &admin).await;
    assert!(after.ok(200)["items"].as_array().unwrap().len() < oldest_before + 3);
    let ok = s.cli(&["audit", "verify", "--tenant", "acme"], None);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    s.sql("update audit_heads set pruned_seq = pruned_seq + 1")
        .await;
    let bad = s.cli(&["audit", "verify", "--tenant", "acme"], None);
    assert!(!bad.status.success());
}
both!(policies_overrides_and_holds);

/// The command line previews and runs a tenant's retention.
async fn command_line(b: Backend) {
    let Some(mut s) = Server::start_with(b, &[("STOA_RETENTION__RUN_EVERY_SECS", "0")]).await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let g = room(&s, &admin, json!({ "kind": "channel", "name": "News" })).await;
    send(&s, &admin, &g, json!({ "body": "old news" })).await;
    set_policy(
        &s,
        &admin,
        json!({ "set": [{ "class": "messages_channel", "days": 1 }] }),
    )
    .await;
    s.stop();
    s.set_env("STOA_CLOCK_OFFSET_SECS", "172800");
    let out = s.cli(&["retention", "preview", "--tenant", "acme"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(class(&v, "messages_channel")["items"], 1, "{v}");
    let out = s.cli(&["retention", "run", "--tenant", "acme", "--dry-run"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(class(&v["report"], "messages_channel")["items"], 1, "{v}");
    let out = s.cli(&["retention", "run", "--tenant", "acme"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "done");
    assert_eq!(class(&v["report"], "messages_channel")["items"], 1, "{v}");
    let out = s.cli(&["retention", "preview", "--tenant", "nope"], None);
    assert!(!out.status.success());
}
both!(command_line);

/// A node killed mid-run (kill -9) leaves nothing half-done: the next run marks the cut-short
/// one failed, carries on, and in the end no row, blob or index entry of what went is left.
async fn killed_mid_run_converges(b: Backend) {
    let Some(mut s) = Server::start_with(
        b,
        &[
            ("STOA_STORAGE__ENCRYPT", "false"),
            ("STOA_RETENTION__RUN_EVERY_SECS", "0"),
            ("STOA_RETENTION__BATCH", "1"),
            ("STOA_RETENTION__PAUSE_MS", "300"),
            ("STOA_RETENTION__LEASE_SECS", "2"),
        ],
    )
    .await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let ch = room(&s, &admin, json!({ "kind": "channel", "name": "Crash" })).await;
    for i in 0..12 {
        let f = id(s
            .upload(&admin, "note.txt", format!("CRASHCANARY {i}").into_bytes())
            .await
            .ok(201));
        send(
            &s,
            &admin,
            &ch,
            json!({ "body": format!("CRASHCANARY message {i}"), "attachment_ids": [f] }),
        )
        .await;
    }
    s.eventually("everything is searchable", || async {
        hits(&s, &admin, "CRASHCANARY").await >= 12
    })
    .await;
    set_policy(
        &s,
        &admin,
        json!({ "set": [{ "class": "messages_channel", "days": 1 }] }),
    )
    .await;
    let admin = later(&mut s, "172800", &t.admin_email).await;
    let first = id(s
        .post("/api/v1/retention/runs", &admin, json!({}))
        .await
        .ok(202));
    let page = format!("/api/v1/rooms/{ch}/messages");
    s.eventually("the run is under way", || async {
        let n = s.get(&page, &admin).await.ok(200)["items"]
            .as_array()
            .map(|a| a.len())
            .unwrap_or(0);
        n < 12
    })
    .await;
    s.kill_hard();
    s.spawn().await;
    let admin = s.login_token("acme", &t.admin_email).await;
    // The dead node's lease runs out; then the next run starts and finishes.
    let start = std::time::Instant::now();
    let second = loop {
        let r = s.post("/api/v1/retention/runs", &admin, json!({})).await;
        if r.status == 202 {
            break id(&r.body);
        }
        assert_eq!(r.problem(409), "conflict");
        assert!(crate::common::patient(start), "the next run never started");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let path = format!("/api/v1/retention/runs/{second}");
    s.eventually("the second run ends", || async {
        s.get(&path, &admin).await.ok(200)["status"] == "done"
    })
    .await;
    let r = s
        .get(&format!("/api/v1/retention/runs/{first}"), &admin)
        .await;
    assert_eq!(r.ok(200)["status"], "failed");
    assert!(r.body["error"].as_str().unwrap().contains("interrupted"));
    assert!(s.get(&page, &admin).await.ok(200)["items"]
        .as_array()
        .unwrap()
        .is_empty());
    s.eventually("no blob or index entry is left", || async {
        hits(&s, &admin, "CRASHCANARY").await == 0 && blobs_containing(&s, "CRASHCANARY") == 0
    })
    .await;
    s.stop();
    assert_eq!(
        columns_containing(&s, "CRASHCANARY").await,
        Vec::<String>::new()
    );
}
both!(killed_mid_run_converges);

/// Attachments may go before their messages: the file leaves every store, the message stays.
async fn attachments_go_messages_stay(b: Backend) {
    let Some(mut s) = Server::start_with(
        b,
        &[
            ("STOA_STORAGE__ENCRYPT", "false"),
            ("STOA_RETENTION__RUN_EVERY_SECS", "0"),
        ],
    )
    .await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let g = room(&s, &admin, json!({ "kind": "group", "name": "Files" })).await;
    let f = id(s
        .upload(&admin, "minutes.txt", b"ATTCANARY minutes".to_vec())
        .await
        .ok(201));
    let m = id(&send(
        &s,
        &admin,
        &g,
        json!({ "body": "the minutes", "attachment_ids": [f] }),
    )
    .await);
    // An upload nothing uses, and one that becomes a room's avatar.
    let lone = id(s
        .upload(&admin, "draft.txt", b"LONECANARY draft".to_vec())
        .await
        .ok(201));
    let avatar = id(s
        .upload(&admin, "logo.png", PIXEL_PNG.to_vec())
        .await
        .ok(201));
    s.req(
        "PATCH",
        &format!("/api/v1/rooms/{g}"),
        Some(&admin),
        Some(json!({ "avatar_file_id": avatar })),
    )
    .await
    .ok(200);
    let admin = later(&mut s, FORTY_DAYS, &t.admin_email).await;
    let policy = json!({ "set": [{ "class": "attachments", "days": 30 },
                                 { "class": "files", "days": 30 }] });
    let preview = s
        .post("/api/v1/retention/preview", &admin, policy.clone())
        .await;
    let preview = preview.ok(200).clone();
    assert_eq!(class(&preview, "attachments")["items"], 1, "{preview}");
    // Only the upload nothing uses: the attached file goes as an attachment, the avatar stays.
    assert_eq!(class(&preview, "files")["items"], 1, "{preview}");
    assert_eq!(class(&preview, "messages_group")["items"], 0);
    set_policy(&s, &admin, policy).await;
    let done = run(&s, &admin, false).await;
    for name in ["attachments", "files"] {
        let c = class(&done["report"], name);
        assert_eq!(
            (c["items"].clone(), c["blobs"].clone()),
            (json!(1), json!(1)),
            "{done}"
        );
    }
    let page = s.get(&format!("/api/v1/rooms/{g}/messages"), &admin).await;
    let items = page.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(id(&items[0]), m);
    assert_eq!(items[0]["body"], "the minutes");
    assert_eq!(items[0]["attachment_ids"], json!([]), "{}", items[0]);
    for (file, status) in [(&f, 404), (&lone, 404), (&avatar, 200)] {
        let r = s.get(&format!("/api/v1/files/{file}/info"), &admin).await;
        assert_eq!(r.status, status, "{file}");
    }
    s.eventually("the blobs go", || async {
        blobs_containing(&s, "ATTCANARY") == 0 && blobs_containing(&s, "LONECANARY") == 0
    })
    .await;
    s.stop();
    for canary in ["ATTCANARY", "LONECANARY"] {
        assert_eq!(columns_containing(&s, canary).await, Vec::<String>::new());
    }
}
both!(attachments_go_messages_stay);

/// The schedule applies every tenant's policy by itself (here every second), and keeps the
/// report of a run that removed something.
async fn the_schedule_runs_by_itself(b: Backend) {
    let Some(mut s) = Server::start_with(b, &[("STOA_RETENTION__RUN_EVERY_SECS", "0")]).await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let g = room(&s, &admin, json!({ "kind": "channel", "name": "Old news" })).await;
    send(&s, &admin, &g, json!({ "body": "yesterday's news" })).await;
    set_policy(
        &s,
        &admin,
        json!({ "set": [{ "class": "messages_channel", "days": 1 }] }),
    )
    .await;
    s.set_env("STOA_RETENTION__RUN_EVERY_SECS", "1");
    let admin = later(&mut s, "172800", &t.admin_email).await;
    s.eventually("a scheduled run removes the message", || async {
        let runs = s.get("/api/v1/retention/runs", &admin).await;
        runs.ok(200)["items"].as_array().unwrap().iter().any(|r| {
            r["trigger"] == "schedule"
                && r["status"] == "done"
                && class(&r["report"], "messages_channel")["items"] == 1
        })
    })
    .await;
    let page = s.get(&format!("/api/v1/rooms/{g}/messages"), &admin).await;
    assert!(page.ok(200)["items"].as_array().unwrap().is_empty());
}
both!(the_schedule_runs_by_itself);
