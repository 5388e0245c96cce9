//! Users per machine: how many active people one server sustains under a mixed workload, in the
//! spirit of Mattermost's load-test tool. Simulated people, each holding a WebSocket, act at
//! random (Poisson) intervals; the active population grows in steps until a step misses its
//! bar (send p99 ≤ 100 ms, delivery p99 ≤ 200 ms, errors < 1 %), the upper bound is reached, or
//! the time budget runs out. The mix is documented in docs/benchmarks.md ("Users per machine").
//!
//! The load client runs in this process on one tokio runtime with one shared HTTP client, and
//! shares the machine's cores with the server (its own CPU is reported per step).

use crate::{
    fmt_ms, messaging, percentile, rss_kib,
    seed::{self, Person},
    sys::{self, CpuSample},
    BoxError, Row,
};
use futures_util::{stream, StreamExt};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};
use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

/// Mean seconds between a person's actions of each kind (each a Poisson process).
pub const MIX: [(Action, f64); 7] = [
    (Action::Send, 30.0),
    (Action::MarkRead, 30.0),
    (Action::ReadPage, 60.0),
    (Action::ListRooms, 120.0),
    (Action::Search, 300.0),
    (Action::Upload, 600.0),
    (Action::SignOutIn, 3600.0),
];
/// People per team room (consecutive people), per project room (interleaved within blocks of
/// 1,000), and which people have a direct conversation (pairs 5k, 5k+1).
const TEAM: usize = 25;
const BLOCK: usize = 1000;
const PROJECTS_PER_BLOCK: usize = 25;
/// Active populations tried, in order.
const STEPS: [usize; 11] = [
    250, 500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000, 10000,
];
const WARMUP: Duration = Duration::from_secs(5);
const SEND_P99: Duration = Duration::from_millis(100);
const DELIVERY_P99: Duration = Duration::from_millis(200);
const UPLOAD_BYTES: usize = 4096;
const WORDS: [&str; 16] = [
    "quarterly",
    "budget",
    "deadline",
    "customer",
    "release",
    "invoice",
    "meeting",
    "roadmap",
    "warehouse",
    "contract",
    "hiring",
    "schedule",
    "supplier",
    "training",
    "audit",
    "shipment",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Send,
    MarkRead,
    ReadPage,
    ListRooms,
    Search,
    Upload,
    SignOutIn,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Send => "send",
            Action::MarkRead => "read",
            Action::ReadPage => "page",
            Action::ListRooms => "rooms",
            Action::Search => "search",
            Action::Upload => "upload",
            Action::SignOutIn => "login",
        }
    }
}

/// What one measurement window collected.
#[derive(Default)]
struct Window {
    /// Microseconds, per request kind.
    latency: HashMap<&'static str, Vec<u32>>,
    delivery: Vec<u32>,
    errors: HashMap<&'static str, u64>,
    first_error: Option<String>,
    socket_closes: u64,
    slow_closes: u64,
}

struct Shared {
    base: String,
    client: reqwest::Client,
    /// Time base of the send stamps in message bodies.
    t0: Instant,
    window: Mutex<Window>,
    stop: AtomicBool,
    sockets_ready: AtomicU64,
}

impl Shared {
    fn micros(&self) -> u64 {
        self.t0.elapsed().as_micros() as u64
    }

    fn record(&self, kind: &'static str, took: Duration) {
        if let Ok(mut w) = self.window.lock() {
            w.latency
                .entry(kind)
                .or_default()
                .push(took.as_micros().min(u32::MAX as u128) as u32);
        }
    }

    fn error(&self, kind: &'static str, what: String) {
        if let Ok(mut w) = self.window.lock() {
            *w.errors.entry(kind).or_default() += 1;
            w.first_error.get_or_insert(format!("{kind}: {what}"));
        }
    }

    fn take_window(&self) -> Window {
        self.window
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }
}

struct Simulated {
    index: usize,
    id: String,
    email: String,
    token: Mutex<String>,
    /// Team, project, and (for some) direct room.
    rooms: Vec<String>,
    /// Highest sequence seen per room on the socket, and the last one marked read.
    seen: Mutex<HashMap<String, (i64, i64)>>,
}

