//! Backups: `stoa backup --to` while a server serves and writes, `stoa restore --from` into a
//! fresh data directory (the data, downloads and search come back; erasures made after the
//! backup stay made), refusals (corrupted, truncated or missing files, a newer schema, a
//! non-empty target), and `stoa backup --verify` on both databases.

use crate::common::{id, personal_space, room, scratch_dir, send, upload_doc, Backend, Server};
use serde_json::{json, Value};
use std::{
    path::Path,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
};

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[track_caller]
fn succeeded(out: &std::process::Output) -> String {
    let t = text(out);
    assert!(out.status.success(), "command failed:\n{t}");
    t
}

#[track_caller]
fn refused(out: &std::process::Output, says: &str) -> String {
    let t = text(out);
    assert!(
        !out.status.success(),
        "expected a refusal saying `{says}`:\n{t}"
    );
    assert!(t.contains(says), "expected `{says}` in:\n{t}");
    t
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
        .expect("manifest json")
}

/// A backup taken while a server serves and a client keeps sending messages restores into a
/// fresh data directory: every message acknowledged before the backup started, the uploaded
/// file (byte for byte), the document, and search (the index is rebuilt, not copied).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_then_restore() {
    let Some(s) = Server::start(Backend::Sqlite).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let g = room(
        &s,
        &admin,
        json!({ "kind": "group", "name": "Ops", "member_ids": [] }),
    )
    .await;
    let kept = id(&send(
        &s,
        &admin,
        &g,
        json!({ "body": "quarterly zebrafinch report" }),
    )
    .await);
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let file = id(s.upload(&admin, "data.bin", bytes.clone()).await.ok(201));
    let space = personal_space(&s, &admin).await;
    let doc = upload_doc(&s, &admin, &space, "plan.txt", b"the plan").await;

    // Writes go on during the backup.
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let writer = {
        let (stop, sent, base, token, g) = (
            stop.clone(),
            sent.clone(),
            s.base.clone(),
            admin.clone(),
            g.clone(),
        );
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let r = http
                    .post(format!("{base}/api/v1/rooms/{g}/messages"))
                    .bearer_auth(&token)
                    .json(&json!({ "body": format!("during backup {i}") }))
                    .send()
                    .await
                    .expect("send");
                assert_eq!(r.status().as_u16(), 201);
                sent.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let start = std::time::Instant::now();
    while sent.load(Ordering::SeqCst) < 5 {
        assert!(crate::common::patient(start), "the writer does not write");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let acknowledged_before = sent.load(Ordering::SeqCst);
    let dir = scratch_dir().join("backup");
    let d = dir.display().to_string();
    let out = {
        let s = &s;
        tokio::task::block_in_place(|| s.cli(&["backup", "--to", &d], None))
    };
    let said = succeeded(&out);
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(
        sent.load(Ordering::SeqCst) > acknowledged_before,
        "no write ran during the backup"
    );
    assert!(said.contains("backup written"), "{said}");
    let m = manifest(&dir);
    assert_eq!(m["format_version"], 1);
    assert!(m["schema_version"].as_i64().unwrap() > 0);
    let files = m["files"].as_array().unwrap();
    assert!(files.iter().any(|f| f["role"] == "database"));
    assert!(files.iter().any(|f| f["role"] == "master_key"));
    assert!(files.iter().any(|f| f["role"] == "audit_anchor_key"));
    assert!(
        files.iter().filter(|f| f["role"] == "blob").count() >= 2,
        "{m}"
    );
    assert!(!dir.join("index").exists(), "the index is not copied");

    // A second backup into the same (now full) directory is refused.
    refused(&s.cli(&["backup", "--to", &d], None), "not empty");

    let mut r = s.twin();
    let out = r.cli(&["restore", "--from", &d], None);
    let said = succeeded(&out);
    assert!(said.contains("search index rebuilt"), "{said}");
    // Restoring again over the restored install is refused.
    refused(&r.cli(&["restore", "--from", &d], None), "not empty");
    r.spawn().await;
    let token = r.login_token("acme", &t.admin_email).await;
    let page = r
        .get(&format!("/api/v1/rooms/{g}/messages?limit=200"), &token)
        .await;
    let items = page.ok(200)["items"].as_array().unwrap().clone();
    assert!(items.iter().any(|m| m["id"] == kept.as_str()));
    let during = items
        .iter()
        .filter(|m| {
            m["body"]
                .as_str()
                .unwrap_or("")
                .starts_with("during backup")
        })
        .count() as u64;
    assert!(
        during >= acknowledged_before,
        "{during} of the {acknowledged_before} messages acknowledged before the backup"
    );
    let (status, _, got) = r.download(&token, &file, &[]).await;
    assert_eq!(status, 200);
    assert!(got == bytes, "the downloaded file differs");
    r.get(&format!("/api/v1/documents/{doc}"), &token)
        .await
        .ok(200);
    r.eventually("the restored message is searchable", || async {
        let hits = r.search(&token, "zebrafinch").await;
        hits.status == 200
            && hits.body["items"]
                .as_array()
                .is_some_and(|a| a.iter().any(|h| h.to_string().contains(&kept)))
    })
    .await;
    let v = r.cli(&["backup", "--verify"], None);
    assert!(succeeded(&v).contains("consistent"));
}

/// A restore checks everything before it writes anything: a corrupted, truncated or missing
/// file, a manifest from a newer schema, or a non-empty target is refused with a message that
/// names the problem, and the target stays empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_what_does_not_check() {
    let Some(s) = Server::start(Backend::Sqlite).await else {
        return;
    };
    let t = s.tenant("acme").await;
    s.upload(&t.admin_token, "a.txt", b"alpha bytes".to_vec())
        .await
        .ok(201);
    let dir = scratch_dir().join("backup");
    let d = dir.display().to_string();
    succeeded(&s.cli(&["backup", "--to", &d], None));
    let m = manifest(&dir);
    let blob = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["role"] == "blob" && f["path"].as_str().unwrap().starts_with("blobs/t/"))
        .expect("a blob")["path"]
        .as_str()
        .unwrap()
        .to_string();

    // Each case damages a copy of the backup; the restore into a fresh directory refuses.
    type Damage = fn(&Path, &str);
    let cases: [(&str, Damage, &str); 5] = [
        (
            "corrupted blob",
            |b, blob| {
                let p = b.join(blob);
                let mut bytes = std::fs::read(&p).unwrap();
                bytes[0] ^= 0xff;
                std::fs::write(&p, bytes).unwrap();
            },
            "checksum mismatch",
        ),
        (
            "truncated database",
            |b, _| {
                let p = b.join("stoa.db");
                let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
                let len = f.metadata().unwrap().len();
                f.set_len(len / 2).unwrap();
            },
            "truncated",
        ),
        (
            "missing key file",
            |b, _| std::fs::remove_file(b.join("keys/master.key")).unwrap(),
            "keys/master.key: missing",
        ),
        (
            "newer schema",
            |b, _| {
                let p = b.join("manifest.json");
                let mut m: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
                m["schema_version"] = json!(999_999);
                std::fs::write(&p, serde_json::to_vec(&m).unwrap()).unwrap();
            },
            "schema version 999999",
        ),
        (
            "no manifest",
            |b, _| std::fs::remove_file(b.join("manifest.json")).unwrap(),
            "no manifest.json",
        ),
    ];
    for (what, damage, says) in cases {
        let copy = scratch_dir().join("copy");
        copy_tree(&dir, &copy);
        damage(&copy, &blob);
        let r = s.twin();
        let out = r.cli(&["restore", "--from", &copy.display().to_string()], None);
        let t = refused(&out, says);
        assert!(
            std::fs::read_dir(&r.dir).unwrap().next().is_none(),
            "{what}: the restore wrote into the target:\n{t}"
        );
        let _ = std::fs::remove_dir_all(copy.parent().unwrap());
    }
    // A non-empty target: the live install's own data directory.
    refused(&s.cli(&["restore", "--from", &d], None), "not empty");
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Someone erased after the backup was taken stays erased when the backup is restored with
/// the replaced install's erasure ledger; without it the restore says they may come back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_reapplies_later_erasures() {
    let Some(mut s) =
        Server::start_with(Backend::Sqlite, &[("STOA_RETENTION__RUN_EVERY_SECS", "0")]).await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let (gil_id, _) = s.staff(&t, "Gil Erased").await;
    s.req(
        "PUT",
        "/api/v1/settings/account-deletion",
        Some(&t.admin_token),
        Some(json!({ "grace_days": 0, "authored_messages": "delete", "sign_in_cancels": true })),
    )
    .await
    .ok(200);
    let dir = scratch_dir().join("backup");
    let d = dir.display().to_string();
    succeeded(&s.cli(&["backup", "--to", &d], None));
    let path = format!("/api/v1/users/{gil_id}/deletion");
    s.post(&path, &t.admin_token, json!({})).await.ok(202);
    s.eventually("the erasure ends", || async {
        s.get(&path, &t.admin_token).await.ok(200)["status"] == "erased"
    })
    .await;
    s.stop();

    // Without the old ledger the restore cannot know, and says so.
    let blind = s.twin();
    let said = succeeded(&blind.cli(&["restore", "--from", &d], None));
    assert!(said.contains("no --erasure-ledger given"), "{said}");
    assert!(said.contains("0 person(s) erased again"), "{said}");

    let mut r = s.twin();
    let old = s.dir.display().to_string();
    let said = succeeded(&r.cli(&["restore", "--from", &d, "--erasure-ledger", &old], None));
    assert!(
        said.contains("1 erasure ledger entry carried over"),
        "{said}"
    );
    assert!(said.contains("1 person(s) erased again"), "{said}");
    r.spawn().await;
    let admin = r.login_token("acme", &t.admin_email).await;
    r.eventually("the erasure is applied again", || async {
        r.get(&path, &admin).await.ok(200)["status"] == "erased"
    })
    .await;
    let u = r.get(&format!("/api/v1/users/{gil_id}"), &admin).await;
    assert!(!u.text.contains("Gil Erased"), "{}", u.text);
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

