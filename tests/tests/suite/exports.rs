//! Personal data exports: the archive holds every item the person created and nothing of
//! anyone else's, parses (zip, manifest.json, index.html), is fetched by a short-lived link,
//! expires and is purged; admins export a user, audited; a build cut short by a crash is
//! finished by the next start. Local and S3 blobs, both databases.

use crate::both;
use crate::common::{id, patient, personal_space, room, send, upload_doc, Backend, Server, Tenant};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;

/// Wait until the export is ready (as `token`, at `path`: one export or a list); the export.
pub(crate) async fn ready(s: &Server, token: &str, path: &str, export_id: &str) -> Value {
    let start = std::time::Instant::now();
    loop {
        let body = s.get(path, token).await.ok(200).clone();
        let e = match body.get("items").filter(|_| body.get("id").is_none()) {
            Some(items) => items
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["id"] == export_id)
                .cloned()
                .unwrap_or(Value::Null),
            None => body,
        };
        assert_ne!(e["status"], "failed", "{e}");
        if e["status"] == "ready" {
            assert_eq!(e["progress"], 100);
            return e;
        }
        assert!(patient(start), "the export is not ready: {e}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A fresh link for the export; its URL (relative to the server).
pub(crate) async fn link(s: &Server, token: &str, export_id: &str) -> String {
    let r = s
        .post(
            &format!("/api/v1/exports/{export_id}/link"),
            token,
            json!({}),
        )
        .await;
    r.ok(200)["url"].as_str().unwrap().to_string()
}

/// Fetch a link without a session: (status, bytes).
pub(crate) async fn fetch(s: &Server, url: &str) -> (u16, Vec<u8>, reqwest::header::HeaderMap) {
    let r = s.http().get(s.url(url)).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.bytes().await.unwrap().to_vec(), headers)
}

/// Every entry of a zip: path → bytes.
pub(crate) fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip archive");
    let mut out = BTreeMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        out.insert(f.name().unwrap().to_string(), buf);
    }
    out
}

