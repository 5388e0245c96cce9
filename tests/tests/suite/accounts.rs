//! Account deletion: disabled at once, a grace period that can be cancelled, offboarding
//! transfer, erasure from every store with a report that adds up, the audit chain intact, and
//! the erasure ledger replayed after a database restore.

use crate::both;
use crate::common::{
    id, image_with_thumbnail, personal_space, room, send, upload_doc, Backend, Server,
};
use crate::e2e::{rotate, seal, Device};
use crate::retention::{blobs_containing, columns_containing, hits, indexed, later, s3_objects};
use futures_util::StreamExt;
use serde_json::{json, Value};

/// The canary every piece of the person's data carries (lower case: emails are).
const CANARY: &str = "zqxcanary";

async fn settings(s: &Server, token: &str, grace: i64, messages: &str, sign_in_cancels: bool) {
    s.req(
        "PUT",
        "/api/v1/settings/account-deletion",
        Some(token),
        Some(json!({ "grace_days": grace, "authored_messages": messages, "sign_in_cancels": sign_in_cancels })),
    )
    .await
    .ok(200);
}

/// Wait for an account's erasure; its report.
async fn erased(s: &Server, token: &str, user: &str) -> Value {
    let path = format!("/api/v1/users/{user}/deletion");
    s.eventually("the erasure ends", || async {
        s.get(&path, token).await.ok(200)["status"] == "erased"
    })
    .await;
    let d = s.get(&path, token).await.ok(200).clone();
    let report = d["report_id"].as_str().expect("report id").to_string();
    s.get(&format!("/api/v1/erasure-reports/{report}"), token)
        .await
        .ok(200)
        .clone()
}

/// One kind of data's figures in a report.
fn line<'a>(report: &'a Value, feature: &str, what: &str) -> &'a Value {
    report["erased"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["feature"] == feature && e["what"] == what)
        .unwrap_or_else(|| panic!("{feature}/{what} in {report}"))
}

async fn erasure_reaches_every_store(b: Backend) {
    canary_erasure(b, false).await
}
both!(erasure_reaches_every_store);

async fn erasure_reaches_every_store_s3(b: Backend) {
    canary_erasure(b, true).await
}
both!(erasure_reaches_every_store_s3);

