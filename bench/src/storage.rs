//! W5 (search) and W6 (1 GiB upload and download) rows.

use crate::{fmt_ms, percentile, rss_kib, spawn, spawn_with, BoxError, Row};
use serde_json::json;
use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};
use stoa::{
    blobs::{local::LocalStore, BlobStore, ByteStream},
    search::{tantivy_index::TantivyIndex, Doc, Query, SearchIndex},
};

const GIB: u64 = 1 << 30;
const PIECE: usize = 1 << 20;

/// 1 GiB of the same pseudo-random bytes every time, in 1 MiB pieces.
fn gib_stream() -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send {
    let piece: bytes::Bytes = (0..PIECE)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect::<Vec<u8>>()
        .into();
    futures_util::stream::iter((0..GIB / PIECE as u64).map(move |_| Ok(piece.clone())))
}

fn mbps(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e6
}

/// Sample a process's RSS every 50 ms until stopped; returns the peak in KiB.
fn rss_sampler(pid: u32) -> (Arc<AtomicBool>, std::thread::JoinHandle<u64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let h = std::thread::spawn(move || {
        let mut peak = 0;
        while !s.load(Ordering::Relaxed) {
            peak = peak.max(rss_kib(pid).unwrap_or(0));
            std::thread::sleep(Duration::from_millis(50));
        }
        peak
    });
    (stop, h)
}

pub async fn admin_token(base: &str, operator: &str) -> Result<String, BoxError> {
    let client = reqwest::Client::new();
    client
        .post(format!("{base}/api/v1/operator/tenants"))
        .bearer_auth(operator)
        .json(&json!({ "slug": "bench", "name": "Bench", "admin_email": "admin@bench.test", "admin_password": "bench passphrase 1" }))
        .send()
        .await?
        .error_for_status()?;
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "tenant": "bench", "login": "admin@bench.test", "password": "bench passphrase 1" }))
        .send()
        .await?
        .json()
        .await?;
    Ok(login["token"].as_str().ok_or("no token")?.to_string())
}

/// The S3 server `scripts/s3.sh` started, if any.
pub struct S3Env {
    endpoint: String,
    access: String,
    secret: String,
}

impl S3Env {
    pub fn from_env() -> Option<S3Env> {
        Some(S3Env {
            endpoint: std::env::var("STOA_TEST_S3_ENDPOINT").ok()?,
            access: std::env::var("STOA_TEST_S3_ACCESS_KEY").ok()?,
            secret: std::env::var("STOA_TEST_S3_SECRET_KEY").ok()?,
        })
    }

    fn config(&self, bucket: &str) -> stoa::config::S3Config {
        stoa::config::S3Config {
            endpoint: self.endpoint.clone(),
            bucket: bucket.into(),
            access_key: stoa::config::Secret(self.access.clone()),
            secret_key: stoa::config::Secret(self.secret.clone()),
            create_bucket: true,
            ..stoa::config::S3Config::default()
        }
    }
}

