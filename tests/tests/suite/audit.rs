//! The audit log: what is recorded, filters, exports, the hash chain and its verifier, and the
//! outbox-driven mirror.

use crate::both;
use crate::common::{Backend, Server, METRICS_TOKEN};
use serde_json::json;

async fn export_and_filters(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob, _) = s.staff(&t, "Bob").await;
    s.post(
        &format!("/api/v1/users/{bob}/disable"),
        &t.admin_token,
        json!({}),
    )
    .await
    .ok(200);
    s.login("acme", "bob@acme.test", "bad password!!")
        .await
        .problem(401);
    let all = s.get("/api/v1/audit?limit=200", &t.admin_token).await;
    let items = all.ok(200)["items"].as_array().unwrap().clone();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "tenant.created",
        "user.created",
        "auth.login",
        "user.invitation_accepted",
        "user.disabled",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let e = items
        .iter()
        .find(|e| e["action"] == "user.disabled")
        .unwrap();
    assert_eq!(e["ip"], "127.0.0.1");
    assert!(!e["request_id"].as_str().unwrap().is_empty());
    assert!(e["at"].as_str().unwrap().ends_with('Z'));
    // Filters.
    let f = s.get("/api/v1/audit?outcome=failure", &t.admin_token).await;
    assert!(f.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["outcome"] == "failure"));
    let f = s
        .get(
            &format!("/api/v1/audit?actor_id={}", t.admin_id),
            &t.admin_token,
        )
        .await;
    assert!(f.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor_id"] == t.admin_id.as_str()));
    let f = s
        .get("/api/v1/audit?since=2999-01-01T00:00:00Z", &t.admin_token)
        .await;
    assert!(f.ok(200)["items"].as_array().unwrap().is_empty());
    s.get("/api/v1/audit?since=yesterday", &t.admin_token)
        .await
        .problem(422);
    // Paging covers everything once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = s
            .get(&format!("/api/v1/audit?limit=3{cursor}"), &t.admin_token)
            .await;
        let body = r.ok(200).clone();
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_i64().unwrap()),
        );
        match body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let n = seen.len() as i64;
    assert_eq!(seen, (1..=n).rev().collect::<Vec<_>>());
    // JSON Lines export: every line parses, newest first.
    let r = s
        .get("/api/v1/audit/export?format=jsonl", &t.admin_token)
        .await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/x-ndjson"));
    assert!(r
        .header("content-disposition")
        .unwrap()
        .contains("attachment"));
    let lines: Vec<serde_json::Value> = r
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() as i64 >= n);
    assert!(lines
        .windows(2)
        .all(|w| w[0]["seq"].as_i64() > w[1]["seq"].as_i64()));
    // CSV export with a header and the same count of rows (plus the first export's own entry).
    let r = s
        .get(
            "/api/v1/audit/export?format=csv&action=user.*",
            &t.admin_token,
        )
        .await;
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    let mut lines = r.text.lines();
    assert!(lines.next().unwrap().starts_with("seq,at,actor_kind"));
    assert!(lines.all(|l| l.contains(",user.")));
    s.get("/api/v1/audit/export?format=xml", &t.admin_token)
        .await
        .problem(400);
    // Exports are audited.
    let r = s
        .get("/api/v1/audit?action=audit.exported", &t.admin_token)
        .await;
    assert_eq!(r.ok(200)["items"].as_array().unwrap().len(), 2);
}
both!(export_and_filters);

async fn verify_detects_tampering(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    s.staff(&t, "Bob").await;
    s.staff(&t, "Chi").await;
    let ok = s.cli(&["audit", "verify", "--tenant", "acme"], None);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact"));
    // The same check through the API (the admin console's "verify chain").
    let v = s.get("/api/v1/audit/verify", &t.admin_token).await;
    let v = v.ok(200);
    assert_eq!(v["intact"], true, "{v}");
    assert!(v["entries"].as_u64().unwrap() >= 3, "{v}");
    let (_, bob_token) = s.staff(&t, "Dan").await;
    s.get("/api/v1/audit/verify", &bob_token).await.problem(403);
    // Someone with database access edits an entry.
    s.sql(&format!(
        "update audit_log set action = 'user.nothing' where tenant_id = '{}' and seq = 3",
        t.id
    ))
    .await;
    let bad = s.cli(&["audit", "verify", "--tenant", "acme"], None);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("entry 3"), "{err}");
    let v = s.get("/api/v1/audit/verify", &t.admin_token).await;
    let v = v.ok(200);
    assert_eq!(v["intact"], false, "{v}");
    assert_eq!(v["broken_at"], 3, "{v}");
    let unknown = s.cli(&["audit", "verify", "--tenant", "nope"], None);
    assert_eq!(unknown.status.code(), Some(2));
}
both!(verify_detects_tampering);

