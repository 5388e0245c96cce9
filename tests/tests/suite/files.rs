//! Files: upload, download with ranges, access, limits, encryption at rest, idempotent retries,
//! crash safety and the orphan sweeper — on the local store and on a real S3 server.

use crate::both;
use crate::common::{Backend, Server};
use serde_json::Value;

fn sample(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

async fn roundtrip_and_access(s: &Server) {
    let t = s.tenant("acme").await;
    let other = s.tenant("globex").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    let (_, bob) = s.staff(&t, "Bob").await;

    // 200 KiB spans several sealed chunks.
    let data = sample(200_000);
    let r = s
        .upload(&alice, "../../etc/Báo cáo.bin", data.clone())
        .await;
    let f = r.ok(201).clone();
    let id = f["id"].as_str().unwrap().to_string();
    assert_eq!(f["name"], "Báo cáo.bin");
    assert_eq!(f["size"], 200_000);
    assert_eq!(f["content_type"], "application/octet-stream");

    let (st, h, body) = s.download(&alice, &id, &[]).await;
    assert_eq!(st, 200);
    assert_eq!(body, data);
    assert_eq!(h["x-content-type-options"], "nosniff");
    let cd = h["content-disposition"].to_str().unwrap();
    assert!(
        cd.starts_with("attachment; filename=\"B_o c_o.bin\""),
        "{cd}"
    );
    assert!(
        cd.contains("filename*=UTF-8''B%C3%A1o%20c%C3%A1o.bin"),
        "{cd}"
    );
    let etag = h["etag"].to_str().unwrap().to_string();
    assert_eq!(etag, format!("\"{}\"", f["sha256"].as_str().unwrap()));

    // Ranges across chunk boundaries, open-ended and suffix ranges, and 416.
    for (range, from, to) in [
        ("bytes=65530-65545", 65530, 65545),
        ("bytes=0-0", 0, 0),
        ("bytes=199990-", 199990, 199999),
        ("bytes=-10", 199990, 199999),
        ("bytes=131072-262143", 131072, 199999),
    ] {
        let (st, h, body) = s.download(&alice, &id, &[("range", range)]).await;
        assert_eq!(st, 206, "{range}");
        assert_eq!(body, data[from..=to], "{range}");
        assert_eq!(
            h["content-range"].to_str().unwrap(),
            format!("bytes {from}-{to}/200000")
        );
    }
    let (st, h, _) = s.download(&alice, &id, &[("range", "bytes=200000-")]).await;
    assert_eq!(st, 416);
    assert_eq!(h["content-range"], "bytes */200000");
    // Several ranges are answered with the whole file; so is a stale If-Range.
    let (st, _, body) = s.download(&alice, &id, &[("range", "bytes=0-1,5-6")]).await;
    assert_eq!((st, body.len()), (200, 200_000));
    let (st, _, body) = s
        .download(
            &alice,
            &id,
            &[("range", "bytes=0-9"), ("if-range", "\"old\"")],
        )
        .await;
    assert_eq!((st, body.len()), (200, 200_000));
    let (st, _, _) = s.download(&alice, &id, &[("if-none-match", &etag)]).await;
    assert_eq!(st, 304);

    // Metadata and listing.
    let info = s.get(&format!("/api/v1/files/{id}/info"), &alice).await;
    assert_eq!(info.ok(200)["sha256"], f["sha256"]);
    let mine = s.get("/api/v1/files?limit=1", &alice).await;
    assert_eq!(mine.ok(200)["items"][0]["id"], id.as_str());

    // Nobody else reads it: same-tenant stranger and other tenant get 404, no session 401.
    let (st, _, _) = s.download(&bob, &id, &[]).await;
    assert_eq!(st, 404);
    let (st, _, _) = s.download(&other.admin_token, &id, &[]).await;
    assert_eq!(st, 404);
    let r = s
        .req("GET", &format!("/api/v1/files/{id}"), None, None)
        .await;
    assert_eq!(r.problem(401), "unauthenticated");
    assert_eq!(
        s.req("DELETE", &format!("/api/v1/files/{id}"), Some(&bob), None)
            .await
            .problem(404),
        "not_found"
    );
    assert_eq!(
        s.get("/api/v1/files/not-an-id", &alice).await.problem(404),
        "not_found"
    );

    // Usage is for admins (files.manage).
    assert_eq!(
        s.get("/api/v1/files/usage", &alice).await.problem(403),
        "forbidden"
    );
    let u = s.get("/api/v1/files/usage", &t.admin_token).await;
    assert_eq!(u.ok(200)["used_bytes"], 200_000);

    // Delete: gone for the API, and its blob and quota released.
    let r = s
        .req("DELETE", &format!("/api/v1/files/{id}"), Some(&alice), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let (st, _, _) = s.download(&alice, &id, &[]).await;
    assert_eq!(st, 404);
    let u = s.get("/api/v1/files/usage", &t.admin_token).await;
    assert_eq!(u.ok(200)["used_bytes"], 0);
}

async fn local_roundtrip(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    roundtrip_and_access(&s).await;
    s.eventually("the deleted file's blob to be removed", || async {
        s.blob_files().0.is_empty()
    })
    .await;
}
both!(local_roundtrip);

async fn s3_roundtrip(b: Backend) {
    let Some(s) = Server::start_s3(b, &[]).await else {
        return;
    };
    roundtrip_and_access(&s).await;
    // Larger than one 8 MiB part: a multipart upload, streamed both ways.
    let t = s.tenant("big").await;
    let data = sample(20 * 1024 * 1024 + 123);
    let r = s.upload(&t.admin_token, "big.bin", data.clone()).await;
    let id = r.ok(201)["id"].as_str().unwrap().to_string();
    let (st, _, body) = s.download(&t.admin_token, &id, &[]).await;
    assert_eq!(st, 200);
    assert!(body == data, "20 MiB round trip differs");
    let (st, _, body) = s
        .download(&t.admin_token, &id, &[("range", "bytes=9000000-9000099")])
        .await;
    assert_eq!(st, 206);
    assert_eq!(body, data[9_000_000..9_000_100]);
}
both!(s3_roundtrip);

async fn s3_presigned_redirect(b: Backend) {
    let Some(s) = Server::start_s3(
        b,
        &[
            ("STOA_STORAGE__ENCRYPT", "false"),
            ("STOA_STORAGE__PRESIGN_DOWNLOADS", "true"),
            ("STOA_STORAGE__PRESIGN_TTL_SECS", "30"),
        ],
    )
    .await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let data = b"presigned content".to_vec();
    let r = s.upload(&t.admin_token, "note.txt", data.clone()).await;
    let id = r.ok(201)["id"].as_str().unwrap().to_string();
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect
        .get(s.url(&format!("/api/v1/files/{id}")))
        .bearer_auth(&t.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let url = r.headers()["location"].to_str().unwrap().to_string();
    assert!(url.contains("X-Amz-Expires=30"), "{url}");
    let got = reqwest::get(&url).await.unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert!(got.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("note.txt"));
    assert_eq!(got.bytes().await.unwrap().to_vec(), data);
    // The signature is checked: a tampered URL is refused by the store.
    let tampered = url.replace("X-Amz-Expires=30", "X-Amz-Expires=3000");
    assert_eq!(
        reqwest::get(&tampered).await.unwrap().status().as_u16(),
        403
    );
}
both!(s3_presigned_redirect);

async fn encrypted_at_rest_and_shredded(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let marker = b"TOP-SECRET-MARKER-0123456789 ".repeat(100);
    let r = s.upload(&t.admin_token, "secret.txt", marker.clone()).await;
    let id = r.ok(201)["id"].as_str().unwrap().to_string();
    let (objects, _) = s.blob_files();
    assert_eq!(objects.len(), 1);
    let stored = std::fs::read(&objects[0]).unwrap();
    assert!(
        !stored.windows(18).any(|w| w == b"TOP-SECRET-MARKER-"),
        "plaintext found in the blob store"
    );
    assert!(stored.len() > marker.len());
    let (st, _, body) = s.download(&t.admin_token, &id, &[]).await;
    assert_eq!((st, body), (200, marker));
    // The object's path says nothing about the file.
    assert!(!objects[0].to_string_lossy().contains("secret"));

    let out = s.cli(&["tenant", "shred-keys", "acme"], None);
    assert!(!out.status.success(), "needs --yes");
    let out = s.cli(&["tenant", "shred-keys", "acme", "--yes"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = s
        .req(
            "GET",
            &format!("/api/v1/files/{id}"),
            Some(&t.admin_token),
            None,
        )
        .await;
    assert_eq!(r.problem(410), "content_destroyed");
    // New uploads get a new key and work.
    let r = s
        .upload(&t.admin_token, "after.txt", b"fresh".to_vec())
        .await;
    let id2 = r.ok(201)["id"].as_str().unwrap().to_string();
    let (st, _, body) = s.download(&t.admin_token, &id2, &[]).await;
    assert_eq!((st, body), (200, b"fresh".to_vec()));
}
both!(encrypted_at_rest_and_shredded);

async fn upload_retry_is_idempotent(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let send = |key: &'static str, body: Vec<u8>| {
        let rb = s
            .http()
            .post(s.url("/api/v1/files?name=a.txt"))
            .bearer_auth(&t.admin_token)
            .header("content-type", "text/plain")
            .header("idempotency-key", key)
            .body(body);
        Server::finish(rb)
    };
    let first = send("upload-1", b"hello".to_vec()).await;
    let id = first.ok(201)["id"].as_str().unwrap().to_string();
    let again = send("upload-1", b"hello".to_vec()).await;
    assert_eq!(again.ok(200)["id"], id.as_str());
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    // Concurrent retries of a new key store one file.
    let (a, b2, c) = tokio::join!(
        send("upload-2", sample(300_000)),
        send("upload-2", sample(300_000)),
        send("upload-2", sample(300_000))
    );
    let ids: std::collections::HashSet<String> = [a, b2, c]
        .iter()
        .map(|r| {
            assert!(r.status == 201 || r.status == 200, "{}", r.text);
            r.body["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    let mine = s.get("/api/v1/files", &t.admin_token).await;
    assert_eq!(mine.ok(200)["items"].as_array().unwrap().len(), 2);
    let bad = send("bad key with spaces", b"x".to_vec()).await;
    assert_eq!(bad.problem(400), "bad_request");
    s.eventually("discarded duplicate blobs to be removed", || async {
        s.blob_files().0.len() == 2
    })
    .await;
}
both!(upload_retry_is_idempotent);

async fn limits_and_bad_input(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, staff) = s.staff(&t, "Sam").await;
    assert_eq!(
        s.upload(&staff, "e.txt", Vec::new()).await.problem(400),
        "empty_file"
    );

    let out = s.cli(
        &[
            "tenant",
            "storage",
            "acme",
            "--max-upload-bytes",
            "1000",
            "--quota-bytes",
            "2500",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        s.upload(&staff, "big.bin", sample(1001)).await.problem(413),
        "payload_too_large"
    );
    // Chunked (no Content-Length): refused while streaming, nothing stored.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..20).map(|_| Ok(sample(100))).collect();
    let rb = s
        .http()
        .post(s.url("/api/v1/files?name=c.bin"))
        .bearer_auth(&staff)
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )));
    // The server answers 413 and closes; a client still writing may see the reset first.
    if let Ok(r) = rb.send().await {
        assert_eq!(r.status().as_u16(), 413);
    }
    assert!(
        s.get("/api/v1/files", &staff).await.ok(200)["items"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing stored"
    );
    s.upload(&staff, "1.bin", sample(1000)).await.ok(201);
    s.upload(&staff, "2.bin", sample(1000)).await.ok(201);
    assert_eq!(
        s.upload(&staff, "3.bin", sample(1000)).await.problem(413),
        "quota_exceeded"
    );
    let out = s.cli(
        &["tenant", "storage", "acme", "--quota-bytes", "default"],
        None,
    );
    assert!(out.status.success());
    s.upload(&staff, "3.bin", sample(1000)).await.ok(201);
    let out = s.cli(
        &["tenant", "storage", "acme", "--quota-bytes", "lots"],
        None,
    );
    assert!(!out.status.success());

    // Multipart: a file part works; a form without one is a 422.
    let boundary = "XyZ123";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"héllo.md\"\r\nContent-Type: text/plain\r\n\r\n# Hi\r\n--{boundary}--\r\n"
    );
    let r = s
        .raw(
            "POST",
            "/api/v1/files",
            Some(&staff),
            &format!("multipart/form-data; boundary={boundary}"),
            form.into_bytes(),
        )
        .await;
    let f = r.ok(201);
    assert_eq!(f["name"], "héllo.md");
    assert_eq!(f["content_type"], "text/markdown");
    let form = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nx\r\n--{boundary}--\r\n");
    let r = s
        .raw(
            "POST",
            "/api/v1/files",
            Some(&staff),
            &format!("multipart/form-data; boundary={boundary}"),
            form.into_bytes(),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = s
        .raw(
            "POST",
            "/api/v1/files",
            Some(&staff),
            "multipart/form-data",
            b"junk".to_vec(),
        )
        .await;
    assert_eq!(r.problem(400), "bad_request");

    // A staff member without `files.upload` (a custom role lacking it) gets 403.
    let role = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            serde_json::json!({ "name": "Readers", "permissions": ["directory.read"] }),
        )
        .await;
    let role_id = role.ok(201)["id"].as_str().unwrap().to_string();
    let (_, reader) = s.member(&t, "Rita", serde_json::json!([role_id])).await;
    assert_eq!(
        s.upload(&reader, "x.txt", b"x".to_vec()).await.problem(403),
        "forbidden"
    );
    let _: Value = Value::Null;
}
both!(limits_and_bad_input);

/// Begin a raw upload declaring `declared` bytes, send `mib` MiB of it on its own thread and hold
/// the connection open (a client mid-upload); the receiver fires once those bytes are sent.
fn partial_upload(
    s: &Server,
    token: &str,
    declared: u64,
    mib: usize,
) -> std::sync::mpsc::Receiver<()> {
    let addr = s.base.trim_start_matches("http://").to_string();
    let token = token.to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::Write;
        let mut sock = std::net::TcpStream::connect(&addr).unwrap();
        let head = format!(
            "POST /api/v1/files?name=partial.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\nContent-Length: {declared}\r\n\r\n"
        );
        sock.write_all(head.as_bytes()).unwrap();
        let chunk = vec![7u8; 1 << 20];
        for _ in 0..mib {
            if sock.write_all(&chunk).is_err() {
                return;
            }
        }
        let _ = tx.send(());
        std::thread::sleep(std::time::Duration::from_secs(30));
    });
    rx
}

async fn crash_mid_upload_leaves_no_partial_object(b: Backend) {
    let Some(mut s) = Server::start_with(b, &[("STOA_STORAGE__SWEEP_INTERVAL_SECS", "0")]).await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let kept = s
        .upload(&t.admin_token, "kept.txt", b"keep me".to_vec())
        .await;
    let kept_id = kept.ok(201)["id"].as_str().unwrap().to_string();

    // Start a 50 MB upload, send part of it, and kill the server while it is streaming.
    let _sending = partial_upload(&s, &t.admin_token, 50_000_000, 5);
    s.eventually("the upload to be in progress", || async {
        s.blob_files().1.iter().any(|p| {
            std::fs::metadata(p)
                .map(|m| m.len() > 1 << 20)
                .unwrap_or(false)
        })
    })
    .await;
    s.kill_hard();
    let (objects, tmp) = s.blob_files();
    assert_eq!(objects.len(), 1, "only the completed upload is an object");
    assert!(!tmp.is_empty());

    // A blob whose row never committed (crash between blob and row).
    let orphan_dir = objects[0].parent().unwrap().to_path_buf();
    std::fs::write(orphan_dir.join("0000orphan"), b"x").unwrap();

    s.spawn().await;
    let out = s.cli(&["blobs", "sweep", "--dry-run", "--grace-secs", "0"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["removed"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(s.blob_files().0.len(), 2, "a dry run removes nothing");
    let out = s.cli(&["blobs", "sweep", "--grace-secs", "0"], None);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["referenced"], 1, "{report}");
    assert!(
        report["incomplete_removed"].as_u64().unwrap() >= 1,
        "{report}"
    );
    let (objects, tmp) = s.blob_files();
    assert_eq!(objects.len(), 1);
    assert!(tmp.is_empty());
    // With the default grace period a young orphan is kept (as is the young referenced file).
    std::fs::write(orphan_dir.join("0000young"), b"x").unwrap();
    let out = s.cli(&["blobs", "sweep"], None);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["young"], 2, "{report}");
    assert!(report["removed"].as_array().unwrap().is_empty(), "{report}");
    assert_eq!(s.blob_files().0.len(), 2);
    let (st, _, body) = s.download(&t.admin_token, &kept_id, &[]).await;
    assert_eq!((st, body), (200, b"keep me".to_vec()));
}
both!(crash_mid_upload_leaves_no_partial_object);

async fn s3_crash_mid_upload_leaves_no_partial_object(b: Backend) {
    let Some(mut s) = Server::start_s3(b, &[("STOA_STORAGE__SWEEP_INTERVAL_SECS", "0")]).await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let kept = s
        .upload(&t.admin_token, "kept.txt", b"keep me".to_vec())
        .await;
    let kept_id = kept.ok(201)["id"].as_str().unwrap().to_string();
    // More than one 8 MiB part, so a multipart upload is under way when the server dies.
    let rx = partial_upload(&s, &t.admin_token, 100_000_000, 30);
    rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    s.kill_hard();
    s.spawn().await;
    let out = s.cli(&["blobs", "sweep", "--grace-secs", "0"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Only the completed upload is an object; the cut-off one was never visible.
    assert_eq!(report["scanned"], 1, "{report}");
    assert_eq!(report["referenced"], 1, "{report}");
    assert!(
        report["incomplete_removed"].as_u64().unwrap() >= 1,
        "{report}"
    );
    let out = s.cli(&["blobs", "sweep", "--grace-secs", "0"], None);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["incomplete_removed"], 0, "{report}");
    let (st, _, body) = s.download(&t.admin_token, &kept_id, &[]).await;
    assert_eq!((st, body), (200, b"keep me".to_vec()));
}
both!(s3_crash_mid_upload_leaves_no_partial_object);