/// W6: 1 GiB through the API (sealed) against the same bytes written straight to the store.
pub async fn w6(stoa: &PathBuf, s3: Option<&S3Env>, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    // Direct: the same store implementation, in this process, no HTTP, no sealing.
    let dir = std::env::temp_dir().join(format!("stoa-bench-w6-{}", uuid::Uuid::new_v4().simple()));
    let bucket = format!("bench-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let store: Box<dyn BlobStore> = match s3 {
        Some(s3) => Box::new(stoa::blobs::s3::S3Store::connect(&s3.config(&bucket)).await?),
        None => Box::new(LocalStore::open(&dir)?),
    };
    let backend = if s3.is_some() { "s3" } else { "local" };
    let t = Instant::now();
    let body: ByteStream = Box::pin(gib_stream());
    store.put("t/bench/00/direct", body).await?;
    let direct_put = t.elapsed();
    let t = Instant::now();
    let mut s = store.get("t/bench/00/direct", None).await?;
    let mut n = 0u64;
    use futures_util::StreamExt;
    while let Some(b) = s.next().await {
        n += b?.len() as u64;
    }
    let direct_get = t.elapsed();
    drop(s);
    store.delete("t/bench/00/direct").await?;
    let _ = std::fs::remove_dir_all(&dir);
    if n != GIB {
        return Err("direct read came back short".into());
    }

    let operator = format!("stoa_op_bench_{}", uuid::Uuid::new_v4().simple());
    let env: Vec<(String, String)> = match s3 {
        Some(s3) => vec![
            ("STOA_STORAGE__BACKEND".into(), "s3".into()),
            ("STOA_STORAGE__S3__ENDPOINT".into(), s3.endpoint.clone()),
            ("STOA_STORAGE__S3__ACCESS_KEY".into(), s3.access.clone()),
            ("STOA_STORAGE__S3__SECRET_KEY".into(), s3.secret.clone()),
            ("STOA_STORAGE__S3__BUCKET".into(), bucket.clone()),
        ],
        None => Vec::new(),
    };
    let server = spawn_with(stoa, None, &operator, &env)?;
    let pid = server.child.id();
    let token = admin_token(&server.base, &operator).await?;
    let client = reqwest::Client::new();
    let idle = rss_kib(pid).unwrap_or(0);

    let files = round_trip(
        &client,
        pid,
        &token,
        &format!("{}/api/v1/files?name=big.bin", server.base),
        |r| {
            format!(
                "{}/api/v1/files/{}",
                server.base,
                r["id"].as_str().unwrap_or("")
            )
        },
    )
    .await?;
    // The same through the documents API: a document in the admin's personal space.
    let spaces: serde_json::Value = client
        .get(format!("{}/api/v1/spaces", server.base))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let space = spaces
        .as_array()
        .and_then(|l| l.iter().find(|s| s["kind"] == "personal"))
        .and_then(|s| s["id"].as_str())
        .ok_or("no personal space")?
        .to_string();
    let docs = round_trip(
        &client,
        pid,
        &token,
        &format!(
            "{}/api/v1/spaces/{space}/documents?name=big.bin",
            server.base
        ),
        |r| {
            format!(
                "{}/api/v1/documents/{}/content",
                server.base,
                r["id"].as_str().unwrap_or("")
            )
        },
    )
    .await?;
    let growth = |peak: u64| format!("{:.1} MiB", peak.saturating_sub(idle) as f64 / 1024.0);
    if s3.is_none() {
        // The same download without sealing: what HTTP on loopback alone allows here.
        let plain = spawn_with(
            stoa,
            None,
            &operator,
            &[("STOA_STORAGE__ENCRYPT".to_string(), "false".to_string())],
        )?;
        let token = admin_token(&plain.base, &operator).await?;
        let r: serde_json::Value = client
            .post(format!("{}/api/v1/files?name=big.bin", plain.base))
            .bearer_auth(&token)
            .header("content-type", "application/octet-stream")
            .body(reqwest::Body::wrap_stream(gib_stream()))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let id = r["id"].as_str().ok_or("no id")?;
        let t = Instant::now();
        let mut resp = client
            .get(format!("{}/api/v1/files/{id}", plain.base))
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?;
        let mut got = 0u64;
        while let Some(chunk) = resp.chunk().await? {
            got += chunk.len() as u64;
        }
        let d = t.elapsed();
        rows.push(Row {
            workload: "reference: 1 GiB download through the API, not sealed".into(),
            backend: "local".into(),
            result: format!("{:.0} MB/s ({got} bytes)", mbps(GIB, d)),
            target: "(HTTP on loopback)".into(),
        });
    }
    for (what, rt) in [("files", &files), ("documents", &docs)] {
        rows.push(Row {
            workload: format!("W6 1 GiB upload: {what} API (sealed) vs direct store write"),
            backend: backend.into(),
            result: format!(
                "{:.0} vs {:.0} MB/s = {:.0} % · server RSS +{}",
                mbps(GIB, rt.put),
                mbps(GIB, direct_put),
                100.0 * direct_put.as_secs_f64() / rt.put.as_secs_f64(),
                growth(rt.put_peak)
            ),
            target: "≥ 80 %; growth ≤ 64 MiB".into(),
        });
        rows.push(Row {
            workload: format!("W6 1 GiB download: {what} API (sealed) vs direct store read"),
            backend: backend.into(),
            result: format!(
                "{:.0} vs {:.0} MB/s = {:.0} % · server RSS +{}",
                mbps(GIB, rt.get),
                mbps(GIB, direct_get),
                100.0 * direct_get.as_secs_f64() / rt.get.as_secs_f64(),
                growth(rt.get_peak)
            ),
            target: "≥ 80 %; growth ≤ 64 MiB".into(),
        });
    }
    Ok(())
}

struct RoundTrip {
    put: Duration,
    put_peak: u64,
    get: Duration,
    get_peak: u64,
}