/// A person with a profile, messages with attachments (one an image with a thumbnail) in
/// several rooms, an encrypted room with a device and wrapped keys, documents with versions,
/// a trashed document, notifications, sessions and an open socket, each carrying the canary,
/// is deleted with a grace period of 0 and messages deleted. Afterwards the socket is closed,
/// no table, blob, index entry or audit mirror line holds the canary (but the transferred
/// documents, now the successor's, do), the audit chain verifies, and the report counts what
/// went.
async fn canary_erasure(b: Backend, s3: bool) {
    let env = [
        ("STOA_STORAGE__ENCRYPT", "false"),
        ("STOA_STORAGE__SWEEP_INTERVAL_SECS", "0"),
        ("STOA_RETENTION__RUN_EVERY_SECS", "0"),
    ];
    let started = if s3 {
        Server::start_s3(b, &env[1..]).await
    } else {
        Server::start_with(b, &env).await
    };
    let Some(mut s) = started else {
        return;
    };
    let mirror = s.dir.join("audit-mirror");
    s.stop();
    s.set_env("STOA_AUDIT__MIRROR_DIR", &mirror.display().to_string());
    s.spawn().await;
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let (dan_id, dan) = s.staff(&t, "Dan Successor").await;
    let (carol_id, carol) = s.staff(&t, &format!("Carol {CANARY}")).await;
    s.req(
        "PATCH",
        &format!("/api/v1/users/{carol_id}"),
        Some(&admin),
        Some(json!({ "title": format!("{CANARY} title"), "department": format!("{CANARY} dept"), "phone": "+84912345678" })),
    )
    .await
    .ok(200);
    settings(&s, &admin, 0, "delete", true).await;
    // The directory: Carol heads a department, manages Dan and has work contact details.
    let dept = id(s
        .post(
            "/api/v1/directory/departments",
            &admin,
            json!({ "name": "Canary team", "head_id": carol_id }),
        )
        .await
        .ok(201));
    for (who, body) in [
        (
            &carol_id,
            json!({ "primary_department_id": dept, "work_email": format!("{CANARY}@work.test"),
                    "work_phone": "+84900000001" }),
        ),
        (
            &dan_id,
            json!({ "primary_department_id": dept, "manager_id": carol_id }),
        ),
    ] {
        s.req(
            "PUT",
            &format!("/api/v1/directory/people/{who}"),
            Some(&admin),
            Some(body),
        )
        .await
        .ok(200);
    }

    // Attendance: Carol checks in with coordinates; the admin corrects a day of hers and
    // excuses her, both with the canary in the text.
    s.post(
        "/api/v1/attendance/checkin",
        &carol,
        json!({ "latitude": 10.7769, "longitude": 106.7009 }),
    )
    .await
    .ok(200);
    s.post(
        &format!("/api/v1/attendance/records/{carol_id}/2026-02-02/corrections"),
        &admin,
        json!({ "check_in_at": "2026-02-02T01:00:00Z", "reason": format!("{CANARY} forgot") }),
    )
    .await
    .ok(200);
    s.post(
        "/api/v1/attendance/excused",
        &admin,
        json!({ "user_id": carol_id, "first_date": "2026-02-03", "last_date": "2026-02-04",
                "kind": "leave", "note": format!("{CANARY} leave") }),
    )
    .await
    .ok(201);
    // The bulletin board: a post with a photo.
    let photo = id(s
        .upload(
            &carol,
            &format!("{CANARY}-wallet.png"),
            crate::common::PIXEL_PNG.to_vec(),
        )
        .await
        .ok(201));
    let post = id(s
        .post(
            "/api/v1/bulletin/posts",
            &carol,
            json!({ "kind": "lost", "category": "wallet", "occurred_on": "2025-01-15",
                    "province": format!("{CANARY} province"), "title": format!("{CANARY} wallet"),
                    "description": format!("{CANARY} lost at the gate"),
                    "contact_preference": "phone", "contact_note": format!("{CANARY} after 6pm"),
                    "photo_ids": [photo] }),
        )
        .await
        .ok(201));

    // Rooms: a group Carol owns (with an attachment and an image), a direct conversation with
    // the admin (a notification for the admin), a reaction, and an encrypted room.
    let g = room(
        &s,
        &carol,
        json!({ "kind": "group", "name": "Carol's group", "member_ids": [dan_id, t.admin_id] }),
    )
    .await;
    let att = id(s
        .upload(
            &carol,
            &format!("{CANARY}.txt"),
            format!("{CANARY} attached").into_bytes(),
        )
        .await
        .ok(201));
    let png = image_with_thumbnail(&s, &carol).await;
    let m1 = id(&send(
        &s,
        &carol,
        &g,
        json!({ "body": format!("{CANARY} in the group"), "attachment_ids": [att, png] }),
    )
    .await);
    let kept = id(&send(&s, &dan, &g, json!({ "body": "Dan stays" })).await);
    let react = format!("/api/v1/rooms/{g}/messages/{kept}/reactions/%F0%9F%91%8D");
    assert_eq!(s.req("PUT", &react, Some(&carol), None).await.status, 204);
    let dm = id(s
        .post(
            "/api/v1/rooms/direct",
            &carol,
            json!({ "user_id": t.admin_id }),
        )
        .await
        .ok(201));
    let m2 = id(&send(
        &s,
        &carol,
        &dm,
        json!({ "body": format!("{CANARY} direct") }),
    )
    .await);
    let dev = Device::new(&format!("{CANARY}-phone"));
    s.req(
        "PUT",
        &format!("/api/v1/me/devices/{}", dev.id),
        Some(&carol),
        Some(json!({ "public_key": dev.public_b64() })),
    )
    .await
    .ok(200);
    let enc = s
        .post(
            "/api/v1/rooms",
            &carol,
            json!({ "kind": "group", "name": "Secret", "encrypted": true, "member_ids": [dan_id] }),
        )
        .await;
    let enc = id(enc.ok(201));
    let (k, v) = rotate(&s, &carol, &enc).await;
    let m3 = id(s
        .post(
            &format!("/api/v1/rooms/{enc}/messages"),
            &carol,
            json!({ "ciphertext": seal(&k, "secret"), "key_version": v }),
        )
        .await
        .ok(201));

    // Documents: one with versions and one in the trash (erased), one to transfer (kept by Dan).
    let space = personal_space(&s, &carol).await;
    let doc = upload_doc(
        &s,
        &carol,
        &space,
        "notes.txt",
        format!("{CANARY} v1").as_bytes(),
    )
    .await;
    s.raw(
        "POST",
        &format!("/api/v1/documents/{doc}/versions"),
        Some(&carol),
        "application/octet-stream",
        format!("{CANARY} v2").into_bytes(),
    )
    .await
    .ok(200);
    let trashed = upload_doc(
        &s,
        &carol,
        &space,
        "old.txt",
        format!("{CANARY} trash").as_bytes(),
    )
    .await;
    assert_eq!(
        s.delete(&format!("/api/v1/documents/{trashed}"), &carol)
            .await
            .status,
        204
    );
    s.eventually("the canaries are searchable", || async {
        hits(&s, &carol, CANARY).await >= 3
    })
    .await;

    // Carol's socket, open.
    let ticket = s
        .post("/api/v1/events/ticket", &carol, json!({}))
        .await
        .ok(200)["ticket"]
        .as_str()
        .unwrap()
        .to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "{}/api/v1/events?ticket={ticket}",
        s.base.replacen("http://", "ws://", 1)
    ))
    .await
    .expect("socket");

    // The preview counts what the erasure will do, before anything changes.
    let preview = s
        .get(
            &format!(
                "/api/v1/users/{carol_id}/deletion/preview?documents_to={dan_id}&rooms_to={dan_id}"
            ),
            &admin,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(preview["grace_days"], 0, "{preview}");
    assert_eq!(preview["authored_messages"], "delete", "{preview}");
    assert_eq!(preview["holds"], json!([]), "{preview}");
    let foreseen = |feature: &str, what: &str| -> Value {
        preview["erased"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["feature"] == feature && e["what"] == what)
            .unwrap_or_else(|| panic!("{feature}/{what} in {preview}"))
            .clone()
    };
    assert_eq!(
        s.get("/api/v1/me", &carol).await.status,
        200,
        "the preview changes nothing"
    );

    // Her live documents go to Dan, and her rooms.
    let r = s
        .post(
            &format!("/api/v1/users/{carol_id}/deletion"),
            &admin,
            json!({ "documents_to": dan_id, "rooms_to": dan_id, "reason": "left the company" }),
        )
        .await;
    assert_eq!(r.ok(202)["status"], "pending", "{}", r.text);
    // Disabled at once: her token and socket stop working.
    assert_eq!(s.get("/api/v1/me", &carol).await.status, 401);
    let closed = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) => break,
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => break,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the socket closes");

    let report = erased(&s, &admin, &carol_id).await;
    // The transfers: Dan now owns the group and the (live) document.
    assert_eq!(
        report["transferred"],
        json!([
            { "feature": "messaging", "what": "rooms owned", "items": 2, "to": format!("person:{dan_id}") },
            { "feature": "documents", "what": "documents in the personal space", "items": 1, "to": format!("person:{dan_id}") },
        ]),
        "{report}"
    );
    let members = s.get(&format!("/api/v1/rooms/{g}"), &dan).await;
    let members = members.ok(200)["members"].clone();
    assert!(
        members
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["user_id"] == dan_id.as_str() && m["role"] == "owner"),
        "{members}"
    );
    let moved = s.get(&format!("/api/v1/documents/{doc}"), &dan).await;
    assert_eq!(
        moved.ok(200)["document"]["owner_id"],
        dan_id.as_str(),
        "{}",
        moved.text
    );
    // The preview said so: the same transfers, and the same counts of what went.
    assert_eq!(preview["transferred"], report["transferred"], "{preview}");
    for (feature, what) in [
        ("messaging", "messages"),
        ("messaging", "memberships"),
        ("documents", "documents"),
        ("documents", "personal space"),
        ("bulletin", "posts"),
        ("users", "profile"),
        ("users", "role bindings"),
        ("authn", "sessions and sign-in records"),
        ("files", "uploads"),
    ] {
        for figure in ["items", "held", "kept"] {
            assert_eq!(
                foreseen(feature, what)[figure],
                line(&report, feature, what)[figure],
                "{feature}/{what} {figure}: {preview} vs {report}"
            );
        }
    }
    assert_eq!(
        foreseen("users", "profile")["bytes"],
        line(&report, "users", "profile")["bytes"]
    );
    assert_eq!(
        foreseen("documents", "documents")["bytes"],
        line(&report, "documents", "documents")["bytes"],
        "{preview} vs {report}"
    );
    // What the report counts.
    let messages = line(&report, "messaging", "messages");
    assert_eq!(messages["items"], 3, "{report}");
    assert_eq!(messages["blobs"], 2, "{report}");
    assert_eq!(line(&report, "messaging", "devices")["items"], 1);
    assert_eq!(line(&report, "messaging", "reactions")["items"], 1);
    assert!(
        line(&report, "messaging", "room_keys")["items"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert_eq!(line(&report, "messaging", "memberships")["items"], 3);
    assert_eq!(line(&report, "documents", "documents")["items"], 1);
    let posts = line(&report, "bulletin", "posts");
    assert_eq!(posts["items"], 1, "{report}");
    assert_eq!(posts["blobs"], 1, "{report}");
    assert_eq!(line(&report, "users", "profile")["items"], 1);
    assert!(
        line(&report, "authn", "sessions and sign-in records")["items"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert!(
        line(&report, "audit", "audit_entries")["items"]
            .as_u64()
            .unwrap()
            >= 5
    );
    assert_eq!(
        report["pseudonym"].as_str().unwrap().len(),
        "Deleted user 0000".len()
    );

    // The account shows as erased, under its pseudonym.
    let u = s.get(&format!("/api/v1/users/{carol_id}"), &admin).await;
    let u = u.ok(200).clone();
    assert_eq!(u["status"], "erased");
    assert_eq!(u["display_name"], report["pseudonym"]);
    assert!(u["email"].is_null() && u["phone"].is_null());
    // The directory: the department lost its head, Dan his manager.
    let d = s
        .get(&format!("/api/v1/directory/departments/{dept}"), &admin)
        .await;
    assert!(d.ok(200)["head"].is_null(), "{}", d.text);
    let e = s
        .get(&format!("/api/v1/directory/people/{dan_id}"), &admin)
        .await;
    assert!(e.ok(200)["manager"].is_null(), "{}", e.text);
    let login = s
        .login(
            "acme",
            &format!("carol.{CANARY}@acme.test"),
            crate::common::PASSWORD,
        )
        .await;
    assert_eq!(login.status, 401);
    // Dan's message and the documents moved to him are there.
    let page = s.get(&format!("/api/v1/rooms/{g}/messages"), &dan).await;
    let items = page.ok(200)["items"].as_array().unwrap().clone();
    assert!(items.iter().any(|m| m["id"] == kept.as_str()));
    assert!(!items.iter().any(|m| m["id"] == m1.as_str()));

    s.eventually(
        "the canaries leave the index and the blob store",
        || async {
            hits(&s, &admin, CANARY).await == 0
                && if s3 {
                    // Left: Dan's two document versions.
                    s3_objects(&s).0 == 2
                } else {
                    s.blob_files()
                        .0
                        .iter()
                        .filter(|p| !p.to_string_lossy().contains("ledger"))
                        .count()
                        == 2
                }
        },
    )
    .await;

    // With the server stopped: the canary is only in the documents transferred to Dan.
    s.stop();
    let mut left = columns_containing(&s, CANARY).await;
    left.sort();
    assert_eq!(left, vec!["file_texts.body".to_string()], "{left:?}");
    if !s3 {
        // The transferred document's two versions.
        assert_eq!(blobs_containing(&s, CANARY), 2);
    }
    for m in [&m1, &m2, &m3] {
        assert_eq!(indexed(&s, "message", m), "0", "{m}");
    }
    assert_eq!(indexed(&s, "document", &trashed), "0");
    assert_eq!(indexed(&s, "bulletin_post", &post), "0");
    assert_eq!(indexed(&s, "document", &doc), "1");
    let mirrored = std::fs::read_to_string(mirror.join(format!("{}.jsonl", t.id))).unwrap();
    assert!(!mirrored.contains(CANARY));
    let ok = s.cli(&["audit", "verify", "--tenant", "acme"], None);
    assert!(
        ok.status.success(),
        "{} {}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
}

/// Cancelling during the grace period restores the account with nothing lost; signing in
/// cancels one's own request when the tenant allows it; messages can be kept under the
/// pseudonym; when the period ends the account is erased by itself (clock moved forward).
async fn grace_period(b: Backend) {
    let Some(mut s) = Server::start_with(b, &[("STOA_RETENTION__RUN_EVERY_SECS", "0")]).await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let (_, dan) = s.staff(&t, "Dan").await;
    let (eve_id, eve) = s.staff(&t, "Eve").await;
    settings(&s, &admin, 7, "pseudonymise", true).await;
    let g = room(
        &s,
        &dan,
        json!({ "kind": "group", "name": "Team", "member_ids": [eve_id] }),
    )
    .await;
    let att = id(s
        .upload(&eve, "eve.txt", b"eve file".to_vec())
        .await
        .ok(201));
    let m = id(&send(
        &s,
        &eve,
        &g,
        json!({ "body": "from Eve", "attachment_ids": [att] }),
    )
    .await);

    // An admin's request, cancelled: the account is back and nothing is lost.
    let path = format!("/api/v1/users/{eve_id}/deletion");
    let r = s.post(&path, &admin, json!({})).await;
    let d = r.ok(202).clone();
    assert_eq!(s.get("/api/v1/me", &eve).await.status, 401);
    let u = s.get(&format!("/api/v1/users/{eve_id}"), &admin).await;
    assert_eq!(u.ok(200)["status"], "pending_erasure");
    // The list filters by the status people see.
    let pending = s.get("/api/v1/users?status=pending_erasure", &admin).await;
    let ids: Vec<&str> = pending.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![eve_id.as_str()]);
    let disabled = s.get("/api/v1/users?status=disabled", &admin).await;
    assert!(disabled.ok(200)["items"].as_array().unwrap().is_empty());
    let counts = s.get("/api/v1/users/counts", &admin).await;
    let counts = counts.ok(200);
    assert_eq!(
        (
            counts["pending_erasure"].clone(),
            counts["disabled"].clone()
        ),
        (json!(1), json!(0)),
        "{counts}"
    );
    // Not twice; not enabled behind the workflow's back.
    assert_eq!(
        s.post(&path, &admin, json!({})).await.problem(409),
        "conflict"
    );
    let r = s
        .post(&format!("/api/v1/users/{eve_id}/enable"), &admin, json!({}))
        .await;
    assert!(
        r.status == 409 || r.status == 404 || r.status == 405,
        "{}",
        r.text
    );
    let c = s
        .post(
            &format!("{path}/cancel"),
            &admin,
            json!({ "reactivate": true }),
        )
        .await;
    assert_eq!(c.ok(200)["status"], "cancelled");
    assert_eq!(c.body["id"], d["id"]);
    let eve = s.login_token("acme", "eve@acme.test").await;
    let page = s.get(&format!("/api/v1/rooms/{g}/messages"), &eve).await;
    assert!(page.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == m.as_str()));

    // Her own request; signing in cancels it.
    let r = s.post("/api/v1/me/deletion-request", &eve, json!({})).await;
    assert_eq!(r.ok(202)["self_service"], true);
    assert_eq!(s.get("/api/v1/me", &eve).await.status, 401);
    let eve = s.login_token("acme", "eve@acme.test").await;
    let u = s.get(&format!("/api/v1/users/{eve_id}"), &admin).await;
    assert_eq!(u.ok(200)["status"], "active");

    // Once the tenant says signing in does not cancel, it does not.
    settings(&s, &admin, 7, "pseudonymise", false).await;
    s.post("/api/v1/me/deletion-request", &eve, json!({}))
        .await
        .ok(202);
    assert_eq!(
        s.login("acme", "eve@acme.test", crate::common::PASSWORD)
            .await
            .status,
        401
    );

    // Eight days later the erasure runs by itself; her message stays under the pseudonym,
    // its attachment goes.
    let admin = later(&mut s, "691200", &t.admin_email).await;
    let report = erased(&s, &admin, &eve_id).await;
    let messages = line(&report, "messaging", "messages");
    assert_eq!(messages["kept"], 1, "{report}");
    assert_eq!(messages["items"], 0, "{report}");
    assert_eq!(
        line(&report, "messaging", "attachments")["blobs"],
        1,
        "{report}"
    );
    let dan = s.login_token("acme", "dan@acme.test").await;
    let page = s.get(&format!("/api/v1/rooms/{g}/messages"), &dan).await;
    let msg = page.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == m.as_str())
        .cloned()
        .expect("the message stays");
    assert_eq!(msg["body"], "from Eve");
    assert!(
        msg["attachment_ids"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "{msg}"
    );
    let who = s.get(&format!("/api/v1/users/{eve_id}"), &admin).await;
    assert!(who.ok(200)["display_name"]
        .as_str()
        .unwrap()
        .starts_with("Deleted user "));
    // Listed, and summarised in the audit log.
    let list = s.get("/api/v1/erasure-reports", &admin).await;
    assert_eq!(list.ok(200)["items"].as_array().unwrap().len(), 1);
    let audit = s.get("/api/v1/audit?action=user.erased", &admin).await;
    assert_eq!(
        audit.ok(200)["items"].as_array().unwrap().len(),
        1,
        "{}",
        audit.text
    );
}
both!(grace_period);

/// Who may: the last admin cannot go, an admin deletes nobody beyond their reach, staff
/// cannot delete, other tenants see nothing; bad input is a clear 422.
async fn rules(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let (dan_id, dan) = s.staff(&t, "Dan").await;
    let other = s.tenant("other").await;
    // The last admin.
    let r = s
        .post("/api/v1/me/deletion-request", &admin, json!({}))
        .await;
    assert_eq!(r.problem(409), "last_admin");
    let r = s
        .post(
            &format!("/api/v1/users/{}/deletion", t.admin_id),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    // Staff cannot; other tenants get 404; no session 401.
    let path = format!("/api/v1/users/{dan_id}/deletion");
    assert_eq!(
        s.post(&path, &dan, json!({})).await.problem(403),
        "forbidden"
    );
    assert_eq!(
        s.post(&path, &other.admin_token, json!({})).await.status,
        404
    );
    assert_eq!(
        s.req("POST", &path, None, Some(json!({}))).await.status,
        401
    );
    // The preview: the same rules, and it changes nothing.
    let preview = format!("/api/v1/users/{dan_id}/deletion/preview");
    assert_eq!(s.get(&preview, &dan).await.problem(403), "forbidden");
    assert_eq!(s.get(&preview, &other.admin_token).await.status, 404);
    assert_eq!(s.req("GET", &preview, None, None).await.status, 401);
    let r = s
        .get(&format!("{preview}?documents_to=nobody"), &admin)
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(r.body["field"], "documents_to", "{}", r.text);
    let r = s.get(&format!("{preview}?rooms_to={dan_id}"), &admin).await;
    assert_eq!(r.body["field"], "rooms_to", "{}", r.text);
    let r = s.get(&preview, &admin).await;
    assert_eq!(r.ok(200)["user_id"], dan_id.as_str());
    assert_eq!(s.get("/api/v1/me", &dan).await.status, 200);
    // Bad input.
    let r = s
        .post(&path, &admin, json!({ "documents_to": "nobody" }))
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = s.post(&path, &admin, json!({ "rooms_to": dan_id })).await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = s
        .req(
            "PUT",
            "/api/v1/settings/account-deletion",
            Some(&admin),
            Some(
                json!({ "grace_days": 31, "authored_messages": "delete", "sign_in_cancels": true }),
            ),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = s
        .req(
            "PUT",
            "/api/v1/settings/account-deletion",
            Some(&admin),
            Some(json!({ "grace_days": 3, "authored_messages": "shred", "sign_in_cancels": true })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(
        s.get("/api/v1/settings/account-deletion", &dan)
            .await
            .problem(403),
        "forbidden"
    );
    let r = s.get("/api/v1/account-deletions?status=gone", &admin).await;
    assert_eq!(r.problem(422), "validation_failed");

    // Correcting one's own data: a person removes their phone (or email) but keeps one way to
    // sign in, and cannot point sign-in somewhere new.
    s.req(
        "PATCH",
        &format!("/api/v1/users/{dan_id}"),
        Some(&admin),
        Some(json!({ "phone": "+84912345678" })),
    )
    .await
    .ok(200);
    let me = |body: Value| s.req("PATCH", "/api/v1/me", Some(&dan), Some(body));
    let r = me(json!({ "phone": "" })).await;
    assert!(r.ok(200)["phone"].is_null(), "{}", r.text);
    let r = me(json!({ "email": "" })).await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = me(json!({ "email": "elsewhere@example.com" })).await;
    assert_eq!(r.problem(422), "validation_failed");
}
both!(rules);

/// After restoring a database backup taken before an erasure, `stoa lifecycle replay` erases
/// the person again from the ledger kept in the blob store.
async fn replay_after_restore(b: Backend) {
    if b != Backend::Sqlite {
        // The restore is a copy of the SQLite file; PostgreSQL backups are the operator's
        // pg_dump/pg_restore, and the replay reads the same ledger either way.
        return;
    }
    let Some(mut s) = Server::start_with(b, &[("STOA_RETENTION__RUN_EVERY_SECS", "0")]).await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let (gil_id, gil) = s.staff(&t, &format!("Gil {CANARY}")).await;
    let g = room(
        &s,
        &gil,
        json!({ "kind": "group", "name": "G", "member_ids": [] }),
    )
    .await;
    send(&s, &gil, &g, json!({ "body": format!("{CANARY} said") })).await;
    settings(&s, &t.admin_token, 0, "delete", true).await;
    // The backup: a consistent copy of the database (what `sqlite3 .backup` makes).
    s.stop();
    let db = s.dir.join("stoa.db");
    let backup = s.dir.join("backup.db");
    s.sql(&format!("vacuum into '{}'", backup.display())).await;
    s.spawn().await;
    let admin = s.login_token("acme", &t.admin_email).await;
    s.post(
        &format!("/api/v1/users/{gil_id}/deletion"),
        &admin,
        json!({}),
    )
    .await
    .ok(202);
    erased(&s, &admin, &gil_id).await;
    // The restore brings Gil back.
    s.stop();
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(s.dir.join(format!("stoa.db{ext}")));
    }
    std::fs::copy(&backup, &db).unwrap();
    assert!(!columns_containing(&s, CANARY).await.is_empty());
    let out = s.cli(&["lifecycle", "replay"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["erased"], 1, "{r}");
    // Replaying again does nothing more.
    let again = s.cli(&["lifecycle", "replay", "--tenant", "acme"], None);
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["erased"], 0, "{again}");
    let mut left = columns_containing(&s, CANARY).await;
    left.retain(|c| !c.starts_with("outbox."));
    assert_eq!(left, Vec::<String>::new());
}
both!(replay_after_restore);

/// Legal holds win over an erasure: what a hold covers stays, and the report says so.
async fn legal_holds_win(b: Backend) {
    let Some(mut s) = Server::start_with(b, &[("STOA_RETENTION__RUN_EVERY_SECS", "0")]).await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let (hal_id, hal) = s.staff(&t, "Hal").await;
    let g = room(
        &s,
        &hal,
        json!({ "kind": "group", "name": "Matter", "member_ids": [t.admin_id] }),
    )
    .await;
    let held = id(&send(&s, &hal, &g, json!({ "body": "under hold" })).await);
    let space = personal_space(&s, &hal).await;
    upload_doc(&s, &hal, &space, "evidence.txt", b"evidence").await;
    s.post(
        "/api/v1/retention/holds",
        &admin,
        json!({ "name": "Hal's matter", "reason": "litigation", "people": [hal_id] }),
    )
    .await
    .ok(201);
    settings(&s, &admin, 0, "delete", true).await;
    // The preview names the hold and counts what it keeps.
    let p = s
        .get(&format!("/api/v1/users/{hal_id}/deletion/preview"), &admin)
        .await
        .ok(200)
        .clone();
    assert_eq!(p["holds"], json!(["Hal's matter"]), "{p}");
    let kept = |what: &str| {
        p["erased"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["what"] == what)
            .map(|e| (e["items"].clone(), e["held"].clone()))
    };
    assert_eq!(kept("messages"), Some((json!(0), json!(1))), "{p}");
    assert_eq!(kept("documents"), Some((json!(0), json!(1))), "{p}");
    s.post(
        &format!("/api/v1/users/{hal_id}/deletion"),
        &admin,
        json!({}),
    )
    .await
    .ok(202);
    let report = erased(&s, &admin, &hal_id).await;
    assert_eq!(
        line(&report, "messaging", "messages")["held"],
        1,
        "{report}"
    );
    assert_eq!(
        line(&report, "messaging", "messages")["items"],
        0,
        "{report}"
    );
    assert_eq!(
        line(&report, "documents", "documents")["held"],
        1,
        "{report}"
    );
    assert_eq!(report["totals"]["held"], 2, "{report}");
    // The held message and document are still there.
    let page = s.get(&format!("/api/v1/rooms/{g}/messages"), &admin).await;
    assert!(page.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == held.as_str()));
    s.stop();
    let rows = columns_containing(&s, "evidence").await;
    assert!(rows.iter().any(|c| c.starts_with("documents.")), "{rows:?}");
}
both!(legal_holds_win);
