//! The low-severity findings of the security review (issue 10): idempotent replays and secrets,
//! file modes, replays of uploads, folder moves under shares, attachment history, search totals
//! and syntax, cursors and breadcrumbs, names and download names, the anchored audit chain.

use crate::both;
use crate::common::{folder, id, personal_space, room, send, Backend, Resp, Server};
use serde_json::{json, Value};

/// Upload raw bytes as a document named `name` (sent as a query parameter, encoded).
async fn upload_named(s: &Server, token: &str, space: &str, name: &str, bytes: &[u8]) -> Resp {
    Server::finish(
        s.http()
            .post(s.url(&format!("/api/v1/spaces/{space}/documents")))
            .query(&[("name", name)])
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec()),
    )
    .await
}

async fn share(s: &Server, token: &str, kind: &str, target: &str, user: &str, role: &str) {
    s.post(
        "/api/v1/shares",
        token,
        json!({ "target_kind": kind, "target_id": target, "grantee_kind": "user",
                "grantee_id": user, "role": role }),
    )
    .await
    .ok(201);
}

async fn search_get(s: &Server, token: &str, params: &[(&str, &str)]) -> Resp {
    Server::finish(
        s.http()
            .get(s.url("/api/v1/search"))
            .query(params)
            .bearer_auth(token),
    )
    .await
}

// --- 1a: idempotent replays follow authentication and keep no secrets ----------------------

async fn post_with_key(s: &Server, path: &str, token: &str, key: &str, body: Value) -> Resp {
    Server::finish(
        s.http()
            .post(s.url(path))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&body),
    )
    .await
}

/// Every response body kept for replay, as text.
async fn stored_replays(s: &Server) -> Vec<String> {
    use sqlx::{Connection, Row};
    let sql = "select body from idempotency_keys where body is not null";
    let rows: Vec<Vec<u8>> = match s.backend {
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&s.database_url).await.unwrap();
            let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
            rows.iter().map(|r| r.get::<Vec<u8>, _>(0)).collect()
        }
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&s.database_url)
                .await
                .unwrap();
            let rows = sqlx::query(sql).fetch_all(&mut c).await.unwrap();
            rows.iter().map(|r| r.get::<Vec<u8>, _>(0)).collect()
        }
    };
    rows.into_iter()
        .map(|b| String::from_utf8_lossy(&b).to_string())
        .collect()
}

async fn replays_need_a_valid_session_and_keep_no_secrets(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, bob) = s.staff(&t, "Bob").await;
    let (carol_id, carol) = s.staff(&t, "Carol").await;
    let group = json!({ "kind": "group", "name": "Ops" });
    let first = post_with_key(&s, "/api/v1/rooms", &bob, "k1", group.clone()).await;
    let room_id = id(first.ok(201));
    // Keys belong to the person: a second session of Bob's gets the first answer ...
    let bob2 = s.login_token("acme", "bob@acme.test").await;
    let again = post_with_key(&s, "/api/v1/rooms", &bob2, "k1", group.clone()).await;
    assert_eq!(id(again.ok(201)), room_id);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    // ... and another person's same key is their own.
    let theirs = post_with_key(&s, "/api/v1/rooms", &carol, "k1", group.clone()).await;
    assert_ne!(id(theirs.ok(201)), room_id);
    assert!(theirs.header("idempotent-replayed").is_none());
    // A replay is answered only to a session that is valid now.
    s.post("/api/v1/auth/logout", &bob, json!({})).await;
    let r = post_with_key(&s, "/api/v1/rooms", &bob, "k1", group.clone()).await;
    assert_eq!(r.problem(401), "unauthenticated");
    assert!(r.header("idempotent-replayed").is_none());
    let r = post_with_key(&s, "/api/v1/rooms", "stoa_s_forged", "k1", group.clone()).await;
    r.problem(401);
    s.post(
        &format!("/api/v1/users/{carol_id}/disable"),
        &t.admin_token,
        json!({}),
    )
    .await
    .ok(200);
    let r = post_with_key(&s, "/api/v1/rooms", &carol, "k1", group.clone()).await;
    r.problem(401);

    // Answers carrying a secret are never kept: a WebSocket ticket is minted afresh ...
    let t1 = post_with_key(&s, "/api/v1/events/ticket", &bob2, "tk", json!({})).await;
    let t2 = post_with_key(&s, "/api/v1/events/ticket", &bob2, "tk", json!({})).await;
    let (t1, t2) = (
        t1.ok(200)["ticket"].as_str().unwrap().to_string(),
        t2.ok(200)["ticket"].as_str().unwrap().to_string(),
    );
    assert_ne!(t1, t2);
    // ... an invitation runs again (and is refused as a duplicate).
    let invite = json!({ "display_name": "Dee", "email": "dee@acme.test" });
    let inv = post_with_key(&s, "/api/v1/users", &t.admin_token, "inv", invite.clone()).await;
    let inv_token = inv.ok(201)["invitation"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let again = post_with_key(&s, "/api/v1/users", &t.admin_token, "inv", invite).await;
    assert_eq!(again.problem(409), "email_taken");
    // Nothing kept for replay holds a ticket, an invitation or a session token.
    let stored = stored_replays(&s).await;
    assert!(stored.iter().any(|b| b.contains(&room_id)), "{stored:?}");
    for body in &stored {
        for secret in [&t1, &t2, &inv_token] {
            assert!(!body.contains(secret.as_str()), "{body}");
        }
        for prefix in ["stoa_ws_", "stoa_i_", "stoa_s_"] {
            assert!(!body.contains(prefix), "{body}");
        }
    }
}
both!(replays_need_a_valid_session_and_keep_no_secrets);

