//! `make bench`: measures Stoa against the targets in docs/benchmarks.md and prints a table.
//!
//! Benchmarks, not tests: they report numbers and never fail on them. Every load is bounded in
//! count and time and only talks to a server this program started on 127.0.0.1.

mod announcements;
mod approvals;
mod calendar;
mod cpu;
mod directory;
mod messaging;
mod retention;
mod roundtrips;
mod seed;
mod storage;
mod sys;
mod users;

use clap::Parser;
use serde_json::json;
use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};
use stoa::{
    authn::Principal,
    authz::{catalogue::CATALOGUE, Authz},
    db::Db,
    ops::ctx::RequestCtx,
    roles::store::RoleRow,
    tenants::store::TenantRow,
    users::store::UserRow,
};

#[derive(Parser)]
struct Args {
    /// The release `stoa` binary to benchmark.
    #[arg(long, default_value = "./target/release/stoa")]
    stoa: PathBuf,
    /// Seconds per HTTP load run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent connections for the HTTP load.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Run only these workloads (comma-separated: w1 (W1–W3), w4, w5, w6, w7, cpu (CPU per
    /// message), w4big (W4 with many idle sockets), announce (an announcement to 10,000
    /// people), users (users per machine), retention (preview and purge at a million
    /// messages), directory (address-book search over 50,000 people), calendar (agenda over
    /// 200 recurring series, booking one room under contention), approvals (1,000 requests
    /// through a three-node flow by 64 concurrent approvers), roundtrips (the SQL statements one
    /// send executes, listed; not part of the default run)).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Recipients of the announcement row (seeded people).
    #[arg(long, default_value_t = 10_000)]
    announce_recipients: usize,
    /// Of them, how many listen on an open socket (capped by the open-file limit).
    #[arg(long, default_value_t = 10_000)]
    announce_sockets: usize,
    /// Members (and open sockets) in the W4 room.
    #[arg(long, default_value_t = 1000)]
    w4_members: usize,
    /// Idle sockets for the large W4 row (capped by the open-file limit).
    #[arg(long, default_value_t = 10_000)]
    w4_big_sockets: usize,
    /// Users per machine: the largest active population tried.
    #[arg(long, default_value_t = 10_000)]
    users_max: usize,
    /// Users per machine: seconds each step is measured (after 5 s of warm-up).
    #[arg(long, default_value_t = 20)]
    users_hold: u64,
    /// Users per machine: the ramp's time budget per backend, in seconds (setup not counted).
    #[arg(long, default_value_t = 300)]
    users_budget: u64,
    /// Address-book rows: people seeded into the tenant.
    #[arg(long, default_value_t = 50_000)]
    directory_people: usize,
    /// Retention rows: messages seeded into the tenant (one in ten with an attachment).
    #[arg(long, default_value_t = 1_000_000)]
    retention_messages: usize,
    /// Approvals row: requests submitted and driven through the three-node flow.
    #[arg(long, default_value_t = 1000)]
    approvals_requests: usize,
    /// Approvals row: approvers acting at once (a third on each node).
    #[arg(long, default_value_t = 64)]
    approvals_approvers: usize,
    /// PostgreSQL server for the PostgreSQL rows (skipped when unreachable).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pg: String,
}