impl Simulated {
    fn token(&self) -> String {
        self.token.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

#[derive(serde::Deserialize)]
struct EventFrame<'a> {
    #[serde(borrow)]
    room_id: &'a str,
    seq: i64,
    payload: MessagePayload,
}

#[derive(serde::Deserialize)]
struct MessagePayload {
    sender_id: String,
    body: String,
}

async fn open_socket(shared: &Shared, token: &str) -> Result<messaging::Socket, BoxError> {
    let r = shared
        .client
        .post(format!("{}/api/v1/events/ticket", shared.base))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await?;
    if !r.status().is_success() {
        return Err(format!("ticket: {}", r.status()).into());
    }
    let t: Value = r.json().await?;
    let url = format!(
        "{}/api/v1/events?ticket={}",
        shared.base.replacen("http://", "ws://", 1),
        t["ticket"].as_str().ok_or("ticket")?
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    messaging::next_json(&mut ws).await?; // ready
    Ok(ws)
}

/// A person's socket: connect (the first time under `gate`), read events, reconnect when the
/// server closes it (a sign-out, or too slow a reader).
async fn socket_loop(shared: Arc<Shared>, me: Arc<Simulated>, gate: Arc<Semaphore>) {
    let mut first = true;
    while !shared.stop.load(Ordering::Relaxed) {
        let permit = if first {
            gate.clone().acquire_owned().await.ok()
        } else {
            None
        };
        let ws = open_socket(&shared, &me.token()).await;
        drop(permit);
        let mut ws = match ws {
            Ok(ws) => ws,
            Err(e) => {
                shared.error("socket", e.to_string());
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if first {
            shared.sockets_ready.fetch_add(1, Ordering::Relaxed);
            first = false;
        }
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    if !t.contains("\"message.created\"") {
                        continue;
                    }
                    let now = shared.micros();
                    let Ok(f) = serde_json::from_str::<EventFrame>(&t) else {
                        continue;
                    };
                    if let Ok(mut seen) = me.seen.lock() {
                        let e = seen.entry(f.room_id.to_string()).or_insert((0, 0));
                        e.0 = e.0.max(f.seq);
                    }
                    if f.payload.sender_id == me.id {
                        continue;
                    }
                    let stamp = f
                        .payload
                        .body
                        .strip_prefix("m:")
                        .and_then(|b| b.split(' ').next())
                        .and_then(|s| s.parse::<u64>().ok());
                    if let (Some(sent), Ok(mut w)) = (stamp, shared.window.lock()) {
                        w.delivery
                            .push(now.saturating_sub(sent).min(u32::MAX as u64) as u32);
                    }
                }
                Some(Ok(Message::Close(c))) => {
                    if let Ok(mut w) = shared.window.lock() {
                        w.socket_closes += 1;
                        if c.as_ref().map(|c| u16::from(c.code)) == Some(4008) {
                            w.slow_closes += 1;
                        }
                    }
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    if let Ok(mut w) = shared.window.lock() {
                        w.socket_closes += 1;
                    }
                    break;
                }
            }
        }
    }
}

fn exp_secs(rng: &mut StdRng, mean: f64) -> f64 {
    let u: f64 = rng.gen();
    -mean * (1.0 - u).ln()
}

/// A person's actions: one merged Poisson process, each event one of [`MIX`] by its rate.
async fn actor_loop(shared: Arc<Shared>, me: Arc<Simulated>) {
    let mut rng = StdRng::seed_from_u64(0x5704 ^ me.index as u64);
    let rates: Vec<(Action, f64)> = MIX.iter().map(|(a, mean)| (*a, 1.0 / mean)).collect();
    let total: f64 = rates.iter().map(|(_, r)| r).sum();
    let mut sent = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_secs_f64(exp_secs(&mut rng, 1.0 / total))).await;
        let mut pick = rng.gen::<f64>() * total;
        let mut action = Action::Send;
        for (a, r) in &rates {
            action = *a;
            if pick < *r {
                break;
            }
            pick -= r;
        }
        let started = Instant::now();
        let result = act(&shared, &me, action, &mut rng, &mut sent).await;
        match result {
            Ok(true) => shared.record(action.name(), started.elapsed()),
            Ok(false) => {}
            Err(e) => shared.error(action.name(), e.to_string()),
        }
    }
}

async fn check(r: reqwest::Response, what: &str) -> Result<bytes::Bytes, BoxError> {
    let status = r.status();
    let body = r.bytes().await?;
    if !status.is_success() {
        return Err(format!("{what}: {status}").into());
    }
    Ok(body)
}