// --- 1b: the data directory and what is in it are private to the server's account ----------

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
async fn data_files_are_private(b: Backend) {
    let mirror =
        std::env::temp_dir().join(format!("stoa-mirror-{}", uuid::Uuid::new_v4().simple()));
    let dir = mirror.join("audit").display().to_string();
    let Some(s) = Server::start_with(b, &[("STOA_AUDIT__MIRROR_DIR", &dir)]).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, sam) = s.staff(&t, "Sam").await;
    s.upload(&sam, "a.txt", b"private words".to_vec())
        .await
        .ok(201);
    let mirror_file = mirror.join("audit").join(format!("{}.jsonl", t.id));
    s.eventually("the audit mirror to be written", || async {
        mirror_file.exists()
    })
    .await;
    // The harness made the data directory beforehand with the usual umask: the server
    // tightened it.
    for d in [
        s.dir.clone(),
        s.dir.join("blobs"),
        s.dir.join("blobs/objects"),
        s.dir.join("blobs/tmp"),
        s.dir.join("index"),
        mirror.join("audit"),
    ] {
        assert_eq!(mode(&d), 0o700, "{}", d.display());
    }
    let (objects, _) = s.blob_files();
    assert!(!objects.is_empty());
    let mut files = objects;
    files.push(mirror_file);
    for name in ["master.key", "audit-anchor.key"] {
        files.push(s.dir.join(name));
    }
    if b == Backend::Sqlite {
        files.push(s.dir.join("stoa.db"));
        for extra in ["stoa.db-wal", "stoa.db-shm"] {
            if s.dir.join(extra).exists() {
                files.push(s.dir.join(extra));
            }
        }
    }
    for f in files {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
    let _ = std::fs::remove_dir_all(&mirror);
}
#[cfg(unix)]
both!(data_files_are_private);

// --- 7: names and download names -------------------------------------------------------------

const BAD_NAMES: &[&str] = &[
    "..",
    ".",
    "a/b.txt",
    "a\\b.txt",
    "a%2Fb.txt",
    "a%2fb.txt",
    "a%5Cb.txt",
    "%2e%2e",
    "bell\u{7}.txt",
    "line\nbreak.txt",
    "invoice\u{202E}fdp.exe",
    "x\u{202A}y.txt",
    "x\u{2066}y.txt",
    "x\u{2069}y.txt",
];

