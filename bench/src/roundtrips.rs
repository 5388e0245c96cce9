//! Round trips per send (`--only roundtrips`): the SQL statements the server executes for one
//! message, from the request to the work it leaves behind (relay, index), read from the server's
//! own log (`sqlx::query` at debug level, JSON lines). Each statement is one round trip to
//! SQLite's worker thread or to a PostgreSQL backend. Not counted by the log: `BEGIN` on SQLite
//! (the driver's own command), `COMMIT`/`ROLLBACK`, and the pool's liveness ping on acquire.
//!
//! Counted: the statements logged between sending the request and reading its answer, then
//! those logged in the 2 s after it (index passes are spaced 500 ms apart) other than the ones
//! the server runs on timers anyway (lane polls, sweeps, gauges: listed in `is_periodic`).

use crate::{
    messaging::{next_json, Env},
    BoxError, Row,
};
use serde_json::{json, Value};
use std::{io::Read, path::PathBuf, process::Stdio, time::Duration};

const WINDOW: Duration = Duration::from_secs(2);

/// The statements logged since `*offset`, as (span, statement) pairs; moves `offset` on.
fn statements(log: &PathBuf, offset: &mut usize) -> Vec<(String, String)> {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(log) {
        let _ = f.read_to_string(&mut text);
    }
    let new = text.get(*offset..).unwrap_or("");
    // Only whole lines: a line being written is left for the next read.
    let end = new.rfind('\n').map_or(0, |i| i + 1);
    *offset += end;
    new[..end]
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == "sqlx::query")
        .map(|v| {
            let span = v["span"]["name"].as_str().unwrap_or("-").to_string();
            let sql = v["db.statement"]
                .as_str()
                .filter(|s| !s.trim().is_empty())
                .or_else(|| v["summary"].as_str())
                .unwrap_or("?");
            (span, sql.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .collect()
}

/// Statements the server runs on timers whether or not anyone sends: lanes' polls, sweeps,
/// the outbox's gauges, the sockets' 30 s re-check of their session and rooms (the sender's
/// own session lookup is cached by the unmeasured send before).
fn is_periodic(sql: &str) -> bool {
    [
        "select id from outbox where topic = $1",
        "select count(*)",
        "from room_dad",
        "from bulletin_posts where expiry_swept",
        "select token_hash from sessions",
        "select s.id as session_id",
        "select room_id from room_members where tenant_id = $1 and user_id = $2",
    ]
    .iter()
    .any(|p| sql.contains(p))
}

fn short(sql: &str) -> String {
    let mut s: String = sql.chars().take(110).collect();
    if sql.chars().count() > 110 {
        s.push('…');
    }
    s
}

pub async fn per_send(
    stoa: &PathBuf,
    database_url: Option<&str>,
    backend: &str,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    let log = std::env::temp_dir().join(format!(
        "stoa-roundtrips-{}.log",
        uuid::Uuid::new_v4().simple()
    ));
    let operator = format!("stoa_op_bench_{}", uuid::Uuid::new_v4().simple());
    let server = crate::spawn_logged(
        stoa,
        database_url,
        &operator,
        &[
            ("STOA_LOG_LEVEL".into(), "warn,sqlx::query=debug".into()),
            ("STOA_LOG_FORMAT".into(), "json".into()),
        ],
        Stdio::from(std::fs::File::create(&log)?),
    )?;
    let env = Env {
        base: server.base.clone(),
        client: reqwest::Client::new(),
        admin: crate::storage::admin_token(&server.base, &operator).await?,
    };
    let (bob_id, bob) = env.person(1).await?;
    let room = env.room(std::slice::from_ref(&bob_id)).await?;
    let url = format!("{}/api/v1/rooms/{room}/messages", env.base);
    let mut ws = env.socket(&bob).await?;
    let send = |i: usize, key: bool| {
        let mut req = env
            .client
            .post(&url)
            .bearer_auth(&env.admin)
            .json(&json!({ "body": format!("message {i} about the quarterly plan") }));
        if key {
            req = req.header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
        }
        async move {
            let r = req.send().await?;
            if !r.status().is_success() {
                return Err::<(), BoxError>(format!("send: {}", r.status()).into());
            }
            let _ = r.bytes().await?;
            Ok(())
        }
    };
    // Warm up: connections, caches, prepared statements, the first index segment.
    for i in 0..10 {
        send(i, i % 2 == 0).await?;
    }
    tokio::time::sleep(WINDOW).await;
    let mut offset = 0;
    let _ = statements(&log, &mut offset);
    for key in [false, true] {
        // One send unmeasured first: the session and permission caches are warm (their
        // lookups are not the send's), and its relay work is done before the measured one.
        send(99, key).await?;
        tokio::time::sleep(WINDOW).await;
        let _ = statements(&log, &mut offset);
        send(100, key).await?;
        let (request, mut periodic): (Vec<_>, Vec<_>) = statements(&log, &mut offset)
            .into_iter()
            .partition(|(_, sql)| !is_periodic(sql));
        loop {
            let v = next_json(&mut ws).await?;
            if v["kind"] == "message.created" {
                break;
            }
        }
        tokio::time::sleep(WINDOW).await;
        let (after, later): (Vec<_>, Vec<_>) = statements(&log, &mut offset)
            .into_iter()
            .partition(|(_, sql)| !is_periodic(sql));
        periodic.extend(later);
        let label = if key { "with" } else { "without" };
        println!(
            "\n{backend}, one send {label} Idempotency-Key: {} statements in the request, {} after it \
             (relay, index) within {} s; {} periodic ones meanwhile, not counted",
            request.len(),
            after.len(),
            WINDOW.as_secs(),
            periodic.len()
        );
        for (i, (_, sql)) in request.iter().chain(after.iter()).enumerate() {
            if i == request.len() {
                println!("  after the answer:");
            }
            println!("  {:>2}. {}", i + 1, short(sql));
        }
        rows.push(Row {
            workload: format!("Statements per send, {label} Idempotency-Key"),
            backend: backend.into(),
            result: format!(
                "{} ({} logged before the answer, {} after it)",
                request.len() + after.len(),
                request.len(),
                after.len()
            ),
            target: "—".into(),
        });
    }
    drop(ws);
    drop(server);
    let _ = std::fs::remove_file(&log);
    Ok(())
}
