//! The test harness: spawns the real `stoa` binary on port 0 against a fresh SQLite file or a
//! fresh PostgreSQL database, and talks HTTP to it like a client. Everything is cleaned up in
//! `Drop`.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

pub const PASSWORD: &str = "correct horse battery";

/// How long a test waits for background work (indexing, the outbox, a log line): generous,
/// because CI machines are busy and two cores may be building while they test. Tests poll the
/// condition and go on as soon as it holds; this is only the point at which they give up.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// Whether `start` is still within [`PATIENCE`].
pub fn patient(start: std::time::Instant) -> bool {
    start.elapsed() < PATIENCE
}
/// A scrape token for servers started with `("STOA_METRICS_TOKEN", METRICS_TOKEN)`.
pub const METRICS_TOKEN: &str = "stoa-test-metrics-scrape-token";
pub const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Run a test body once per backend.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    };
}

pub fn stoa_bin() -> PathBuf {
    if let Ok(p) = std::env::var("STOA_BIN") {
        return PathBuf::from(p);
    }
    // target/<profile>/deps/<test binary> → target/<profile>/stoa
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("stoa");
    assert!(
        bin.exists(),
        "{} is missing: build it first (`cargo build -p stoa-server`)",
        bin.display()
    );
    bin
}

pub fn scratch_dir() -> PathBuf {
    let base = std::env::var("STOA_TEST_TMP")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir());
    let dir = base.join(format!("stoa-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Whether PostgreSQL tests must run (CI) or may be skipped with a loud note.
fn pg_required() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
        || std::env::var("STOA_TEST_REQUIRE_PG")
            .map(|v| v == "1")
            .unwrap_or(false)
}

/// A fresh PostgreSQL database for one test, dropped afterwards.
pub struct PgDb {
    pub name: String,
}

impl PgDb {
    pub async fn create() -> Option<PgDb> {
        use sqlx::Connection;
        let conn = tokio::time::timeout(
            Duration::from_secs(5),
            sqlx::PgConnection::connect(PG_ADMIN_URL),
        )
        .await;
        let mut conn = match conn {
            Ok(Ok(c)) => c,
            other => {
                let why = match other {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".into(),
                };
                if pg_required() {
                    panic!(
                        "PostgreSQL at 127.0.0.1:5432 is required (CI=true) but unreachable: {why}"
                    );
                }
                eprintln!("!!! PostgreSQL unreachable ({why}): SKIPPING the PostgreSQL half of this test !!!");
                return None;
            }
        };
        let name = format!("stoa_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("create database {name}"))
            .execute(&mut conn)
            .await
            .expect("create database");
        let _ = conn.close().await;
        Some(PgDb { name })
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async context guarantees: use a private runtime on a plain thread.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::PgConnection::connect(PG_ADMIN_URL).await {
                    let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                        .execute(&mut c)
                        .await;
                }
            });
        })
        .join();
    }
}

/// A running server.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub dir: PathBuf,
    pub backend: Backend,
    pub operator_token: String,
    pub database_url: String,
    pub stderr_lines: mpsc::Receiver<String>,
    env: Vec<(String, String)>,
    pg: Option<PgDb>,
    http: reqwest::Client,
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Assert a problem+json answer with this status, returning the `code`.
    #[track_caller]
    pub fn problem(&self, status: u16) -> String {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.text
        );
        let ct = self.header("content-type").unwrap_or_default();
        assert!(
            ct.starts_with("application/problem+json"),
            "content-type {ct}: {}",
            self.text
        );
        assert_eq!(
            self.body["status"].as_u64(),
            Some(u64::from(status)),
            "{}",
            self.text
        );
        assert!(
            self.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}",
            self.text
        );
        self.body["code"].as_str().unwrap_or_default().to_string()
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.text
        );
        &self.body
    }
}

/// A tenant with its signed-in admin.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: String,
    pub slug: String,
    pub admin_id: String,
    pub admin_email: String,
    pub admin_token: String,
}

impl Server {
    pub async fn start(backend: Backend) -> Option<Server> {
        Self::start_with(backend, &[]).await
    }