async fn unsafe_names_are_refused_and_downloads_use_the_document_name(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, sam) = s.staff(&t, "Sam").await;
    let space = personal_space(&s, &sam).await;
    let dir = folder(&s, &sam, &space, "Reports", None).await;
    let doc = id(
        upload_named(&s, &sam, &space, "Báo cáo Q1.txt", b"quarter one")
            .await
            .ok(201),
    );
    for bad in BAD_NAMES {
        let what = format!("{bad:?}");
        let r = upload_named(&s, &sam, &space, bad, b"x").await;
        assert_eq!(r.problem(422), "validation_failed", "upload {what}");
        assert_eq!(r.body["field"], "name", "upload {what}");
        // Every other place that sets a name: (what, method, path).
        let places = [
            ("rename", "PATCH", format!("/api/v1/documents/{doc}")),
            ("copy", "POST", format!("/api/v1/documents/{doc}/copy")),
            (
                "folder create",
                "POST",
                format!("/api/v1/spaces/{space}/folders"),
            ),
            ("folder rename", "PATCH", format!("/api/v1/folders/{dir}")),
        ];
        for (place, method, path) in places {
            let r = s
                .req(method, &path, Some(&sam), Some(json!({ "name": bad })))
                .await;
            r.problem(422);
            assert_eq!(r.body["field"], "name", "{place} {what}");
        }
    }
    // A multipart file name is checked the same way when it becomes the document's name.
    let form = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a%2Fb.txt\"\r\n\r\nx\r\n--B--\r\n";
    let r = s
        .raw(
            "POST",
            &format!("/api/v1/spaces/{space}/documents"),
            Some(&sam),
            "multipart/form-data; boundary=B",
            form.as_bytes().to_vec(),
        )
        .await;
    r.problem(422);
    assert_eq!(r.body["field"], "name");

    // A raw upload downloads under its document name (RFC 6266 with an RFC 5987 UTF-8 form),
    // and a rename renames the download.
    let disposition = |doc: String| {
        let s = &s;
        let sam = &sam;
        async move {
            let r = s
                .http()
                .get(s.url(&format!("/api/v1/documents/{doc}/content")))
                .bearer_auth(sam)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(
        disposition(doc.clone()).await,
        "attachment; filename=\"B_o c_o Q1.txt\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20Q1.txt"
    );
    s.req(
        "PATCH",
        &format!("/api/v1/documents/{doc}"),
        Some(&sam),
        Some(json!({ "name": "summary.txt" })),
    )
    .await
    .ok(200);
    assert_eq!(
        disposition(doc.clone()).await,
        "attachment; filename=\"summary.txt\"; filename*=UTF-8''summary.txt"
    );
}
both!(unsafe_names_are_refused_and_downloads_use_the_document_name);

// --- 3: folder moves follow the document rule ------------------------------------------------

async fn shared_editors_cannot_lift_folders_out_of_their_share(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, owner) = s.staff(&t, "Olga").await;
    let (eda_id, eda) = s.staff(&t, "Eda").await;
    let (vu_id, vu) = s.staff(&t, "Vu").await;
    let space = personal_space(&s, &owner).await;
    let projects = folder(&s, &owner, &space, "Projects", None).await;
    let inner = folder(&s, &owner, &space, "Inner", Some(&projects)).await;
    let other = folder(&s, &owner, &space, "Other", Some(&projects)).await;
    let private = folder(&s, &owner, &space, "Private", None).await;
    let doc = id(upload_named(&s, &owner, &space, "a.txt", b"a")
        .await
        .ok(201));
    s.req(
        "PATCH",
        &format!("/api/v1/documents/{doc}"),
        Some(&owner),
        Some(json!({ "folder_id": inner })),
    )
    .await
    .ok(200);
    share(&s, &owner, "folder", &projects, &eda_id, "editor").await;
    share(&s, &owner, "folder", &projects, &vu_id, "viewer").await;
    let move_folder = |token: String, parent: String| {
        let s = &s;
        let inner = inner.clone();
        async move {
            s.req(
                "PATCH",
                &format!("/api/v1/folders/{inner}"),
                Some(&token),
                Some(json!({ "parent_id": parent })),
            )
            .await
        }
    };
    // To the top of the space: refused for the shared editor, as for a document.
    assert_eq!(
        move_folder(eda.clone(), String::new()).await.problem(403),
        "forbidden"
    );
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/documents/{doc}"),
            Some(&eda),
            Some(json!({ "folder_id": "" })),
        )
        .await;
    assert!(r.status == 403 || r.status == 404, "{}", r.text);
    // Into a folder outside the share: as if it did not exist.
    let r = move_folder(eda.clone(), private.clone()).await;
    r.problem(422);
    assert_eq!(r.body["field"], "parent_id");
    // Nothing moved: the viewer still reaches the folder and its document through the share.
    s.get(&format!("/api/v1/folders/{inner}"), &vu)
        .await
        .ok(200);
    s.get(&format!("/api/v1/documents/{doc}"), &vu)
        .await
        .ok(200);
    // Within the share the editor moves it; a viewer does not.
    assert_eq!(
        move_folder(vu.clone(), other.clone()).await.problem(403),
        "forbidden"
    );
    let r = move_folder(eda.clone(), other.clone()).await;
    assert_eq!(r.ok(200)["parent_id"], other.as_str());
    s.get(&format!("/api/v1/documents/{doc}"), &vu)
        .await
        .ok(200);
    // The space's own editor (the owner) may move it to the top.
    let r = move_folder(owner.clone(), String::new()).await;
    assert!(r.ok(200)["parent_id"].is_null());
}
both!(shared_editors_cannot_lift_folders_out_of_their_share);

// --- 2: an upload's replay checks access again -----------------------------------------------

