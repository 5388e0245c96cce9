//! Several nodes behind a real load balancer (Debian's nginx, started here on loopback), sharing
//! PostgreSQL and the S3 server: what one node writes the other serves, a policy change on one
//! holds on the other at the next request, a node killed mid-load loses no acknowledged write
//! and its clients reconnect through the balancer and catch up without a gap, and a node told to
//! stop (SIGTERM) drains: in-flight requests finish, sockets close with "going away" (1001).

use crate::common::{personal_space, room, send, upload_doc, Backend, Server, PATIENCE};
use crate::realtime::{connect, next_event, Socket};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// Debian's nginx (installed by `scripts/nginx.sh`, which CI runs); `None` outside CI when it
/// is missing, said loudly.
fn nginx_bin() -> Option<PathBuf> {
    let bin = PathBuf::from(std::env::var("STOA_NGINX").unwrap_or("/usr/sbin/nginx".into()));
    if bin.exists() {
        return Some(bin);
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI=true but nginx is missing: .ci/run installs it with scripts/nginx.sh"
    );
    eprintln!("!!! nginx missing (scripts/nginx.sh installs it): the multi-node tests are SKIPPED");
    None
}

/// An nginx process balancing over `upstreams` (round robin, passing a failed connection on to
/// the next node), with WebSocket upgrades, as in deploy/compose.
struct Nginx {
    child: Child,
    dir: PathBuf,
    base: String,
}