    /// Start with extra `STOA_*` settings. `None` only when PostgreSQL is unavailable outside CI.
    pub async fn start_with(backend: Backend, env: &[(&str, &str)]) -> Option<Server> {
        let dir = scratch_dir();
        let pg = match backend {
            Backend::Postgres => Some(PgDb::create().await?),
            Backend::Sqlite => None,
        };
        let database_url = match &pg {
            Some(pg) => pg.url(),
            None => format!("sqlite://{}/stoa.db?mode=rwc", dir.display()),
        };
        let operator_token = format!("stoa_op_test_{}", uuid::Uuid::new_v4().simple());
        let mut all_env: Vec<(String, String)> = vec![
            ("STOA_LISTEN".into(), "127.0.0.1:0".into()),
            ("STOA_DATA_DIR".into(), dir.display().to_string()),
            ("STOA_DATABASE_URL".into(), database_url.clone()),
            ("STOA_OPERATOR__TOKEN".into(), operator_token.clone()),
            ("STOA_LOG_LEVEL".into(), "info".into()),
            ("STOA_OUTBOX__POLL_INTERVAL_MS".into(), "50".into()),
            ("STOA_DATABASE_MAX_CONNECTIONS".into(), "5".into()),
        ];
        for (k, v) in env {
            all_env.retain(|(ek, _)| ek != k);
            all_env.push((k.to_string(), v.to_string()));
        }
        let mut s = Server {
            child: None,
            base: String::new(),
            dir,
            backend,
            operator_token,
            database_url,
            stderr_lines: mpsc::channel().1,
            env: all_env,
            pg,
            // No connection reuse: a server that answers an upload early (413, 422) closes the
            // connection, and a pooled client racing that close would fail the next request.
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .pool_max_idle_per_host(0)
                .build()
                .expect("http client"),
        };
        s.spawn().await;
        Some(s)
    }

    /// A second node on the same database (PostgreSQL), with its own data directory.
    pub async fn sibling(&self) -> Server {
        assert_eq!(
            self.backend,
            Backend::Postgres,
            "several nodes need PostgreSQL"
        );
        let dir = scratch_dir();
        // Every node of an install shares its keys (a node with its own refuses to start).
        for key in ["master.key", "audit-anchor.key"] {
            let from = self.dir.join(key);
            if from.exists() {
                std::fs::copy(&from, dir.join(key)).expect("copy a key file");
            }
        }
        let mut env = self.env.clone();
        env.retain(|(k, _)| k != "STOA_DATA_DIR");
        env.push(("STOA_DATA_DIR".into(), dir.display().to_string()));
        let mut s = Server {
            child: None,
            base: String::new(),
            dir,
            backend: self.backend,
            operator_token: self.operator_token.clone(),
            database_url: self.database_url.clone(),
            stderr_lines: mpsc::channel().1,
            env,
            pg: None,
            http: self.http.clone(),
        };
        s.spawn().await;
        s
    }

    /// A server with this one's settings on a new, empty data directory (and an SQLite file
    /// there), not started: for restoring a backup into it, then [`Server::spawn`].
    pub fn twin(&self) -> Server {
        assert_eq!(
            self.backend,
            Backend::Sqlite,
            "a twin is an embedded install"
        );
        let dir = scratch_dir();
        let database_url = format!("sqlite://{}/stoa.db?mode=rwc", dir.display());
        let mut env = self.env.clone();
        env.retain(|(k, _)| k != "STOA_DATA_DIR" && k != "STOA_DATABASE_URL");
        env.push(("STOA_DATA_DIR".into(), dir.display().to_string()));
        env.push(("STOA_DATABASE_URL".into(), database_url.clone()));
        Server {
            child: None,
            base: String::new(),
            dir,
            backend: self.backend,
            operator_token: self.operator_token.clone(),
            database_url,
            stderr_lines: mpsc::channel().1,
            env,
            pg: None,
            http: self.http.clone(),
        }
    }