fn text_of(entries: &BTreeMap<String, Vec<u8>>) -> String {
    entries
        .values()
        .map(|b| String::from_utf8_lossy(b).to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

struct World {
    t: Tenant,
    alice_id: String,
    alice: String,
    bob_id: String,
    bob: String,
    attachment: Vec<u8>,
}

/// Alice writes in three rooms (one end-to-end encrypted), attaches a file, owns documents
/// (one with two versions), uploads a loose file, reacts; Bob writes beside her, mentions
/// her, uploads and owns his own things. Everything carries a canary naming its author.
async fn world(s: &Server) -> World {
    let t = s.tenant("acme").await;
    let (alice_id, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;

    let g = room(
        s,
        &alice,
        json!({ "kind": "group", "name": "Alpha planning", "member_ids": [bob_id] }),
    )
    .await;
    let m1 = send(s, &alice, &g, json!({ "body": "alice-canary-one" })).await;
    let file = s
        .upload(
            &alice,
            "alice notes.txt",
            b"alice-attachment-canary".to_vec(),
        )
        .await;
    let file_id = id(file.ok(201));
    send(
        s,
        &alice,
        &g,
        json!({ "body": "alice-canary-with-file", "attachment_ids": [file_id] }),
    )
    .await;
    let bob_file = s.upload(&bob, "bob.txt", b"bob-file-canary".to_vec()).await;
    let bob_file_id = id(bob_file.ok(201));
    send(
        s,
        &bob,
        &g,
        json!({ "body": "bob-canary-secret", "attachment_ids": [bob_file_id], "mentions": [alice_id] }),
    )
    .await;
    // An edit keeps the earlier version, which is hers too.
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/rooms/{g}/messages/{}", id(&m1)),
            Some(&alice),
            Some(json!({ "body": "alice-canary-one-edited" })),
        )
        .await;
    r.ok(200);
    let r = s
        .req(
            "PUT",
            &format!(
                "/api/v1/rooms/{g}/messages/{}/reactions/%F0%9F%91%8D",
                id(&m1)
            ),
            Some(&bob),
            None,
        )
        .await;
    assert!(r.status < 300, "{}", r.text);

    let bobs = room(
        s,
        &bob,
        json!({ "kind": "group", "name": "Bob's corner", "member_ids": [alice_id] }),
    )
    .await;
    send(s, &bob, &bobs, json!({ "body": "bob-canary-corner" })).await;
    let m = send(s, &alice, &bobs, json!({ "body": "alice-canary-two" })).await;
    let r = s
        .req(
            "PUT",
            &format!(
                "/api/v1/rooms/{bobs}/messages/{}/reactions/%F0%9F%8E%89",
                id(&m)
            ),
            Some(&alice),
            None,
        )
        .await;
    assert!(r.status < 300, "{}", r.text);

    // End-to-end encrypted: the server holds ciphertext only, and exports it as such.
    let r = s
        .req(
            "PUT",
            "/api/v1/me/devices/alice-phone",
            Some(&alice),
            Some(json!({ "public_key": "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=" })),
        )
        .await;
    r.ok(200);
    let enc = room(
        s,
        &alice,
        json!({ "kind": "group", "name": "Sealed", "encrypted": true, "member_ids": [] }),
    )
    .await;
    let r = s
        .post(
            &format!("/api/v1/rooms/{enc}/keys"),
            &alice,
            json!({ "version": 1, "keys": [{ "user_id": alice_id, "device_id": "alice-phone", "wrapped_key": "AAAA" }] }),
        )
        .await;
    r.ok(200);
    let r = s
        .post(
            &format!("/api/v1/rooms/{enc}/messages"),
            &alice,
            json!({ "ciphertext": "QUxJQ0UtQ0lQSEVSVEVYVA==", "key_version": 1 }),
        )
        .await;
    r.ok(201);

    let space = personal_space(s, &alice).await;
    let doc = upload_doc(s, &alice, &space, "plan.txt", b"alice-doc-canary-v1").await;
    let r = s
        .raw(
            "POST",
            &format!("/api/v1/documents/{doc}/versions?name=plan.txt"),
            Some(&alice),
            "application/octet-stream",
            b"alice-doc-canary-v2".to_vec(),
        )
        .await;
    r.ok(200);
    let bob_space = personal_space(s, &bob).await;
    upload_doc(s, &bob, &bob_space, "bob.txt", b"bob-doc-canary").await;
    s.upload(&alice, "loose.bin", b"alice-loose-canary".to_vec())
        .await
        .ok(201);
    // A privacy policy everyone accepts (each one's consent is theirs alone).
    let policy = s
        .post(
            "/api/v1/privacy/policies",
            &t.admin_token,
            json!({ "label": "policy-canary-2026", "body": "# Policy" }),
        )
        .await;
    let policy_id = id(policy.ok(201));
    for tok in [&alice, &bob, &t.admin_token] {
        s.post(
            "/api/v1/privacy/policy/accept",
            tok,
            json!({ "version_id": policy_id }),
        )
        .await
        .ok(200);
    }
    World {
        t,
        alice_id,
        alice,
        bob_id,
        bob,
        attachment: b"alice-attachment-canary".to_vec(),
    }
}

/// Check an archive of Alice's: every item she made is in it, nothing of Bob's, and it parses.
fn check_alice_archive(w: &World, bytes: &[u8]) {
    let entries = unzip(bytes);
    let manifest: Value =
        serde_json::from_slice(entries.get("manifest.json").expect("manifest.json")).unwrap();
    assert_eq!(manifest["format"], "stoa-personal-data-export");
    assert_eq!(manifest["version"], 1);
    assert_eq!(manifest["subject"]["user_id"], w.alice_id.as_str());
    assert_eq!(manifest["subject"]["display_name"], "Alice");
    let index = String::from_utf8(entries["index.html"].clone()).unwrap();
    assert!(index.contains("Your data export"), "{index}");
    let section = |n: &str| {
        manifest["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .unwrap_or_else(|| panic!("section {n} in {manifest}"))
            .clone()
    };
    for n in [
        "profile",
        "sessions",
        "rooms",
        "messages",
        "reactions",
        "notifications",
        "documents",
        "files",
        "devices",
    ] {
        assert_eq!(section(n)["available"], true, "{n}");
    }
    assert_eq!(section("devices")["items"], 1);
    assert_eq!(section("consents")["available"], true);
    assert_eq!(section("consents")["items"], 1);
    assert_eq!(section("profile")["items"], 1);
    assert_eq!(section("rooms")["items"], 3);
    assert_eq!(section("messages")["items"], 4);
    assert_eq!(section("messages")["details"]["ciphertext"], 1);
    assert_eq!(section("messages")["details"]["plaintext"], 3);
    assert!(section("messages")["notes"][0]
        .as_str()
        .unwrap()
        .contains("ciphertext"));
    assert_eq!(section("reactions")["items"], 1);
    assert_eq!(section("notifications")["items"], 1);
    assert_eq!(section("documents")["items"], 1);
    assert_eq!(section("files")["items"], 2);
    assert!(section("sessions")["items"].as_u64().unwrap() >= 1);
    // Every file the manifest lists is in the archive, with its size and digest.
    for f in manifest["files"].as_array().unwrap() {
        let p = f["path"].as_str().unwrap();
        let body = entries
            .get(p)
            .unwrap_or_else(|| panic!("{p} listed, missing"));
        assert_eq!(body.len() as u64, f["size"].as_u64().unwrap(), "{p}");
    }
    // Every record file parses as a JSON array.
    for (p, b) in &entries {
        if p.ends_with(".json") && p != "manifest.json" {
            let v: Value = serde_json::from_slice(b).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert!(v.is_array(), "{p}");
        }
    }
    let all = text_of(&entries);
    for canary in [
        "alice-canary-one-edited",
        "alice-canary-one\"",
        "alice-canary-with-file",
        "alice-canary-two",
        "QUxJQ0UtQ0lQSEVSVEVYVA==",
        "alice-attachment-canary",
        "alice-doc-canary-v1",
        "alice-doc-canary-v2",
        "alice-loose-canary",
        "🎉",
        "alice@acme.test",
        "policy-canary-2026",
    ] {
        assert!(all.contains(canary), "{canary} missing from the archive");
    }
    for canary in [
        "bob-canary",
        "bob-file-canary",
        "bob-doc-canary",
        "bob@acme.test",
        "👍",
    ] {
        assert!(
            !all.contains(canary),
            "{canary} of Bob's is in Alice's archive"
        );
    }
    // The encrypted message is flagged, with its ciphertext and no plaintext body.
    let messages: Vec<Value> = entries
        .iter()
        .filter(|(p, _)| p.starts_with("messages/") && p.ends_with(".json"))
        .flat_map(|(_, b)| serde_json::from_slice::<Vec<Value>>(b).unwrap().into_iter())
        .collect();
    let sealed: Vec<&Value> = messages.iter().filter(|m| m["encrypted"] == true).collect();
    assert_eq!(sealed.len(), 1);
    assert_eq!(sealed[0]["ciphertext"], "QUxJQ0UtQ0lQSEVSVEVYVA==");
    assert!(sealed[0].get("body").is_none());
    // The attachment is the original file, once.
    let with_file = messages
        .iter()
        .find(|m| m["body"] == "alice-canary-with-file")
        .unwrap();
    let p = with_file["attachments"][0]["path"].as_str().unwrap();
    assert_eq!(entries[p], w.attachment);
    let copies = entries
        .values()
        .filter(|b| b.as_slice() == w.attachment.as_slice())
        .count();
    assert_eq!(copies, 1);
}

async fn export_round_trip(s: &mut Server) {
    let w = world(s).await;
    let r = s.post("/api/v1/me/export", &w.alice, json!({})).await;
    let e = r.ok(202).clone();
    assert_eq!(e["user_id"], w.alice_id.as_str());
    assert!(["queued", "running", "ready"].contains(&e["status"].as_str().unwrap()));
    let export_id = id(&e);
    // Not another person's to see.
    let r = s
        .get(&format!("/api/v1/me/exports/{export_id}"), &w.bob)
        .await;
    r.problem(404);
    let done = ready(
        s,
        &w.alice,
        &format!("/api/v1/me/exports/{export_id}"),
        &export_id,
    )
    .await;
    assert!(done["size_bytes"].as_i64().unwrap() > 0);
    assert_eq!(done["counts"]["messages"], 4);
    assert!(done["expires_at"].as_str().is_some());
    let list = s.get("/api/v1/me/exports", &w.alice).await;
    assert_eq!(list.ok(200)["items"][0]["id"], export_id.as_str());
    assert_eq!(
        s.get("/api/v1/me/exports", &w.bob).await.ok(200)["items"],
        json!([])
    );

    // Only Alice (or the admin who asked) makes links; Bob learns nothing.
    let r = s
        .post(
            &format!("/api/v1/exports/{export_id}/link"),
            &w.bob,
            json!({}),
        )
        .await;
    r.problem(404);
    let url = link(s, &w.alice, &export_id).await;
    let (status, bytes, headers) = fetch(s, &url).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(headers["content-type"], "application/zip");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    assert_eq!(bytes.len() as i64, done["size_bytes"].as_i64().unwrap());
    check_alice_archive(&w, &bytes);
    // A range resumes a download.
    let r = s
        .http()
        .get(s.url(&url))
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 206);
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes[10..20].to_vec());
    // A wrong token, another export's id, or a replaced link: 404.
    let (status, _, _) = fetch(s, &format!("{}x", url)).await;
    assert_eq!(status, 404);
    let newer = link(s, &w.alice, &export_id).await;
    assert_eq!(fetch(s, &url).await.0, 404);
    assert_eq!(fetch(s, &newer).await.0, 200);

    // Downloads are audited.
    let r = s
        .get("/api/v1/audit?action=export.downloaded", &w.t.admin_token)
        .await;
    let items = r.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["actor_id"], w.alice_id.as_str());
    let r = s
        .get("/api/v1/audit?action=export.requested", &w.t.admin_token)
        .await;
    assert_eq!(r.ok(200)["items"].as_array().unwrap().len(), 1);
    let _ = &w.bob_id;
}