impl Nginx {
    async fn start(bin: &PathBuf, upstreams: &[&str]) -> Nginx {
        let dir =
            std::env::temp_dir().join(format!("stoa-nginx-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let servers: String = upstreams
            .iter()
            .map(|u| {
                format!(
                    "    server {} max_fails=1 fail_timeout=2s;\n",
                    u.trim_start_matches("http://")
                )
            })
            .collect();
        let d = dir.display();
        let conf = format!(
            r#"user root;
daemon off;
# One process: killing it leaves no worker behind.
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  client_max_body_size 64m;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}
  upstream stoa {{
{servers}    keepalive 16;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://stoa;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 3600s;
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 2;
    }}
  }}
}}
"#
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let child = Command::new(bin)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nginx");
        let n = Nginx {
            child,
            dir,
            base: format!("http://127.0.0.1:{port}"),
        };
        let start = Instant::now();
        loop {
            let up = reqwest::get(format!("{}/healthz", n.base)).await;
            if up.is_ok_and(|r| r.status() == 200) {
                break;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "nginx did not come up: {}",
                std::fs::read_to_string(n.dir.join("error.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        n
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A client's view of the balancer (a plain, `Send` value for spawned tasks).
#[derive(Clone)]
struct Lb {
    base: String,
    http: reqwest::Client,
}

impl Lb {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Send through the balancer the way a mobile client does: with an `Idempotency-Key`, retrying
/// the same key on a dropped connection, a 5xx or a 409 (still running) until a definite answer.
/// `Some(seq)` once acknowledged.
async fn send_retrying(p: &Lb, token: &str, room: &str, body: &str) -> Option<i64> {
    let key = uuid::Uuid::new_v4().to_string();
    let start = Instant::now();
    while start.elapsed() < PATIENCE {
        let r = p
            .http
            .post(p.url(&format!("/api/v1/rooms/{room}/messages")))
            .bearer_auth(token)
            .header("idempotency-key", &key)
            .json(&json!({ "body": body }))
            .timeout(Duration::from_secs(20))
            .send()
            .await;
        if let Ok(r) = r {
            let status = r.status().as_u16();
            if status == 201 {
                let v: Value = r.json().await.ok()?;
                return v["seq"].as_i64();
            }
            assert!(
                status >= 500 || status == 409,
                "a send answered {status}: {:?}",
                r.text().await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// A client of the room through the balancer: follows the socket, reconnects when it drops and
/// fills any gap (after a reconnect, or a jump in sequence) from `GET …/messages?after_seq=`.
/// Returns the sequence numbers it saw once `done` says the senders finished and it holds
/// `expect()` messages, or when its patience runs out.
async fn follow(
    p: Lb,
    token: String,
    room: String,
    done: Arc<AtomicUsize>,
    expected: Arc<AtomicUsize>,
) -> (BTreeSet<i64>, usize) {
    let mut seen = BTreeSet::new();
    let mut reconnects = 0;
    let start = Instant::now();
    let mut ws: Option<Socket> = None;
    let mut last = 0i64;
    while start.elapsed() < PATIENCE * 2 {
        if done.load(Ordering::SeqCst) == 1 && seen.len() >= expected.load(Ordering::SeqCst) {
            break;
        }
        let Some(sock) = ws.as_mut() else {
            match try_connect(&p, &token).await {
                Some(s) => {
                    ws = Some(s);
                    catch_up(&p, &token, &room, &mut last, &mut seen).await;
                }
                None => tokio::time::sleep(Duration::from_millis(200)).await,
            }
            continue;
        };
        match tokio::time::timeout(Duration::from_millis(500), sock.next()).await {
            Err(_) => {
                // Quiet: make sure nothing committed went unseen (a node may have died between
                // its commit and its fan-out).
                catch_up(&p, &token, &room, &mut last, &mut seen).await;
            }
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(&t).unwrap_or_default();
                if v["type"] == "event" && v["kind"] == "message.created" && v["room_id"] == room {
                    let seq = v["seq"].as_i64().unwrap_or(0);
                    if seq > last + 1 {
                        catch_up(&p, &token, &room, &mut last, &mut seen).await;
                    }
                    seen.insert(seq);
                    last = last.max(seq);
                }
            }
            Ok(Some(Ok(_))) => {}
            Ok(_) => {
                ws = None;
                reconnects += 1;
            }
        }
    }
    (seen, reconnects)
}

async fn try_connect(p: &Lb, token: &str) -> Option<Socket> {
    let t = p
        .http
        .post(p.url("/api/v1/events/ticket"))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .ok()?;
    let v: Value = t.json().await.ok()?;
    let ticket = v["ticket"].as_str()?;
    let url = format!(
        "{}/api/v1/events?ticket={ticket}",
        p.base.replacen("http://", "ws://", 1)
    );
    let (ws, _) = tokio_tungstenite::connect_async(url).await.ok()?;
    Some(ws)
}

async fn catch_up(p: &Lb, token: &str, room: &str, last: &mut i64, seen: &mut BTreeSet<i64>) {
    loop {
        let r = p
            .http
            .get(p.url(&format!(
                "/api/v1/rooms/{room}/messages?after_seq={last}&limit=200"
            )))
            .bearer_auth(token)
            .send()
            .await;
        let Ok(r) = r else { return };
        let Ok(v) = r.json::<Value>().await else {
            return;
        };
        let Some(items) = v["items"].as_array() else {
            return;
        };
        if items.is_empty() {
            return;
        }
        for m in items {
            let seq = m["seq"].as_i64().unwrap_or(0);
            seen.insert(seq);
            *last = (*last).max(seq);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_behind_nginx() {
    let Some(bin) = nginx_bin() else {
        return;
    };
    // The keys every node must share, set the way deploy/compose sets them.
    use base64::Engine;
    let key = || base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
    let (master, anchor) = (key(), key());
    let keys = [
        ("STOA_STORAGE__MASTER_KEY", master.as_str()),
        ("STOA_AUDIT__ANCHOR_KEY", anchor.as_str()),
        // Cached session lookups live long here, so only the invalidation a change sends to
        // every node (not the entries' expiry) can make the revocations below hold on B.
        ("STOA_SESSION__CACHE_SECS", "600"),
    ];
    let Some(mut a) = Server::start_s3(Backend::Postgres, &keys).await else {
        return;
    };
    // A node that would make its own keys (its data directory's key files) refuses to start,
    // instead of failing later on every file and audit anchor the other nodes wrote.
    let lone = std::env::temp_dir().join(format!("stoa-lone-{}", uuid::Uuid::new_v4().simple()));
    let lone_dir = lone.display().to_string();
    let out = a.cli_env(
        &["serve"],
        &[
            ("STOA_DATA_DIR", &lone_dir),
            ("STOA_STORAGE__MASTER_KEY", ""),
            ("STOA_AUDIT__ANCHOR_KEY", ""),
        ],
    );
    let _ = std::fs::remove_dir_all(&lone);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("give every node the same key"), "{err}");
    let b = a.sibling().await;
    let lb = Nginx::start(&bin, &[&a.base, &b.base]).await;
    let p = a.view(&lb.base);
    let client = Lb {
        base: lb.base.clone(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
    };
    let t = p.tenant("acme").await;
    let (_, alice) = p.staff(&t, "Alice").await;
    let (bob_id, bob) = p.staff(&t, "Bob").await;
    let group = room(
        &p,
        &alice,
        json!({ "kind": "group", "name": "G", "member_ids": [bob_id] }),
    )
    .await;

    // A message sent through node A reaches Bob's socket on node B.
    let (mut on_b, _) = connect(&b, &bob).await;
    let m = send(&a, &alice, &group, json!({ "body": "from node A" })).await;
    assert_eq!(
        next_event(&mut on_b, "message.created").await["seq"],
        m["seq"]
    );
    drop(on_b);

    // A document uploaded through A downloads through B, byte for byte.
    let space = personal_space(&a, &alice).await;
    let body = b"quarterly plan, shared storage".to_vec();
    let doc = upload_doc(&a, &alice, &space, "plan.txt", &body).await;
    let got = b
        .http()
        .get(b.url(&format!("/api/v1/documents/{doc}/content")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), body);

    // A permission granted and taken away through A holds on B as soon as A's notification
    // reaches it: B caches session lookups (with the tenant's policy version) and the change
    // drops them on every node. Measured over rounds; the delay is reported in the docs.
    let (carol, carol_token) = p.staff(&t, "Carol").await;
    b.get("/api/v1/users", &carol_token).await.problem(403);
    let role = a
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "Reader", "permissions": ["users.read"] }),
        )
        .await;
    let role_id = role.ok(201)["id"].as_str().unwrap().to_string();
    let staff_role = p.builtin_role_id(&t, "staff").await;
    let carol_roles = format!("/api/v1/users/{carol}/roles");
    let set_roles = |ids: Value| {
        a.req(
            "PUT",
            &carol_roles,
            Some(&t.admin_token),
            Some(json!({ "role_ids": ids })),
        )
    };
    let mut delays = Vec::new();
    for _ in 0..10 {
        // B has just answered Carol, so her lookup is in B's cache when A changes her roles.
        set_roles(json!([role_id])).await.ok(200);
        delays.push(until_status(&b, "/api/v1/users", &carol_token, 200).await);
        set_roles(json!([staff_role])).await.ok(200);
        delays.push(until_status(&b, "/api/v1/users", &carol_token, 403).await);
    }
    // A session signed out through A stops working on B the same way.
    for n in 0..5 {
        let (_, token) = p.staff(&t, &format!("Leaver {n}")).await;
        b.get("/api/v1/me", &token).await.ok(200);
        a.req("POST", "/api/v1/auth/logout", Some(&token), None)
            .await
            .ok(204);
        delays.push(until_status(&b, "/api/v1/me", &token, 401).await);
    }
    delays.sort();
    eprintln!(
        "revocation through A -> refused on B ({} changes): p50 {:?}, max {:?}",
        delays.len(),
        delays[delays.len() / 2],
        delays[delays.len() - 1]
    );

    // Load through the balancer; node A dies by SIGKILL in the middle of it.
    const SENDERS: usize = 4;
    const EACH: usize = 40;
    let done = Arc::new(AtomicUsize::new(0));
    let expected = Arc::new(AtomicUsize::new(usize::MAX));
    let first_seq = m["seq"].as_i64().unwrap();
    let follower = tokio::spawn(follow(
        client.clone(),
        bob.clone(),
        group.clone(),
        done.clone(),
        expected.clone(),
    ));
    let sent = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for n in 0..SENDERS {
        let (p, alice, group, sent) = (client.clone(), alice.clone(), group.clone(), sent.clone());
        senders.push(tokio::spawn(async move {
            let mut acked = HashMap::new();
            for i in 0..EACH {
                let text = format!("load {n}-{i}");
                let seq = send_retrying(&p, &alice, &group, &text).await;
                let seq = seq.unwrap_or_else(|| panic!("{text} was never acknowledged"));
                acked.insert(text, seq);
                sent.fetch_add(1, Ordering::SeqCst);
            }
            acked
        }));
    }
    let start = Instant::now();
    while sent.load(Ordering::SeqCst) < SENDERS * EACH / 3 {
        assert!(start.elapsed() < PATIENCE, "the load did not get going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.kill_hard();
    let mut acked = HashMap::new();
    for s in senders {
        acked.extend(s.await.unwrap());
    }
    assert_eq!(acked.len(), SENDERS * EACH);

    // Every acknowledged message is there exactly once, at the sequence it was acknowledged with.
    let mut history = Vec::new();
    let mut after = first_seq;
    loop {
        let r = b
            .get(
                &format!("/api/v1/rooms/{group}/messages?after_seq={after}&limit=200"),
                &bob,
            )
            .await;
        let items = r.ok(200)["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        after = items.last().unwrap()["seq"].as_i64().unwrap();
        history.extend(items);
    }
    let mut by_body: HashMap<String, Vec<i64>> = HashMap::new();
    for m in &history {
        by_body
            .entry(m["body"].as_str().unwrap().to_string())
            .or_default()
            .push(m["seq"].as_i64().unwrap());
    }
    for (text, seq) in &acked {
        assert_eq!(
            by_body.get(text),
            Some(&vec![*seq]),
            "{text}: acknowledged once at {seq}, stored at {:?}",
            by_body.get(text)
        );
    }
    assert_eq!(
        history.len(),
        acked.len(),
        "no message that was not acknowledged"
    );

    // Bob's client, through the balancer, saw every one of them: no gap.
    expected.store(history.len(), Ordering::SeqCst);
    done.store(1, Ordering::SeqCst);
    let (seen, reconnects) = follower.await.unwrap();
    let stored: BTreeSet<i64> = history.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    let missing: Vec<_> = stored.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "Bob's client missed {missing:?} ({reconnects} reconnects)"
    );

    // A third node, told to stop while it streams an upload and holds a socket, drains: the
    // upload finishes and is stored, the socket closes with 1001, the process exits cleanly.
    let mut c = b.sibling().await;
    let (mut on_c, _) = connect(&c, &bob).await;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
    let chunk = vec![b'x'; 64 * 1024];
    let chunks = 12;
    let stream = futures_util::stream::unfold(0usize, move |i| {
        let (tx, chunk) = (tx.clone(), chunk.clone());
        async move {
            if i == chunks {
                return None;
            }
            if i == 1 {
                let _ = tx.send(()).await;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
            Some((Ok::<_, std::io::Error>(chunk), i + 1))
        }
    });
    let upload = c
        .http()
        .post(c.url("/api/v1/files"))
        .query(&[("name", "slow.bin")])
        .bearer_auth(&alice)
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let upload = tokio::spawn(upload);
    rx.recv().await.expect("the upload started");
    let stopped_at = Instant::now();
    c.signal("TERM");
    let code = loop {
        match tokio::time::timeout(Duration::from_secs(10), on_c.next())
            .await
            .expect("a close frame within 10 s of SIGTERM")
        {
            Some(Ok(Message::Close(Some(f)))) => break u16::from(f.code),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(code, 1001, "going away");
    let r = upload
        .await
        .unwrap()
        .expect("the in-flight upload was answered");
    assert_eq!(r.status(), 201, "the in-flight upload finished");
    let file: Value = r.json().await.unwrap();
    let id = file["id"].as_str().unwrap();
    let (status, _, bytes) = b.download(&alice, id, &[]).await;
    assert_eq!((status, bytes.len()), (200, chunks * 64 * 1024));
    let st = c
        .exited(Duration::from_secs(30))
        .await
        .expect("the node exits after draining");
    assert!(st.success(), "drained and exited cleanly: {st:?}");
    assert!(stopped_at.elapsed() < Duration::from_secs(25));
}

/// Ask `node` until it answers `want` (a change made through another node reached it); how long
/// that took. Fails past a generous bound: the change must arrive, however busy the machine.
async fn until_status(node: &Server, path: &str, token: &str, want: u16) -> Duration {
    let start = Instant::now();
    loop {
        let got = node.get(path, token).await.status;
        if got == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{path} still answered {got} instead of {want} after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
