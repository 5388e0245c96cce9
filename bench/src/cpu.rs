//! CPU per message: what one send costs the server and the database, read from the kernel's
//! accounting (`/proc/<pid>/stat`) before and after a bounded run of sends, the way one compares
//! servers from the outside. With PostgreSQL every process named `postgres` is counted (its
//! backends, WAL writer, checkpointer); with SQLite the database runs inside the server process.

use crate::{
    messaging::{self, Socket},
    sys::{settle, CpuSample},
    BoxError, Row,
};
use futures_util::StreamExt;
use serde_json::json;
use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};
use tokio_tungstenite::tungstenite::Message;

/// Back-to-back sends per variant, and paced sends (10 a second) per variant.
const BACK_TO_BACK: usize = 1000;
const PACED: usize = 100;
const PACE: Duration = Duration::from_millis(100);

/// Count the `message.created` events a socket receives until it closes.
fn listen(mut ws: Socket, seen: Arc<AtomicU64>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(Ok(m)) = ws.next().await {
            if let Message::Text(t) = m {
                if t.contains("\"message.created\"") {
                    seen.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    })
}

/// The four variants (back to back / paced, with / without `Idempotency-Key`) on one backend.
pub async fn cpu_per_message(
    stoa: &PathBuf,
    database_url: Option<&str>,
    backend: &str,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    let pg = database_url.is_some();
    let (server, env) = messaging::setup(stoa, database_url).await?;
    let pid = server.child.id();
    let (bob_id, bob) = env.person(1).await?;
    let room = env.room(std::slice::from_ref(&bob_id)).await?;
    let url = format!("{}/api/v1/rooms/{room}/messages", env.base);
    let seen = Arc::new(AtomicU64::new(0));
    let listener = listen(env.socket(&bob).await?, seen.clone());

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
    // Warm up: connections, caches, the first index segment.
    for i in 0..50 {
        send(i, i % 2 == 0).await?;
    }

    for (paced, key) in [(false, false), (false, true), (true, false), (true, true)] {
        let n = if paced { PACED } else { BACK_TO_BACK };
        settle(pid, pg, Duration::from_secs(5)).await;
        let delivered_before = seen.load(Ordering::Relaxed);
        let before = CpuSample::take(pid, pg);
        let start = Instant::now();
        for i in 0..n {
            send(i, key).await?;
            if paced {
                // Idle until the next slot: CPU the server spends between messages counts.
                tokio::time::sleep_until((start + PACE * (i as u32 + 1)).into()).await;
            }
        }
        let elapsed = start.elapsed();
        let deadline = Instant::now() + Duration::from_secs(10);
        while seen.load(Ordering::Relaxed) - delivered_before < n as u64
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if !paced {
            // Work the sends left behind (outbox relay, index commit) belongs to them.
            settle(pid, pg, Duration::from_secs(3)).await;
        }
        let used = CpuSample::take(pid, pg).since(before);
        let delivered = seen.load(Ordering::Relaxed) - delivered_before;
        let per = |ms: f64| ms / n as f64;
        let split = if pg {
            format!(
                "server {:.2} + db {:.2}",
                per(used.server_ms),
                per(used.db_ms)
            )
        } else {
            "server, SQLite in process".to_string()
        };
        let rate = if paced {
            format!("{n} msgs at 10/s")
        } else {
            format!("{n} msgs at {:.0}/s", n as f64 / elapsed.as_secs_f64())
        };
        rows.push(Row {
            workload: format!(
                "CPU per message, {}, {} Idempotency-Key",
                if paced { "paced 10/s" } else { "back to back" },
                if key { "with" } else { "without" }
            ),
            backend: backend.into(),
            result: format!(
                "{:.2} ms ({split}) · {rate} · {delivered}/{n} delivered",
                per(used.total())
            ),
            target: if paced { "≤ 1 ms" } else { "≤ 0.5 ms" }.into(),
        });
    }
    listener.abort();
    drop(server);
    Ok(())
}
