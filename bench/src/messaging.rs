//! W1–W4: messaging throughput and delivery latency over the real API and WebSocket.

use crate::{fmt_ms, percentile, rss_kib, spawn, BoxError, Row};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio_tungstenite::tungstenite::Message;

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const PASSWORD: &str = "bench passphrase 1";

pub(crate) struct Env {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
    pub(crate) admin: String,
}

impl Env {
    pub(crate) async fn post(
        &self,
        path: &str,
        token: &str,
        body: Value,
    ) -> Result<Value, BoxError> {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(format!("{path}: {} {}", r.status(), r.text().await?).into());
        }
        Ok(r.json().await?)
    }

    /// A staff member with a session: (user id, token).
    pub(crate) async fn person(&self, i: usize) -> Result<(String, String), BoxError> {
        let u = self
            .post(
                "/api/v1/users",
                &self.admin,
                json!({ "display_name": format!("Person {i}"), "email": format!("p{i}@bench.test") }),
            )
            .await?;
        let id = u["user"]["id"].as_str().ok_or("id")?.to_string();
        let inv = u["invitation"]["token"].as_str().ok_or("inv")?.to_string();
        let r: Value = self
            .client
            .post(format!("{}/api/v1/auth/invitations/accept", self.base))
            .json(&json!({ "token": inv, "password": PASSWORD }))
            .send()
            .await?
            .json()
            .await?;
        Ok((id, r["token"].as_str().ok_or("token")?.to_string()))
    }

    pub(crate) async fn room(&self, members: &[String]) -> Result<String, BoxError> {
        let r = self
            .post(
                "/api/v1/rooms",
                &self.admin,
                json!({ "kind": "group", "name": "bench", "member_ids": members }),
            )
            .await?;
        Ok(r["id"].as_str().ok_or("room")?.to_string())
    }

    pub(crate) async fn socket(&self, token: &str) -> Result<Socket, BoxError> {
        let t = self.post("/api/v1/events/ticket", token, json!({})).await?;
        let url = format!(
            "{}/api/v1/events?ticket={}",
            self.base.replacen("http://", "ws://", 1),
            t["ticket"].as_str().ok_or("ticket")?
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
        next_json(&mut ws).await?; // ready
        Ok(ws)
    }
}

pub(crate) async fn next_json(ws: &mut Socket) -> Result<Value, BoxError> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await? {
            Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(&t)?),
            Some(Ok(Message::Close(c))) => return Err(format!("closed: {c:?}").into()),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => return Err("socket ended".into()),
        }
    }
}

pub(crate) async fn setup(
    stoa: &PathBuf,
    database_url: Option<&str>,
) -> Result<(crate::Spawned, Env), BoxError> {
    let operator = format!("stoa_op_bench_{}", uuid::Uuid::new_v4().simple());
    let server = spawn(stoa, database_url, &operator)?;
    let admin = crate::storage::admin_token(&server.base, &operator).await?;
    let env = Env {
        base: server.base.clone(),
        client: reqwest::Client::new(),
        admin,
    };
    Ok((server, env))
}

