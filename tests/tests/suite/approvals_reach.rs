//! Approval requests reaching every store and every neighbour: approved leave and business
//! trips mark the days excused in attendance (through the absence seam; rejected and withdrawn
//! never do; a redelivered grant marks nothing twice), mail to the approvers a request reaches
//! and to the submitter when it finishes (a real SMTP sink), retention of finished requests
//! (pending ones never), erasure that keeps the record under a pseudonymous id, and the
//! personal data export.

use crate::both;
use crate::common::{id, Backend, Server};
use crate::sinks::SmtpSink;
use serde_json::{json, Value};

/// The id of a starter template (`leave`, `trip`, …) as `token` sees it.
async fn starter(s: &Server, token: &str, key: &str) -> String {
    let list = s.get("/api/v1/approvals/templates", token).await;
    let items = list.ok(200)["items"].as_array().unwrap().clone();
    let t = items.iter().find(|i| i["starter"] == key).unwrap();
    id(t)
}

async fn submit(s: &Server, token: &str, tid: &str, answers: Value) -> Value {
    s.post(
        "/api/v1/approvals/requests",
        token,
        json!({ "template_id": tid, "answers": answers }),
    )
    .await
    .ok(201)
    .clone()
}

async fn act(s: &Server, token: &str, rid: &str, what: &str) -> Value {
    s.post(
        &format!("/api/v1/approvals/requests/{rid}/{what}"),
        token,
        json!({}),
    )
    .await
    .ok(200)
    .clone()
}

/// Approve as `token` until the request is no longer pending (every node falls back to the
/// approval admins in a tenant without managers); its final state.
async fn approve_through(s: &Server, token: &str, rid: &str) -> Value {
    let mut r = s
        .get(&format!("/api/v1/approvals/requests/{rid}"), token)
        .await
        .ok(200)
        .clone();
    for _ in 0..5 {
        if r["state"] != "pending" {
            break;
        }
        r = act(s, token, rid, "approve").await;
    }
    assert_eq!(r["state"], "approved", "{r}");
    r
}

fn excused_of(rid: &str) -> String {
    format!("select count(*) from attendance_excused where source = 'approvals' and source_id = '{rid}'")
}

async fn relay_idle(s: &Server) {
    s.eventually("the absence messages are handled", || async {
        s.count(
            "select count(*) from outbox where topic = 'absences.granted' and done_at is null and dead_at is null",
        )
        .await
            == 0
    })
    .await;
}