    /// Change a setting for the next (re)start.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    /// (Re)start the process with this server's data and settings.
    pub async fn spawn(&mut self) {
        let mut cmd = Command::new(stoa_bin());
        cmd.arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.env_remove("STOA_CONFIG");
        let mut child = cmd.spawn().expect("spawn stoa");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (addr_tx, addr_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("stoa listening on ") {
                    let _ = addr_tx.send(rest.trim().to_string());
                }
            }
        });
        let (err_tx, err_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if std::env::var("STOA_TEST_ECHO").is_ok() {
                    eprintln!("[stoa] {line}");
                }
                if err_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let base =
            tokio::task::spawn_blocking(move || addr_rx.recv_timeout(Duration::from_secs(60)))
                .await
                .expect("join")
                .unwrap_or_else(|_| {
                    let lines: Vec<String> = err_rx.try_iter().collect();
                    panic!("stoa did not start:\n{}", lines.join("\n"))
                });
        self.base = base;
        self.stderr_lines = err_rx;
        self.child = Some(child);
    }

    /// Whether the server process is still running.
    pub fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// The same server reached at another address (a load balancer in front of it): requests
    /// go to `base`; dropping the view stops nothing.
    pub fn view(&self, base: &str) -> Server {
        Server {
            child: None,
            base: base.trim_end_matches('/').to_string(),
            dir: scratch_dir(),
            backend: self.backend,
            operator_token: self.operator_token.clone(),
            database_url: self.database_url.clone(),
            stderr_lines: mpsc::channel().1,
            env: self.env.clone(),
            pg: None,
            http: self.http.clone(),
        }
    }

    /// Send a signal (`TERM`, `HUP`, ...) to the process, without waiting.
    pub fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().expect("a running server").id();
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .status()
            .expect("kill");
        assert!(st.success(), "kill -{sig} {pid}");
    }

    /// Wait (up to `within`) for the process to exit; its status, `None` if it still runs.
    pub async fn exited(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let start = std::time::Instant::now();
        loop {
            let child = self.child.as_mut()?;
            if let Ok(Some(st)) = child.try_wait() {
                self.child = None;
                return Some(st);
            }
            if start.elapsed() > within {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kill with SIGKILL (a crash) and reap the process.
    pub fn kill_hard(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Start against the test S3 server (SeaweedFS from `scripts/s3.sh`), in a fresh bucket.
    /// `None` when no S3 server is configured outside CI (said loudly); under CI it must be.
    pub async fn start_s3(backend: Backend, env: &[(&str, &str)]) -> Option<Server> {
        let (endpoint, access, secret) = match (
            std::env::var("STOA_TEST_S3_ENDPOINT"),
            std::env::var("STOA_TEST_S3_ACCESS_KEY"),
            std::env::var("STOA_TEST_S3_SECRET_KEY"),
        ) {
            (Ok(e), Ok(a), Ok(s)) => (e, a, s),
            _ => {
                assert!(
                    std::env::var("CI").is_err(),
                    "CI=true but STOA_TEST_S3_ENDPOINT is not set: run the suite through `make test`"
                );
                eprintln!(
                    "SKIPPED: no S3 server (STOA_TEST_S3_ENDPOINT unset); `make test` starts one"
                );
                return None;
            }
        };
        let bucket = format!("stoa-{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        let mut all: Vec<(&str, &str)> = vec![
            ("STOA_STORAGE__BACKEND", "s3"),
            ("STOA_STORAGE__S3__ENDPOINT", &endpoint),
            ("STOA_STORAGE__S3__ACCESS_KEY", &access),
            ("STOA_STORAGE__S3__SECRET_KEY", &secret),
            ("STOA_STORAGE__S3__BUCKET", &bucket),
            ("STOA_STORAGE__S3__CREATE_BUCKET", "true"),
        ];
        all.extend_from_slice(env);
        Self::start_with(backend, &all).await
    }

    /// Upload raw bytes as `name`.
    pub async fn upload(&self, token: &str, name: &str, bytes: Vec<u8>) -> Resp {
        let rb = self
            .http
            .post(self.url("/api/v1/files"))
            .query(&[("name", name)])
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(bytes);
        Self::finish(rb).await
    }

    /// Download a file: (status, headers, bytes).
    pub async fn download(
        &self,
        token: &str,
        id: &str,
        headers: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let mut rb = self
            .http
            .get(self.url(&format!("/api/v1/files/{id}")))
            .bearer_auth(token);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        let r = rb.send().await.expect("download");
        let status = r.status().as_u16();
        let h = r.headers().clone();
        let bytes = r.bytes().await.expect("body").to_vec();
        (status, h, bytes)
    }

    pub async fn search(&self, token: &str, q: &str) -> Resp {
        let rb = self
            .http
            .get(self.url("/api/v1/search"))
            .query(&[("q", q)])
            .bearer_auth(token);
        Self::finish(rb).await
    }

    /// Files under the local blob store: (complete objects, temporary upload files).
    pub fn blob_files(&self) -> (Vec<PathBuf>, Vec<PathBuf>) {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            if let Ok(rd) = std::fs::read_dir(dir) {
                for e in rd.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p, out);
                    } else {
                        out.push(p);
                    }
                }
            }
        }
        let (mut objects, mut tmp) = (Vec::new(), Vec::new());
        walk(&self.dir.join("blobs/objects"), &mut objects);
        walk(&self.dir.join("blobs/tmp"), &mut tmp);
        (objects, tmp)
    }

    /// Stop with SIGTERM and wait; returns the exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        for _ in 0..200 {
            if let Ok(Some(st)) = child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        child.wait().ok()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn req(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut rb = self.http.request(m, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        Self::finish(rb).await
    }

    /// Send a raw body with a content type.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut rb = self
            .http
            .request(m, self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        Self::finish(rb).await
    }

    /// Send, read the answer, and check it against the committed spec (`spec::check`).
    pub async fn finish(rb: reqwest::RequestBuilder) -> Resp {
        let (client, req) = rb.build_split();
        let req = req.expect("request");
        let (method, url) = (req.method().to_string(), req.url().clone());
        let r = client.execute(req).await.expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Err(e) = crate::spec::check(&method, &url, status, ct.as_deref(), &text) {
            panic!("the response does not match openapi/stoa.yaml: {e}");
        }
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            text,
            headers,
        }
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.req("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.req("POST", path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.req("DELETE", path, Some(token), None).await
    }

    /// Scrape `/metrics` on the API listener with a bearer token (the server must have been
    /// started with `STOA_METRICS_TOKEN` set to it; see [`METRICS_TOKEN`]).
    pub async fn metrics(&self, token: &str) -> String {
        let r = self.req("GET", "/metrics", Some(token), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.text
    }

    pub async fn operator(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        self.req(method, path, Some(&self.operator_token.clone()), body)
            .await
    }

    pub async fn login(&self, tenant: &str, login: &str, password: &str) -> Resp {
        self.req(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({ "tenant": tenant, "login": login, "password": password })),
        )
        .await
    }

    pub async fn login_token(&self, tenant: &str, login: &str) -> String {
        let r = self.login(tenant, login, PASSWORD).await;
        r.ok(200)["token"].as_str().expect("token").to_string()
    }

    /// A tenant created through the operator API, with its admin signed in.
    pub async fn tenant(&self, slug: &str) -> Tenant {
        let email = format!("admin@{slug}.test");
        let r = self
            .operator("POST", "/api/v1/operator/tenants", Some(json!({ "slug": slug, "name": format!("{slug} Inc"), "admin_email": email, "admin_name": "Admin", "admin_password": PASSWORD })))
            .await;
        let body = r.ok(201).clone();
        let token = self.login_token(slug, &email).await;
        Tenant {
            id: body["tenant"]["id"].as_str().expect("id").into(),
            slug: slug.into(),
            admin_id: body["admin"]["id"].as_str().expect("admin id").into(),
            admin_email: email,
            admin_token: token,
        }
    }

    /// The id of a tenant's built-in role (`admin` or `staff`), as its admin sees it.
    pub async fn builtin_role_id(&self, t: &Tenant, kind: &str) -> String {
        let roles = self.get("/api/v1/roles", &t.admin_token).await;
        let list = roles.ok(200).as_array().expect("roles").clone();
        let role = list
            .iter()
            .find(|r| r["builtin"] == kind)
            .expect("built-in role");
        role["id"].as_str().expect("role id").to_string()
    }

    /// Accept an invitation link's token with a password.
    pub async fn accept(&self, invitation: &str, password: &str) -> Resp {
        let body = json!({ "token": invitation, "password": password });
        self.req("POST", "/api/v1/auth/invitations/accept", None, Some(body))
            .await
    }

    /// Invite a person as the tenant admin and accept the invitation; returns (user id, token).
    pub async fn staff(&self, t: &Tenant, name: &str) -> (String, String) {
        self.member(t, name, json!([])).await
    }

    pub async fn member(&self, t: &Tenant, name: &str, role_ids: Value) -> (String, String) {
        let email = format!("{}@{}.test", name.to_lowercase().replace(' ', "."), t.slug);
        let r = self
            .post(
                "/api/v1/users",
                &t.admin_token,
                json!({ "display_name": name, "email": email, "role_ids": role_ids }),
            )
            .await;
        let body = r.ok(201).clone();
        let id = body["user"]["id"].as_str().expect("user id").to_string();
        let inv = body["invitation"]["token"]
            .as_str()
            .expect("invitation")
            .to_string();
        let r = self.accept(&inv, PASSWORD).await;
        let token = r.ok(200)["token"].as_str().expect("token").to_string();
        (id, token)
    }

    /// Run the `stoa` CLI against this server's data and database.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        self.cli_with(args, &[], stdin)
    }

    /// [`Server::cli`] with settings added to (or replacing) this server's.
    pub fn cli_env(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        self.cli_with(args, env, None)
    }

    fn cli_with(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<&str>,
    ) -> std::process::Output {
        use std::io::Write;
        let mut cmd = Command::new(stoa_bin());
        cmd.args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn cli");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write stdin");
        } else {
            drop(child.stdin.take());
        }
        child.wait_with_output().expect("cli output")
    }

    /// Execute SQL directly against the server's database (for tampering tests).
    pub async fn sql(&self, sql: &str) {
        use sqlx::Connection;
        match self.backend {
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.database_url)
                    .await
                    .expect("pg connect");
                sqlx::query(sql).execute(&mut c).await.expect("sql");
            }
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.database_url)
                    .await
                    .expect("sqlite connect");
                sqlx::query(sql).execute(&mut c).await.expect("sql");
            }
        }
    }

    /// One number from the server's database (`select count(*) …`), for tests that count rows.
    pub async fn count(&self, sql: &str) -> i64 {
        use sqlx::Connection;
        match self.backend {
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.database_url)
                    .await
                    .expect("pg connect");
                sqlx::query_scalar(sql)
                    .fetch_one(&mut c)
                    .await
                    .expect("sql")
            }
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.database_url)
                    .await
                    .expect("sqlite connect");
                sqlx::query_scalar(sql)
                    .fetch_one(&mut c)
                    .await
                    .expect("sql")
            }
        }
    }

    /// Wait (bounded) until `f` returns true.
    pub async fn eventually<F, Fut>(&self, what: &str, mut f: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let start = std::time::Instant::now();
        while patient(start) {
            if f().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        // PgDb drops after this, removing the database.
    }
}

