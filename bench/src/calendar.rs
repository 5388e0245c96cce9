//! Meetings at scale, through the API like a client:
//!
//! - **agenda**: one person organises 200 recurring series (weekly, weekday-daily, monthly on
//!   the 2nd Tuesday, every other week…, in five zones, some with left-out dates), then reads
//!   their agenda for a month (`GET /agenda`, following the cursor to the last page) again and
//!   again: p50/p95 of a whole month's read.
//! - **booking**: 64 clients book one room at once. First each books its own slots (distinct
//!   hours: every booking must succeed, serialised on the room's lock): bookings per second and
//!   latency. Then all 64 ask for the same slot at the same moment, ten times: exactly one may
//!   win each time, the others get 409 `booking_conflict`.

use crate::{fmt_ms, percentile, storage, BoxError, Row, Spawned};
use serde_json::{json, Value};
use std::{sync::Arc, time::Instant};

const SERIES: usize = 200;
const ROUNDS: usize = 40;
const CLIENTS: usize = 64;
const PER_CLIENT: usize = 10;
const SAME_SLOT_ROUNDS: usize = 10;

const ZONES: &[&str] = &[
    "Asia/Ho_Chi_Minh",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Shanghai",
    "UTC",
];
const RULES: &[&str] = &[
    "FREQ=WEEKLY;BYDAY=MO,WE",
    "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
    "FREQ=MONTHLY;BYDAY=2TU",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
    "FREQ=MONTHLY;BYMONTHDAY=1,15",
    "FREQ=WEEKLY;BYDAY=TH;COUNT=100",
];

async fn post(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: Value,
) -> Result<(u16, Value), BoxError> {
    let r = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = r.status().as_u16();
    let v = r.json().await.unwrap_or(Value::Null);
    Ok((status, v))
}