async fn upload_replay_rechecks_access(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (sam_id, sam) = s.staff(&t, "Sam").await;
    let team = s
        .post("/api/v1/spaces", &t.admin_token, json!({ "name": "Board" }))
        .await;
    let team = id(team.ok(201));
    let member = format!("/api/v1/spaces/{team}/members/{sam_id}");
    s.req(
        "PUT",
        &member,
        Some(&t.admin_token),
        Some(json!({ "role": "editor" })),
    )
    .await;
    let up = || {
        Server::finish(
            s.http()
                .post(s.url(&format!("/api/v1/spaces/{team}/documents?name=minutes.txt")))
                .bearer_auth(&sam)
                .header("content-type", "application/octet-stream")
                .header("idempotency-key", "minutes-1")
                .body(b"board minutes".to_vec()),
        )
    };
    let first = up().await;
    let doc = id(first.ok(201));
    let again = up().await;
    assert_eq!(id(again.ok(200)), doc);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    // Sam leaves the space; the document is renamed by someone who stayed.
    s.delete(&member, &t.admin_token).await;
    s.req(
        "PATCH",
        &format!("/api/v1/documents/{doc}"),
        Some(&t.admin_token),
        Some(json!({ "name": "board minutes (confidential).txt" })),
    )
    .await
    .ok(200);
    let r = up().await;
    assert_eq!(r.problem(404), "not_found");
    // The key names the upload whatever the request, so a retry aimed at a place Sam still
    // edits (his own space) reaches the replay itself: it checks the document again.
    let mine = personal_space(&s, &sam).await;
    let r = Server::finish(
        s.http()
            .post(s.url(&format!("/api/v1/spaces/{mine}/documents?name=minutes.txt")))
            .bearer_auth(&sam)
            .header("content-type", "application/octet-stream")
            .header("idempotency-key", "minutes-1")
            .body(b"board minutes".to_vec()),
    )
    .await;
    assert_eq!(r.problem(404), "not_found");
    assert!(!r.text.contains("confidential"), "{}", r.text);
    let listed = s
        .get(&format!("/api/v1/spaces/{mine}/documents"), &sam)
        .await;
    assert!(listed.ok(200)["items"].as_array().unwrap().is_empty());
}
both!(upload_replay_rechecks_access);

// --- 4: attachments follow the room's history visibility -------------------------------------

async fn attachments_follow_joined_history(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    let (carol_id, carol) = s.staff(&t, "Carol").await;
    let board = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "Board", "history_visibility": "joined" }),
    )
    .await;
    let before = s.upload(&alice, "before.txt", b"before".to_vec()).await;
    let before = id(before.ok(201));
    send(&s, &alice, &board, json!({ "attachment_ids": [before] })).await;
    s.post(
        &format!("/api/v1/rooms/{board}/members"),
        &alice,
        json!({ "user_ids": [carol_id] }),
    )
    .await
    .ok(200);
    let after = s.upload(&alice, "after.txt", b"after".to_vec()).await;
    let after = id(after.ok(201));
    send(&s, &alice, &board, json!({ "attachment_ids": [after] })).await;
    // Carol reads what came after she joined, not what came before, by id or otherwise.
    assert_eq!(s.download(&carol, &after, &[]).await.0, 200);
    assert_eq!(s.download(&carol, &before, &[]).await.0, 404);
    assert_eq!(
        s.get(&format!("/api/v1/files/{before}/info"), &carol)
            .await
            .problem(404),
        "not_found"
    );
    // With the whole history visible, the earlier attachment is hers to read too.
    s.req(
        "PATCH",
        &format!("/api/v1/rooms/{board}"),
        Some(&alice),
        Some(json!({ "history_visibility": "full" })),
    )
    .await
    .ok(200);
    assert_eq!(s.download(&carol, &before, &[]).await.0, 200);
}
both!(attachments_follow_joined_history);

// --- 5a: search totals count only what the caller may read ----------------------------------