/// One action; `Ok(false)` when there was nothing to do (no unread room to mark).
async fn act(
    shared: &Shared,
    me: &Simulated,
    action: Action,
    rng: &mut StdRng,
    sent: &mut u64,
) -> Result<bool, BoxError> {
    let base = &shared.base;
    let c = &shared.client;
    let token = me.token();
    match action {
        Action::Send => {
            // Mostly the team room, then the project room, then the direct conversation.
            let x: f64 = rng.gen();
            let room = if x < 0.6 || me.rooms.len() < 2 {
                &me.rooms[0]
            } else if x < 0.85 || me.rooms.len() < 3 {
                &me.rooms[1]
            } else {
                &me.rooms[2]
            };
            *sent += 1;
            let words: Vec<&str> = (0..6)
                .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
                .collect();
            let body = format!("m:{} {}", shared.micros(), words.join(" "));
            let r = c
                .post(format!("{base}/api/v1/rooms/{room}/messages"))
                .bearer_auth(&token)
                .header("Idempotency-Key", format!("{}-{}", me.index, sent))
                .json(&json!({ "body": body }))
                .send()
                .await?;
            check(r, "send").await?;
        }
        Action::MarkRead => {
            let target = me.seen.lock().ok().and_then(|mut seen| {
                let (room, e) = seen.iter_mut().find(|(_, e)| e.0 > e.1)?;
                e.1 = e.0;
                Some((room.clone(), e.0))
            });
            let Some((room, seq)) = target else {
                return Ok(false);
            };
            let r = c
                .post(format!("{base}/api/v1/rooms/{room}/read"))
                .bearer_auth(&token)
                .json(&json!({ "seq": seq }))
                .send()
                .await?;
            check(r, "read").await?;
        }
        Action::ReadPage => {
            let room = &me.rooms[rng.gen_range(0..me.rooms.len())];
            let r = c
                .get(format!("{base}/api/v1/rooms/{room}/messages?limit=50"))
                .bearer_auth(&token)
                .send()
                .await?;
            check(r, "page").await?;
        }
        Action::ListRooms => {
            let r = c
                .get(format!("{base}/api/v1/rooms"))
                .bearer_auth(&token)
                .send()
                .await?;
            check(r, "rooms").await?;
        }
        Action::Search => {
            let q = WORDS[rng.gen_range(0..WORDS.len())];
            let r = c
                .get(format!("{base}/api/v1/search?q={q}&limit=20"))
                .bearer_auth(&token)
                .send()
                .await?;
            check(r, "search").await?;
        }
        Action::Upload => {
            // A small text note (indexed for search like any upload).
            let mut text = (0..UPLOAD_BYTES / 4)
                .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
                .collect::<Vec<_>>()
                .join(" ")
                .into_bytes();
            text.truncate(UPLOAD_BYTES);
            let r = c
                .post(format!(
                    "{base}/api/v1/files?name=note-{}-{}.txt",
                    me.index,
                    rng.gen::<u32>()
                ))
                .bearer_auth(&token)
                .header("content-type", "application/octet-stream")
                .body(text)
                .send()
                .await?;
            check(r, "upload").await?;
        }
        Action::SignOutIn => {
            // Signing in first and out of the old session second: the server closes the
            // person's socket on sign-out, and the socket loop reconnects with the new token.
            let r = c
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({ "tenant": "bench", "login": me.email, "password": seed::PASSWORD }))
                .send()
                .await?;
            let body = check(r, "login").await?;
            let v: Value = serde_json::from_slice(&body)?;
            let t = v["token"].as_str().ok_or("login: no token")?.to_string();
            if let Ok(mut slot) = me.token.lock() {
                *slot = t;
            }
            let r = c
                .post(format!("{base}/api/v1/auth/logout"))
                .bearer_auth(&token)
                .send()
                .await?;
            check(r, "logout").await?;
        }
    }
    Ok(true)
}

/// One step's figures.
struct StepResult {
    people: usize,
    send: (Duration, Duration),
    delivery: (Duration, Duration),
    requests: usize,
    sends: usize,
    deliveries: usize,
    errors: u64,
    first_error: Option<String>,
    closes: (u64, u64),
    cpu: CpuSample,
    client_ms: f64,
    secs: f64,
    rss_kib: u64,
    other_p99: Vec<(&'static str, Duration)>,
}

impl StepResult {
    fn passed(&self) -> bool {
        self.send.1 <= SEND_P99
            && self.delivery.1 <= DELIVERY_P99
            && (self.errors as f64) < 0.01 * self.requests.max(1) as f64
    }