/// The agenda and booking rows for one backend.
pub async fn calendar(
    stoa_bin: &std::path::Path,
    db_url: Option<&str>,
    backend: &str,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    let operator = format!("stoa_op_bench_{}", uuid::Uuid::new_v4().simple());
    let server: Spawned = crate::spawn(&stoa_bin.to_path_buf(), db_url, &operator)?;
    let token = storage::admin_token(&server.base, &operator).await?;
    let client = reqwest::Client::new();
    let base = server.base.clone();

    // ── agenda ──
    let started = Instant::now();
    for i in 0..SERIES {
        let zone = ZONES[i % ZONES.len()];
        let hour = 7 + i % 11;
        let mut body = json!({
            "title": format!("Series {i}"),
            "time_zone": zone,
            "start": format!("2026-01-{:02}T{hour:02}:00", 5 + i % 20),
            "end": format!("2026-01-{:02}T{hour:02}:45", 5 + i % 20),
            "rrule": RULES[i % RULES.len()],
        });
        // The weekday-daily series leave out a Wednesday in March.
        if i % RULES.len() == 1 {
            body["exdates"] = json!([format!("2026-03-04T{hour:02}:00")]);
        }
        let (status, v) = post(&client, format!("{base}/api/v1/meetings"), &token, body).await?;
        if status != 201 {
            return Err(format!("creating series {i}: {status} {v}").into());
        }
    }
    eprintln!("created {SERIES} series in {}", fmt_ms(started.elapsed()));
    let mut lat = Vec::with_capacity(ROUNDS);
    let (mut count, mut pages) = (0, 0);
    for round in 0..=ROUNDS {
        let t = Instant::now();
        let (mut n, mut p, mut cursor) = (0, 0, None::<String>);
        loop {
            let mut q = vec![
                ("from", "2026-03-01".to_string()),
                ("to", "2026-03-31".to_string()),
                ("zone", "Asia/Ho_Chi_Minh".to_string()),
                ("limit", "500".to_string()),
            ];
            if let Some(c) = cursor.take() {
                q.push(("cursor", c));
            }
            let v: Value = client
                .get(format!("{base}/api/v1/agenda"))
                .bearer_auth(&token)
                .query(&q)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            n += v["items"].as_array().map_or(0, Vec::len);
            p += 1;
            match v["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        // The first read warms the caches.
        if round > 0 {
            lat.push(t.elapsed());
            (count, pages) = (n, p);
        }
    }
    lat.sort();
    rows.push(Row {
        workload: format!(
            "Agenda for a month: {SERIES} recurring series in 5 zones ({count} occurrences on {pages} pages of ≤ 500), {ROUNDS} whole-month reads"
        ),
        backend: backend.into(),
        result: format!(
            "p50 {} · p95 {}",
            fmt_ms(percentile(&lat, 0.50)),
            fmt_ms(percentile(&lat, 0.95))
        ),
        target: "(reference: interactive, ≤ 100 ms)".into(),
    });

    // ── booking ──
    let (status, room) = post(
        &client,
        format!("{base}/api/v1/meeting-resources"),
        &token,
        json!({ "name": "Room Hà Nội", "capacity": 12 }),
    )
    .await?;
    if status != 201 {
        return Err(format!("creating the room: {status} {room}").into());
    }
    let room = Arc::new(room["id"].as_str().ok_or("no room id")?.to_string());
    let token = Arc::new(token);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (client, base, token, room) =
            (client.clone(), base.clone(), token.clone(), room.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failed = 0;
            for k in 0..PER_CLIENT {
                // Distinct slots: client c, booking k → its own hour on its own day.
                let slot = c * PER_CLIENT + k;
                let day = 1 + slot / 20;
                let hour = slot % 20;
                let t = Instant::now();
                let r = post(
                    &client,
                    format!("{base}/api/v1/meetings"),
                    &token,
                    json!({ "title": format!("Booking {slot}"), "time_zone": "UTC",
                            "start": format!("2027-{:02}-{:02}T{hour:02}:00", 1 + day / 28, 1 + day % 28),
                            "end": format!("2027-{:02}-{:02}T{hour:02}:50", 1 + day / 28, 1 + day % 28),
                            "resource_ids": [room.as_str()] }),
                )
                .await;
                lat.push(t.elapsed());
                if !matches!(r, Ok((201, _))) {
                    failed += 1;
                }
            }
            (lat, failed)
        }));
    }
    let mut lat = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (l, f) = t.await?;
        lat.extend(l);
        failed += f;
    }
    let elapsed = started.elapsed();
    lat.sort();
    rows.push(Row {
        workload: format!(
            "Booking one room: {CLIENTS} clients × {PER_CLIENT} distinct slots at once"
        ),
        backend: backend.into(),
        result: format!(
            "{:.0} bookings/s · p50 {} · p99 {} · {failed} failed",
            lat.len() as f64 / elapsed.as_secs_f64(),
            fmt_ms(percentile(&lat, 0.50)),
            fmt_ms(percentile(&lat, 0.99)),
        ),
        target: "(reference) all succeed".into(),
    });
    let mut winners = Vec::new();
    let mut lat = Vec::new();
    for round in 0..SAME_SLOT_ROUNDS {
        let gate = Arc::new(tokio::sync::Barrier::new(CLIENTS));
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let (client, base, token, room, gate) = (
                client.clone(),
                base.clone(),
                token.clone(),
                room.clone(),
                gate.clone(),
            );
            tasks.push(tokio::spawn(async move {
                gate.wait().await;
                let t = Instant::now();
                let r = post(
                    &client,
                    format!("{base}/api/v1/meetings"),
                    &token,
                    json!({ "title": format!("Race {round}/{c}"), "time_zone": "UTC",
                            "start": format!("2028-01-{:02}T09:00", round + 1),
                            "end": format!("2028-01-{:02}T10:00", round + 1),
                            "resource_ids": [room.as_str()] }),
                )
                .await;
                (t.elapsed(), r.map(|(s, _)| s).unwrap_or(0))
            }));
        }
        let mut won = 0;
        for t in tasks {
            let (l, status) = t.await?;
            lat.push(l);
            won += usize::from(status == 201);
            if status != 201 && status != 409 {
                return Err(format!("a racing booking answered {status}").into());
            }
        }
        winners.push(won);
    }
    lat.sort();
    let exact = winners.iter().all(|w| *w == 1);
    rows.push(Row {
        workload: format!(
            "Booking race: {CLIENTS} clients ask for the same slot of one room at once, {SAME_SLOT_ROUNDS} times"
        ),
        backend: backend.into(),
        result: format!(
            "winners per race {winners:?} · p50 {} · p99 {}",
            fmt_ms(percentile(&lat, 0.50)),
            fmt_ms(percentile(&lat, 0.99)),
        ),
        target: format!("exactly one winner {}", if exact { "✔" } else { "✘" }),
    });
    Ok(())
}
