//! Approvals under load, through the API like clients: `requests` requests (default 1,000)
//! through a three-node flow, decided by `approvers` (default 64) people acting at once.
//!
//! The template has three any-one nodes, each with its own third of the approvers. Every
//! request is submitted first (by eight submitters at once: submissions per second). Then each
//! approver loops: read their "waiting for me" box, pick one of its requests at random and
//! approve it. Approvers of the same node race for the same requests; a loser gets 409
//! (counted, not a failure: it is the any-one rule working). The row reports approvals per
//! second (each a committed state-machine step with its action record, audit entry, notices,
//! search work and outbox rows), the p50/p99 latency of an approve call, the 409s, and checks
//! that every request ended approved with exactly three approvals.

use crate::{fmt_ms, percentile, seed, storage, BoxError, Row, Spawned};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::{
    path::Path,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

const NODES: usize = 3;
const SUBMITTERS: usize = 8;
/// How long the deciding may take before the row reports what it got.
const BUDGET: Duration = Duration::from_secs(600);

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Result<(u16, Value), BoxError> {
    let mut rb = client.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await?;
    let status = r.status().as_u16();
    let v = r.json().await.unwrap_or(Value::Null);
    Ok((status, v))
}

/// The approvals row for one backend.
pub async fn approvals(
    stoa_bin: &Path,
    db_url: Option<&str>,
    backend: &str,
    requests: usize,
    approvers: usize,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    let approvers = approvers.max(NODES);
    let operator = format!("stoa_op_bench_{}", uuid::Uuid::new_v4().simple());
    let server: Spawned = crate::spawn(&stoa_bin.to_path_buf(), db_url, &operator)?;
    let admin = storage::admin_token(&server.base, &operator).await?;
    let people = seed::people(&server, db_url, approvers + SUBMITTERS).await?;
    let (deciders, submitters) = people.split_at(approvers);
    let client = reqwest::Client::new();
    let base = server.base.clone();

    let nodes: Vec<Value> = (0..NODES)
        .map(|k| {
            let ids: Vec<&str> = deciders
                .iter()
                .enumerate()
                .filter(|(i, _)| i % NODES == k)
                .map(|(_, p)| p.id.as_str())
                .collect();
            json!({ "id": format!("n{k}"), "name": format!("Step {}", k + 1), "mode": "any_one",
                    "approvers": [{ "kind": "people", "people": ids }] })
        })
        .collect();
    let (status, tpl) = call(
        &client,
        reqwest::Method::POST,
        format!("{base}/api/v1/approvals/templates"),
        &admin,
        Some(json!({
            "name": "Bench purchase", "category": "Bench",
            "form": { "fields": [
                { "id": "amount", "label": "Amount", "kind": "number", "required": true },
                { "id": "item", "label": "Item", "kind": "text", "required": true }
            ]},
            "flow": { "nodes": nodes }
        })),
    )
    .await?;
    if status != 201 {
        return Err(format!("template: {status} {tpl}").into());
    }
    let tid = tpl["id"].as_str().ok_or("template id")?.to_string();

    // ── submit ──
    let started = Instant::now();
    let submitted: Vec<Result<String, BoxError>> =
        futures_util::stream::iter((0..requests).map(|i| {
            let client = client.clone();
            let url = format!("{base}/api/v1/approvals/requests");
            let token = submitters[i % submitters.len()].token.clone();
            let tid = tid.clone();
            async move {
                let (status, v) = call(
                    &client,
                    reqwest::Method::POST,
                    url,
                    &token,
                    Some(json!({ "template_id": tid,
                                 "answers": { "amount": 100 + i, "item": format!("Laptop {i}") } })),
                )
                .await?;
                if status != 201 {
                    return Err(format!("submit: {status} {v}").into());
                }
                Ok(v["id"].as_str().unwrap_or_default().to_string())
            }
        }))
        .buffer_unordered(SUBMITTERS)
        .collect()
        .await;
    let submit_time = started.elapsed();
    let ids: Vec<String> = submitted.into_iter().collect::<Result<_, _>>()?;

    // ── decide ──
    let target = (ids.len() * NODES) as u64;
    let approved = Arc::new(AtomicU64::new(0));
    let conflicts = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + BUDGET;
    let started = Instant::now();
    let mut workers = Vec::with_capacity(deciders.len());
    for (w, p) in deciders.iter().enumerate() {
        let (client, base, token) = (client.clone(), base.clone(), p.token.clone());
        let (approved, conflicts, errors) = (approved.clone(), conflicts.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut pick = w;
            while approved.load(Ordering::Relaxed) < target && Instant::now() < deadline {
                let (status, page) = call(
                    &client,
                    reqwest::Method::GET,
                    format!("{base}/api/v1/approvals/requests?box=waiting&limit=20"),
                    &token,
                    None,
                )
                .await?;
                let items = page["items"].as_array().cloned().unwrap_or_default();
                if status != 200 || items.is_empty() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                // Spread the node's approvers over its requests (a cheap deterministic mix).
                pick = pick.wrapping_mul(31).wrapping_add(17);
                let id = items[pick % items.len()]["id"].as_str().unwrap_or_default();
                let t0 = Instant::now();
                let (status, _) = call(
                    &client,
                    reqwest::Method::POST,
                    format!("{base}/api/v1/approvals/requests/{id}/approve"),
                    &token,
                    Some(json!({})),
                )
                .await?;
                let took = t0.elapsed();
                match status {
                    200 => {
                        lat.push(took);
                        approved.fetch_add(1, Ordering::Relaxed);
                    }
                    409 => {
                        conflicts.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Ok::<_, BoxError>(lat)
        }));
    }
    let mut lat = Vec::new();
    for w in workers {
        lat.extend(w.await??);
    }
    let decide_time = started.elapsed();
    lat.sort();

    // Every request approved, three approvals each.
    let mut finished = 0;
    for id in &ids {
        let (_, r) = call(
            &client,
            reqwest::Method::GET,
            format!("{base}/api/v1/approvals/requests/{id}"),
            &admin,
            None,
        )
        .await?;
        let approvals = r["history"]
            .as_array()
            .map(|h| h.iter().filter(|a| a["action"] == "approve").count())
            .unwrap_or(0);
        if r["state"] == "approved" && approvals == NODES {
            finished += 1;
        }
    }
    let done = approved.load(Ordering::Relaxed);
    rows.push(Row {
        workload: format!(
            "approvals: {} requests × {NODES}-node flow, {} concurrent approvers",
            ids.len(),
            deciders.len()
        ),
        backend: backend.into(),
        result: format!(
            "{:.0} approvals/s ({done} in {}) · approve p50 {} · p99 {} · {} × 409 (any-one \
             races lost) · {} errors · submit {:.0}/s · {finished}/{} approved with {NODES} \
             approvals",
            done as f64 / decide_time.as_secs_f64().max(1e-9),
            fmt_ms(decide_time),
            fmt_ms(percentile(&lat, 0.5)),
            fmt_ms(percentile(&lat, 0.99)),
            conflicts.load(Ordering::Relaxed),
            errors.load(Ordering::Relaxed),
            ids.len() as f64 / submit_time.as_secs_f64().max(1e-9),
            ids.len(),
        ),
        target: "(reference: actions/s and p99)".into(),
    });
    drop(server);
    Ok(())
}