/// Alice's archive: all of hers, none of Bob's; it parses; links are hers alone.
async fn archive_holds_mine_and_nothing_else(b: Backend) {
    let Some(mut s) = Server::start(b).await else {
        return;
    };
    export_round_trip(&mut s).await;
}
both!(archive_holds_mine_and_nothing_else);

/// The same with blobs in S3.
async fn archive_holds_mine_and_nothing_else_s3(b: Backend) {
    let Some(mut s) = Server::start_s3(b, &[]).await else {
        return;
    };
    export_round_trip(&mut s).await;
}
both!(archive_holds_mine_and_nothing_else_s3);

/// An admin (`users.manage`) exports a user: audited, visible to both, fetched by either;
/// staff may not, another tenant sees nothing, one export in the making per person.
async fn admin_exports_a_user(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let w = world(&s).await;
    let admin = w.t.admin_token.clone();
    let path = format!("/api/v1/users/{}/export", w.alice_id);
    s.post(&path, &w.bob, json!({})).await.problem(403);
    let other = s.tenant("other").await;
    s.post(&path, &other.admin_token, json!({}))
        .await
        .problem(404);
    s.post("/api/v1/users/not-an-id/export", &admin, json!({}))
        .await
        .problem(404);
    let r = s.post(&path, &admin, json!({})).await;
    let e = r.ok(202).clone();
    let export_id = id(&e);
    assert_eq!(e["requested_by"], w.t.admin_id.as_str());
    // While it is being made, another request for the same person waits its turn.
    let again = s.post("/api/v1/me/export", &w.alice, json!({})).await;
    if again.status != 202 {
        assert_eq!(again.problem(409), "conflict");
    }
    let list_path = format!("/api/v1/users/{}/exports", w.alice_id);
    s.get(&list_path, &w.bob).await.problem(403);
    s.get(&list_path, &other.admin_token).await.problem(404);
    ready(&s, &admin, &list_path, &export_id).await;
    // The person sees it among her own.
    let mine = s.get("/api/v1/me/exports", &w.alice).await;
    assert!(mine.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == export_id.as_str()));
    let url = link(&s, &admin, &export_id).await;
    let (status, bytes, _) = fetch(&s, &url).await;
    assert_eq!(status, 200);
    check_alice_archive(&w, &bytes);
    link(&s, &w.alice, &export_id).await;
    s.post(
        &format!("/api/v1/exports/{export_id}/link"),
        &other.admin_token,
        json!({}),
    )
    .await
    .problem(404);
    let r = s
        .get(
            &format!(
                "/api/v1/audit?action=export.requested&target_id={}",
                w.alice_id
            ),
            &admin,
        )
        .await;
    let items = r.ok(200)["items"].as_array().unwrap().clone();
    let by_admin = items
        .iter()
        .find(|i| i["actor_id"] == w.t.admin_id.as_str())
        .expect("the admin's request is audited");
    assert_eq!(by_admin["details"]["export_id"], export_id.as_str());
    assert_eq!(by_admin["details"]["by_admin"], true);

    // Erasing the account takes its exports and their archives along.
    let url = link(&s, &admin, &export_id).await;
    s.req(
        "PUT",
        "/api/v1/settings/account-deletion",
        Some(&admin),
        Some(json!({ "grace_days": 0, "authored_messages": "delete", "sign_in_cancels": true })),
    )
    .await
    .ok(200);
    let deletion = format!("/api/v1/users/{}/deletion", w.alice_id);
    s.post(&deletion, &admin, json!({})).await.ok(202);
    s.eventually("the erasure ends", || async {
        s.get(&deletion, &admin).await.ok(200)["status"] == "erased"
    })
    .await;
    assert_eq!(fetch(&s, &url).await.0, 404);
    let left = s.get(&list_path, &admin).await;
    if left.status == 200 {
        assert_eq!(left.body["items"], json!([]));
    } else {
        left.problem(404);
    }
}
both!(admin_exports_a_user);

