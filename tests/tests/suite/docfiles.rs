//! Documents on the files layer: uploads with metadata, versions (cap, restore), copies, the
//! sharing matrix and revocation (reads, downloads, search), quotas, the trash and purges
//! checked against the blob store and the index, previews, search filters.

use crate::both;
use crate::common::{folder, id, personal_space, Backend, Resp, Server, Tenant, PIXEL_PNG};
use serde_json::{json, Value};

/// Upload raw bytes as a document; `query` adds metadata (`name=…&title=…`).
async fn put_doc(s: &Server, token: &str, space: &str, query: &str, bytes: &[u8]) -> Resp {
    s.raw(
        "POST",
        &format!("/api/v1/spaces/{space}/documents?{query}"),
        Some(token),
        "application/octet-stream",
        bytes.to_vec(),
    )
    .await
}

async fn content(s: &Server, token: &str, doc: &str, version: Option<i64>) -> (u16, Vec<u8>) {
    let path = match version {
        Some(v) => format!("/api/v1/documents/{doc}/content?version={v}"),
        None => format!("/api/v1/documents/{doc}/content"),
    };
    let r = s
        .http()
        .get(s.url(&path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.bytes().await.unwrap().to_vec())
}

/// Ids of documents a search finds for `token`.
async fn found(s: &Server, token: &str, q: &str, extra: &[(&str, &str)]) -> Vec<String> {
    let mut params = vec![("q", q), ("kind", "document")];
    params.extend_from_slice(extra);
    let r = Server::finish(
        s.http()
            .get(s.url("/api/v1/search"))
            .query(&params)
            .bearer_auth(token),
    )
    .await;
    r.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect()
}

async fn documents_and_versions(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, sam) = s.staff(&t, "Sam").await;
    let space = personal_space(&s, &sam).await;
    let reports = folder(&s, &sam, &space, "Reports", None).await;

    // Multipart with metadata fields before the file part.
    let boundary = "Bnd42";
    let mut form = String::new();
    for (k, v) in [
        ("folder_id", reports.as_str()),
        ("title", "Báo cáo quý 1"),
        ("description", "Kết quả kinh doanh"),
        ("keywords", "finance, q1, finance"),
        ("latitude", "21.0285"),
        ("longitude", "105.8542"),
    ] {
        form.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    form.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"q1.txt\"\r\n\r\nversion one\r\n--{boundary}--\r\n"
    ));
    let r = s
        .raw(
            "POST",
            &format!("/api/v1/spaces/{space}/documents"),
            Some(&sam),
            &format!("multipart/form-data; boundary={boundary}"),
            form.into_bytes(),
        )
        .await;
    let d = r.ok(201).clone();
    let doc = id(&d);
    assert_eq!(d["name"], "q1.txt");
    assert_eq!(d["folder_id"], reports.as_str());
    assert_eq!(d["title"], "Báo cáo quý 1");
    assert_eq!(d["keywords"], json!(["finance", "q1"]));
    assert_eq!(d["location"]["latitude"], 21.0285);
    assert_eq!(d["version"], 1);

    // The same name in the same folder: a new version, not a second document.
    let r = put_doc(
        &s,
        &sam,
        &space,
        &format!("folder_id={reports}&name=q1.txt"),
        b"version two, longer",
    )
    .await;
    let d2 = r.ok(200);
    assert_eq!(id(d2), doc);
    assert_eq!(d2["version"], 2);
    assert_eq!(d2["title"], "Báo cáo quý 1", "metadata kept");
    let list = s
        .get(
            &format!("/api/v1/spaces/{space}/documents?folder_id={reports}"),
            &sam,
        )
        .await;
    assert_eq!(list.ok(200)["items"].as_array().unwrap().len(), 1);

    let vs = s
        .get(&format!("/api/v1/documents/{doc}/versions"), &sam)
        .await;
    let vs = vs.ok(200).as_array().unwrap().clone();
    assert_eq!(vs.len(), 2);
    assert_eq!(vs[0]["number"], 2);
    assert_eq!(vs[0]["current"], true);
    assert_eq!(vs[0]["size"], 19);
    assert_eq!(vs[1]["size"], 11);
    assert_eq!(vs[1]["content_type"], "text/plain");
    assert_eq!(vs[1]["author_id"].as_str().unwrap().len(), 36);
    assert_eq!(vs[1]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        content(&s, &sam, &doc, None).await,
        (200, b"version two, longer".to_vec())
    );
    assert_eq!(
        content(&s, &sam, &doc, Some(1)).await,
        (200, b"version one".to_vec())
    );
    assert_eq!(content(&s, &sam, &doc, Some(9)).await.0, 404);

    // Restore version 1: a third version with its content.
    let r = s
        .req(
            "POST",
            &format!("/api/v1/documents/{doc}/versions/1/restore"),
            Some(&sam),
            None,
        )
        .await;
    assert_eq!(r.ok(200)["version"], 3);
    assert_eq!(
        content(&s, &sam, &doc, None).await,
        (200, b"version one".to_vec())
    );
    let vs = s
        .get(&format!("/api/v1/documents/{doc}/versions"), &sam)
        .await;
    assert_eq!(vs.ok(200)[0]["restored_from"], 1);

    // Metadata edits, a move, a name clash, bad input.
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/documents/{doc}"),
            Some(&sam),
            Some(json!({ "name": "Q1 report.txt", "folder_id": "", "clear_location": true })),
        )
        .await;
    let u = r.ok(200);
    assert_eq!(u["folder_id"], Value::Null);
    assert_eq!(u["location"], Value::Null);
    put_doc(&s, &sam, &space, "name=other.txt", b"other")
        .await
        .ok(201);
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/documents/{doc}"),
            Some(&sam),
            Some(json!({ "name": "other.txt" })),
        )
        .await;
    assert_eq!(r.problem(409), "conflict");
    let r = put_doc(&s, &sam, &space, "name=x.txt&latitude=10", b"x").await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = put_doc(&s, &sam, &space, "folder_id=nope", b"x").await;
    assert_eq!(r.problem(422), "validation_failed");

    // A copy shares the stored content: no new bytes.
    let before = s.get("/api/v1/storage", &sam).await.ok(200)["users"][0]["used_bytes"]
        .as_i64()
        .unwrap();
    let r = s
        .post(&format!("/api/v1/documents/{doc}/copy"), &sam, json!({}))
        .await;
    let copy = r.ok(201).clone();
    assert_eq!(copy["name"], "Q1 report.txt (copy)");
    assert_eq!(copy["version"], 1);
    assert_eq!(
        content(&s, &sam, &id(&copy), None).await,
        (200, b"version one".to_vec())
    );
    let after = s.get("/api/v1/storage", &sam).await.ok(200)["users"][0]["used_bytes"]
        .as_i64()
        .unwrap();
    assert_eq!(before, after);

    // Larger than a JSON body may be, streamed; a retried upload with its Idempotency-Key
    // returns the first document.
    let big = vec![7u8; 3 * 1024 * 1024];
    let up = |key: &'static str| {
        Server::finish(
            s.http()
                .post(s.url(&format!("/api/v1/spaces/{space}/documents?name=big.bin")))
                .bearer_auth(&sam)
                .header("content-type", "application/octet-stream")
                .header("idempotency-key", key)
                .body(big.clone()),
        )
    };
    let first = up("big-1").await;
    let big_id = id(first.ok(201));
    let again = up("big-1").await;
    assert_eq!(id(again.ok(200)), big_id);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(again.body["version"], 1, "no second version");
    assert_eq!(content(&s, &sam, &big_id, None).await.1.len(), big.len());

    // The tenant's cap on versions: older ones are purged with their content.
    let r = s
        .req(
            "PUT",
            "/api/v1/settings/documents",
            Some(&t.admin_token),
            Some(json!({ "versions_kept": 2 })),
        )
        .await;
    assert_eq!(r.ok(200)["versions_kept"], 2);
    let objects = s.blob_files().0.len();
    for body in [&b"four"[..], b"five"] {
        let r = s
            .raw(
                "POST",
                &format!("/api/v1/documents/{doc}/versions"),
                Some(&sam),
                "application/octet-stream",
                body.to_vec(),
            )
            .await;
        r.ok(200);
    }
    let vs = s
        .get(&format!("/api/v1/documents/{doc}/versions"), &sam)
        .await;
    let numbers: Vec<i64> = vs
        .ok(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![5, 4]);
    // Versions 1 and 3 shared their content with the copy, which keeps it; version 2's goes.
    s.eventually("version two's blob removed", || async {
        s.blob_files().0.len() == objects + 2 - 1
    })
    .await;
    assert_eq!(
        content(&s, &sam, &id(&copy), None).await,
        (200, b"version one".to_vec())
    );
}
both!(documents_and_versions);

