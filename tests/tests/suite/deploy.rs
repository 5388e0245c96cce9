//! Deployment: several nodes migrating one PostgreSQL database at once (one applies, the others
//! wait), `stoa migrate --status`, and the container image's health check (`stoa healthcheck`).

use crate::common::{patient, stoa_bin, Backend, PgDb, Server};
use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
};

/// The install-wide migration lock's advisory key (`Stoamigr`, see the server's `db::migrate`).
const LOCK_KEY: i64 = 0x5374_6f61_6d69_6772;
/// A fixed audit anchor key (base64 of 32 bytes), the same on every node as in production.
const ANCHOR_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn migrate_cmd(db: &PgDb, args: &[&str]) -> Command {
    let dir = std::env::temp_dir().join(format!("stoa-deploy-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(stoa_bin());
    cmd.arg("migrate")
        .args(args)
        .env_remove("STOA_CONFIG")
        .env("STOA_DATA_DIR", &dir)
        .env("STOA_DATABASE_URL", db.url())
        .env("STOA_AUDIT__ANCHOR_KEY", ANCHOR_KEY)
        .env("STOA_LOG_LEVEL", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// `stoa migrate --status`: (applied, pending) counts from its summary line, and the output.
fn status(db: &PgDb) -> (usize, usize, String) {
    let out = migrate_cmd(db, &["--status"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = text.lines().last().unwrap_or_default().to_string();
    let words: Vec<&str> = last.split_whitespace().collect();
    assert!(
        words.len() >= 4 && words[1] == "applied," && words[3] == "pending",
        "{text}"
    );
    (words[0].parse().unwrap(), words[2].parse().unwrap(), text)
}

fn wait_ok(child: Child, what: &str) -> String {
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed:\n{text}");
    text
}

/// Four processes migrate one fresh PostgreSQL database at the same moment: all succeed, every
/// migration is recorded once and applied, and a node then starts on the database and is ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_migrating_at_once_take_turns() {
    let Some(db) = PgDb::create().await else {
        return;
    };
    let (applied, pending, listing) = status(&db);
    assert_eq!(applied, 0, "{listing}");
    assert!(pending > 20, "{listing}");
    assert!(listing.lines().all(|l| !l.contains("\tapplied\t")));

    let children: Vec<Child> = (0..4)
        .map(|_| migrate_cmd(&db, &[]).spawn().unwrap())
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let text = wait_ok(c, &format!("migration process {i}"));
        assert!(text.contains("migrations applied (postgres)"), "{text}");
    }
    let (applied, left, listing) = status(&db);
    assert_eq!((applied, left), (pending, 0), "{listing}");
    assert!(
        !listing.contains("\tfailed\t") && !listing.contains("\tunknown\t"),
        "{listing}"
    );

    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&db.url()).await.unwrap();
    let (rows, versions): (i64, i64) =
        sqlx::query_as("select count(*), count(distinct version) from _sqlx_migrations")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!((rows, versions), (pending as i64, pending as i64));
    let _ = conn.close().await;
}

/// While another process holds the migration lock, `stoa migrate` says it waits and applies
/// nothing; once the lock is given up it applies everything and exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_waits_while_another_migrates() {
    let Some(db) = PgDb::create().await else {
        return;
    };
    use sqlx::Connection;
    let mut holder = sqlx::PgConnection::connect(&db.url()).await.unwrap();
    sqlx::query("select pg_advisory_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut holder)
        .await
        .unwrap();

    let mut child = migrate_cmd(&db, &[]).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let start = std::time::Instant::now();
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(std::time::Duration::from_millis(200)) {
            Ok(line) if line.contains("another process is migrating the database") => break,
            Ok(line) => seen.push(line),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("migrate exited without waiting:\n{}", seen.join("\n"))
            }
        }
        assert!(patient(start), "never waited:\n{}", seen.join("\n"));
    }
    let (applied, pending, listing) = status(&db);
    assert_eq!(applied, 0, "applied while the lock was held:\n{listing}");
    assert!(child.try_wait().unwrap().is_none(), "it stopped waiting");

    sqlx::query("select pg_advisory_unlock($1)")
        .bind(LOCK_KEY)
        .execute(&mut holder)
        .await
        .unwrap();
    let _ = holder.close().await;
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));
    let (now_applied, left, listing) = status(&db);
    assert_eq!((now_applied, left), (pending, 0), "{listing}");
}

/// `stoa healthcheck` succeeds against a live node, fails on an error answer and on a closed
/// port, quickly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_probes_the_node() {
    let Some(s) = Server::start(Backend::Sqlite).await else {
        return;
    };
    let ok = s.cli(&["healthcheck", "--url", &s.url("/healthz")], None);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "ok");
    let ready = s.cli(&["healthcheck", "--url", &s.url("/readyz")], None);
    assert!(ready.status.success());
    let missing = s.cli(&["healthcheck", "--url", &s.url("/no-such-page")], None);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("404"));
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = s.cli(
        &[
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{port}/healthz"),
            "--timeout-secs",
            "3",
        ],
        None,
    );
    assert!(!closed.status.success());
}