/// W1 (sequential sends, a listener), W2 (64 concurrent senders), W3 (paced send → socket).
pub async fn w1_w3(
    stoa: &PathBuf,
    database_url: Option<&str>,
    backend: &str,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    let (server, env) = setup(stoa, database_url).await?;
    let (bob_id, bob) = env.person(1).await?;
    let room = env.room(std::slice::from_ref(&bob_id)).await?;
    let path = format!("/api/v1/rooms/{room}/messages");

    // W1: 1,000 sequential sends; the listener must see all of them.
    let mut ws = env.socket(&bob).await?;
    let listener = tokio::spawn(async move {
        let mut n = 0;
        while n < 1000 {
            let v = next_json(&mut ws).await?;
            if v["kind"] == "message.created" {
                n += 1;
            }
        }
        Ok::<_, BoxError>((n, ws))
    });
    let mut lat = Vec::with_capacity(1000);
    let start = Instant::now();
    for i in 0..1000 {
        let t = Instant::now();
        env.post(&path, &env.admin, json!({ "body": format!("message {i}") }))
            .await?;
        lat.push(t.elapsed());
    }
    let elapsed = start.elapsed();
    let (delivered, mut ws) = listener.await??;
    lat.sort();
    rows.push(Row {
        workload: "W1 1,000 sequential sends, a member listening".into(),
        backend: backend.into(),
        result: format!(
            "{:.0} msgs/s · p50 {} · p99 {} · {delivered}/1000 delivered",
            1000.0 / elapsed.as_secs_f64(),
            fmt_ms(percentile(&lat, 0.5)),
            fmt_ms(percentile(&lat, 0.99))
        ),
        target: "≥ 80 % of 1-client commits/s (PG); p99 ≤ 10 ms".into(),
    });

    // W3: paced sends, latency to the other member's socket.
    let mut lat = Vec::with_capacity(200);
    for i in 0..200 {
        let t = Instant::now();
        env.post(&path, &env.admin, json!({ "body": format!("paced {i}") }))
            .await?;
        loop {
            let v = next_json(&mut ws).await?;
            if v["kind"] == "message.created" {
                break;
            }
        }
        lat.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    lat.sort();
    rows.push(Row {
        workload: "W3 send → other member's WebSocket, paced, 200 messages".into(),
        backend: backend.into(),
        result: format!(
            "p50 {} · p99 {}",
            fmt_ms(percentile(&lat, 0.5)),
            fmt_ms(percentile(&lat, 0.99))
        ),
        target: "p99 ≤ 10 ms".into(),
    });
    drop(ws);

    // W2: 64 senders, each in its own room, for a bounded time.
    let mut rooms = Vec::new();
    for _ in 0..64 {
        rooms.push(env.room(std::slice::from_ref(&bob_id)).await?);
    }
    let deadline = Instant::now() + Duration::from_secs(8);
    let env = Arc::new(env);
    let mut tasks = Vec::new();
    for room in rooms {
        let env = env.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let url = format!("{}/api/v1/rooms/{room}/messages", env.base);
            let mut lat = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                match client
                    .post(&url)
                    .bearer_auth(&env.admin)
                    .json(&json!({ "body": "load" }))
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => lat.push(t.elapsed()),
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let start = Instant::now();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed();
    all.sort();
    rows.push(Row {
        workload: "W2 64 concurrent senders across 64 rooms, 8 s".into(),
        backend: backend.into(),
        result: format!(
            "{:.0} msgs/s · p50 {} · p99 {} · {errors} errors",
            all.len() as f64 / elapsed.as_secs_f64(),
            fmt_ms(percentile(&all, 0.5)),
            fmt_ms(percentile(&all, 0.99))
        ),
        target: "≥ 5,000 msgs/s (PG); p99 ≤ 50 ms".into(),
    });
    drop(server);
    Ok(())
}

/// W4: one message to a room with `n` members, each with an open socket.
pub async fn w4(
    stoa: &PathBuf,
    database_url: Option<&str>,
    backend: &str,
    n: usize,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    let (server, env) = setup(stoa, database_url).await?;
    let mut people = Vec::with_capacity(n);
    for i in 0..n {
        people.push(env.person(i).await?);
    }
    let ids: Vec<String> = people.iter().map(|p| p.0.clone()).collect();
    // At most 500 people per call.
    let room = env.room(&ids[..ids.len().min(500)]).await?;
    for chunk in ids.chunks(500).skip(1) {
        env.post(
            &format!("/api/v1/rooms/{room}/members"),
            &env.admin,
            json!({ "user_ids": chunk }),
        )
        .await?;
    }
    // Memory with no socket open, after the people and the room exist: the base for the
    // per-socket figure.
    let no_sockets = rss_kib(server.child.id()).unwrap_or(0);
    let mut sockets = Vec::with_capacity(n);
    for (_, token) in &people {
        sockets.push(env.socket(token).await?);
    }
    let before = rss_kib(server.child.id()).unwrap_or(0);
    let (lat, drops, keep) = one_message_to_all(&env, &room, sockets).await?;
    let after = rss_kib(server.child.id()).unwrap_or(0);
    rows.push(Row {
        workload: format!("W4 one message to a {n}-member room, {n} open sockets"),
        backend: backend.into(),
        result: format!(
            "all delivered p95 {} · max {} · {drops} drops · server RSS {:.1} MiB \
             ({:.1} KiB/socket over {:.1} MiB before the sockets)",
            fmt_ms(percentile(&lat, 0.95)),
            fmt_ms(percentile(&lat, 1.0)),
            after.max(before) as f64 / 1024.0,
            before.saturating_sub(no_sockets) as f64 / n.max(1) as f64,
            no_sockets as f64 / 1024.0
        ),
        target: "p95 ≤ 50 ms; no drops; RSS ≤ 200 MiB".into(),
    });
    drop(keep);
    drop(server);
    Ok(())
}

/// How long the large W4 may spend opening sockets.
const OPEN_BOUND: Duration = Duration::from_secs(180);

/// A socket opened the way non-browser clients do, with the session token on the upgrade
/// request (no ticket: one write transaction less per socket).
pub(crate) async fn bearer_socket(base: &str, token: &str) -> Result<Socket, BoxError> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req =
        format!("{}/api/v1/events", base.replacen("http://", "ws://", 1)).into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    next_json(&mut ws).await?; // ready
    Ok(ws)
}

/// W4 at scale: `n` seeded people (see `seed`), members of one room, each with an idle socket.
/// Memory per socket, the idle CPU those sockets cost, then one message to all of them.
pub async fn w4_big(
    stoa: &PathBuf,
    database_url: Option<&str>,
    backend: &str,
    n: usize,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    use futures_util::stream;
    let pg = database_url.is_some();
    let limit = crate::sys::raise_nofile();
    // Each socket is one descriptor here and one in the server (which inherits this limit).
    let n = n.min(limit.saturating_sub(256) as usize);
    let (server, env) = setup(stoa, database_url).await?;
    let pid = server.child.id();
    let people = crate::seed::people(&server, database_url, n).await?;
    let ids: Vec<String> = people.iter().map(|p| p.id.clone()).collect();
    let room = env.room(&ids[..ids.len().min(500)]).await?;
    for chunk in ids.chunks(500).skip(1) {
        env.post(
            &format!("/api/v1/rooms/{room}/members"),
            &env.admin,
            json!({ "user_ids": chunk }),
        )
        .await?;
    }
    crate::sys::settle(pid, pg, Duration::from_secs(5)).await;
    let no_sockets = rss_kib(pid).unwrap_or(0);
    let started = Instant::now();
    let env = Arc::new(env);
    // Opening is bounded in time: each open socket re-checks its session and rooms every 5 s,
    // so past some count the server spends all its time on idle sockets and opening stalls.
    let open_deadline = started + OPEN_BOUND;
    let opened: Vec<Result<Socket, BoxError>> = stream::iter(people.iter().map(|p| {
        let base = env.base.clone();
        let token = p.token.clone();
        async move { bearer_socket(&base, &token).await }
    }))
    .buffer_unordered(32)
    .take_while(|_| std::future::ready(Instant::now() < open_deadline))
    .collect()
    .await;
    let open_time = started.elapsed();
    let bounded = if open_time >= OPEN_BOUND {
        ", stopped at the time bound"
    } else {
        ""
    };
    let mut sockets = Vec::with_capacity(n);
    let mut first_error = None;
    for r in opened {
        match r {
            Ok(ws) => sockets.push(ws),
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    if let Some(e) = &first_error {
        eprintln!(
            "W4 {n}: {} sockets failed to open, first: {e}",
            n - sockets.len()
        );
    }
    let open = sockets.len();
    // Let the accept path's buffers go, then read memory and what idle sockets cost in CPU
    // (each re-checks its session and rooms every 5 s).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let with_sockets = rss_kib(pid).unwrap_or(0);
    let idle_window = Duration::from_secs(10);
    let cpu0 = crate::sys::CpuSample::take(pid, pg);
    tokio::time::sleep(idle_window).await;
    let idle_cpu = crate::sys::CpuSample::take(pid, pg).since(cpu0);
    let idle_pct = |ms: f64| ms / idle_window.as_secs_f64() / 10.0;

    let (lat, drops, keep) = one_message_to_all(&env, &room, sockets).await?;
    let after = rss_kib(pid).unwrap_or(0);
    let per_socket = with_sockets.saturating_sub(no_sockets) as f64 / open.max(1) as f64;
    let cpu = if pg {
        format!(
            "server {:.1} % + db {:.1} %",
            idle_pct(idle_cpu.server_ms),
            idle_pct(idle_cpu.db_ms)
        )
    } else {
        format!("server {:.1} %", idle_pct(idle_cpu.server_ms))
    };
    rows.push(Row {
        workload: format!("W4 {n} idle WebSockets (members of one room), then one message"),
        backend: backend.into(),
        result: format!(
            "{open}/{n} open (in {:.0} s{bounded}) · RSS {:.1} → {:.1} MiB = {per_socket:.1} KiB/socket · \
             idle CPU {cpu} of a core · one message: p95 {} · max {} · {drops} drops · RSS after {:.1} MiB",
            open_time.as_secs_f64(),
            no_sockets as f64 / 1024.0,
            with_sockets as f64 / 1024.0,
            fmt_ms(percentile(&lat, 0.95)),
            fmt_ms(percentile(&lat, 1.0)),
            after as f64 / 1024.0
        ),
        target: "≤ 64 KiB per idle WebSocket".into(),
    });
    drop(keep);
    drop(server);
    Ok(())
}

/// Send one message to a room whose members all listen on `sockets`: each socket's delivery
/// latency (sorted), how many sockets failed before it arrived, and the sockets still open.
async fn one_message_to_all(
    env: &Env,
    room: &str,
    sockets: Vec<Socket>,
) -> Result<(Vec<Duration>, usize, Vec<Socket>), BoxError> {
    let mut waiters = Vec::with_capacity(sockets.len());
    for mut ws in sockets {
        waiters.push(tokio::spawn(async move {
            loop {
                let v = next_json(&mut ws).await?;
                if v["kind"] == "message.created" {
                    return Ok::<_, BoxError>((Instant::now(), ws));
                }
            }
        }));
    }
    let t0 = Instant::now();
    env.post(
        &format!("/api/v1/rooms/{room}/messages"),
        &env.admin,
        json!({ "body": "all hands" }),
    )
    .await?;
    let mut lat = Vec::with_capacity(waiters.len());
    let mut drops = 0;
    let mut keep = Vec::new();
    for w in waiters {
        match w.await? {
            Ok((at, ws)) => {
                lat.push(at - t0);
                keep.push(ws);
            }
            Err(_) => drops += 1,
        }
    }
    lat.sort();
    Ok((lat, drops, keep))
}