/// A 1×1 PNG image.
pub const PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0xf8, 0xcf, 0x50,
    0x0f, 0x00, 0x03, 0x86, 0x01, 0x80, 0x5a, 0x34, 0x7d, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Send a hand-written HTTP/1.1 request over a plain socket and return (status, body). Used
/// where a client library would not send what a hostile or broken client does.
pub async fn raw_http(base: &str, head: String, body: Vec<u8>) -> (u16, String) {
    let addr = base.trim_start_matches("http://").to_string();
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut sock = std::net::TcpStream::connect(&addr).expect("connect");
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        sock.write_all(head.as_bytes()).expect("write head");
        let _ = sock.write_all(&body);
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match sock.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(pos) = find(&buf, b"\r\n\r\n") {
                        let text = String::from_utf8_lossy(&buf[..pos]).to_string();
                        let len = text.lines().find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        });
                        if let Some(len) = len {
                            if buf.len() >= pos + 4 + len {
                                break;
                            }
                        }
                    }
                }
                Err(_) => break,
            }
        }
        let text = String::from_utf8_lossy(&buf).to_string();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    })
    .await
    .expect("join")
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Create a room as `token`; its id.
pub async fn room(s: &Server, token: &str, body: Value) -> String {
    let r = s.post("/api/v1/rooms", token, body).await;
    r.ok(201)["id"].as_str().expect("room id").to_string()
}