async fn search_total_counts_only_readable_hits(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    let (carol_id, carol) = s.staff(&t, "Carol").await;
    let board = room(
        &s,
        &alice,
        json!({ "kind": "group", "name": "Board", "history_visibility": "joined" }),
    )
    .await;
    for body in ["wombat one", "wombat two", "wombat three"] {
        send(&s, &alice, &board, json!({ "body": body })).await;
    }
    s.post(
        &format!("/api/v1/rooms/{board}/members"),
        &alice,
        json!({ "user_ids": [carol_id] }),
    )
    .await
    .ok(200);
    send(&s, &alice, &board, json!({ "body": "wombat four" })).await;
    let q = [("q", "wombat"), ("kind", "message")];
    s.eventually("the four messages to be searchable", || async {
        search_get(&s, &alice, &q).await.body["total"] == 4
    })
    .await;
    // Carol holds the room's reader token, but only the last message is hers to read: the
    // total says so on every page size, never how many earlier ones match.
    for limit in ["1", "2", "50"] {
        let r = search_get(
            &s,
            &carol,
            &[("q", "wombat"), ("kind", "message"), ("limit", limit)],
        )
        .await;
        let body = r.ok(200);
        assert_eq!(body["total"], 1, "limit {limit}: {body}");
        assert_eq!(body["total_exact"], true, "limit {limit}: {body}");
        assert!(body["items"].as_array().unwrap().len() <= 1);
    }
    let all = search_get(&s, &carol, &q).await;
    let items = all.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    let a = search_get(&s, &alice, &q).await;
    assert_eq!(a.ok(200)["total_exact"], true);
}
both!(search_total_counts_only_readable_hits);

// --- 5b: list cursors and breadcrumbs reveal nothing unreadable -----------------------------

fn forged_cursor(position: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(position.as_bytes())
}

async fn cursors_and_breadcrumbs_show_only_what_is_readable(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, owner) = s.staff(&t, "Olga").await;
    let (vu_id, vu) = s.staff(&t, "Vu").await;
    let space = personal_space(&s, &owner).await;
    let secrets = folder(&s, &owner, &space, "Board Secrets", None).await;
    let shared = folder(&s, &owner, &space, "Shared Sub", Some(&secrets)).await;
    let deeper = folder(&s, &owner, &space, "Deeper", Some(&shared)).await;
    folder(&s, &owner, &space, "Alpha", Some(&shared)).await;
    let hidden_doc = id(upload_named(&s, &owner, &space, "m-hidden.txt", b"h")
        .await
        .ok(201));
    for name in ["a.txt", "z.txt"] {
        let d = id(upload_named(&s, &owner, &space, name, b"x").await.ok(201));
        s.req(
            "PATCH",
            &format!("/api/v1/documents/{d}"),
            Some(&owner),
            Some(json!({ "folder_id": shared })),
        )
        .await
        .ok(200);
    }
    share(&s, &owner, "folder", &shared, &vu_id, "viewer").await;

    // Breadcrumbs start at the folder shared with Vu; the owner sees the whole path.
    let names = |r: &Resp| -> Vec<String> {
        r.body["breadcrumbs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let r = s.get(&format!("/api/v1/folders/{deeper}"), &vu).await;
    r.ok(200);
    assert_eq!(names(&r), ["Shared Sub", "Deeper"]);
    assert!(!r.text.contains("Board Secrets"), "{}", r.text);
    let r = s.get(&format!("/api/v1/folders/{shared}"), &vu).await;
    r.ok(200);
    assert_eq!(names(&r), ["Shared Sub"]);
    let r = s.get(&format!("/api/v1/folders/{deeper}"), &owner).await;
    r.ok(200);
    assert_eq!(names(&r), ["Board Secrets", "Shared Sub", "Deeper"]);

    // Paging works with the cursors the server hands out ...
    let folders = format!("/api/v1/spaces/{space}/folders?parent_id={shared}&limit=1");
    let docs = format!("/api/v1/spaces/{space}/documents?folder_id={shared}&limit=1");
    for (path, expected) in [(&folders, ["Alpha", "Deeper"]), (&docs, ["a.txt", "z.txt"])] {
        let first = s.get(path, &vu).await;
        let first = first.ok(200).clone();
        assert_eq!(first["items"][0]["name"], expected[0]);
        let next = first["next_cursor"].as_str().unwrap();
        let second = s.get(&format!("{path}&cursor={next}"), &vu).await;
        assert_eq!(second.ok(200)["items"][0]["name"], expected[1]);
        // ... and a cursor naming an item Vu cannot see (the old cursor format: an id) tells
        // nothing about where it sorts: it is refused.
        for hidden in [secrets.as_str(), hidden_doc.as_str()] {
            let r = s
                .get(&format!("{path}&cursor={}", forged_cursor(hidden)), &vu)
                .await;
            assert_eq!(r.problem(400), "bad_request", "{path}");
            assert_eq!(r.body["field"], "cursor");
        }
        let r = s.get(&format!("{path}&cursor=%25%25"), &vu).await;
        r.problem(400);
    }
}
both!(cursors_and_breadcrumbs_show_only_what_is_readable);

// --- 6: the search box is plain text with a small syntax of its own --------------------------

async fn search_text_is_never_backend_syntax(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, sam) = s.staff(&t, "Sam").await;
    s.upload(
        &sam,
        "plan.txt",
        b"the quarterly budget for Ha Noi".to_vec(),
    )
    .await
    .ok(201);
    let ids_for = |q: &'static str| {
        let s = &s;
        let sam = &sam;
        async move {
            let r = search_get(s, sam, &[("q", q)]).await;
            r.ok(200)["items"].as_array().unwrap().len()
        }
    };
    s.eventually("the file to be searchable", || async {
        ids_for("budget").await == 1
    })
    .await;
    // Phrases keep their order; a trailing `*` is a prefix.
    assert_eq!(ids_for("\"budget for\"").await, 1);
    assert_eq!(ids_for("\"for budget\"").await, 0);
    assert_eq!(ids_for("quarter*").await, 1);
    assert_eq!(ids_for("quarter").await, 0);
    // Query-language syntax of either backend is text: never a 5xx, never a field query.
    for raw in [
        "id:*",
        "tenant:*",
        "readers:*",
        "kind:file",
        "title:plan",
        "*",
        "budget AND",
        "(budget",
        "budget)",
        "budget~2",
        "budget^3",
        "+budget -for",
        "[a TO z]",
        "{a TO z}",
        "\\",
        "/regex.*/",
        "budget:",
        ":",
    ] {
        let r = search_get(&s, &sam, &[("q", raw)]).await;
        assert_eq!(r.status, 200, "{raw}: {}", r.text);
    }
    assert_eq!(ids_for("id:*").await, 0);
    assert_eq!(ids_for("+budget -for").await, 1, "`-` is not a negation");
    // An open quotation mark quotes the rest; too many words is the one error.
    assert_eq!(ids_for("\"budget for").await, 1);
    assert_eq!(ids_for("\"for budget").await, 0);
    let many = vec!["b"; 33].join(" ");
    let r = search_get(&s, &sam, &[("q", &many)]).await;
    assert_eq!(r.problem(400), "bad_request");
    assert_eq!(r.body["field"], "q");
}
both!(search_text_is_never_backend_syntax);

