//! Search: languages, access filtering, extraction, deletion, reindexing, a search backend that
//! is down. The same behaviour runs on the embedded index always and on Meilisearch when
//! `STOA_TEST_MEILI_URL` points at one.

use crate::both;
use crate::common::{Backend, Server};
use serde_json::Value;
use std::io::Write;

/// Extra settings for the search backend under test.
fn meili_env() -> Option<Vec<(String, String)>> {
    let url = std::env::var("STOA_TEST_MEILI_URL").ok()?;
    let index = format!("stoa_test_{}", uuid::Uuid::new_v4().simple());
    let mut env = vec![
        (
            "STOA_SEARCH__BACKEND".to_string(),
            "meilisearch".to_string(),
        ),
        ("STOA_SEARCH__MEILI_URL".to_string(), url),
        ("STOA_SEARCH__MEILI_INDEX".to_string(), index),
    ];
    if let Ok(key) = std::env::var("STOA_TEST_MEILI_KEY") {
        env.push(("STOA_SEARCH__MEILI_API_KEY".to_string(), key));
    }
    Some(env)
}

async fn start(b: Backend, meili: bool) -> Option<Server> {
    if meili {
        let Some(env) = meili_env() else {
            eprintln!("SKIPPED: Meilisearch variant (STOA_TEST_MEILI_URL unset); the embedded index ran the same checks");
            return None;
        };
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Server::start_with(b, &env).await
    } else {
        Server::start(b).await
    }
}

async fn hits(s: &Server, token: &str, q: &str) -> Vec<Value> {
    let r = s.search(token, q).await;
    r.ok(200)["items"].as_array().unwrap().clone()
}