/// Send a message as `token`; the created message.
pub async fn send(s: &Server, token: &str, room: &str, body: Value) -> Value {
    s.post(&format!("/api/v1/rooms/{room}/messages"), token, body)
        .await
        .ok(201)
        .clone()
}

/// The `id` of a JSON object.
pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

/// The caller's personal document space.
pub async fn personal_space(s: &Server, token: &str) -> String {
    let r = s.get("/api/v1/spaces", token).await;
    let list = r.ok(200).as_array().expect("spaces").clone();
    id(list
        .iter()
        .find(|x| x["kind"] == "personal")
        .expect("a personal space"))
}

/// Upload a document into a space; its id.
pub async fn upload_doc(s: &Server, token: &str, space: &str, name: &str, body: &[u8]) -> String {
    let r = s
        .raw(
            "POST",
            &format!("/api/v1/spaces/{space}/documents?name={name}"),
            Some(token),
            "application/octet-stream",
            body.to_vec(),
        )
        .await;
    id(r.ok(201))
}

/// Upload a 1×1 PNG and wait for its thumbnail; the file's id.
pub async fn image_with_thumbnail(s: &Server, token: &str) -> String {
    let png = id(s
        .upload(token, "pixel.png", PIXEL_PNG.to_vec())
        .await
        .ok(201));
    let thumb = format!("/api/v1/files/{png}/thumbnail");
    s.eventually("a thumbnail", || async {
        s.get(&thumb, token).await.status == 200
    })
    .await;
    png
}

/// Create a folder; its id.
pub async fn folder(
    s: &Server,
    token: &str,
    space: &str,
    name: &str,
    parent: Option<&str>,
) -> String {
    let r = s
        .post(
            &format!("/api/v1/spaces/{space}/folders"),
            token,
            json!({ "name": name, "parent_id": parent }),
        )
        .await;
    id(r.ok(201))
}