/// Approved leave and an approved business trip excuse their days in attendance; rejected
/// and withdrawn requests never do; a grant delivered twice marks the days once.
async fn approved_absences_mark_attendance(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvabs").await;
    let admin = &t.admin_token;
    let (sam, sam_t) = s.staff(&t, "Sam").await;
    let leave = starter(&s, &sam_t, "leave").await;
    let trip = starter(&s, &sam_t, "trip").await;
    let period = |a: &str, b: &str| json!({ "start": a, "end": b });

    let approved = submit(
        &s,
        &sam_t,
        &leave,
        json!({ "leave_type": "annual", "period": period("2026-03-02", "2026-03-03"), "reason": "family" }),
    )
    .await;
    let approved = id(&approved);
    let rejected = submit(
        &s,
        &sam_t,
        &leave,
        json!({ "leave_type": "annual", "period": period("2026-03-09", "2026-03-09") }),
    )
    .await;
    let rejected = id(&rejected);
    let withdrawn = submit(
        &s,
        &sam_t,
        &leave,
        json!({ "leave_type": "annual", "period": period("2026-03-16", "2026-03-16") }),
    )
    .await;
    let withdrawn = id(&withdrawn);
    let travel = submit(
        &s,
        &sam_t,
        &trip,
        json!({ "destination": "Da Nang", "period": period("2026-04-06", "2026-04-08"),
                "purpose": "customer visit" }),
    )
    .await;
    let travel = id(&travel);

    // Still pending: nothing marked.
    relay_idle(&s).await;
    assert_eq!(s.count(&excused_of(&approved)).await, 0);

    approve_through(&s, admin, &approved).await;
    approve_through(&s, admin, &travel).await;
    assert_eq!(
        act(&s, admin, &rejected, "reject").await["state"],
        "rejected"
    );
    assert_eq!(
        act(&s, &sam_t, &withdrawn, "withdraw").await["state"],
        "withdrawn"
    );

    for (rid, first, last, kind) in [
        (&approved, "2026-03-02", "2026-03-03", "leave"),
        (&travel, "2026-04-06", "2026-04-08", "trip"),
    ] {
        let sql = format!(
            "{} and user_id = '{sam}' and first_date = '{first}' and last_date = '{last}' and kind = '{kind}'",
            excused_of(rid)
        );
        s.eventually("the approved days are excused", || async {
            s.count(&sql).await == 1
        })
        .await;
    }
    relay_idle(&s).await;
    for rid in [&rejected, &withdrawn] {
        assert_eq!(s.count(&excused_of(rid)).await, 0, "{rid}");
    }
    assert_eq!(
        s.count("select count(*) from outbox where topic = 'absences.granted'")
            .await,
        2
    );
    // Attendance shows the day as excused leave.
    let d = s
        .get(
            &format!("/api/v1/attendance/records?user_id={sam}&from=2026-03-02&to=2026-03-02"),
            admin,
        )
        .await;
    assert_eq!(d.ok(200)["days"][0]["excused"], "leave", "{}", d.text);

    // The relay delivers a grant again (at least once): the days are marked once.
    s.sql(
        "insert into outbox (tenant_id, topic, payload, created_at, available_at, attempts)
         select tenant_id, topic, payload, created_at, available_at, 0 from outbox
         where topic = 'absences.granted'",
    )
    .await;
    s.eventually("the redelivered grants are handled", || async {
        s.count(
            "select count(*) from outbox where topic = 'absences.granted' and done_at is not null",
        )
        .await
            == 4
    })
    .await;
    assert_eq!(
        s.count(
            "select count(*) from outbox where topic = 'absences.granted' and dead_at is not null"
        )
        .await,
        0
    );
    assert_eq!(s.count(&excused_of(&approved)).await, 1);
    assert_eq!(s.count(&excused_of(&travel)).await, 1);
}
both!(approved_absences_mark_attendance);

/// With mail set up, each approver gets a mail when the request reaches them (not before),
/// and the submitter one when it finishes; the person who acted gets none.
async fn mail_reaches_approvers_and_submitter(b: Backend) {
    let Some(sink) = SmtpSink::start().await else {
        return;
    };
    let env = sink.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let Some(s) = Server::start_with(b, &env).await else {
        return;
    };
    let t = s.tenant("apvmail").await;
    let admin = &t.admin_token;
    let (_, sam_t) = s.staff(&t, "Sam").await;
    let (alice, alice_t) = s.staff(&t, "Alice").await;
    let (bob, bob_t) = s.staff(&t, "Bob").await;
    let people = |who: &str| json!([{ "kind": "people", "people": [who] }]);
    let tpl = s
        .post(
            "/api/v1/approvals/templates",
            admin,
            json!({
                "name": "Laptop purchase", "category": "Tests",
                "form": { "fields": [{ "id": "amount", "label": "Amount", "kind": "number", "required": true }] },
                "flow": { "nodes": [
                    { "id": "lead", "name": "Team lead", "mode": "any_one", "approvers": people(&alice) },
                    { "id": "finance", "name": "Finance", "mode": "any_one", "approvers": people(&bob) }
                ]}
            }),
        )
        .await;
    let tid = id(tpl.ok(201));
    let (sam_at, alice_at, bob_at) = ("sam@apvmail.test", "alice@apvmail.test", "bob@apvmail.test");
    let needed = |to: &str| {
        sink.to(to)
            .into_iter()
            .filter(|m| m.subject.contains("Laptop purchase"))
            .collect::<Vec<_>>()
    };

    let r = submit(&s, &sam_t, &tid, json!({ "amount": 1200 })).await;
    let rid = id(&r);
    s.eventually("the first approver is mailed", || async {
        !needed(alice_at).is_empty()
    })
    .await;
    let m = &needed(alice_at)[0];
    assert_eq!(m.subject, "Approval needed: Laptop purchase");
    assert!(
        m.text.contains("Sam") && m.text.contains(&rid) && m.text.contains("Team lead"),
        "{m:?}"
    );
    assert!(needed(bob_at).is_empty(), "Bob is not reached yet");

    act(&s, &alice_t, &rid, "approve").await;
    s.eventually("the second approver is mailed", || async {
        !needed(bob_at).is_empty()
    })
    .await;
    assert!(needed(bob_at)[0].text.contains("Finance"));

    assert_eq!(act(&s, &bob_t, &rid, "reject").await["state"], "rejected");
    s.eventually("the submitter is mailed the outcome", || async {
        !needed(sam_at).is_empty()
    })
    .await;
    let m = &needed(sam_at)[0];
    assert_eq!(m.subject, "Rejected: Laptop purchase");
    assert!(m.text.contains("Bob"), "{m:?}");
    // Nothing else: one mail each (the sink has every mail the relay sent by now).
    s.eventually("the mail queue is empty", || async {
        s.count("select count(*) from outbox where topic = 'delivery.mail' and done_at is null and dead_at is null")
            .await
            == 0
    })
    .await;
    assert_eq!(needed(alice_at).len(), 1);
    assert_eq!(needed(bob_at).len(), 1);
    assert_eq!(needed(sam_at).len(), 1);
}
both!(mail_reaches_approvers_and_submitter);