    fn line(&self, pg: bool) -> String {
        let pct = |ms: f64| ms / self.secs / 10.0;
        let cpu = if pg {
            format!(
                "server {:.0} % + db {:.0} %",
                pct(self.cpu.server_ms),
                pct(self.cpu.db_ms)
            )
        } else {
            format!("server {:.0} %", pct(self.cpu.server_ms))
        };
        let others: Vec<String> = self
            .other_p99
            .iter()
            .map(|(k, d)| format!("{k} {}", fmt_ms(*d)))
            .collect();
        format!(
            "send p50 {} p99 {} · delivery p50 {} p99 {} · {:.0} msgs/s → {:.0} deliveries/s · \
             {:.0} req/s · {} errors{} · {} socket closes ({} slow) · CPU {cpu} · client {:.0} % · \
             RSS {:.0} MiB · other p99: {}",
            fmt_ms(self.send.0),
            fmt_ms(self.send.1),
            fmt_ms(self.delivery.0),
            fmt_ms(self.delivery.1),
            self.sends as f64 / self.secs,
            self.deliveries as f64 / self.secs,
            self.requests as f64 / self.secs,
            self.errors,
            self.first_error
                .as_ref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default(),
            self.closes.0,
            self.closes.1,
            pct(self.client_ms),
            self.rss_kib as f64 / 1024.0,
            others.join(", ")
        )
    }
}

/// Rooms for `people`: team rooms of 25 consecutive people, project rooms of 40 (every 25th
/// person of a block of 1,000), and a direct conversation for the pairs (5k, 5k+1). Returns each
/// person's rooms, team first.
async fn make_rooms(env: &messaging::Env, people: &[Person]) -> Result<Vec<Vec<String>>, BoxError> {
    let n = people.len();
    let mut rooms: Vec<Vec<String>> = vec![Vec::new(); n];
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for start in (0..n).step_by(TEAM) {
        groups.push(("team", (start..(start + TEAM).min(n)).collect()));
    }
    for block in (0..n).step_by(BLOCK) {
        for j in 0..PROJECTS_PER_BLOCK {
            let members: Vec<usize> = (block..(block + BLOCK).min(n))
                .filter(|i| i % PROJECTS_PER_BLOCK == j)
                .collect();
            if !members.is_empty() {
                groups.push(("project", members));
            }
        }
    }
    let made: Vec<Result<(Vec<usize>, String), BoxError>> =
        stream::iter(groups.into_iter().map(|(label, members)| async move {
            let ids: Vec<String> = members.iter().map(|&i| people[i].id.clone()).collect();
            let r = env
                .post(
                    "/api/v1/rooms",
                    &env.admin,
                    json!({ "kind": "group", "name": format!("{label} {}", members[0]), "member_ids": ids }),
                )
                .await?;
            let id = r["id"].as_str().ok_or("room id")?.to_string();
            Ok((members, id))
        }))
        .buffered(8)
        .collect()
        .await;
    for r in made {
        let (members, id) = r?;
        for i in members {
            rooms[i].push(id.clone());
        }
    }
    let pairs: Vec<usize> = (0..n.saturating_sub(1)).step_by(5).collect();
    let made: Vec<Result<(usize, String), BoxError>> =
        stream::iter(pairs.into_iter().map(|i| async move {
            let r = env
                .post(
                    "/api/v1/rooms/direct",
                    &people[i].token,
                    json!({ "user_id": people[i + 1].id }),
                )
                .await?;
            Ok((i, r["id"].as_str().ok_or("direct room id")?.to_string()))
        }))
        .buffered(8)
        .collect()
        .await;
    for r in made {
        let (i, id) = r?;
        rooms[i].push(id.clone());
        rooms[i + 1].push(id);
    }
    Ok(rooms)
}

pub struct Limits {
    pub max_people: usize,
    pub hold: Duration,
    pub budget: Duration,
}

/// Ramp the active population until a step misses its bar; one row per step and a summary.
pub async fn users(
    stoa: &PathBuf,
    database_url: Option<&str>,
    backend: &str,
    limits: &Limits,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    let pg = database_url.is_some();
    let fd_limit = sys::raise_nofile();
    // One descriptor per socket here and in the server, plus the HTTP pool.
    let max_people = limits.max_people.min(fd_limit.saturating_sub(512) as usize);
    let (server, env) = messaging::setup(stoa, database_url).await?;
    let pid = server.child.id();
    let setup_started = Instant::now();
    let people = seed::people(&server, database_url, max_people).await?;
    let rooms = make_rooms(&env, &people).await?;
    // The set-up's events (thousands of joins) go through the outbox relay first.
    sys::settle(pid, pg, Duration::from_secs(60)).await;
    eprintln!(
        "users: {} people, rooms made in {}",
        people.len(),
        fmt_ms(setup_started.elapsed())
    );
    let shared = Arc::new(Shared {
        base: env.base.clone(),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?,
        t0: Instant::now(),
        window: Mutex::new(Window::default()),
        stop: AtomicBool::new(false),
        sockets_ready: AtomicU64::new(0),
    });
    let simulated: Vec<Arc<Simulated>> = people
        .into_iter()
        .zip(rooms)
        .enumerate()
        .map(|(index, (p, rooms))| {
            Arc::new(Simulated {
                index,
                id: p.id,
                email: p.email,
                token: Mutex::new(p.token),
                rooms,
                seen: Mutex::new(HashMap::new()),
            })
        })
        .collect();
    let gate = Arc::new(Semaphore::new(32));
    let mut tasks = Vec::new();
    let mut active = 0;
    let mut results: Vec<StepResult> = Vec::new();
    let load_started = Instant::now();
    let mut stopped_by = "upper bound reached";
    for &step in STEPS.iter() {
        let step = step.min(max_people);
        if step <= active {
            break;
        }
        // Whether the step still fits in the budget (activation counted at ~1 ms a socket).
        let needed = WARMUP + limits.hold + Duration::from_millis((step - active) as u64);
        if load_started.elapsed() + needed > limits.budget {
            stopped_by = "time budget reached";
            break;
        }
        let opening = Instant::now();
        for me in &simulated[active..step] {
            tasks.push(tokio::spawn(socket_loop(
                shared.clone(),
                me.clone(),
                gate.clone(),
            )));
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        while (shared.sockets_ready.load(Ordering::Relaxed) as usize) < step
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for me in &simulated[active..step] {
            tasks.push(tokio::spawn(actor_loop(shared.clone(), me.clone())));
        }
        eprintln!(
            "users: {step} active ({} sockets ready in {}), warming up…",
            shared.sockets_ready.load(Ordering::Relaxed),
            fmt_ms(opening.elapsed())
        );
        active = step;
        tokio::time::sleep(WARMUP).await;
        let _ = shared.take_window();
        let cpu0 = CpuSample::take(pid, pg);
        let client0 = sys::self_cpu_ms();
        let t = Instant::now();
        tokio::time::sleep(limits.hold).await;
        let w = shared.take_window();
        let secs = t.elapsed().as_secs_f64();
        let cpu = CpuSample::take(pid, pg).since(cpu0);
        let client_ms = sys::self_cpu_ms() - client0;
        let sorted = |v: &[u32]| {
            let mut d: Vec<Duration> = v
                .iter()
                .map(|&us| Duration::from_micros(us as u64))
                .collect();
            d.sort();
            d
        };
        let send = sorted(w.latency.get("send").map(Vec::as_slice).unwrap_or(&[]));
        let delivery = sorted(&w.delivery);
        let mut other_p99 = Vec::new();
        for a in MIX.iter().map(|(a, _)| a.name()).filter(|k| *k != "send") {
            if let Some(v) = w.latency.get(a) {
                other_p99.push((a, percentile(&sorted(v), 0.99)));
            }
        }
        let r = StepResult {
            people: step,
            send: (percentile(&send, 0.5), percentile(&send, 0.99)),
            delivery: (percentile(&delivery, 0.5), percentile(&delivery, 0.99)),
            requests: w.latency.values().map(Vec::len).sum::<usize>()
                + w.errors.values().sum::<u64>() as usize,
            sends: send.len(),
            deliveries: delivery.len(),
            errors: w.errors.values().sum(),
            first_error: w.first_error,
            closes: (w.socket_closes, w.slow_closes),
            cpu,
            client_ms,
            secs,
            rss_kib: rss_kib(pid).unwrap_or(0),
            other_p99,
        };
        eprintln!("users: {step}: {}", r.line(pg));
        rows.push(Row {
            workload: format!("users: {step} active people, mixed workload"),
            backend: backend.into(),
            result: r.line(pg),
            target: "send p99 ≤ 100 ms; delivery p99 ≤ 200 ms".into(),
        });
        let passed = r.passed();
        results.push(r);
        if !passed {
            stopped_by = "the bar was missed";
            break;
        }
        if step == max_people {
            break;
        }
    }
    shared.stop.store(true, Ordering::Relaxed);
    for t in &tasks {
        t.abort();
    }
    let best = results.iter().rfind(|r| r.passed());
    rows.push(Row {
        workload: "Users per machine (mixed workload, see docs)".into(),
        backend: backend.into(),
        result: match best {
            Some(b) => format!(
                "{} people sustained (send p99 {}, delivery p99 {}); stopped: {stopped_by}",
                b.people,
                fmt_ms(b.send.1),
                fmt_ms(b.delivery.1)
            ),
            None => format!("no step sustained; stopped: {stopped_by}"),
        },
        target: "≥ 5,000 on 2 cores".into(),
    });
    drop(server);
    Ok(())
}