struct Cast {
    t: Tenant,
    owner: String,
    viewer: String,
    editor: String,
    stranger: String,
    other: String,
}

async fn cast(s: &Server) -> Cast {
    let t = s.tenant("acme").await;
    let (_, owner) = s.staff(&t, "Olga Owner").await;
    let (_, viewer) = s.staff(&t, "Vu Viewer").await;
    let staff_role = s.builtin_role_id(&t, "staff").await;
    let role = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "Editors", "permissions": [] }),
        )
        .await;
    let role_id = id(role.ok(201));
    let (_, editor) = s
        .member(&t, "Eda Editor", json!([staff_role, role_id]))
        .await;
    let (_, stranger) = s.staff(&t, "Stan Stranger").await;
    let other = s.tenant("globex").await.admin_token;
    Cast {
        t,
        owner,
        viewer,
        editor,
        stranger,
        other,
    }
}

async fn me(s: &Server, token: &str) -> String {
    id(&s.get("/api/v1/me", token).await.ok(200)["user"])
}

async fn sharing_matrix(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let c = cast(&s).await;
    let space = personal_space(&s, &c.owner).await;
    let projects = folder(&s, &c.owner, &space, "Projects", None).await;
    let inner = folder(&s, &c.owner, &space, "Inner", Some(&projects)).await;
    let r = put_doc(
        &s,
        &c.owner,
        &space,
        &format!("folder_id={inner}&name=plan.txt"),
        b"the zanzibar rollout plan",
    )
    .await;
    let doc = id(r.ok(201));
    let file_id = r.body["file_id"].as_str().unwrap().to_string();
    let viewer_id = me(&s, &c.viewer).await;
    let role_id = {
        let roles = s.get("/api/v1/roles", &c.t.admin_token).await;
        id(roles
            .ok(200)
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "Editors")
            .unwrap())
    };
    // Shared on the folder above: reaches the document two levels down.
    let share = s
        .post(
            "/api/v1/shares",
            &c.owner,
            json!({ "target_kind": "folder", "target_id": projects, "grantee_kind": "user",
                    "grantee_id": viewer_id, "role": "viewer" }),
        )
        .await;
    let viewer_share = id(share.ok(201));
    s.post(
        "/api/v1/shares",
        &c.owner,
        json!({ "target_kind": "folder", "target_id": projects, "grantee_kind": "role",
                "grantee_id": role_id, "role": "editor" }),
    )
    .await
    .ok(201);
    // Wait for the shares to reach the index too (the owner found the plan before they did,
    // and a loaded machine showed the viewer's search racing the share's reindexing).
    s.eventually("the owner and those shared with find the plan", || async {
        found(&s, &c.owner, "zanzibar", &[]).await == vec![doc.clone()]
            && found(&s, &c.viewer, "zanzibar", &[]).await == vec![doc.clone()]
            && found(&s, &c.editor, "zanzibar", &[]).await == vec![doc.clone()]
    })
    .await;

    let stranger_id = me(&s, &c.stranger).await;
    let who = [
        ("owner", &c.owner, 200, 200, 201, true),
        ("shared viewer", &c.viewer, 200, 403, 403, true),
        ("shared editor", &c.editor, 200, 200, 403, true),
        ("same-tenant stranger", &c.stranger, 404, 404, 404, false),
        ("other tenant", &c.other, 404, 404, 404, false),
    ];
    for (name, token, read, write, share, finds) in who {
        let r = s.get(&format!("/api/v1/documents/{doc}"), token).await;
        assert_eq!(r.status, read, "{name} reads: {}", r.text);
        assert_eq!(
            content(&s, token, &doc, None).await.0,
            read,
            "{name} downloads"
        );
        let (st, _, _) = s.download(token, &file_id, &[]).await;
        assert_eq!(st, read, "{name} downloads the file by id");
        let r = s
            .req(
                "PATCH",
                &format!("/api/v1/documents/{doc}"),
                Some(token),
                Some(json!({ "description": format!("edited by {name}") })),
            )
            .await;
        assert_eq!(r.status, write, "{name} writes: {}", r.text);
        let r = s
            .post(
                "/api/v1/shares",
                token,
                json!({ "target_kind": "document", "target_id": doc, "grantee_kind": "user",
                        "grantee_id": stranger_id, "role": "viewer" }),
            )
            .await;
        assert_eq!(r.status, share, "{name} shares: {}", r.text);
        if share == 201 {
            // Undo, so the stranger stays a stranger.
            let r = s
                .delete(&format!("/api/v1/shares/{}", id(&r.body)), token)
                .await;
            assert_eq!(r.status, 204, "{}", r.text);
        }
        let hits = found(&s, token, "zanzibar", &[]).await;
        assert_eq!(!hits.is_empty(), finds, "{name} searches");
        // Deleting: only the space's editors (not shares); others learn nothing.
        if name != "owner" {
            let r = s.delete(&format!("/api/v1/documents/{doc}"), token).await;
            assert_eq!(
                r.status,
                if read == 200 { 403 } else { 404 },
                "{name} deletes: {}",
                r.text
            );
        }
    }
    // Shared with me, and the editor's edits reach search (the description is indexed).
    let mine = s.get("/api/v1/shared", &c.viewer).await;
    let mine = mine.ok(200).as_array().unwrap().clone();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["target_id"], projects.as_str());
    assert_eq!(mine[0]["role"], "viewer");
    s.eventually("the editor's description is searchable", || async {
        !found(&s, &c.viewer, "edited shared editor", &[])
            .await
            .is_empty()
    })
    .await;

    // Revocation holds on the very next request: reads, downloads, search.
    let r = s
        .delete(&format!("/api/v1/shares/{viewer_share}"), &c.owner)
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        s.get(&format!("/api/v1/documents/{doc}"), &c.viewer)
            .await
            .problem(404),
        "not_found"
    );
    assert_eq!(content(&s, &c.viewer, &doc, None).await.0, 404);
    assert_eq!(s.download(&c.viewer, &file_id, &[]).await.0, 404);
    assert!(found(&s, &c.viewer, "zanzibar", &[]).await.is_empty());
    assert!(s
        .get("/api/v1/shared", &c.viewer)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .is_empty());
    // The role's share still works; the owner deletes.
    assert_eq!(content(&s, &c.editor, &doc, None).await.0, 200);
    let r = s
        .delete(&format!("/api/v1/documents/{doc}"), &c.owner)
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(content(&s, &c.editor, &doc, None).await.0, 404);
    assert_eq!(s.download(&c.owner, &file_id, &[]).await.0, 404);
}
both!(sharing_matrix);