/// A template with one node decided by `approver`.
async fn simple_template(s: &Server, admin: &str, approver: &str) -> String {
    let tpl = s
        .post(
            "/api/v1/approvals/templates",
            admin,
            json!({
                "name": "Reimbursement", "category": "Tests",
                "form": { "fields": [{ "id": "note", "label": "Note", "kind": "text", "required": true }] },
                "flow": { "nodes": [{ "id": "lead", "name": "Lead", "mode": "any_one",
                    "approvers": [{ "kind": "people", "people": [approver] }] }] }
            }),
        )
        .await;
    id(tpl.ok(201))
}

/// Erasure keeps every request and action under the person's pseudonymous id, erases the
/// answers of their requests (withdrawing a pending one) and, with the tenant deleting what
/// erased people authored, their comments (and the files attached to them); a legal hold keeps a held person's requests whole.
/// Their export, before, held their requests and actions.
async fn erasure_keeps_the_record(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvera").await;
    let admin = t.admin_token.clone();
    let (sam, sam_t) = s.staff(&t, "Sam").await;
    let (alice, alice_t) = s.staff(&t, "Alice").await;
    let (hal, hal_t) = s.staff(&t, "Hal").await;
    let tid = simple_template(&s, &admin, &alice).await;

    let done = id(&submit(&s, &sam_t, &tid, json!({ "note": "zqxsam finished" })).await);
    let file = id(s
        .upload(&sam_t, "receipt.txt", b"taxi".to_vec())
        .await
        .ok(201));
    s.post(
        &format!("/api/v1/approvals/requests/{done}/comments"),
        &sam_t,
        json!({ "comment": "zqxsam comment", "file_ids": [file] }),
    )
    .await
    .ok(201);
    s.post(
        &format!("/api/v1/approvals/requests/{done}/approve"),
        &alice_t,
        json!({ "comment": "alice says fine" }),
    )
    .await
    .ok(200);
    let open = id(&submit(&s, &sam_t, &tid, json!({ "note": "zqxsam pending" })).await);
    let held = id(&submit(&s, &hal_t, &tid, json!({ "note": "zqxhal kept" })).await);

    // The export first: Sam's requests (with answers and history) and actions.
    let e = s
        .post("/api/v1/me/export", &sam_t, json!({}))
        .await
        .ok(202)
        .clone();
    let export_id = id(&e);
    crate::exports::ready(&s, &sam_t, "/api/v1/me/exports", &export_id).await;
    let url = crate::exports::link(&s, &sam_t, &export_id).await;
    let (status, bytes, _) = crate::exports::fetch(&s, &url).await;
    assert_eq!(status, 200);
    let entries = crate::exports::unzip(&bytes);
    let requests: Value =
        serde_json::from_slice(entries.get("approvals/requests.json").expect("requests")).unwrap();
    let requests = requests.as_array().unwrap();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let first = requests.iter().find(|r| r["id"] == done.as_str()).unwrap();
    assert_eq!(first["answers"]["note"], "zqxsam finished");
    assert_eq!(first["state"], "approved");
    let history = first["history"].as_array().unwrap();
    assert_eq!(history.len(), 3, "{history:?}");
    // Alice's approval is listed, her words are not Sam's to take.
    assert_eq!(history[2]["action"], "approve");
    assert_eq!(history[2]["comment"], Value::Null);
    let actions: Value =
        serde_json::from_slice(entries.get("approvals/actions.json").expect("actions")).unwrap();
    let kinds: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["submit", "comment", "submit"]);
    assert_eq!(actions[1]["comment"], "zqxsam comment");
    assert_eq!(actions[1]["file_ids"], json!([file]));
    assert_eq!(history[1]["file_ids"], json!([file]));

    // A legal hold on Hal; comments of erased people are deleted.
    s.post(
        "/api/v1/retention/holds",
        &admin,
        json!({ "name": "Hal's case", "reason": "litigation", "people": [hal] }),
    )
    .await
    .ok(201);
    s.req(
        "PUT",
        "/api/v1/settings/account-deletion",
        Some(&admin),
        Some(json!({ "grace_days": 0, "authored_messages": "delete", "sign_in_cancels": false })),
    )
    .await
    .ok(200);
    for who in [&sam, &hal] {
        s.post(&format!("/api/v1/users/{who}/deletion"), &admin, json!({}))
            .await
            .ok(202);
    }
    for who in [&sam, &hal] {
        let path = format!("/api/v1/users/{who}/deletion");
        s.eventually("the erasure ends", || async {
            s.get(&path, &admin).await.ok(200)["status"] == "erased"
        })
        .await;
    }

    // The record stays, under Sam's id; what Sam wrote is gone.
    assert_eq!(
        s.count(&format!(
            "select count(*) from approval_requests where submitter_id = '{sam}'"
        ))
        .await,
        2
    );
    assert_eq!(
        s.count("select count(*) from approval_requests where answers like '%zqxsam%'")
            .await,
        0
    );
    assert_eq!(
        s.count("select count(*) from approval_request_actions where comment like '%zqxsam%'")
            .await,
        0
    );
    // The files Sam attached to the comment go with it.
    assert_eq!(
        s.count(&format!(
            "select count(*) from approval_action_files where request_id = '{done}'"
        ))
        .await,
        0
    );
    assert_eq!(
        s.count(&format!(
            "select count(*) from approval_request_actions where actor_id = '{sam}'"
        ))
        .await,
        3
    );
    let r = s
        .get(&format!("/api/v1/approvals/requests/{done}"), &alice_t)
        .await
        .ok(200)
        .clone();
    assert_eq!(r["state"], "approved");
    assert_eq!(r["answers"], json!({}));
    let hist = r["history"].as_array().unwrap();
    assert_eq!(hist.len(), 3);
    assert_eq!(hist[2]["comment"], "alice says fine");
    // The pending one was withdrawn by Stoa: nobody waits on it any more.
    let r = s
        .get(&format!("/api/v1/approvals/requests/{open}"), &alice_t)
        .await
        .ok(200)
        .clone();
    assert_eq!(r["state"], "withdrawn", "{r}");
    let last = r["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "withdraw");
    // Alice waits only on Hal's (held) request now.
    let waiting: Vec<String> = s
        .get("/api/v1/approvals/requests?box=waiting", &alice_t)
        .await
        .ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(waiting, std::slice::from_ref(&held));
    // Hal is held: his request is whole and still pending.
    let r = s
        .get(&format!("/api/v1/approvals/requests/{held}"), &alice_t)
        .await
        .ok(200)
        .clone();
    assert_eq!(r["state"], "pending");
    assert_eq!(r["answers"]["note"], "zqxhal kept");
    // The search index no longer finds Sam's words.
    s.eventually("the index forgets the erased answers", || async {
        s.search(&admin, "zqxsam").await.ok(200)["items"]
            .as_array()
            .is_some_and(|a| a.is_empty())
    })
    .await;
}
both!(erasure_keeps_the_record);