/// A finished archive expires: it is purged from the blob store and marked expired; its link
/// stops working. A build cut short by a crash is finished after the restart.
async fn exports_expire_and_survive_crashes(b: Backend) {
    let Some(mut s) = Server::start_with(
        b,
        &[
            ("STOA_EXPORTS__SWEEP_EVERY_SECS", "1"),
            ("STOA_EXPORTS__LEASE_SECS", "2"),
            ("STOA_EXPORTS__MAX_PER_DAY", "1"),
        ],
    )
    .await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    s.upload(&alice, "a.txt", b"alice-loose-canary".to_vec())
        .await
        .ok(201);
    let blobs_before = s.blob_files().0.len();
    let e = s.post("/api/v1/me/export", &alice, json!({})).await;
    let export_id = id(e.ok(202));
    // The node dies at once, perhaps mid-build; the next one takes the build over.
    s.kill_hard();
    s.spawn().await;
    let alice = s.login_token("acme", "alice@acme.test").await;
    let path = format!("/api/v1/me/exports/{export_id}");
    let done = ready(&s, &alice, &path, &export_id).await;
    assert!(done["attempts"].is_null(), "internal counters stay inside");
    assert_eq!(s.blob_files().0.len(), blobs_before + 1);
    let url = link(&s, &alice, &export_id).await;
    assert_eq!(fetch(&s, &url).await.0, 200);

    // A build a dead node left running (its lease gone) is taken over by the background pass;
    // one that has used up its attempts is marked failed, never left running.
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (carol_id, carol) = s.staff(&t, "Carol").await;
    let (stuck, spent) = (
        "01a21a79-0000-7000-8000-000000000001",
        "01a21a79-0000-7000-8000-000000000002",
    );
    for (id, user, attempts) in [(stuck, &bob_id, 1), (spent, &carol_id, 3)] {
        s.sql(&format!(
            "insert into data_exports (tenant_id, id, user_id, requested_by, status, progress,
                 attempts, created_at)
             values ('{}', '{id}', '{user}', '{user}', 'running', 40, {attempts}, 1)",
            t.id
        ))
        .await;
    }
    let taken = ready(&s, &bob, &format!("/api/v1/me/exports/{stuck}"), stuck).await;
    assert_eq!(taken["user_id"], bob_id.as_str());
    s.eventually("the spent build is marked failed", || async {
        s.get(&format!("/api/v1/me/exports/{spent}"), &carol)
            .await
            .ok(200)["status"]
            == "failed"
    })
    .await;

    // Eight days later: purged.
    s.stop();
    s.set_env("STOA_CLOCK_OFFSET_SECS", &(8 * 86_400).to_string());
    s.spawn().await;
    let alice = s.login_token("acme", "alice@acme.test").await;
    s.eventually("the export expires", || async {
        s.get(&path, &alice).await.ok(200)["status"] == "expired"
    })
    .await;
    s.eventually("the archives are purged", || async {
        s.blob_files().0.len() == blobs_before
    })
    .await;
    assert_eq!(fetch(&s, &url).await.0, 404);
    let r = s
        .post(
            &format!("/api/v1/exports/{export_id}/link"),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(r.problem(409), "conflict");
    // A new one can be asked for (the first is more than a day old), and then no more today.
    let e = s.post("/api/v1/me/export", &alice, json!({})).await;
    let next = id(e.ok(202));
    ready(&s, &alice, "/api/v1/me/exports", &next).await;
    let r = s.post("/api/v1/me/export", &alice, json!({})).await;
    assert_eq!(r.problem(429), "rate_limited");
    assert!(r.header("retry-after").is_some());
}
both!(exports_expire_and_survive_crashes);