/// Upload 1 GiB to `upload_url`, then download it from the URL the answer leads to, sampling
/// the server's RSS during each.
async fn round_trip(
    client: &reqwest::Client,
    pid: u32,
    token: &str,
    upload_url: &str,
    download_url: impl Fn(&serde_json::Value) -> String,
) -> Result<RoundTrip, BoxError> {
    let (stop, sampler) = rss_sampler(pid);
    let t = Instant::now();
    let r: serde_json::Value = client
        .post(upload_url)
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .header("content-length", GIB)
        .body(reqwest::Body::wrap_stream(gib_stream()))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let put = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let put_peak = sampler.join().unwrap_or(0);
    let (stop, sampler) = rss_sampler(pid);
    let t = Instant::now();
    let mut resp = client
        .get(download_url(&r))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?;
    let mut got = 0u64;
    while let Some(chunk) = resp.chunk().await? {
        got += chunk.len() as u64;
    }
    let get = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let get_peak = sampler.join().unwrap_or(0);
    if got != GIB {
        return Err(format!("download returned {got} bytes").into());
    }
    Ok(RoundTrip {
        put,
        put_peak,
        get,
        get_peak,
    })
}

const WORDS: &[&str] = &[
    "budget",
    "report",
    "meeting",
    "contract",
    "invoice",
    "review",
    "plan",
    "project",
    "design",
    "sales",
    "quarter",
    "customer",
    "schedule",
    "policy",
    "training",
    "hiring",
    "travel",
    "Hà Nội",
    "Đà Nẵng",
    "doanh thu",
    "báo cáo",
    "kế hoạch",
    "hợp đồng",
    "khách hàng",
    "cuộc họp",
    "北京",
    "上海",
    "预算",
    "会议",
    "合同",
    "客户",
    "销售",
    "报告",
];

/// Readers and tags of a document in a tenant with 200 people, 10 team spaces, a company space
/// and 8 roles: half in personal spaces, a third in team spaces, the rest company-wide; a
/// quarter shared with one or two people or roles.
fn document_access(owner: u64, next: &mut impl FnMut() -> u64) -> (Vec<String>, Vec<String>) {
    let (space, mut readers) = match next() % 20 {
        0..=9 => (format!("p-{owner}"), vec![format!("u:user-{owner}")]),
        10..=16 => {
            let team = format!("team-{}", next() % 10);
            (team.clone(), vec![format!("s:{team}"), "dm".into()])
        }
        _ => ("company".into(), vec!["s:company".into(), "dm".into()]),
    };
    if next().is_multiple_of(4) {
        for _ in 0..=(next() % 2) {
            readers.push(if next().is_multiple_of(2) {
                format!("u:user-{}", next() % 200)
            } else {
                format!("g:role-{}", next() % 8)
            });
        }
    }
    let ty = ["text/plain", "application/pdf", "image/png"][(next() % 3) as usize];
    let major = ty.split('/').next().unwrap_or("text");
    (
        readers,
        vec![
            format!("space:{space}"),
            format!("type:{ty}"),
            format!("type:{major}"),
        ],
    )
}

/// The tokens a person of that tenant holds: themself, the company space, two teams, a role;
/// one in twenty manages documents.
fn document_tokens(user: u64) -> Vec<String> {
    let mut t = vec![
        format!("u:user-{user}"),
        "s:company".into(),
        format!("s:team-{}", user % 10),
        format!("s:team-{}", (user * 7 + 3) % 10),
        format!("g:role-{}", user % 8),
    ];
    if user.is_multiple_of(20) {
        t.push("dm".into());
    }
    t
}