// --- 8: the audit chain is anchored outside the database ------------------------------------

/// One audit row as an attacker with database access reads it.
#[derive(Clone, Debug)]
struct AuditRow {
    seq: i64,
    id: String,
    at: i64,
    actor_kind: String,
    actor_id: String,
    action: String,
    target_kind: String,
    target_id: String,
    outcome: String,
    ip: String,
    request_id: String,
    details: String,
    prev_hash: String,
    hash: String,
    anchor: String,
    pii_digest: String,
}

const AUDIT_SELECT: &str = "select seq, id, at, actor_kind, actor_id, action, target_kind, \
    target_id, outcome, ip, request_id, details, prev_hash, hash, anchor, pii_digest from audit_log \
    where tenant_id = $1 order by seq";

macro_rules! audit_rows {
    ($conn:expr, $tenant:expr) => {{
        use sqlx::Row;
        sqlx::query(AUDIT_SELECT)
            .bind($tenant)
            .fetch_all($conn)
            .await
            .unwrap()
            .iter()
            .map(|r| AuditRow {
                seq: r.get(0),
                id: r.get(1),
                at: r.get(2),
                actor_kind: r.get(3),
                actor_id: r.get(4),
                action: r.get(5),
                target_kind: r.get(6),
                target_id: r.get(7),
                outcome: r.get(8),
                ip: r.get(9),
                request_id: r.get(10),
                details: r.get(11),
                prev_hash: r.get(12),
                hash: r.get(13),
                anchor: r.get(14),
                pii_digest: r.get(15),
            })
            .collect::<Vec<AuditRow>>()
    }};
}

async fn audit_rows(s: &Server, tenant_id: &str) -> Vec<AuditRow> {
    use sqlx::Connection;
    match s.backend {
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&s.database_url).await.unwrap();
            audit_rows!(&mut c, tenant_id)
        }
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&s.database_url)
                .await
                .unwrap();
            audit_rows!(&mut c, tenant_id)
        }
    }
}