struct Row {
    workload: String,
    backend: String,
    result: String,
    target: String,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn fmt_us(d: Duration) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6)
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// W7a: 100 tenants, custom roles and bindings until the model holds ≥ 10,000 policy lines.
async fn authz_bench(rows: &mut Vec<Row>) -> Result<(), BoxError> {
    let dir = std::env::temp_dir().join(format!(
        "stoa-bench-authz-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    let db = Db::connect(&format!("sqlite://{}/authz.db?mode=rwc", dir.display()), 4).await?;
    db.migrate().await?;
    let perms: Vec<String> = CATALOGUE.iter().map(|p| p.key.to_string()).collect();
    let mut principals = Vec::new();
    let mut tx = db.begin().await?;
    for t in 0..100 {
        let tenant = TenantRow::new(format!("t{t}"), format!("Tenant {t}"));
        stoa::tenants::store::insert(&mut tx, &tenant).await?;
        let mut role_ids = Vec::new();
        for (i, builtin) in ["admin", "staff", "", "", ""].iter().enumerate() {
            let role = RoleRow::new(format!("role{i}"), String::new(), builtin);
            stoa::roles::store::insert(&mut tx, &tenant.id, &role).await?;
            if builtin.is_empty() {
                // Custom roles with a rotating slice of the catalogue.
                let slice: Vec<String> =
                    perms.iter().cycle().skip(i * 7).take(18).cloned().collect();
                stoa::roles::store::set_permissions(&mut tx, &tenant.id, &role.id, &slice).await?;
            }
            role_ids.push(role.id);
        }
        for u in 0..10 {
            let user = UserRow {
                status: "active".into(),
                ..UserRow::new(
                    &tenant.id,
                    format!("User {u}"),
                    Some(format!("u{u}@t{t}.test")),
                    None,
                    None,
                )
            };
            stoa::users::store::insert(&mut tx, &user).await?;
            let roles = vec![role_ids[1 + u % 4].clone(), role_ids[(u + 2) % 5].clone()];
            let mut roles = roles;
            roles.dedup();
            stoa::roles::store::set_user_roles(&mut tx, &tenant.id, &user.id, &roles).await?;
            principals.push(Principal {
                tenant_id: tenant.id.clone(),
                tenant_slug: tenant.slug.clone(),
                user_id: user.id,
                session_id: String::new(),
                policy_version: 0,
                consent_pending: false,
                ctx: RequestCtx::default(),
            });
        }
    }
    tx.commit().await?;
    let policy_lines: i64 = {
        let (custom, builtin_admin, builtin_staff, bindings): (i64, i64, i64, i64) = sqlx::query_as(
            "select (select count(*) from role_permissions), (select count(*) from roles where builtin = 'admin'),
                    (select count(*) from roles where builtin = 'staff'), (select count(*) from role_bindings)",
        )
        .fetch_one(&db.pool)
        .await?;
        let staff_perms = CATALOGUE.iter().filter(|p| p.staff).count() as i64;
        custom + builtin_admin * CATALOGUE.len() as i64 + builtin_staff * staff_perms + bindings
    };
    let load_start = Instant::now();
    let authz = Authz::new(db.clone()).await?;
    let load = load_start.elapsed();

    // Memoised checks as served to requests (first call per user fills the memo).
    for p in &principals {
        let _ = authz.permissions(p).await?;
    }
    let n = 200_000;
    let mut lat = Vec::with_capacity(n);
    let mut granted = 0u64;
    for i in 0..n {
        let p = &principals[(i * 7919) % principals.len()];
        let perm = CATALOGUE[(i * 31) % CATALOGUE.len()].key;
        let t = Instant::now();
        let ok = authz.require(p, perm).await.is_ok();
        lat.push(t.elapsed());
        granted += u64::from(ok);
    }
    lat.sort();
    rows.push(Row {
        workload: format!("W7 authz check ({policy_lines} policy lines, 100 tenants), memoised"),
        backend: "in-process".into(),
        result: format!(
            "median {} · p99 {} · {granted}/{n} granted",
            fmt_us(percentile(&lat, 0.5)),
            fmt_us(percentile(&lat, 0.99))
        ),
        target: "p99 ≤ 20 µs".into(),
    });
    // casbin's own matcher, for comparison (linear in the number of policies).
    let m = 300;
    let mut raw = Vec::with_capacity(m);
    for i in 0..m {
        let p = &principals[(i * 7919) % principals.len()];
        let perm = CATALOGUE[(i * 31) % CATALOGUE.len()].key;
        let t = Instant::now();
        let _ = authz.enforce_raw(&p.user_id, &p.tenant_id, perm).await;
        raw.push(t.elapsed());
    }
    raw.sort();
    rows.push(Row {
        workload: "W7 authz check, casbin enforce() without the memo".into(),
        backend: "in-process".into(),
        result: format!(
            "median {} · p99 {} · policy load {}",
            fmt_us(percentile(&raw, 0.5)),
            fmt_us(percentile(&raw, 0.99)),
            fmt_ms(load)
        ),
        target: "(reference)".into(),
    });
    // A policy change in one tenant: the next request reloads that tenant only.
    let mut reloads = Vec::new();
    for i in 0..20 {
        let p = &principals[i * 10];
        let mut tx = db.begin().await?;
        // No server runs here: the in-process enforcer is told by the version it reads.
        let _ = stoa::authz::bump_version(&mut tx, &p.tenant_id).await?;
        tx.commit().await?;
        let newer = Principal {
            policy_version: authz.loaded_version(&p.tenant_id) + 1,
            ..p.clone()
        };
        let t = Instant::now();
        let _ = authz.permissions(&newer).await?;
        reloads.push(t.elapsed());
    }
    reloads.sort();
    rows.push(Row {
        workload: "policy change → first check (reloads one tenant)".into(),
        backend: "in-process".into(),
        result: format!(
            "median {} · max {}",
            fmt_ms(percentile(&reloads, 0.5)),
            fmt_ms(percentile(&reloads, 1.0))
        ),
        target: "(reference)".into(),
    });
    db.pool.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

pub struct Spawned {
    child: Child,
    base: String,
    dir: PathBuf,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn spawn(stoa: &PathBuf, database_url: Option<&str>, operator: &str) -> Result<Spawned, BoxError> {
    spawn_with(stoa, database_url, operator, &[])
}

fn spawn_with(
    stoa: &PathBuf,
    database_url: Option<&str>,
    operator: &str,
    env: &[(String, String)],
) -> Result<Spawned, BoxError> {
    spawn_logged(stoa, database_url, operator, env, Stdio::null())
}

/// [`spawn_with`], the server's log (stderr) going to `stderr`.
fn spawn_logged(
    stoa: &PathBuf,
    database_url: Option<&str>,
    operator: &str,
    env: &[(String, String)],
    stderr: Stdio,
) -> Result<Spawned, BoxError> {
    let dir = std::env::temp_dir().join(format!("stoa-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let mut cmd = Command::new(stoa);
    cmd.arg("serve")
        .env("STOA_LISTEN", "127.0.0.1:0")
        .env("STOA_DATA_DIR", &dir)
        .env("STOA_OPERATOR__TOKEN", operator)
        .env("STOA_LOG_LEVEL", "warn")
        .env("STOA_DATABASE_MAX_CONNECTIONS", "32")
        .stdout(Stdio::piped())
        .stderr(stderr);
    if let Some(url) = database_url {
        cmd.env("STOA_DATABASE_URL", url);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let base = line
        .trim()
        .strip_prefix("stoa listening on ")
        .ok_or("server did not start")?
        .to_string();
    eprintln!("server ready in {}", fmt_ms(started.elapsed()));
    Ok(Spawned { child, base, dir })
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// W7b: an authenticated list endpoint under `connections` concurrent clients for `seconds`.
async fn http_bench(
    args: &Args,
    backend: &str,
    database_url: Option<&str>,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    let operator = format!("stoa_op_bench_{}", uuid::Uuid::new_v4().simple());
    let server = spawn(&args.stoa, database_url, &operator)?;
    let idle_rss = rss_kib(server.child.id());
    let client = reqwest::Client::new();
    let token = storage::admin_token(&server.base, &operator).await?;
    for i in 0..20 {
        client
            .post(format!("{}/api/v1/users", server.base))
            .bearer_auth(&token)
            .json(&json!({ "display_name": format!("Person {i}"), "email": format!("p{i}@bench.test") }))
            .send()
            .await?;
    }
    let url = Arc::new(format!("{}/api/v1/users?limit=20", server.base));
    // wrk, when installed, is a much lighter client than this process: on 2 cores every cycle
    // the client spends is taken from the server, so prefer it.
    if let Some((rps, p50, p99, non2xx)) = run_wrk(&url, &token, args.connections, args.seconds) {
        let load_rss = rss_kib(server.child.id());
        rows.push(Row {
            workload: format!(
                "W7 GET /users?limit=20, {} connections, {}s (wrk)",
                args.connections, args.seconds
            ),
            backend: backend.into(),
            result: format!("{rps:.0} req/s · p50 {p50} · p99 {p99} · {non2xx} non-2xx"),
            target: "≥ 10,000 req/s".into(),
        });
        rows.push(rss_row(backend, idle_rss, load_rss));
        return Ok(());
    }
    let token = Arc::new(token);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..args.connections {
        let url = url.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            // One connection per simulated client.
            let c = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .map_err(|e| e.to_string())?;
            let mut lat = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                match c.get(url.as_str()).bearer_auth(token.as_str()).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            Ok::<_, String>((lat, errors))
        }));
    }
    let start = Instant::now();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await??;
        all.extend(lat);
        errors += e;
    }
    let elapsed = start.elapsed();
    all.sort();
    let rps = all.len() as f64 / elapsed.as_secs_f64();
    let load_rss = rss_kib(server.child.id());
    rows.push(Row {
        workload: format!(
            "W7 GET /users?limit=20, {} connections, {}s",
            args.connections, args.seconds
        ),
        backend: backend.into(),
        result: format!(
            "{rps:.0} req/s · p50 {} · p99 {} · {errors} errors",
            fmt_ms(percentile(&all, 0.5)),
            fmt_ms(percentile(&all, 0.99))
        ),
        target: "≥ 10,000 req/s".into(),
    });
    rows.push(rss_row(backend, idle_rss, load_rss));
    Ok(())
}

fn rss_row(backend: &str, idle: Option<u64>, load: Option<u64>) -> Row {
    let mib = |k: Option<u64>| {
        k.map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
            .unwrap_or_else(|| "?".into())
    };
    Row {
        workload: "server RSS idle → under load".into(),
        backend: backend.into(),
        result: format!("{} → {}", mib(idle), mib(load)),
        target: "idle ≤ 60 MiB".into(),
    }
}

/// Run wrk against `url`; `None` when wrk is not installed or its output cannot be read.
fn run_wrk(
    url: &str,
    token: &str,
    connections: usize,
    seconds: u64,
) -> Option<(f64, String, String, u64)> {
    let out = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
        ])
        .args(["-H", &format!("Authorization: Bearer {token}"), url])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |prefix: &str| {
        text.lines().find_map(|l| {
            l.trim()
                .strip_prefix(prefix)
                .map(|v| v.split_whitespace().next().unwrap_or("").to_string())
        })
    };
    let rps: f64 = field("Requests/sec:")?.parse().ok()?;
    let non2xx = field("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Some((rps, field("50%")?, field("99%")?, non2xx))
}

async fn pg_database(admin_url: &str) -> Option<(String, String)> {
    use sqlx::Connection;
    let mut c = tokio::time::timeout(
        Duration::from_secs(3),
        sqlx::PgConnection::connect(admin_url),
    )
    .await
    .ok()?
    .ok()?;
    let name = format!("stoa_bench_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("create database {name}"))
        .execute(&mut c)
        .await
        .ok()?;
    let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_string())?;
    Some((name.clone(), format!("{base}/{name}")))
}

async fn drop_pg_database(admin_url: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut c) = sqlx::PgConnection::connect(admin_url).await {
        let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
            .execute(&mut c)
            .await;
    }
}

fn print_table(rows: &[Row]) {
    let w = [
        rows.iter()
            .map(|r| r.workload.chars().count())
            .max()
            .unwrap_or(8)
            .max(8),
        rows.iter()
            .map(|r| r.backend.chars().count())
            .max()
            .unwrap_or(7)
            .max(7),
        rows.iter()
            .map(|r| r.result.chars().count())
            .max()
            .unwrap_or(6)
            .max(6),
        rows.iter()
            .map(|r| r.target.chars().count())
            .max()
            .unwrap_or(6)
            .max(6),
    ];
    let pad = |s: &str, n: usize| format!("{s}{}", " ".repeat(n.saturating_sub(s.chars().count())));
    println!(
        "| {} | {} | {} | {} |",
        pad("workload", w[0]),
        pad("backend", w[1]),
        pad("result", w[2]),
        pad("target", w[3])
    );
    println!(
        "|{}|{}|{}|{}|",
        "-".repeat(w[0] + 2),
        "-".repeat(w[1] + 2),
        "-".repeat(w[2] + 2),
        "-".repeat(w[3] + 2)
    );
    for r in rows {
        println!(
            "| {} | {} | {} | {} |",
            pad(&r.workload, w[0]),
            pad(&r.backend, w[1]),
            pad(&r.result, w[2]),
            pad(&r.target, w[3])
        );
    }
}

async fn w7(args: &Args, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    eprintln!("W7a: authorization checks…");
    authz_bench(rows).await?;
    eprintln!("W7b: HTTP load on SQLite…");
    http_bench(args, "sqlite", None, rows).await?;
    match pg_database(&args.pg).await {
        Some((name, url)) => {
            eprintln!("W7b: HTTP load on PostgreSQL…");
            let result = http_bench(args, "postgres", Some(&url), rows).await;
            drop_pg_database(&args.pg, &name).await;
            result?;
        }
        None => eprintln!("PostgreSQL unreachable: PostgreSQL rows skipped"),
    }
    Ok(())
}

async fn w1(args: &Args, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    eprintln!("W1–W3: messaging on SQLite…");
    messaging::w1_w3(&args.stoa, None, "sqlite", rows).await?;
    if let Some((name, url)) = pg_database(&args.pg).await {
        eprintln!("W1–W3: messaging on PostgreSQL…");
        let result = messaging::w1_w3(&args.stoa, Some(&url), "postgres", rows).await;
        drop_pg_database(&args.pg, &name).await;
        result?;
    }
    Ok(())
}

async fn w5(args: &Args, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    eprintln!("W5: search over 100,000 items…");
    storage::w5_index(rows, false).await?;
    eprintln!("W5: document search over 100,000 documents with sharing…");
    storage::w5_index(rows, true).await?;
    eprintln!("W5: document search through the API…");
    storage::w5_documents_api(&args.stoa, rows).await?;
    eprintln!("W5: commit → searchable on SQLite…");
    storage::w5_freshness(&args.stoa, None, "sqlite", rows).await?;
    if let Some((name, url)) = pg_database(&args.pg).await {
        eprintln!("W5: commit → searchable on PostgreSQL…");
        let result = storage::w5_freshness(&args.stoa, Some(&url), "postgres", rows).await;
        drop_pg_database(&args.pg, &name).await;
        result?;
    }
    Ok(())
}

async fn w6(args: &Args, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    storage::crypto_reference(rows).await?;
    eprintln!("W6: 1 GiB upload and download (local store)…");
    storage::w6(&args.stoa, None, rows).await?;
    match storage::S3Env::from_env() {
        Some(s3) => {
            eprintln!("W6: 1 GiB upload and download (S3, SeaweedFS)…");
            storage::w6(&args.stoa, Some(&s3), rows).await?;
        }
        None => eprintln!("no S3 server (STOA_TEST_S3_ENDPOINT): S3 rows skipped"),
    }
    Ok(())
}

async fn cpu(args: &Args, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    eprintln!("CPU per message on SQLite…");
    cpu::cpu_per_message(&args.stoa, None, "sqlite", rows).await?;
    match pg_database(&args.pg).await {
        Some((name, url)) => {
            eprintln!("CPU per message on PostgreSQL…");
            let result = cpu::cpu_per_message(&args.stoa, Some(&url), "postgres", rows).await;
            drop_pg_database(&args.pg, &name).await;
            result?;
        }
        None => eprintln!("PostgreSQL unreachable: PostgreSQL rows skipped"),
    }
    Ok(())
}

async fn roundtrips(args: &Args, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    eprintln!("Statements per send on SQLite…");
    roundtrips::per_send(&args.stoa, None, "sqlite", rows).await?;
    match pg_database(&args.pg).await {
        Some((name, url)) => {
            eprintln!("Statements per send on PostgreSQL…");
            let result = roundtrips::per_send(&args.stoa, Some(&url), "postgres", rows).await;
            drop_pg_database(&args.pg, &name).await;
            result?;
        }
        None => eprintln!("PostgreSQL unreachable: PostgreSQL rows skipped"),
    }
    Ok(())
}

async fn w4_big(args: &Args, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    let n = args.w4_big_sockets;
    eprintln!("W4: {n} idle sockets on SQLite…");
    messaging::w4_big(&args.stoa, None, "sqlite", n, rows).await?;
    match pg_database(&args.pg).await {
        Some((name, url)) => {
            eprintln!("W4: {n} idle sockets on PostgreSQL…");
            let result = messaging::w4_big(&args.stoa, Some(&url), "postgres", n, rows).await;
            drop_pg_database(&args.pg, &name).await;
            result?;
        }
        None => eprintln!("PostgreSQL unreachable: PostgreSQL rows skipped"),
    }
    Ok(())
}

async fn announce(args: &Args, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    let (n, k) = (args.announce_recipients, args.announce_sockets);
    eprintln!("An announcement to {n} people on SQLite…");
    announcements::to_everyone(&args.stoa, None, "sqlite", n, k, rows).await?;
    match pg_database(&args.pg).await {
        Some((name, url)) => {
            eprintln!("An announcement to {n} people on PostgreSQL…");
            let result =
                announcements::to_everyone(&args.stoa, Some(&url), "postgres", n, k, rows).await;
            drop_pg_database(&args.pg, &name).await;
            result?;
        }
        None => eprintln!("PostgreSQL unreachable: PostgreSQL rows skipped"),
    }
    Ok(())
}

async fn users(args: &Args, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    let limits = users::Limits {
        max_people: args.users_max,
        hold: Duration::from_secs(args.users_hold),
        budget: Duration::from_secs(args.users_budget),
    };
    eprintln!("Users per machine on SQLite…");
    users::users(&args.stoa, None, "sqlite", &limits, rows).await?;
    match pg_database(&args.pg).await {
        Some((name, url)) => {
            eprintln!("Users per machine on PostgreSQL…");
            let result = users::users(&args.stoa, Some(&url), "postgres", &limits, rows).await;
            drop_pg_database(&args.pg, &name).await;
            result?;
        }
        None => eprintln!("PostgreSQL unreachable: PostgreSQL rows skipped"),
    }
    Ok(())
}

async fn retention(args: &Args, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    let n = args.retention_messages;
    retention::retention(&args.stoa, None, "sqlite", n, rows).await?;
    match pg_database(&args.pg).await {
        Some((name, url)) => {
            let result = retention::retention(&args.stoa, Some(&url), "postgres", n, rows).await;
            drop_pg_database(&args.pg, &name).await;
            result?;
        }
        None => eprintln!("PostgreSQL unreachable: PostgreSQL rows skipped"),
    }
    Ok(())
}

async fn directory(args: &Args, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    let n = args.directory_people;
    eprintln!("Address book: {n} people on SQLite…");
    directory::directory(&args.stoa, None, "sqlite", n, rows).await?;
    match pg_database(&args.pg).await {
        Some((name, url)) => {
            eprintln!("Address book: {n} people on PostgreSQL…");
            let result = directory::directory(&args.stoa, Some(&url), "postgres", n, rows).await;
            drop_pg_database(&args.pg, &name).await;
            result?;
        }
        None => eprintln!("PostgreSQL unreachable: PostgreSQL rows skipped"),
    }
    Ok(())
}

async fn calendar(args: &Args, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    eprintln!("Calendar: agenda and booking on SQLite…");
    calendar::calendar(&args.stoa, None, "sqlite", rows).await?;
    match pg_database(&args.pg).await {
        Some((name, url)) => {
            eprintln!("Calendar: agenda and booking on PostgreSQL…");
            let result = calendar::calendar(&args.stoa, Some(&url), "postgres", rows).await;
            drop_pg_database(&args.pg, &name).await;
            result?;
        }
        None => eprintln!("PostgreSQL unreachable: PostgreSQL rows skipped"),
    }
    Ok(())
}

async fn approvals(args: &Args, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    let (n, k) = (args.approvals_requests, args.approvals_approvers);
    eprintln!("Approvals: {n} requests, {k} approvers on SQLite…");
    approvals::approvals(&args.stoa, None, "sqlite", n, k, rows).await?;
    match pg_database(&args.pg).await {
        Some((name, url)) => {
            eprintln!("Approvals: {n} requests, {k} approvers on PostgreSQL…");
            let result = approvals::approvals(&args.stoa, Some(&url), "postgres", n, k, rows).await;
            drop_pg_database(&args.pg, &name).await;
            result?;
        }
        None => eprintln!("PostgreSQL unreachable: PostgreSQL rows skipped"),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    // Many sockets need many descriptors; spawned servers inherit the raised limit.
    let nofile = sys::raise_nofile();
    eprintln!("open-file limit: {nofile}");
    let mut rows = Vec::new();
    let run = |w: &str| args.only.is_empty() || args.only.iter().any(|o| o.eq_ignore_ascii_case(w));
    if run("w7") {
        w7(&args, &mut rows).await?;
    }
    if run("w1") {
        w1(&args, &mut rows).await?;
    }
    if run("w4") {
        eprintln!("W4: one message to a {}-member room…", args.w4_members);
        messaging::w4(&args.stoa, None, "sqlite", args.w4_members, &mut rows).await?;
        if let Some((name, url)) = pg_database(&args.pg).await {
            let result = messaging::w4(
                &args.stoa,
                Some(&url),
                "postgres",
                args.w4_members,
                &mut rows,
            )
            .await;
            drop_pg_database(&args.pg, &name).await;
            result?;
        }
    }
    if run("cpu") {
        cpu(&args, &mut rows).await?;
    }
    if args.only.iter().any(|o| o == "roundtrips") {
        roundtrips(&args, &mut rows).await?;
    }
    if run("w4big") {
        w4_big(&args, &mut rows).await?;
    }
    if run("announce") {
        announce(&args, &mut rows).await?;
    }
    if run("users") {
        users(&args, &mut rows).await?;
    }
    if run("retention") {
        retention(&args, &mut rows).await?;
    }
    if run("directory") {
        directory(&args, &mut rows).await?;
    }
    if run("calendar") {
        calendar(&args, &mut rows).await?;
    }
    if run("approvals") {
        approvals(&args, &mut rows).await?;
    }
    if run("w5") {
        w5(&args, &mut rows).await?;
    }
    if run("w6") {
        w6(&args, &mut rows).await?;
    }
    println!();
    print_table(&rows);
    Ok(())
}
