//! Retention at scale: a tenant with a million messages (one in ten with an attachment) in a
//! hundred channels, seeded straight into the server's database the way the server writes
//! them (the API would take hours); then the preview's time (`POST /retention/preview`) for a
//! policy that reaches a tenth of them and for one that reaches all, and a purge run of a
//! tenth (100,000 messages, 10,000 attachments) while one client keeps sending, whose send
//! latency is compared with the same client's before the purge.

use crate::{fmt_ms, messaging, percentile, seed::database_url, BoxError, Row};
use serde_json::{json, Value};
use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};
use stoa::db::{new_id, now_ms, Db};

const ROOMS: usize = 100;
/// Rooms whose messages are 400 days old (the rest are 100 days old).
const OLD_ROOMS: usize = 10;
const DAY_MS: i64 = 24 * 3600 * 1000;
const ATTACHMENT_BYTES: i64 = 10 * 1024;
const ROWS_PER_INSERT: usize = 400;

/// Write `n` messages (every tenth with a file attached) into the rooms, oldest first.
async fn seed(
    db: &Db,
    tenant_id: &str,
    sender: &str,
    rooms: &[String],
    n: usize,
) -> Result<(), BoxError> {
    let started = Instant::now();
    let now = now_ms();
    let per_room = n.div_ceil(rooms.len());
    let mut i = 0usize;
    while i < n {
        let end = (i + ROWS_PER_INSERT).min(n);
        let mut msgs = String::from(
            "insert into messages (tenant_id, id, room_id, seq, sender_id, body, mentions, \
             mentions_room, created_at) values ",
        );
        let mut files = String::from(
            "insert into files (tenant_id, id, uploader_id, name, content_type, size, sha256, \
             blob_key, key_version, extract_status, created_at) values ",
        );
        let mut atts = String::from(
            "insert into message_attachments (tenant_id, message_id, file_id, room_id) values ",
        );
        let (mut nm, mut nf) = (0, 0);
        let mut rows: Vec<(String, String, i64, i64, Option<String>)> = Vec::new();
        for k in i..end {
            let r = k % rooms.len();
            let seq = (k / rooms.len() + 1) as i64;
            let age = if r < OLD_ROOMS { 400 } else { 100 };
            let at = now - age * DAY_MS + (k as i64);
            let file = k.is_multiple_of(10).then(new_id);
            rows.push((new_id(), rooms[r].clone(), seq, at, file));
        }
        for (id, room, seq, at, file) in &rows {
            if nm > 0 {
                msgs.push(',');
            }
            msgs.push_str(&format!(
                "('{tenant_id}', '{id}', '{room}', {seq}, '{sender}', \
                 'retention bench message {seq} in a channel of a hundred', '[]', 0, {at})"
            ));
            nm += 1;
            if let Some(f) = file {
                if nf > 0 {
                    files.push(',');
                    atts.push(',');
                }
                files.push_str(&format!(
                    "('{tenant_id}', '{f}', '{sender}', 'report.txt', 'text/plain', \
                     {ATTACHMENT_BYTES}, 'bench', 'bench/{f}', 0, 'none', {at})"
                ));
                atts.push_str(&format!("('{tenant_id}', '{id}', '{f}', '{room}')"));
                nf += 1;
            }
        }
        let mut tx = db.begin_unclaimed().await?;
        sqlx::query(&msgs).execute(&mut *tx).await?;
        if nf > 0 {
            sqlx::query(&files).execute(&mut *tx).await?;
            sqlx::query(&atts).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        i = end;
        if i.is_multiple_of(100_000) {
            eprintln!("  seeded {i} messages in {}", fmt_ms(started.elapsed()));
        }
    }
    let mut tx = db.begin_unclaimed().await?;
    for r in rooms {
        sqlx::query("update rooms set last_seq = $1 where tenant_id = $2 and id = $3")
            .bind(per_room as i64)
            .bind(tenant_id)
            .bind(r)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    eprintln!("  seeded {n} messages in {}", fmt_ms(started.elapsed()));
    Ok(())
}

/// Median time of three previews of `body`, and the items it would remove.
async fn preview(env: &messaging::Env, body: Value) -> Result<(Duration, u64), BoxError> {
    let mut times = Vec::new();
    let mut items = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let v = env
            .post("/api/v1/retention/preview", &env.admin, body.clone())
            .await?;
        times.push(t.elapsed());
        items = v["items"].as_u64().unwrap_or(0);
    }
    times.sort();
    Ok((times[1], items))
}

/// Send one message after another into `room` until `stop`; the latencies.
async fn sender(env: Arc<messaging::Env>, room: String, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut lat = Vec::new();
    let path = format!("/api/v1/rooms/{room}/messages");
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        if env
            .post(
                &path,
                &env.admin,
                json!({ "body": format!("during purge {i}") }),
            )
            .await
            .is_ok()
        {
            lat.push(t.elapsed());
        }
        i += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    lat
}

fn p99(mut v: Vec<Duration>) -> Duration {
    v.sort();
    percentile(&v, 0.99)
}

pub async fn retention(
    stoa: &PathBuf,
    db_url: Option<&str>,
    backend: &str,
    messages: usize,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    let (server, env) = messaging::setup(stoa, db_url).await?;
    let env = Arc::new(env);
    let mut rooms = Vec::with_capacity(ROOMS);
    for i in 0..ROOMS {
        let r = env
            .post(
                "/api/v1/rooms",
                &env.admin,
                json!({ "kind": "channel", "name": format!("channel {i}") }),
            )
            .await?;
        rooms.push(r["id"].as_str().ok_or("room")?.to_string());
    }
    let live = env
        .post(
            "/api/v1/rooms",
            &env.admin,
            json!({ "kind": "group", "name": "live" }),
        )
        .await?["id"]
        .as_str()
        .ok_or("room")?
        .to_string();
    let db = Db::connect(&database_url(&server, db_url), 4).await?;
    let tenant_id: String = sqlx::query_scalar("select id from tenants where slug = 'bench'")
        .fetch_one(&db.pool)
        .await?;
    let admin_id: String = sqlx::query_scalar(
        "select id from users where tenant_id = $1 and email = 'admin@bench.test'",
    )
    .bind(&tenant_id)
    .fetch_one(&db.pool)
    .await?;
    eprintln!("Retention: seeding {messages} messages on {backend}…");
    seed(&db, &tenant_id, &admin_id, &rooms, messages).await?;
    if backend == "postgres" {
        sqlx::query("analyze").execute(&db.pool).await?;
    }

    let tenth = json!({ "set": [{ "class": "messages_channel", "days": 365 }] });
    let all = json!({ "set": [{ "class": "messages_channel", "days": 30 }] });
    let (t_tenth, n_tenth) = preview(&env, tenth.clone()).await?;
    let (t_all, n_all) = preview(&env, all).await?;
    for (t, n, what) in [(t_tenth, n_tenth, "a tenth due"), (t_all, n_all, "all due")] {
        rows.push(Row {
            workload: format!("Retention preview, {messages} messages ({what}: {n} items)"),
            backend: backend.into(),
            result: fmt_ms(t),
            target: "≤ 1 s".into(),
        });
    }

    // Send latency before the purge, then during it.
    let stop = Arc::new(AtomicBool::new(false));
    let before = tokio::spawn(sender(env.clone(), live.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.store(true, Ordering::Relaxed);
    let before = before.await?;
    let mut policy = tenth;
    policy["confirm_items"] = json!(u64::MAX / 2);
    let put = env
        .client
        .put(format!("{}/api/v1/retention/policy", env.base))
        .bearer_auth(&env.admin)
        .json(&policy)
        .send()
        .await?;
    if !put.status().is_success() {
        return Err(format!("policy: {}", put.text().await?).into());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let during = tokio::spawn(sender(env.clone(), live.clone(), stop.clone()));
    let run = env
        .post("/api/v1/retention/runs", &env.admin, json!({}))
        .await?;
    let id = run["id"].as_str().ok_or("run")?.to_string();
    let deadline = Instant::now() + Duration::from_secs(3600);
    let report = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let v: Value = env
            .client
            .get(format!("{}/api/v1/retention/runs/{id}", env.base))
            .bearer_auth(&env.admin)
            .send()
            .await?
            .json()
            .await?;
        if v["status"] != "running" {
            break v;
        }
        if Instant::now() > deadline {
            return Err("the purge did not finish within an hour".into());
        }
    };
    stop.store(true, Ordering::Relaxed);
    let during = during.await?;
    let class = report["report"]["classes"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["class"] == "messages_channel"))
        .cloned()
        .unwrap_or_default();
    let secs = class["duration_ms"].as_f64().unwrap_or(0.0) / 1000.0;
    let items = class["items"].as_f64().unwrap_or(0.0);
    let mb = class["bytes"].as_f64().unwrap_or(0.0) / 1e6;
    rows.push(Row {
        workload: format!(
            "Retention purge of {} messages ({} attachments, {:.0} MB) in a {messages}-message tenant",
            items,
            class["blobs"],
            mb
        ),
        backend: backend.into(),
        result: format!(
            "{:.0} items/s, {:.1} MB/s ({:.0} s; {})",
            items / secs.max(0.001),
            mb / secs.max(0.001),
            secs,
            report["status"]
        ),
        target: "—".into(),
    });
    rows.push(Row {
        workload: "W1 send latency while a purge runs (one sender, 50/s)".into(),
        backend: backend.into(),
        result: format!(
            "p99 {} during ({} sends), {} before",
            fmt_ms(p99(during.clone())),
            during.len(),
            fmt_ms(p99(before))
        ),
        target: "p99 ≤ 10 ms".into(),
    });
    drop(server);
    Ok(())
}