/// W5a: search over 100,000 items across 20 tenants with reader filters, in process. With
/// `documents`, the items are documents with spaces, shares and type tags, and a third of the
/// queries filter by space or type.
pub async fn w5_index(rows: &mut Vec<Row>, documents: bool) -> Result<(), BoxError> {
    let dir = std::env::temp_dir().join(format!("stoa-bench-w5-{}", uuid::Uuid::new_v4().simple()));
    let index = TantivyIndex::open(&dir)?;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let t = Instant::now();
    let total = 100_000u64;
    let mut batch = Vec::new();
    for i in 0..total {
        let tenant = format!("tenant-{}", i % 20);
        let owner_n = next() % 200;
        let owner = format!("user-{owner_n}");
        // Realistic sharing: the owner, plus one of 30 groups (rooms, shares) now and then.
        let (readers, tags) = if documents {
            document_access(owner_n, &mut next)
        } else {
            let mut readers = vec![format!("u:{owner}")];
            if next() % 3 == 0 {
                readers.push(format!("r:group-{}", next() % 30));
            }
            (readers, Vec::new())
        };
        let mut body = String::new();
        for _ in 0..40 {
            body.push_str(WORDS[(next() % WORDS.len() as u64) as usize]);
            body.push(' ');
        }
        batch.push(Doc {
            tenant_id: tenant,
            kind: if documents { "document" } else { "file" }.into(),
            id: format!("doc-{i}"),
            owner_id: owner,
            readers,
            tags,
            title: format!("{} {}", WORDS[(next() % 17) as usize], i),
            body,
            created_at: i as i64,
        });
        if batch.len() == 5000 {
            index.upsert(std::mem::take(&mut batch)).await?;
        }
    }
    index.upsert(batch).await?;
    index.flush().await?;
    let build = t.elapsed();
    let mut lat = Vec::new();
    let queries = [
        "budget",
        "Ha Noi",
        "北京",
        "bao cao khach hang",
        "report quarter",
        "预算",
    ];
    let mut hits = 0u64;
    for i in 0..600u64 {
        let user_n = next() % 200;
        let user = format!("user-{user_n}");
        let (readers, tags) = if documents {
            let tags = match i % 6 {
                0 | 1 => vec![format!("space:team-{}", user_n % 10)],
                2 => vec!["type:application/pdf".to_string()],
                _ => Vec::new(),
            };
            (document_tokens(user_n), tags)
        } else {
            (
                vec![
                    format!("u:{user}"),
                    format!("r:group-{}", next() % 30),
                    format!("r:group-{}", next() % 30),
                ],
                Vec::new(),
            )
        };
        let q = Query {
            tenant_id: format!("tenant-{}", i % 20),
            text: queries[(i % queries.len() as u64) as usize].into(),
            readers,
            tags,
            limit: 20,
            ..Query::default()
        };
        let t = Instant::now();
        let r = index.search(&q).await?;
        lat.push(t.elapsed());
        hits += r.hits.len() as u64;
    }
    lat.sort();
    rows.push(Row {
        workload: if documents {
            "W5 document search, 100,000 documents / 20 tenants: spaces, shares with people and roles; a third filtered by space or type; 600 queries"
        } else {
            "W5 search, 100,000 items / 20 tenants, reader-filtered, 600 queries"
        }
        .into(),
        backend: "embedded".into(),
        result: format!(
            "p50 {} · p95 {} · avg {:.1} hits · indexed in {:.1} s",
            fmt_ms(percentile(&lat, 0.5)),
            fmt_ms(percentile(&lat, 0.95)),
            hits as f64 / lat.len() as f64,
            build.as_secs_f64()
        ),
        target: "p95 ≤ 30 ms".into(),
    });
    drop(index);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// W5b: from an upload's commit to its text being searchable, through the API.
pub async fn w5_freshness(
    stoa: &PathBuf,
    database_url: Option<&str>,
    backend: &str,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    let operator = format!("stoa_op_bench_{}", uuid::Uuid::new_v4().simple());
    let server = spawn(stoa, database_url, &operator)?;
    let token = admin_token(&server.base, &operator).await?;
    let client = reqwest::Client::new();
    let mut lat = Vec::new();
    let seq = AtomicU64::new(0);
    for _ in 0..30 {
        let word = format!("freshword{}x", seq.fetch_add(1, Ordering::Relaxed));
        client
            .post(format!("{}/api/v1/files?name=n.txt", server.base))
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body(format!("notes about {word} for the meeting"))
            .send()
            .await?
            .error_for_status()?;
        // The upload's answer follows its commit.
        let t = Instant::now();
        loop {
            let r: serde_json::Value = client
                .get(format!("{}/api/v1/search", server.base))
                .query(&[("q", word.as_str())])
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            if r["items"].as_array().is_some_and(|a| !a.is_empty()) {
                break;
            }
            if t.elapsed() > Duration::from_secs(10) {
                return Err("an upload was not searchable within 10 s".into());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        lat.push(t.elapsed());
    }
    lat.sort();
    rows.push(Row {
        workload: "W5 commit → searchable (upload, extract, index, 30 files)".into(),
        backend: backend.into(),
        result: format!(
            "p50 {} · p95 {} · max {}",
            fmt_ms(percentile(&lat, 0.5)),
            fmt_ms(percentile(&lat, 0.95)),
            fmt_ms(percentile(&lat, 1.0))
        ),
        target: "≤ 1 s".into(),
    });
    Ok(())
}

/// Reference: sealing, hashing and opening in this process, no I/O (256 MiB).
pub async fn crypto_reference(rows: &mut Vec<Row>) -> Result<(), BoxError> {
    use futures_util::StreamExt;
    use sha2::Digest;
    const N: u64 = 256 << 20;
    let key = stoa::blobs::crypto::cipher(&[7u8; 32])?;
    let input: ByteStream = Box::pin(gib_stream().take((N / PIECE as u64) as usize));
    let t = Instant::now();
    let mut sealed = Vec::with_capacity(stoa::blobs::crypto::sealed_size(N) as usize);
    let mut s = stoa::blobs::crypto::seal(input, key.clone(), 1, "k");
    while let Some(b) = s.next().await {
        sealed.extend_from_slice(&b?);
    }
    let seal = t.elapsed();
    let t = Instant::now();
    let mut h = sha2::Sha256::new();
    h.update(&sealed);
    let _ = h.finalize();
    let hash = t.elapsed();
    let mut header = [0u8; stoa::blobs::crypto::HEADER];
    header.copy_from_slice(&sealed[..stoa::blobs::crypto::HEADER]);
    let body = bytes::Bytes::from(sealed).slice(stoa::blobs::crypto::HEADER..);
    let pieces: Vec<std::io::Result<bytes::Bytes>> = (0..body.len())
        .step_by(PIECE)
        .map(|i| Ok(body.slice(i..(i + PIECE).min(body.len()))))
        .collect();
    let t = Instant::now();
    let mut o = stoa::blobs::crypto::open(
        Box::pin(futures_util::stream::iter(pieces)),
        key,
        header,
        "k",
        N,
        0,
        0,
        N - 1,
    )?;
    let mut n = 0u64;
    while let Some(b) = o.next().await {
        n += b?.len() as u64;
    }
    let open = t.elapsed();
    if n != N {
        return Err("open came back short".into());
    }
    rows.push(Row {
        workload: "reference: AES-256-GCM seal / open, SHA-256, in process".into(),
        backend: "in-process".into(),
        result: format!(
            "seal {:.0} MB/s · open {:.0} MB/s · sha256 {:.0} MB/s",
            mbps(N, seal),
            mbps(N, open),
            mbps(N, hash)
        ),
        target: "(reference)".into(),
    });
    Ok(())
}

/// A person of the bench tenant: invited by the admin, signed in through the invitation.
async fn bench_person(
    client: &reqwest::Client,
    base: &str,
    admin: &str,
    n: usize,
    role_ids: &[String],
) -> Result<(String, String), BoxError> {
    let r: serde_json::Value = client
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(admin)
        .json(&json!({
            "display_name": format!("Person {n}"),
            "email": format!("p{n}@bench.test"),
            "role_ids": role_ids,
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = r["user"]["id"].as_str().ok_or("no user id")?.to_string();
    let inv = r["invitation"]["token"].as_str().ok_or("no invitation")?;
    let s: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/invitations/accept"))
        .json(&json!({ "token": inv, "password": "bench passphrase 1" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok((id, s["token"].as_str().ok_or("no token")?.to_string()))
}

/// W5c: document search through the API, with the database re-check of every hit: 2,000
/// documents in personal, team and company spaces, some shared with people or a role;
/// 300 queries by a team member holding shares.
pub async fn w5_documents_api(stoa: &PathBuf, rows: &mut Vec<Row>) -> Result<(), BoxError> {
    let operator = format!("stoa_op_bench_{}", uuid::Uuid::new_v4().simple());
    let server = spawn(stoa, None, &operator)?;
    let base = server.base.clone();
    let admin = admin_token(&base, &operator).await?;
    let client = reqwest::Client::new();
    let get = |path: String, token: String| {
        let c = client.clone();
        let url = format!("{base}{path}");
        async move {
            let v: serde_json::Value = c
                .get(url)
                .bearer_auth(token)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            Ok::<_, BoxError>(v)
        }
    };
    let role: serde_json::Value = client
        .post(format!("{base}/api/v1/roles"))
        .bearer_auth(&admin)
        .json(&json!({ "name": "Readers", "permissions": [] }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let role_id = role["id"].as_str().ok_or("no role id")?.to_string();
    let roles = get("/api/v1/roles".into(), admin.clone()).await?;
    let staff = roles
        .as_array()
        .and_then(|l| l.iter().find(|r| r["builtin"] == "staff"))
        .and_then(|r| r["id"].as_str())
        .ok_or("no staff role")?
        .to_string();
    // Person 0 also holds the role documents are shared with.
    let mut people = Vec::new();
    for n in 0..6 {
        let roles = if n == 0 {
            vec![staff.clone(), role_id.clone()]
        } else {
            vec![staff.clone()]
        };
        people.push(bench_person(&client, &base, &admin, n, &roles).await?);
    }
    let team: serde_json::Value = client
        .post(format!("{base}/api/v1/spaces"))
        .bearer_auth(&admin)
        .json(&json!({ "name": "Operations" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let team = team["id"].as_str().ok_or("no space id")?.to_string();
    for (id, _) in &people[..3] {
        client
            .put(format!("{base}/api/v1/spaces/{team}/members/{id}"))
            .bearer_auth(&admin)
            .json(&json!({ "role": "viewer" }))
            .send()
            .await?
            .error_for_status()?;
    }
    let spaces = get("/api/v1/spaces".into(), admin.clone()).await?;
    let pick = |kind: &str| -> Result<String, BoxError> {
        Ok(spaces
            .as_array()
            .and_then(|l| l.iter().find(|s| s["kind"] == kind))
            .and_then(|s| s["id"].as_str())
            .ok_or("no space")?
            .to_string())
    };
    let (personal, company) = (pick("personal")?, pick("company")?);
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let total = 2000;
    let t = Instant::now();
    for i in 0..total {
        let space = match i % 10 {
            0..=3 => &team,
            4..=7 => &personal,
            _ => &company,
        };
        let mut body = String::new();
        for _ in 0..40 {
            body.push_str(WORDS[(next() % WORDS.len() as u64) as usize]);
            body.push(' ');
        }
        let d: serde_json::Value = client
            .post(format!(
                "{base}/api/v1/spaces/{space}/documents?name=doc-{i}.txt"
            ))
            .bearer_auth(&admin)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if space == &personal && i % 3 == 0 {
            let (kind, grantee) = if i % 2 == 0 {
                ("user", people[0].0.clone())
            } else {
                ("role", role_id.clone())
            };
            client
                .post(format!("{base}/api/v1/shares"))
                .bearer_auth(&admin)
                .json(&json!({ "target_kind": "document", "target_id": d["id"], "grantee_kind": kind, "grantee_id": grantee, "role": "viewer" }))
                .send()
                .await?
                .error_for_status()?;
        }
    }
    let seeded = t.elapsed();
    // Wait for the index to catch up (the last document searchable by its name).
    let reader = people[0].1.clone();
    let t = Instant::now();
    loop {
        let r = get(
            format!("/api/v1/search?q=doc-{}&kind=document", total - 1),
            admin.clone(),
        )
        .await?;
        if r["items"].as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        if t.elapsed() > Duration::from_secs(120) {
            return Err("documents not indexed within 120 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let queries = [
        "budget",
        "Ha Noi",
        "北京",
        "bao cao khach hang",
        "report quarter",
        "预算",
    ];
    let mut lat = Vec::new();
    let mut hits = 0usize;
    for i in 0..300usize {
        let q = queries[i % queries.len()];
        let path = if i % 3 == 0 {
            format!(
                "/api/v1/search?q={}&kind=document&space={team}",
                urlencode(q)
            )
        } else {
            format!("/api/v1/search?q={}&kind=document", urlencode(q))
        };
        let t = Instant::now();
        let r = get(path, reader.clone()).await?;
        lat.push(t.elapsed());
        hits += r["items"].as_array().map_or(0, Vec::len);
    }
    lat.sort();
    rows.push(Row {
        workload: "W5 document search through the API (2,000 documents, team/personal/company spaces, person and role shares; every hit re-checked in the database), 300 queries".into(),
        backend: "sqlite".into(),
        result: format!(
            "p50 {} · p95 {} · avg {:.1} hits · seeded in {:.1} s",
            fmt_ms(percentile(&lat, 0.5)),
            fmt_ms(percentile(&lat, 0.95)),
            hits as f64 / lat.len() as f64,
            seeded.as_secs_f64()
        ),
        target: "p95 ≤ 30 ms".into(),
    });
    Ok(())
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
