//! An announcement to 10,000 recipients: the time until every notice is written (the publish
//! answer: one transaction with the announcement, its audit entry and a notice per person) and
//! until every open socket of the audience has its `notice` frame.

use crate::{
    fmt_ms,
    messaging::{bearer_socket, next_json, setup, Socket},
    percentile, BoxError, Row,
};
use futures_util::StreamExt;
use serde_json::json;
use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

/// How long opening the sockets may take (the row reports how many opened).
const OPEN_BOUND: Duration = Duration::from_secs(120);
/// How long the frames may take to arrive.
const DELIVERY_BOUND: Duration = Duration::from_secs(60);

/// `n` seeded people (all active staff, so "everyone" is `n` + the admin), up to `sockets` of
/// them with an open socket; one announcement to everyone.
pub async fn to_everyone(
    stoa: &PathBuf,
    database_url: Option<&str>,
    backend: &str,
    n: usize,
    sockets: usize,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    let limit = crate::sys::raise_nofile();
    let sockets = sockets.min(n).min(limit.saturating_sub(256) as usize);
    let (server, env) = setup(stoa, database_url).await?;
    let people = crate::seed::people(&server, database_url, n).await?;
    let started = Instant::now();
    let deadline = started + OPEN_BOUND;
    let opened: Vec<Result<Socket, BoxError>> =
        futures_util::stream::iter(people.iter().take(sockets).map(|p| {
            let base = env.base.clone();
            let token = p.token.clone();
            async move { bearer_socket(&base, &token).await }
        }))
        .buffer_unordered(32)
        .take_while(|_| std::future::ready(Instant::now() < deadline))
        .collect()
        .await;
    let open: Vec<Socket> = opened.into_iter().filter_map(Result::ok).collect();
    let open_count = open.len();
    let mut waiters = Vec::with_capacity(open_count);
    for mut ws in open {
        waiters.push(tokio::spawn(async move {
            let until = Instant::now() + DELIVERY_BOUND;
            while Instant::now() < until {
                let v = next_json(&mut ws).await?;
                if v["type"] == "notice" {
                    return Ok::<_, BoxError>((Instant::now(), ws));
                }
            }
            Err("no notice in time".into())
        }));
    }
    let t0 = Instant::now();
    env.post(
        "/api/v1/announcements",
        &env.admin,
        json!({ "title": "All hands", "body": "Everyone: **read this**.",
                "audience": [{ "kind": "everyone" }], "ack_required": true }),
    )
    .await?;
    let written = t0.elapsed();
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
    rows.push(Row {
        workload: format!("announcement to {n} recipients, {open_count} open sockets"),
        backend: backend.into(),
        result: format!(
            "{} notices written and committed in {} · all delivered p50 {} · p95 {} · max {} · \
             {drops} drops",
            n,
            fmt_ms(written),
            fmt_ms(percentile(&lat, 0.5)),
            fmt_ms(percentile(&lat, 0.95)),
            fmt_ms(percentile(&lat, 1.0)),
        ),
        target: "(reference: time until written and delivered)".into(),
    });
    drop(keep);
    drop(server);
    Ok(())
}