async fn removed_entries_are_detected(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    s.staff(&t, "Bob").await;
    s.sql(&format!("delete from audit_log where tenant_id = '{}' and seq = (select max(seq) from audit_log where tenant_id = '{}')", t.id, t.id)).await;
    let bad = s.cli(&["audit", "verify", "--tenant", "acme"], None);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("BROKEN"));
}
both!(removed_entries_are_detected);

/// True when the mirror file holds entries 1..=newest exactly once, in order, and the newest
/// sequence number is at least `min_seq`.
async fn mirror_is_complete(s: &Server, token: &str, path: &std::path::Path, min_seq: i64) -> bool {
    let head = s.get("/api/v1/audit?limit=1", token).await;
    let max = head.body["items"][0]["seq"].as_i64().unwrap_or(0);
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let seqs: Vec<i64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_i64()
                .unwrap()
        })
        .collect();
    max >= min_seq && seqs == (1..=max).collect::<Vec<_>>()
}

async fn mirror_consumer_delivers_each_entry_once(b: Backend) {
    let mirror =
        std::env::temp_dir().join(format!("stoa-mirror-{}", uuid::Uuid::new_v4().simple()));
    let dir = mirror.display().to_string();
    let Some(mut s) = Server::start_with(b, &[("STOA_AUDIT__MIRROR_DIR", &dir)]).await else {
        return;
    };
    let t = s.tenant("acme").await;
    s.staff(&t, "Bob").await;
    let path = mirror.join(format!("{}.jsonl", t.id));
    let complete = || mirror_is_complete(&s, &t.admin_token, &path, 1);
    s.eventually("the mirror to hold every entry once, in order", complete)
        .await;
    // Restart: redelivery after a restart appends nothing twice, and new entries follow.
    s.stop();
    s.spawn().await;
    let tok = s.login_token("acme", &t.admin_email).await;
    s.get("/api/v1/me", &tok).await.ok(200);
    let complete = || mirror_is_complete(&s, &tok, &path, 6);
    s.eventually("the mirror to catch up after a restart", complete)
        .await;
    let _ = std::fs::remove_dir_all(&mirror);
}
both!(mirror_consumer_delivers_each_entry_once);

async fn failing_consumer_retries_then_dead_letters(b: Backend) {
    // The mirror "directory" is a file: every delivery fails.
    let blocker =
        std::env::temp_dir().join(format!("stoa-blocker-{}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&blocker, b"not a directory").unwrap();
    let dir = blocker.display().to_string();
    let Some(s) = Server::start_with(
        b,
        &[
            ("STOA_AUDIT__MIRROR_DIR", &dir),
            ("STOA_OUTBOX__MAX_ATTEMPTS", "3"),
            ("STOA_OUTBOX__RETRY_BASE_MS", "20"),
            ("STOA_METRICS_TOKEN", METRICS_TOKEN),
        ],
    )
    .await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    s.get("/api/v1/me", &t.admin_token).await.ok(200);
    let dead = || async {
        let m = s.metrics(METRICS_TOKEN).await;
        m.lines()
            .any(|l| l.starts_with("stoa_outbox_dead ") && !l.ends_with(" 0"))
            && m.contains("stoa_outbox_processed_total{result=\"retry\",topic=\"audit.appended\"}")
    };
    s.eventually("messages to be retried, then dead-lettered", dead)
        .await;
    // Writes kept succeeding while the consumer was failing.
    s.staff(&t, "Bob").await;
    // After the cause is fixed, the operator requeues them and they drain.
    std::fs::remove_file(&blocker).unwrap();
    let out = s.cli(&["outbox", "retry-dead"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = blocker.join(format!("{}.jsonl", t.id));
    let drained = || async {
        std::fs::read_to_string(&path)
            .map(|t| t.lines().count() >= 4)
            .unwrap_or(false)
    };
    s.eventually("the requeued messages to drain", drained)
        .await;
    let _ = std::fs::remove_dir_all(&blocker);
}
both!(failing_consumer_retries_then_dead_letters);