/// A retention period on finished requests purges them (with their history, people and
/// notices) once they are older than it; pending requests stay whatever their age, and so do
/// those a held person acted on. The preview counts exactly what the run removes.
async fn retention_purges_finished_requests(b: Backend) {
    let env = [
        ("STOA_RETENTION__RUN_EVERY_SECS", "0"),
        ("STOA_RETENTION__PAUSE_MS", "0"),
    ];
    let Some(mut s) = Server::start_with(b, &env).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let (_, sam_t) = s.staff(&t, "Sam").await;
    let (alice, alice_t) = s.staff(&t, "Alice").await;
    let tid = simple_template(&s, &admin, &alice).await;
    let done = id(&submit(&s, &sam_t, &tid, json!({ "note": "approved one" })).await);
    act(&s, &alice_t, &done, "approve").await;
    let gone = id(&submit(&s, &sam_t, &tid, json!({ "note": "withdrawn one" })).await);
    act(&s, &sam_t, &gone, "withdraw").await;
    let open = id(&submit(&s, &sam_t, &tid, json!({ "note": "pending one" })).await);
    // Henry approves one of Sam's requests and is under a legal hold: it stays.
    let (henry, henry_t) = s.staff(&t, "Henry").await;
    let tid_h = simple_template(&s, &admin, &henry).await;
    let kept = id(&submit(&s, &sam_t, &tid_h, json!({ "note": "henry approved" })).await);
    act(&s, &henry_t, &kept, "approve").await;
    s.post(
        "/api/v1/retention/holds",
        &admin,
        json!({ "name": "Henry's case", "reason": "litigation", "people": [henry] }),
    )
    .await
    .ok(201);

    let p = s.get("/api/v1/retention/policy", &admin).await;
    let class = p.ok(200)["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == "approval_requests_finished")
        .cloned()
        .expect("the approvals class in the policy");
    assert_eq!(class["days"], Value::Null);
    s.req(
        "PUT",
        "/api/v1/retention/policy",
        Some(&admin),
        Some(json!({ "set": [{ "class": "approval_requests_finished", "days": 30 }] })),
    )
    .await
    .ok(200);
    // Forty days on.
    let admin = crate::retention::later(&mut s, "3456000", &t.admin_email).await;
    let preview = s.post("/api/v1/retention/preview", &admin, json!({})).await;
    let preview = preview.ok(200).clone();
    let count = preview["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == "approval_requests_finished")
        .unwrap()["items"]
        .clone();
    assert_eq!(count, 2, "{preview}");
    let r = s
        .post(
            "/api/v1/retention/runs",
            &admin,
            json!({ "dry_run": false }),
        )
        .await;
    let run = id(r.ok(202));
    let path = format!("/api/v1/retention/runs/{run}");
    s.eventually("the retention run ends", || async {
        s.get(&path, &admin).await.ok(200)["status"] != "running"
    })
    .await;
    assert_eq!(s.get(&path, &admin).await.ok(200)["status"], "done");
    for rid in [&done, &gone] {
        for table in [
            "approval_requests",
            "approval_request_actions",
            "approval_request_people",
        ] {
            let col = if table == "approval_requests" {
                "id"
            } else {
                "request_id"
            };
            assert_eq!(
                s.count(&format!(
                    "select count(*) from {table} where {col} = '{rid}'"
                ))
                .await,
                0,
                "{table} {rid}"
            );
        }
        assert_eq!(
            s.count(&format!(
                "select count(*) from notices where source = 'approval' and subject_id = '{rid}'"
            ))
            .await,
            0
        );
    }
    // (Sessions from before the jump have expired: the admin reads it, by `approvals.read_all`.)
    let r = s
        .get(&format!("/api/v1/approvals/requests/{open}"), &admin)
        .await;
    assert_eq!(r.ok(200)["state"], "pending");
    // The request the held approver acted on is kept, whole.
    let r = s
        .get(&format!("/api/v1/approvals/requests/{kept}"), &admin)
        .await;
    let r = r.ok(200).clone();
    assert_eq!(r["state"], "approved");
    assert_eq!(r["history"].as_array().unwrap().len(), 2);
}
both!(retention_purges_finished_requests);