/// `stoa backup --verify` passes on a healthy install and fails when a blob a row names is gone
/// or an old object no row names is left; on PostgreSQL `stoa backup --to` points at the
/// documented procedure.
async fn verify_finds_problems(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    s.upload(&t.admin_token, "a.txt", b"alpha bytes".to_vec())
        .await
        .ok(201);
    let ok = s.cli(&["backup", "--verify"], None);
    let said = succeeded(&ok);
    assert!(said.contains("consistent"), "{said}");
    assert!(said.contains("audit chain of acme: intact"), "{said}");

    // A stray object no row names: young, it is an upload in flight; old, an orphan.
    let stray_dir = s.dir.join("blobs/objects/t/0000/zz");
    std::fs::create_dir_all(&stray_dir).unwrap();
    std::fs::write(stray_dir.join("0000stray"), b"stray").unwrap();
    succeeded(&s.cli(&["backup", "--verify"], None));
    let out = s.cli(&["backup", "--verify", "--grace-secs", "0"], None);
    refused(&out, "ORPHAN blob t/0000/zz/0000stray");
    std::fs::remove_file(stray_dir.join("0000stray")).unwrap();

    // A blob a row names, deleted.
    let (objects, _) = s.blob_files();
    assert!(!objects.is_empty());
    for o in &objects {
        std::fs::remove_file(o).unwrap();
    }
    let out = s.cli(&["backup", "--verify"], None);
    let t = refused(&out, "MISSING blob");
    assert!(t.contains("PROBLEMS FOUND"), "{t}");

    if b == Backend::Postgres {
        let dir = scratch_dir();
        let out = s.cli(
            &["backup", "--to", &dir.join("b").display().to_string()],
            None,
        );
        refused(&out, "pg_dump");
        assert!(!dir.join("b").exists());
        let _ = std::fs::remove_dir_all(dir);
    }
}
crate::both!(verify_finds_problems);

/// `--verify` on the large deployment's stores: PostgreSQL and S3 (SeaweedFS). Every blob the
/// rows name is found in the bucket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_on_postgres_and_s3() {
    let Some(s) = Server::start_s3(Backend::Postgres, &[]).await else {
        return;
    };
    let t = s.tenant("acme").await;
    for i in 0..3 {
        s.upload(
            &t.admin_token,
            &format!("f{i}.txt"),
            format!("file {i}").into_bytes(),
        )
        .await
        .ok(201);
    }
    let said = succeeded(&s.cli(&["backup", "--verify"], None));
    let counts = said
        .split_once("blobs: ")
        .map(|(_, r)| r)
        .and_then(|r| r.split_once(" named by rows, "))
        .and_then(|(named, r)| {
            Some((
                named.parse::<u64>().ok()?,
                r.split_once(' ')?.0.parse::<u64>().ok()?,
            ))
        })
        .unwrap_or_else(|| panic!("a blob count: {said}"));
    assert!(counts.0 >= 3 && counts.1 >= counts.0, "{said}");
    assert!(
        said.contains("in the store (s3)") && said.contains(" 0 missing"),
        "{said}"
    );
    assert!(said.contains("consistent"), "{said}");
}
