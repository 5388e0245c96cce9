//! Operations: health, readiness, metrics, the spec, request limits, configuration errors,
//! graceful shutdown.

use crate::both;
use crate::common::{raw_http, stoa_bin, Backend, Server, METRICS_TOKEN};
use serde_json::json;

fn committed_spec() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/stoa.yaml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn committed_spec_matches_the_code() {
    let out = std::process::Command::new(stoa_bin())
        .arg("openapi")
        .output()
        .expect("stoa openapi");
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    assert!(
        generated == committed_spec(),
        "openapi/stoa.yaml is out of date: run `make openapi` and commit the result"
    );
}

#[test]
fn config_example_is_valid_and_unknown_keys_fail() {
    let out = std::process::Command::new(stoa_bin())
        .args(["config", "example"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let dir = std::env::temp_dir().join(format!("stoa-cfg-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, &out.stdout).unwrap();
    let show = std::process::Command::new(stoa_bin())
        .args(["--config", good.to_str().unwrap(), "config", "show"])
        .env("STOA_OPERATOR__TOKEN", "sekrit-value")
        .output()
        .unwrap();
    assert!(
        show.status.success(),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&show.stdout).contains("sekrit-value"),
        "secrets must be redacted"
    );
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "listen = \"127.0.0.1:0\"\nlisten_port = 8\n").unwrap();
    let out = std::process::Command::new(stoa_bin())
        .args(["--config", bad.to_str().unwrap(), "serve"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("listen_port"));
    let _ = std::fs::remove_dir_all(&dir);
}

async fn health_ready_metrics_docs(b: Backend) {
    let Some(s) = Server::start_with(b, &[("STOA_METRICS_TOKEN", METRICS_TOKEN)]).await else {
        return;
    };
    let t = s.tenant("acme").await;
    assert_eq!(s.req("GET", "/healthz", None, None).await.text, "ok");
    let ready = s.req("GET", "/readyz", None, None).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["status"], "ready", "{}", ready.text);
    assert_eq!(ready.body["database"], "ok");
    assert_eq!(ready.body["search"]["backend"], "embedded");
    assert_eq!(ready.body["search"]["state"], "up");
    assert_eq!(
        ready.body["search"]["backlog"].as_i64().map(|n| n >= 0),
        Some(true)
    );
    let spec = s.req("GET", "/api/v1/openapi.yaml", None, None).await;
    assert_eq!(spec.text, committed_spec());
    let docs = s.req("GET", "/docs", None, None).await;
    assert_eq!(docs.status, 200);
    assert!(docs.text.to_lowercase().contains("swagger"));
    s.get("/api/v1/users", &t.admin_token).await.ok(200);
    s.req("GET", "/api/v1/users", None, None).await.problem(401);
    let m = s.metrics(METRICS_TOKEN).await;
    assert!(
        m.contains(
            "stoa_http_requests_total{method=\"GET\",route=\"users_list\",status=\"200\"} 1"
        ),
        "{m}"
    );
    assert!(m.contains(
        "stoa_http_requests_total{method=\"GET\",route=\"users_list\",status=\"401\"} 1"
    ));
    assert!(m.contains("stoa_http_request_duration_seconds_bucket"));
    assert!(m.contains("stoa_db_pool_connections"));
    assert!(m.contains("stoa_outbox_lag_milliseconds"));
    assert!(m.contains("stoa_search_backend_up 1"), "{m}");
    assert!(m.contains("stoa_search_backlog"), "{m}");
    let me = s.get("/api/v1/me", &t.admin_token).await;
    assert_eq!(me.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(
        me.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    // Request ids: echoed when sane, generated otherwise.
    let rb = s
        .http()
        .get(s.url("/api/v1/me"))
        .header("x-request-id", "trace-123");
    let r = Server::finish(rb).await;
    assert_eq!(r.header("x-request-id").as_deref(), Some("trace-123"));
    assert_eq!(r.body["request_id"], "trace-123");
}
both!(health_ready_metrics_docs);

async fn bad_input_is_a_clear_4xx(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let tok = t.admin_token.as_str();
    // Malformed JSON, wrong types, missing fields, unknown fields.
    assert_eq!(
        s.raw(
            "POST",
            "/api/v1/users",
            Some(tok),
            "application/json",
            b"{not json".to_vec()
        )
        .await
        .problem(400),
        "bad_request"
    );
    s.post(
        "/api/v1/users",
        tok,
        json!({ "display_name": ["not", "text"] }),
    )
    .await
    .problem(400);
    s.post("/api/v1/users", tok, json!({})).await.problem(400);
    s.post(
        "/api/v1/roles",
        tok,
        json!({ "name": "x", "permissions": [], "colour": "red" }),
    )
    .await
    .problem(400);
    // Wrong content type.
    assert_eq!(
        s.raw(
            "POST",
            "/api/v1/users",
            Some(tok),
            "text/plain",
            b"hi".to_vec()
        )
        .await
        .problem(415),
        "unsupported_media_type"
    );
    // Oversized bodies: refused on the declared length before any byte is read…
    let head = format!(
        "POST /api/v1/users HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {tok}\r\ncontent-type: application/json\r\ncontent-length: 2097152\r\nconnection: close\r\n\r\n"
    );
    let (status, body) = raw_http(&s.base, head, Vec::new()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("payload_too_large"), "{body}");
    // …and cut off while streaming when the body is chunked.
    let head = format!(
        "POST /api/v1/users HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {tok}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    );
    let mut chunked = Vec::new();
    let piece = vec![b' '; 64 * 1024];
    for _ in 0..16 {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(&piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"1\r\n \r\n");
    let (status, body) = raw_http(&s.base, head, chunked).await;
    assert!(
        (400..500).contains(&status),
        "chunked oversize gave {status}: {body}"
    );
    // Overlong text, control characters, garbage ids.
    s.post(
        "/api/v1/users",
        tok,
        json!({ "display_name": "x".repeat(201), "email": "a@b.test" }),
    )
    .await
    .problem(400);
    let r = s
        .post(
            "/api/v1/users",
            tok,
            json!({ "display_name": "bell\u{7}", "email": "a@b.test" }),
        )
        .await;
    assert_eq!(r.body["field"], "display_name");
    s.get("/api/v1/users/not-an-id", tok).await.problem(404);
    s.get("/api/v1/users/'%20or%201=1--", tok)
        .await
        .problem(404);
    // Unknown routes and methods.
    s.get("/api/v1/nothing-here", tok).await.problem(404);
    s.req("PUT", "/api/v1/me/sessions", Some(tok), None)
        .await
        .problem(405);
    // A login with absurd input is just a failed login.
    let r = s
        .req(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({ "tenant": "a".repeat(5000), "login": "b", "password": "c" })),
        )
        .await;
    r.problem(401);
}
both!(bad_input_is_a_clear_4xx);

async fn graceful_shutdown_and_restart_keep_data(b: Backend) {
    let Some(mut s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let status = s.stop().expect("exit status");
    assert!(
        status.success(),
        "SIGTERM should exit cleanly, got {status:?}"
    );
    s.spawn().await;
    // Sessions, tenants and policies survive a restart.
    let me = s.get("/api/v1/me", &t.admin_token).await;
    assert!(me.ok(200)["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "audit.read"));
    let out = s.cli(&["migrate"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
both!(graceful_shutdown_and_restart_keep_data);

async fn retried_writes_never_duplicate(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let other = s.tenant("other").await;
    let post_to =
        |path: &'static str, token: String, key: &'static str, body: serde_json::Value| {
            let rb = s
                .http()
                .post(s.url(path))
                .bearer_auth(token)
                .header("idempotency-key", key)
                .json(&body);
            Server::finish(rb)
        };
    let post = |token: String, key: &'static str, body: serde_json::Value| {
        post_to("/api/v1/users", token, key, body)
    };
    // A retried write gets the first answer.
    let role = json!({ "name": "Auditors", "permissions": ["audit.read"] });
    let first = post_to(
        "/api/v1/roles",
        t.admin_token.clone(),
        "role-1",
        role.clone(),
    )
    .await;
    let role_id = first.ok(201)["id"].as_str().unwrap().to_string();
    let again = post_to("/api/v1/roles", t.admin_token.clone(), "role-1", role).await;
    assert_eq!(
        again.ok(201)["id"],
        role_id.as_str(),
        "the first answer is replayed"
    );
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    // An answer with a secret in it (the invitation link) is never kept: a retry runs again,
    // where the service refuses the duplicate.
    let body = json!({ "display_name": "Dup Licate", "email": "dup@acme.test" });
    let first = post(t.admin_token.clone(), "key-1", body.clone()).await;
    let id = first.ok(201)["user"]["id"].as_str().unwrap().to_string();
    let again = post(t.admin_token.clone(), "key-1", body.clone()).await;
    assert_eq!(again.problem(409), "email_taken");
    assert!(again.header("idempotent-replayed").is_none());
    let list = s.get("/api/v1/users?q=dup%40acme", &t.admin_token).await;
    assert_eq!(list.ok(200)["items"].as_array().unwrap().len(), 1);
    let audit = s
        .get(
            &format!("/api/v1/audit?target_id={id}&action=user.created"),
            &t.admin_token,
        )
        .await;
    assert_eq!(
        audit.ok(200)["items"].as_array().unwrap().len(),
        1,
        "one change, one audit entry"
    );
    // The same key with a different request is refused.
    let other_body = post(
        t.admin_token.clone(),
        "key-1",
        json!({ "display_name": "Else", "email": "else@acme.test" }),
    )
    .await;
    assert_eq!(other_body.problem(422), "idempotency_key_reused");
    // Keys belong to the credential: another caller's key-1 is its own.
    let theirs = post(
        other.admin_token.clone(),
        "key-1",
        json!({ "display_name": "Dup Licate", "email": "dup@other.test" }),
    )
    .await;
    assert!(theirs.ok(201)["user"]["id"] != id.as_str());
    assert!(theirs.header("idempotent-replayed").is_none());
    // Refusals are replayed too, so a retry learns the same answer.
    let bad = json!({ "display_name": "No Identifier" });
    assert_eq!(
        post(t.admin_token.clone(), "key-2", bad.clone())
            .await
            .problem(422),
        "validation_failed"
    );
    let r = post(t.admin_token.clone(), "key-2", bad).await;
    r.problem(422);
    assert_eq!(r.header("idempotent-replayed").as_deref(), Some("true"));
    // Malformed keys are a 400.
    let long: &'static str = Box::leak("k".repeat(300).into_boxed_str());
    assert_eq!(
        post(t.admin_token.clone(), long, body.clone())
            .await
            .problem(400),
        "bad_request"
    );
    // Concurrent retries of one request create one user.
    let body = json!({ "display_name": "Racer", "email": "racer@acme.test" });
    let attempts: Vec<_> = (0..6)
        .map(|_| post(t.admin_token.clone(), "key-race", body.clone()))
        .collect();
    let results = futures_util::future::join_all(attempts).await;
    for r in &results {
        assert!(
            r.status == 201 || r.status == 409,
            "{} {}",
            r.status,
            r.text
        );
    }
    assert!(results.iter().any(|r| r.status == 201));
    let list = s.get("/api/v1/users?q=racer", &t.admin_token).await;
    assert_eq!(list.ok(200)["items"].as_array().unwrap().len(), 1);
}
both!(retried_writes_never_duplicate);

async fn json_logs_carry_ids_not_secrets(b: Backend) {
    let Some(s) = Server::start_with(b, &[("STOA_LOG_FORMAT", "json")]).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, staff_token) = s.staff(&t, "Bob").await;
    s.get("/api/v1/me", &staff_token).await.ok(200);
    s.login("acme", "bob@acme.test", "a wrong password")
        .await
        .problem(401);
    let rb = s
        .http()
        .get(s.url("/api/v1/users"))
        .bearer_auth(&t.admin_token)
        .header("x-request-id", "find-me-42");
    Server::finish(rb).await.ok(200);
    let mut lines = Vec::new();
    let mut found = false;
    let start = std::time::Instant::now();
    while crate::common::patient(start) {
        while let Ok(l) = s.stderr_lines.try_recv() {
            found |= l.contains("find-me-42");
            lines.push(l);
        }
        if found {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(found, "the request line was logged");
    for l in &lines {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        assert!(v["level"].is_string(), "{l}");
        for secret in [
            t.admin_token.as_str(),
            staff_token.as_str(),
            crate::common::PASSWORD,
            "a wrong password",
            s.operator_token.as_str(),
        ] {
            assert!(!l.contains(secret), "a secret reached the log: {l}");
        }
        assert!(
            !l.contains("bob@acme.test"),
            "personal data reached the log: {l}"
        );
    }
    let request = lines.iter().find(|l| l.contains("find-me-42")).unwrap();
    let v: serde_json::Value = serde_json::from_str(request).unwrap();
    let text = v.to_string();
    assert!(
        text.contains("users_list") && text.contains(&t.id),
        "route and tenant id on the request line: {text}"
    );
}
both!(json_logs_carry_ids_not_secrets);

#[test]
fn migration_folders_stay_equivalent() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let names = |d: &str| {
        let mut v: Vec<String> = std::fs::read_dir(root.join(d))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    };
    let (sqlite, postgres) = (names("sqlite"), names("postgres"));
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "every migration lands in both folders with the same name"
    );
}

async fn metrics_on_their_own_listener(b: Backend) {
    let Some(s) = Server::start_with(b, &[("STOA_METRICS_LISTEN", "127.0.0.1:0")]).await else {
        return;
    };
    let mut addr = None;
    let start = std::time::Instant::now();
    while addr.is_none() && crate::common::patient(start) {
        if let Ok(line) = s
            .stderr_lines
            .recv_timeout(std::time::Duration::from_millis(50))
        {
            if line.contains("metrics listening") {
                addr = line
                    .split("addr=")
                    .nth(1)
                    .map(|a| a.split_whitespace().next().unwrap_or("").to_string());
                break;
            }
        }
    }
    let addr = addr.expect("the metrics address is logged");
    // Not on the public listener any more…
    s.req("GET", "/metrics", None, None).await.problem(404);
    // …but on its own.
    let text = s
        .http()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("stoa_db_pool_connections"), "{text}");
}
both!(metrics_on_their_own_listener);

/// The series of one scrape: metric names with their labels, without values.
fn series(scrape: &str) -> std::collections::BTreeSet<String> {
    scrape
        .lines()
        .filter(|l| l.starts_with("stoa_http_"))
        .filter_map(|l| l.rsplit_once(' ').map(|(k, _)| k.to_string()))
        .collect()
}

/// Issue 10: invented methods created new series without end (3,000 requests → 48,000 series),
/// and `/metrics` was open on the API port. Labels now come from a fixed set, and the API port
/// serves metrics only with a token.
async fn metrics_are_bounded_and_not_public(b: Backend) {
    // By default the API listener has no /metrics at all.
    let Some(plain) = Server::start(b).await else {
        return;
    };
    plain.req("GET", "/metrics", None, None).await.problem(404);
    drop(plain);

    let Some(s) = Server::start_with(b, &[("STOA_METRICS_TOKEN", METRICS_TOKEN)]).await else {
        return;
    };
    // With a token configured: refused without it or with a wrong one…
    s.req("GET", "/metrics", None, None).await.problem(401);
    s.req(
        "GET",
        "/metrics",
        Some("stoa-test-metrics-scrape-tokeX"),
        None,
    )
    .await
    .problem(401);
    let invent = |i: usize| {
        let m = reqwest::Method::from_bytes(format!("FROB{i}").as_bytes()).unwrap();
        let rb = s.http().request(m, s.url(&format!("/api/v1/users/{i}")));
        Server::finish(rb)
    };
    invent(0).await;
    s.metrics(METRICS_TOKEN).await;
    let before = series(&s.metrics(METRICS_TOKEN).await);
    // …and a flood of invented methods on invented paths adds no series.
    for i in 1..=60 {
        let r = invent(i).await;
        assert!((400..500).contains(&r.status), "{}", r.text);
    }
    let after_scrape = s.metrics(METRICS_TOKEN).await;
    let after = series(&after_scrape);
    assert_eq!(before, after, "new series appeared");
    assert!(!after_scrape.contains("FROB"), "{after_scrape}");
    assert!(
        after_scrape.contains("method=\"other\",route=\"unmatched\""),
        "{after_scrape}"
    );
}
both!(metrics_are_bounded_and_not_public);

/// `GET /health`: a tenant's admins see their own undelivered background work (backlog, lag,
/// dead letters per topic) and the search backend's state; never another tenant's.
async fn tenant_health_counts_own_work(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let acme = s.tenant("acme").await;
    let other = s.tenant("other").await;
    let far = 4_102_444_800_000i64; // 2100: never due, so the relay leaves it waiting
    let old = 1_000_000_000_000i64; // 2001
    for (tenant, available, dead) in [
        (&acme.id, far, "null"),
        (&acme.id, old, "1000000000001"),
        (&other.id, far, "null"),
        (&other.id, far, "null"),
    ] {
        s.sql(&format!(
            "insert into outbox (tenant_id, topic, payload, created_at, available_at, attempts, dead_at)
             values ('{tenant}', 'test.health', '{{}}', {old}, {available}, 0, {dead})"
        ))
        .await;
    }
    let h = s.get("/api/v1/health", &acme.admin_token).await;
    let body = h.ok(200);
    assert_eq!(body["search"]["state"], "up", "{body}");
    let topic = body["outbox"]["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == "test.health")
        .cloned()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(
        (topic["pending"].as_i64(), topic["dead"].as_i64()),
        (Some(1), Some(1)),
        "{body}"
    );
    assert!(body["outbox"]["dead"].as_i64() >= Some(1), "{body}");
    // Written in 2001 and still waiting: a lag of decades, in seconds.
    assert!(
        body["outbox"]["lag_seconds"].as_i64() > Some(20 * 365 * 86_400),
        "{body}"
    );
    let theirs = s.get("/api/v1/health", &other.admin_token).await;
    let t = theirs.ok(200)["outbox"]["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == "test.health")
        .cloned()
        .unwrap();
    assert_eq!(
        (t["pending"].as_i64(), t["dead"].as_i64()),
        (Some(2), Some(0))
    );
    let (_, staff) = s.staff(&acme, "Sam").await;
    s.get("/api/v1/health", &staff).await.problem(403);
}
both!(tenant_health_counts_own_work);