async fn wait_hits(s: &Server, token: &str, q: &str, n: usize) -> Vec<Value> {
    let mut last = Vec::new();
    let start = std::time::Instant::now();
    while crate::common::patient(start) {
        last = hits(s, token, q).await;
        if last.len() == n {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("search {q:?}: expected {n} hits, got {last:?}");
}

fn docx(text: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("[Content_Types].xml", opts).unwrap();
    w.write_all(br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
    w.start_file("word/document.xml", opts).unwrap();
    write!(w, r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"#).unwrap();
    w.finish().unwrap().into_inner()
}

fn zip_bomb() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("[Content_Types].xml", opts).unwrap();
    w.write_all(b"<Types/>").unwrap();
    w.start_file("word/document.xml", opts).unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..16 {
        w.write_all(&zeros).unwrap();
    }
    w.finish().unwrap().into_inner()
}

async fn languages_access_and_deletion(b: Backend, meili: bool) {
    let Some(s) = start(b, meili).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let other = s.tenant("globex").await;
    let (alice_id, alice) = s.staff(&t, "Alice").await;
    let (_, bob) = s.staff(&t, "Bob").await;

    let vi = s
        .upload(
            &alice,
            "bao-cao.txt",
            "Báo cáo doanh thu chi nhánh Hà Nội quý ba"
                .as_bytes()
                .to_vec(),
        )
        .await;
    let vi_id = vi.ok(201)["id"].as_str().unwrap().to_string();
    s.upload(
        &alice,
        "meeting.txt",
        "我们明天在北京大学开会讨论预算".as_bytes().to_vec(),
    )
    .await
    .ok(201);
    s.upload(
        &alice,
        "tokyo.md",
        b"# Plans\nQuarterly budget review <for> Tokyo & Osaka".to_vec(),
    )
    .await
    .ok(201);
    let roadmap = s
        .upload(
            &alice,
            "Roadmap 2027.docx",
            docx("Kế hoạch mở rộng sang Đà Nẵng"),
        )
        .await;
    let roadmap_id = roadmap.ok(201)["id"].as_str().unwrap().to_string();
    // The same words in other people's and other tenants' files must never show up.
    s.upload(&bob, "bob.txt", b"budget Ha Noi".to_vec())
        .await
        .ok(201);
    s.upload(&other.admin_token, "g.txt", b"budget Ha Noi".to_vec())
        .await
        .ok(201);

    // Vietnamese without diacritics finds text with them, and the other way round.
    let h = wait_hits(&s, &alice, "Ha Noi", 1).await;
    assert_eq!(h[0]["id"], vi_id.as_str());
    assert_eq!(h[0]["kind"], "file");
    assert!(
        h[0]["snippet"].as_str().unwrap().contains("<mark>"),
        "{h:?}"
    );
    assert_eq!(
        wait_hits(&s, &alice, "hà nội", 1).await[0]["id"],
        vi_id.as_str()
    );
    // Decomposed (NFD) input matches too.
    assert_eq!(
        wait_hits(&s, &alice, "Ha\u{0300} No\u{0323}\u{0302}i", 1)
            .await
            .len(),
        1
    );
    // Chinese: a two-character query inside running text.
    let h = wait_hits(&s, &alice, "北京", 1).await;
    assert_eq!(h[0]["title"], "meeting.txt");
    assert!(
        h[0]["snippet"].as_str().unwrap().contains("<mark>"),
        "{h:?}"
    );
    assert_eq!(wait_hits(&s, &alice, "预算", 1).await.len(), 1);
    // English; the snippet is escaped HTML.
    let h = wait_hits(&s, &alice, "budget", 1).await;
    let snip = h[0]["snippet"].as_str().unwrap();
    assert!(
        snip.contains("<mark>budget</mark>") && snip.contains("&lt;for&gt;"),
        "{snip}"
    );
    // Text inside an Office document, by its name and by its content.
    assert_eq!(
        wait_hits(&s, &alice, "Da Nang", 1).await[0]["title"],
        "Roadmap 2027.docx"
    );
    let info = s
        .get(&format!("/api/v1/files/{roadmap_id}/info"), &alice)
        .await;
    assert_eq!(info.ok(200)["extract_status"], "done", "{}", info.text);
    // Named from its parts once the whole file was read.
    assert_eq!(
        info.body["content_type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert_eq!(wait_hits(&s, &alice, "roadmap", 1).await.len(), 1);

    // Access: Bob and the other tenant only ever see their own.
    assert_eq!(
        wait_hits(&s, &bob, "budget", 1).await[0]["title"],
        "bob.txt"
    );
    assert_eq!(
        wait_hits(&s, &other.admin_token, "budget", 1).await[0]["title"],
        "g.txt"
    );
    assert!(hits(&s, &bob, "北京").await.is_empty());
    assert!(hits(&s, &t.admin_token, "budget").await.is_empty());

    // Filters and paging.
    let r = s
        .http()
        .get(s.url("/api/v1/search"))
        .query(&[
            ("q", "budget"),
            ("kind", "file"),
            ("owner", &alice_id),
            ("limit", "1"),
        ])
        .bearer_auth(&alice);
    let page = Server::finish(r).await;
    assert_eq!(page.ok(200)["items"].as_array().unwrap().len(), 1);
    let r = s
        .http()
        .get(s.url("/api/v1/search"))
        .query(&[("q", "budget"), ("from", "2999-01-01T00:00:00Z")])
        .bearer_auth(&alice);
    assert!(Server::finish(r).await.ok(200)["items"]
        .as_array()
        .unwrap()
        .is_empty());

    // Bad input and no session.
    assert_eq!(
        s.search(&alice, "   ").await.problem(422),
        "validation_failed"
    );
    assert_eq!(
        s.search(&alice, &"x".repeat(201)).await.problem(422),
        "validation_failed"
    );
    let r = s
        .http()
        .get(s.url("/api/v1/search"))
        .query(&[("q", "a"), ("kind", "spaceship")])
        .bearer_auth(&alice);
    assert_eq!(Server::finish(r).await.problem(422), "validation_failed");
    let r = s
        .http()
        .get(s.url("/api/v1/search"))
        .query(&[("q", "a"), ("cursor", "!!")])
        .bearer_auth(&alice);
    assert_eq!(Server::finish(r).await.problem(422), "validation_failed");
    assert_eq!(
        s.req("GET", "/api/v1/search?q=x", None, None)
            .await
            .problem(401),
        "unauthenticated"
    );
    // Query syntax that a parser could choke on is just text.
    for q in ["\"unclosed", "a AND OR", "title:(", "*", "-", "[1 TO"] {
        s.search(&alice, q).await.ok(200);
    }

    // Deleting removes it from search.
    let r = s
        .req(
            "DELETE",
            &format!("/api/v1/files/{vi_id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    wait_hits(&s, &alice, "Ha Noi", 0).await;
}

async fn embedded_languages_access_and_deletion(b: Backend) {
    languages_access_and_deletion(b, false).await
}
both!(embedded_languages_access_and_deletion);

async fn meili_languages_access_and_deletion(b: Backend) {
    languages_access_and_deletion(b, true).await
}
both!(meili_languages_access_and_deletion);

async fn extraction_failures_are_recorded(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let tok = &t.admin_token;
    let bomb = s.upload(tok, "bomb.docx", zip_bomb()).await;
    let bomb_id = bomb.ok(201)["id"].as_str().unwrap().to_string();
    let fake = s
        .upload(
            tok,
            "fake.pdf",
            b"%PDF-1.7\nthis is not really a pdf".to_vec(),
        )
        .await;
    let fake_id = fake.ok(201)["id"].as_str().unwrap().to_string();
    assert_eq!(fake.body["content_type"], "application/pdf");
    let junk = s
        .upload(tok, "junk.pdf", vec![0u8, 1, 2, 3, 255, 254])
        .await;
    assert_eq!(junk.ok(201)["content_type"], "application/octet-stream");
    for id in [&bomb_id, &fake_id] {
        let mut status = String::new();
        let start = std::time::Instant::now();
        while crate::common::patient(start) {
            let r = s.get(&format!("/api/v1/files/{id}/info"), tok).await;
            status = r.ok(200)["extract_status"].as_str().unwrap().to_string();
            if status != "pending" {
                assert!(
                    r.body["extract_error"]
                        .as_str()
                        .is_some_and(|e| !e.is_empty()),
                    "{}",
                    r.text
                );
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(status, "failed", "{id}");
    }
    // Still findable by name, and the server is fine.
    assert_eq!(wait_hits(&s, tok, "bomb", 1).await.len(), 1);
    s.get("/healthz", tok).await.ok(200);
}
both!(extraction_failures_are_recorded);

async fn reindex_and_restart(b: Backend) {
    let Some(mut s) = Server::start_with(b, &[("STOA_OUTBOX__LEASE_MS", "1000")]).await else {
        return;
    };
    let t = s.tenant("acme").await;
    for i in 0..5 {
        s.upload(
            &t.admin_token,
            &format!("n{i}.txt"),
            format!("invoice number {i} for Hải Phòng").into_bytes(),
        )
        .await
        .ok(201);
    }
    // Crash right after the writes: the outbox drains after the restart.
    s.kill_hard();
    s.spawn().await;
    wait_hits(&s, &t.admin_token, "hai phong", 5).await;

    // Lose the index entirely, then rebuild it from the database: offline...
    s.stop();
    std::fs::remove_dir_all(s.dir.join("index")).unwrap();
    let out = s.cli(&["search", "reindex", "--tenant", "acme"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("5 documents"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    s.spawn().await;
    wait_hits(&s, &t.admin_token, "hai phong", 5).await;
    // ...and while the server holds the index.
    s.stop();
    std::fs::remove_dir_all(s.dir.join("index")).unwrap();
    s.spawn().await;
    assert!(hits(&s, &t.admin_token, "hai phong").await.is_empty());
    let out = s.cli(&["search", "reindex"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("queued"));
    wait_hits(&s, &t.admin_token, "hai phong", 5).await;
    let out = s.cli(&["search", "reindex", "--tenant", "nope"], None);
    assert!(!out.status.success());
}
both!(reindex_and_restart);

async fn writes_succeed_while_search_is_down(b: Backend) {
    // A Meilisearch that is not there: uploads still work and their indexing waits, never
    // dead-lettered; search answers 503 rather than hanging or failing the upload.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let Some(s) = Server::start_with(
        b,
        &[
            ("STOA_SEARCH__BACKEND", "meilisearch"),
            ("STOA_SEARCH__MEILI_URL", &url),
            ("STOA_OUTBOX__RETRY_BASE_MS", "10"),
            ("STOA_OUTBOX__MAX_ATTEMPTS", "2"),
            ("STOA_METRICS_TOKEN", "metrics-secret-for-tests"),
        ],
    )
    .await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    s.upload(&t.admin_token, "a.txt", b"hello".to_vec())
        .await
        .ok(201);
    assert_eq!(
        s.search(&t.admin_token, "hello").await.problem(503),
        "unavailable"
    );
    // The node stays ready (writes go on) and says the search backend is down, with its
    // backlog, in /readyz and in the metrics.
    let start = std::time::Instant::now();
    let ready = loop {
        let r = s.req("GET", "/readyz", None, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        if r.body["search"]["state"] == "unavailable" || !crate::common::patient(start) {
            break r.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["database"], "ok", "{ready}");
    assert_eq!(ready["search"]["backend"], "meilisearch", "{ready}");
    assert_eq!(ready["search"]["state"], "unavailable", "{ready}");
    assert!(ready["search"]["down_since"].is_string(), "{ready}");
    assert!(ready["search"]["backlog"].as_i64() >= Some(1), "{ready}");
    let start = std::time::Instant::now();
    let mut m = String::new();
    while crate::common::patient(start) {
        m = s.metrics("metrics-secret-for-tests").await;
        if m.contains("stoa_search_backend_up 0") && !m.contains("stoa_search_backlog 0") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(m.contains("stoa_search_backend_up 0"), "{m}");
    assert!(!m.contains("stoa_search_backlog 0"), "{m}");
    // Retries go on past outbox.max_attempts (every attempt fails: at a 10 ms base, a dozen
    // attempts in this window) and nothing is dead-lettered.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let out = s.cli(&["outbox", "status"], None);
    let status = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(status.contains("dead 0"), "{status}");
    assert!(!status.contains("pending 0"), "{status}");
}
both!(writes_succeed_while_search_is_down);

/// A loopback TCP relay to a real service that can be cut and restored, to stage an outage.
struct Relay {
    port: u16,
    target: String,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Relay {
    async fn start(target: &str) -> Relay {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut r = Relay {
            port,
            target: target.to_string(),
            task: None,
        };
        r.up().await;
        r
    }

    /// Listen again and relay every connection.
    async fn up(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .unwrap();
        let target = self.target.clone();
        self.task = Some(tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                conns.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        }));
    }

    /// Stop listening and drop every relayed connection (the JoinSet aborts them).
    async fn down(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
    }
}

async fn backlog_drains_when_meilisearch_returns(b: Backend) {
    // A real Meilisearch behind a relay that is cut for a while: index writes wait, /readyz
    // says so, and once the relay is back the backlog is searchable within seconds — the probe,
    // not the outbox's backoff (here 5 s doubling: the next retry would be ~10 s away).
    let Some(env) = meili_env() else {
        eprintln!("SKIPPED: STOA_TEST_MEILI_URL unset (an outage of a real Meilisearch)");
        return;
    };
    let url = env
        .iter()
        .find(|(k, _)| k == "STOA_SEARCH__MEILI_URL")
        .map(|(_, v)| v.clone())
        .unwrap();
    let target = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut relay = Relay::start(&target).await;
    let relayed = format!("http://127.0.0.1:{}", relay.port);
    let mut env: Vec<(&str, &str)> = env
        .iter()
        .filter(|(k, _)| k != "STOA_SEARCH__MEILI_URL")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.push(("STOA_SEARCH__MEILI_URL", &relayed));
    env.push(("STOA_OUTBOX__RETRY_BASE_MS", "5000"));
    let Some(s) = Server::start_with(b, &env).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    s.upload(&alice, "before.txt", b"relay before".to_vec())
        .await
        .ok(201);
    wait_hits(&s, &alice, "relay before", 1).await;

    relay.down().await;
    for i in 0..5 {
        s.upload(
            &alice,
            &format!("outage-{i}.txt"),
            b"outage backlog".to_vec(),
        )
        .await
        .ok(201);
    }
    let start = std::time::Instant::now();
    loop {
        let r = s.req("GET", "/readyz", None, None).await;
        if r.body["search"]["state"] == "unavailable" {
            assert!(
                r.body["search"]["backlog"].as_i64() >= Some(1),
                "{}",
                r.text
            );
            break;
        }
        assert!(
            crate::common::patient(start),
            "never unavailable: {}",
            r.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Two failed attempts each, so the backoff is well past the probe's interval.
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    relay.up().await;
    let back = std::time::Instant::now();
    wait_hits(&s, &alice, "outage backlog", 5).await;
    let took = back.elapsed();
    assert!(
        took < std::time::Duration::from_secs(8),
        "the backlog took {took:?} after Meilisearch returned"
    );
    let start = std::time::Instant::now();
    loop {
        let r = s.req("GET", "/readyz", None, None).await;
        if r.body["search"]["state"] == "up" && r.body["search"]["backlog"] == 0 {
            break;
        }
        assert!(crate::common::patient(start), "{}", r.text);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
both!(backlog_drains_when_meilisearch_returns);