async fn quotas_and_usage(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (sam_id, sam) = s.staff(&t, "Sam").await;
    let space = personal_space(&s, &sam).await;
    let r = s
        .req(
            "PUT",
            &format!("/api/v1/storage/users/{sam_id}"),
            Some(&t.admin_token),
            Some(json!({ "quota_bytes": 100 })),
        )
        .await;
    assert_eq!(r.status, 204);
    put_doc(&s, &sam, &space, "name=a.txt", &[b'a'; 60])
        .await
        .ok(201);
    let r = put_doc(&s, &sam, &space, "name=b.txt", &[b'b'; 60]).await;
    assert_eq!(r.problem(413), "quota_exceeded");
    assert!(r.body["detail"].as_str().unwrap().contains("personal"));
    // Plain uploads count against the same quota.
    let r = s.upload(&sam, "c.txt", vec![b'c'; 60]).await;
    assert_eq!(r.problem(413), "quota_exceeded");
    let me = s.get("/api/v1/storage", &sam).await;
    let me = me.ok(200).clone();
    assert_eq!(
        me["users"].as_array().unwrap().len(),
        1,
        "staff see themselves"
    );
    assert_eq!(me["users"][0]["used_bytes"], 60);
    assert_eq!(me["users"][0]["quota_bytes"], 100);
    let personal = me["spaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["space_id"] == space.as_str())
        .unwrap()
        .clone();
    assert_eq!(personal["documents"], 1);
    assert_eq!(personal["bytes"], 60);
    // The tenant-wide per-person setting applies to whoever has none of their own.
    let r = s
        .req(
            "PUT",
            &format!("/api/v1/storage/users/{sam_id}"),
            Some(&t.admin_token),
            Some(json!({ "quota_bytes": null })),
        )
        .await;
    assert_eq!(r.status, 204);
    put_doc(&s, &sam, &space, "name=b.txt", &[b'b'; 60])
        .await
        .ok(201);
    s.req(
        "PUT",
        "/api/v1/settings/documents",
        Some(&t.admin_token),
        Some(json!({ "user_quota_bytes": 150 })),
    )
    .await
    .ok(200);
    let r = put_doc(&s, &sam, &space, "name=c.txt", &[b'c'; 60]).await;
    assert_eq!(r.problem(413), "quota_exceeded");
    // Admins see everyone; deleting for good gives the space back.
    let all = s.get("/api/v1/storage", &t.admin_token).await;
    assert!(all.ok(200)["users"].as_array().unwrap().len() >= 2);
    assert_eq!(all.body["used_bytes"], 120);
    let docs = s
        .get(&format!("/api/v1/spaces/{space}/documents"), &sam)
        .await;
    let a = id(&docs.ok(200)["items"][0]);
    s.delete(&format!("/api/v1/documents/{a}"), &sam).await;
    s.delete(&format!("/api/v1/trash/documents/{a}"), &sam)
        .await;
    let me = s.get("/api/v1/storage", &sam).await;
    assert_eq!(me.ok(200)["users"][0]["used_bytes"], 60);
    put_doc(&s, &sam, &space, "name=c.txt", &[b'c'; 60])
        .await
        .ok(201);
}
both!(quotas_and_usage);

async fn trash_and_purge(b: Backend) {
    let Some(mut s) = Server::start_with(b, &[("STOA_DOCUMENTS__TRASH_SWEEP_SECS", "1")]).await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, sam) = s.staff(&t, "Sam").await;
    let space = personal_space(&s, &sam).await;
    let box_ = folder(&s, &sam, &space, "Box", None).await;
    let sub = folder(&s, &sam, &space, "Sub", Some(&box_)).await;
    let r = put_doc(
        &s,
        &sam,
        &space,
        &format!("folder_id={sub}&name=secret.txt"),
        b"quokka ledger one",
    )
    .await;
    let doc = id(r.ok(201));
    put_doc(
        &s,
        &sam,
        &space,
        &format!("folder_id={sub}&name=secret.txt"),
        b"quokka ledger two",
    )
    .await
    .ok(200);
    let keep = id(put_doc(&s, &sam, &space, "name=keep.txt", b"quokka keeper")
        .await
        .ok(201));
    s.eventually("both searchable", || async {
        found(&s, &sam, "quokka", &[]).await.len() == 2
    })
    .await;
    let objects = s.blob_files().0.len();

    // Trashing the folder takes what is inside; restoring brings it back.
    let r = s.delete(&format!("/api/v1/folders/{box_}"), &sam).await;
    assert_eq!(r.status, 204);
    assert_eq!(
        s.get(&format!("/api/v1/documents/{doc}"), &sam)
            .await
            .status,
        404
    );
    assert_eq!(
        s.get(&format!("/api/v1/folders/{sub}"), &sam).await.status,
        404
    );
    assert_eq!(found(&s, &sam, "quokka", &[]).await, vec![keep.clone()]);
    let trash = s.get(&format!("/api/v1/spaces/{space}/trash"), &sam).await;
    let trash = trash.ok(200).as_array().unwrap().clone();
    assert_eq!(trash.len(), 1, "one entry: the folder trashed");
    assert_eq!(trash[0]["kind"], "folder");
    let r = s
        .req(
            "POST",
            &format!("/api/v1/trash/folders/{box_}/restore"),
            Some(&sam),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(content(&s, &sam, &doc, None).await.1, b"quokka ledger two");
    s.eventually("searchable again", || async {
        found(&s, &sam, "quokka", &[]).await.len() == 2
    })
    .await;

    // Trash and purge: every version's blob and the index entry go.
    s.delete(&format!("/api/v1/folders/{box_}"), &sam).await;
    let r = s
        .delete(&format!("/api/v1/trash/folders/{box_}"), &sam)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(s
        .get(&format!("/api/v1/spaces/{space}/trash"), &sam)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .is_empty());
    s.eventually("both versions' blobs removed", || async {
        s.blob_files().0.len() == objects - 2
    })
    .await;
    let r = s
        .req(
            "POST",
            &format!("/api/v1/trash/folders/{box_}/restore"),
            Some(&sam),
            None,
        )
        .await;
    assert_eq!(r.problem(404), "not_found");
    // The index itself, read with the server stopped.
    s.stop();
    let count = |kind: &str, id: &str| {
        let out = s.cli(
            &[
                "search", "count", "--tenant", "acme", "--kind", kind, "--id", id,
            ],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(count("document", &doc), "0");
    assert_eq!(count("document", &keep), "1");
    s.spawn().await;

    // Expired trash goes with the next retention run (the trash period is the retention
    // policy of the `trash` class; 0 days: at the next run).
    let r = s
        .req(
            "PUT",
            "/api/v1/retention/policy",
            Some(&t.admin_token),
            Some(json!({ "set": [{ "class": "trash", "days": 0 }] })),
        )
        .await;
    let trash = r.ok(200)["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == "trash")
        .cloned()
        .unwrap();
    assert_eq!(
        (trash["days"].clone(), trash["is_default"].clone()),
        (json!(0), json!(false))
    );
    s.delete(&format!("/api/v1/documents/{keep}"), &sam).await;
    let run = s
        .post("/api/v1/retention/runs", &t.admin_token, json!({}))
        .await;
    let run = run.ok(202)["id"].as_str().unwrap().to_string();
    s.eventually("the retention run ends", || async {
        s.get(&format!("/api/v1/retention/runs/{run}"), &t.admin_token)
            .await
            .ok(200)["status"]
            == "done"
    })
    .await;
    s.eventually("expired trash purged", || async {
        s.blob_files().0.len() == objects - 3
    })
    .await;
    assert!(s
        .get(&format!("/api/v1/spaces/{space}/trash"), &sam)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .is_empty());
}
both!(trash_and_purge);

/// A one-page PDF showing `text` in Helvetica.
fn pdf_with(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 24 Tf 72 700 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
    ];
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.push_str(&format!("{} 0 obj\n{o}\nendobj\n", i + 1));
    }
    let xref = pdf.len();
    pdf.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for off in offsets {
        pdf.push_str(&format!("{off:010} 00000 n \n"));
    }
    pdf.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.into_bytes()
}

async fn previews_and_search_filters(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (sam_id, sam) = s.staff(&t, "Sam").await;
    let (_, kim) = s.staff(&t, "Kim").await;
    let space = personal_space(&s, &sam).await;
    let img = id(put_doc(
        &s,
        &sam,
        &space,
        "name=pixel.png&title=Sơ đồ mạng",
        PIXEL_PNG,
    )
    .await
    .ok(201));
    let vn = id(put_doc(
        &s,
        &sam,
        &space,
        "name=bao-cao.txt",
        "Báo cáo tài chính năm 2026 của công ty".as_bytes(),
    )
    .await
    .ok(201));
    let zh = id(put_doc(
        &s,
        &sam,
        &space,
        "name=minutes.md",
        "# 北京会议纪要\n预算".as_bytes(),
    )
    .await
    .ok(201));
    // A thumbnail for the image, a snippet for the text.
    let detail = format!("/api/v1/documents/{img}");
    s.eventually("a thumbnail", || async {
        s.get(&detail, &sam).await.ok(200)["has_thumbnail"] == true
    })
    .await;
    let file_id = s.get(&detail, &sam).await.body["document"]["file_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = s
        .http()
        .get(s.url(&format!("/api/v1/files/{file_id}/thumbnail")))
        .bearer_auth(&sam)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(&r.bytes().await.unwrap()[..2], &[0xff, 0xd8]);
    let r = s
        .get(&format!("/api/v1/files/{file_id}/thumbnail"), &kim)
        .await;
    assert_eq!(r.problem(404), "not_found", "others see no thumbnail");
    let detail = format!("/api/v1/documents/{vn}");
    s.eventually("a snippet", || async {
        s.get(&detail, &sam).await.ok(200)["snippet"]
            .as_str()
            .is_some_and(|t| t.starts_with("Báo cáo"))
    })
    .await;

    // A PDF: its first page as a thumbnail, its text as the snippet, found by type.
    let pdf = id(put_doc(
        &s,
        &sam,
        &space,
        "name=memo.pdf",
        &pdf_with("Quarterly memo on wombats"),
    )
    .await
    .ok(201));
    let detail = format!("/api/v1/documents/{pdf}");
    s.eventually("a PDF thumbnail and snippet", || async {
        let d = s.get(&detail, &sam).await;
        let d = d.ok(200);
        d["has_thumbnail"] == true && d["snippet"].as_str().is_some_and(|t| t.contains("wombats"))
    })
    .await;
    assert_eq!(
        s.get(&detail, &sam).await.body["content"]["content_type"],
        "application/pdf"
    );
    s.eventually("the PDF found by type", || async {
        found(&s, &sam, "wombats", &[("type", "application/pdf")]).await == vec![pdf.clone()]
    })
    .await;

    // Vietnamese without diacritics, Chinese inside running text, titles.
    s.eventually("indexed", || async {
        found(&s, &sam, "bao cao tai chinh", &[]).await == vec![vn.clone()]
    })
    .await;
    assert_eq!(found(&s, &sam, "会议", &[]).await, vec![zh.clone()]);
    assert_eq!(found(&s, &sam, "so do mang", &[]).await, vec![img.clone()]);
    // Filters: type, space, owner, date.
    assert_eq!(
        found(&s, &sam, "bao cao", &[("type", "text/plain")]).await,
        vec![vn.clone()]
    );
    assert!(found(&s, &sam, "bao cao", &[("type", "image")])
        .await
        .is_empty());
    assert_eq!(
        found(&s, &sam, "so do", &[("type", "image")]).await,
        vec![img.clone()]
    );
    assert_eq!(
        found(&s, &sam, "会议", &[("space", &space)]).await,
        vec![zh.clone()]
    );
    let other_space = id(s
        .get("/api/v1/spaces", &sam)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "company")
        .unwrap());
    assert!(found(&s, &sam, "会议", &[("space", &other_space)])
        .await
        .is_empty());
    assert_eq!(
        found(&s, &sam, "会议", &[("owner", &sam_id)]).await,
        vec![zh.clone()]
    );
    assert!(found(&s, &sam, "会议", &[("from", "2100-01-01T00:00:00Z")])
        .await
        .is_empty());
    // Nobody else finds Sam's personal documents.
    assert!(found(&s, &kim, "bao cao", &[]).await.is_empty());
    let r = Server::finish(
        s.http()
            .get(s.url("/api/v1/search"))
            .query(&[("q", "x"), ("type", "a b")])
            .bearer_auth(&sam),
    )
    .await;
    assert_eq!(r.problem(422), "validation_failed");
}
both!(previews_and_search_filters);

async fn team_space_roles(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (vid, viewer) = s.staff(&t, "Vera").await;
    let (eid, editor) = s.staff(&t, "Ed").await;
    let (_, outsider) = s.staff(&t, "Otto").await;
    let team = s
        .post("/api/v1/spaces", &t.admin_token, json!({ "name": "Legal" }))
        .await;
    let team = id(team.ok(201));
    for (uid, role) in [(&vid, "viewer"), (&eid, "editor")] {
        let r = s
            .req(
                "PUT",
                &format!("/api/v1/spaces/{team}/members/{uid}"),
                Some(&t.admin_token),
                Some(json!({ "role": role })),
            )
            .await;
        assert_eq!(r.status, 204);
    }
    // Viewers read, editors write and trash, managers purge; outsiders see nothing.
    let r = put_doc(&s, &viewer, &team, "name=v.txt", b"x").await;
    assert_eq!(r.problem(403), "forbidden");
    let doc = id(
        put_doc(&s, &editor, &team, "name=nda.txt", b"pelican clause")
            .await
            .ok(201),
    );
    assert_eq!(content(&s, &viewer, &doc, None).await.0, 200);
    assert_eq!(content(&s, &outsider, &doc, None).await.0, 404);
    s.eventually("members find it", || async {
        found(&s, &viewer, "pelican", &[]).await == vec![doc.clone()]
    })
    .await;
    assert!(found(&s, &outsider, "pelican", &[]).await.is_empty());
    let r = s.delete(&format!("/api/v1/documents/{doc}"), &viewer).await;
    assert_eq!(r.problem(403), "forbidden");
    let r = s.delete(&format!("/api/v1/documents/{doc}"), &editor).await;
    assert_eq!(r.status, 204);
    let trash = s
        .get(&format!("/api/v1/spaces/{team}/trash"), &viewer)
        .await;
    assert_eq!(trash.problem(403), "forbidden");
    let r = s
        .delete(&format!("/api/v1/trash/documents/{doc}"), &editor)
        .await;
    assert_eq!(r.problem(403), "forbidden");
    let r = s
        .delete(&format!("/api/v1/trash/documents/{doc}"), &t.admin_token)
        .await;
    assert_eq!(r.status, 204);
    // Leaving the space ends access at once.
    let doc = id(
        put_doc(&s, &editor, &team, "name=nda2.txt", b"heron clause")
            .await
            .ok(201),
    );
    let r = s
        .delete(
            &format!("/api/v1/spaces/{team}/members/{vid}"),
            &t.admin_token,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(content(&s, &viewer, &doc, None).await.0, 404);
    assert!(found(&s, &viewer, "heron", &[]).await.is_empty());
}
both!(team_space_roles);