/// The chain hash exactly as the server computes it (the canonical JSON of every field but
/// the hash and the anchor) — what an attacker who read the source would recompute.
/// The server's entry hash, computed independently. Entries written since migration 0014 hash a
/// salted digest of their personal fields (address, details) instead of the fields.
fn chain_hash(tenant_id: &str, r: &AuditRow) -> String {
    use sha2::{Digest, Sha256};
    let canonical = if !r.pii_digest.is_empty() {
        json!([
            "v2",
            r.prev_hash,
            tenant_id,
            r.seq,
            r.id,
            r.at,
            r.actor_kind,
            r.actor_id,
            r.action,
            r.target_kind,
            r.target_id,
            r.outcome,
            r.request_id,
            r.pii_digest
        ])
    } else {
        json!([
            r.prev_hash,
            tenant_id,
            r.seq,
            r.id,
            r.at,
            r.actor_kind,
            r.actor_id,
            r.action,
            r.target_kind,
            r.target_id,
            r.outcome,
            r.ip,
            r.request_id,
            r.details
        ])
    };
    Sha256::digest(canonical.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn sql_text(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// Rewrite entry `seq` (its target) and recompute every hash after it and the tenant's head,
/// writing straight to the database; `anchor` gives each rewritten entry its new anchor.
async fn rewrite_chain(
    s: &Server,
    tenant_id: &str,
    seq: i64,
    anchor: impl Fn(&AuditRow) -> String,
) {
    let mut rows = audit_rows(s, tenant_id).await;
    let i = rows.iter().position(|r| r.seq == seq).unwrap();
    rows[i].target_id = "someone-else".into();
    for j in i..rows.len() {
        if j > 0 {
            rows[j].prev_hash = rows[j - 1].hash.clone();
        }
        rows[j].hash = chain_hash(tenant_id, &rows[j]);
        rows[j].anchor = anchor(&rows[j]);
        let r = &rows[j];
        s.sql(&format!(
            "update audit_log set target_id = {}, prev_hash = {}, hash = {}, anchor = {} \
             where tenant_id = {} and seq = {}",
            sql_text(&r.target_id),
            sql_text(&r.prev_hash),
            sql_text(&r.hash),
            sql_text(&r.anchor),
            sql_text(tenant_id),
            r.seq
        ))
        .await;
    }
    let head = rows.last().unwrap();
    s.sql(&format!(
        "update audit_heads set head = {} where tenant_id = {}",
        sql_text(&head.hash),
        sql_text(tenant_id)
    ))
    .await;
}

/// The anchor the server would write, from the key in the data directory.
fn anchor_with_key(key_file: &std::path::Path, tenant_id: &str, r: &AuditRow) -> String {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(std::fs::read_to_string(key_file).unwrap().trim())
        .unwrap();
    let key = hmac_sha256(&raw);
    let mut m = b"stoa-audit-anchor-v1\0".to_vec();
    m.extend_from_slice(tenant_id.as_bytes());
    m.push(0);
    m.extend_from_slice(&r.seq.to_be_bytes());
    m.extend_from_slice(r.hash.as_bytes());
    key(&m)
}

/// HMAC-SHA256 (RFC 2104) with sha2, hex.
fn hmac_sha256(key: &[u8]) -> impl Fn(&[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    move |msg: &[u8]| {
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let inner = Sha256::digest([ipad.as_slice(), msg].concat());
        let outer = Sha256::digest([opad.as_slice(), inner.as_slice()].concat());
        outer.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn verify(s: &Server, slug: &str) -> (Option<i32>, String, String) {
    let out = s.cli(&["audit", "verify", "--tenant", slug], None);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

async fn consistent_rewrites_of_the_audit_chain_are_detected(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    s.staff(&t, "Bob").await;
    s.staff(&t, "Chi").await;
    let key_file = s.dir.join("audit-anchor.key");
    #[cfg(unix)]
    assert_eq!(mode(&key_file), 0o600);
    let rows = audit_rows(&s, &t.id).await;
    assert!(rows.len() >= 6);
    assert!(rows.iter().all(|r| r.anchor.len() == 64), "{rows:?}");
    let (code, out, err) = verify(&s, "acme");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("intact"), "{out}");

    // The recomputation is faithful: done with the key, nothing could tell.
    rewrite_chain(&s, &t.id, 3, |r| anchor_with_key(&key_file, &t.id, r)).await;
    let (code, out, err) = verify(&s, "acme");
    assert_eq!(code, Some(0), "with the key the rewrite passes: {out}{err}");

    // Without the key (the database is all an attacker holds), entry 4 rewritten: its old
    // anchor no longer matches, and verify names it.
    rewrite_chain(&s, &t.id, 4, |r| r.anchor.clone()).await;
    let (code, _, err) = verify(&s, "acme");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("BROKEN at entry 4"), "{err}");
    assert!(err.contains("anchor"), "{err}");
    // Stripping the anchors from there on, or inventing them, names the same entry.
    rewrite_chain(&s, &t.id, 4, |_| String::new()).await;
    let (code, _, err) = verify(&s, "acme");
    assert_eq!(code, Some(1));
    assert!(err.contains("BROKEN at entry 4"), "{err}");
    rewrite_chain(&s, &t.id, 4, |r| {
        hmac_sha256(b"a guessed key")(r.hash.as_bytes())
    })
    .await;
    let (code, _, err) = verify(&s, "acme");
    assert_eq!(code, Some(1));
    assert!(err.contains("BROKEN at entry 4"), "{err}");

    // Without the key, verify refuses to guess (exit 2), and never makes a new one.
    std::fs::rename(&key_file, s.dir.join("moved.key")).unwrap();
    let (code, _, err) = verify(&s, "acme");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("anchor key"), "{err}");
    assert!(!key_file.exists());
}
both!(consistent_rewrites_of_the_audit_chain_are_detected);

async fn truncation_is_caught_by_the_mirror_and_old_chains_are_sealed(b: Backend) {
    let mirror =
        std::env::temp_dir().join(format!("stoa-mirror-{}", uuid::Uuid::new_v4().simple()));
    let dir = mirror.display().to_string();
    let Some(mut s) = Server::start_with(b, &[("STOA_AUDIT__MIRROR_DIR", &dir)]).await else {
        return;
    };
    let t = s.tenant("acme").await;
    s.staff(&t, "Bob").await;
    let n = audit_rows(&s, &t.id).await.len();
    let path = mirror.join(format!("{}.jsonl", t.id));
    s.eventually("the mirror to hold every entry", || async {
        std::fs::read_to_string(&path)
            .map(|text| text.lines().count() == n)
            .unwrap_or(false)
    })
    .await;
    s.stop();

    // Entries written before anchoring existed: simulate a database from before migration
    // 0009. Starting the server applies it and anchors each chain's newest entry, once.
    s.sql(&format!(
        "update audit_log set anchor = '' where tenant_id = {}",
        sql_text(&t.id)
    ))
    .await;
    s.sql("alter table audit_log drop column anchor").await;
    s.sql("delete from _sqlx_migrations where version = 9")
        .await;
    s.spawn().await;
    let rows = audit_rows(&s, &t.id).await;
    assert_eq!(rows.len(), n);
    assert!(rows[..n - 1].iter().all(|r| r.anchor.is_empty()));
    assert_eq!(rows[n - 1].anchor.len(), 64);
    let (code, out, err) = verify(&s, "acme");
    assert_eq!(code, Some(0), "{out}{err}");
    // Entry 2 rewritten: the mirror's copy differs ...
    rewrite_chain(&s, &t.id, 2, |r| r.anchor.clone()).await;
    let (code, _, err) = verify(&s, "acme");
    assert_eq!(code, Some(1));
    assert!(
        err.contains("BROKEN at entry 2") && err.contains("mirror"),
        "{err}"
    );
    // ... and without a mirror, the newest entry's anchor covers what came before it.
    let aside = mirror.join("aside.jsonl");
    std::fs::rename(&path, &aside).unwrap();
    let (code, _, err) = verify(&s, "acme");
    assert_eq!(code, Some(1));
    assert!(err.contains(&format!("BROKEN at entry {n}")), "{err}");
    std::fs::rename(&aside, &path).unwrap();
    s.stop();
    // A restart does not anchor a chain again.
    s.spawn().await;
    let (code, _, _) = verify(&s, "acme");
    assert_eq!(code, Some(1));
    s.stop();

    // Removing the newest entries and rolling the head back leaves a shorter chain that links
    // and is anchored; the mirror, outside the database, still has them.
    let mut fresh = Server::start_with(b, &[("STOA_AUDIT__MIRROR_DIR", &dir)])
        .await
        .unwrap();
    let t = fresh.tenant("globex").await;
    fresh.staff(&t, "Bob").await;
    let rows = audit_rows(&fresh, &t.id).await;
    let path = mirror.join(format!("{}.jsonl", t.id));
    fresh
        .eventually("the mirror to hold every entry", || async {
            std::fs::read_to_string(&path)
                .map(|text| text.lines().count() == rows.len())
                .unwrap_or(false)
        })
        .await;
    fresh.stop();
    let keep = &rows[rows.len() - 3];
    fresh
        .sql(&format!(
            "delete from audit_log where tenant_id = {} and seq > {}",
            sql_text(&t.id),
            keep.seq
        ))
        .await;
    fresh
        .sql(&format!(
            "update audit_heads set seq = {}, head = {} where tenant_id = {}",
            keep.seq,
            sql_text(&keep.hash),
            sql_text(&t.id)
        ))
        .await;
    let (code, _, err) = verify(&fresh, "globex");
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!("BROKEN at entry {}", keep.seq + 1)) && err.contains("mirror"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&mirror);
}
both!(truncation_is_caught_by_the_mirror_and_old_chains_are_sealed);
