//! Approval requests: submit (idempotent, the chain frozen), approve a chain to completion
//! (any-one, then in sequence), reject, withdraw, comment, the lists, who may read and act
//! (403/404), another tenant, no session, bad input, a stale revision — and the any-one race:
//! eight approvers at once, exactly one decides.

use crate::approvals_fixtures::{act, people};
use crate::both;
use crate::common::{id, Backend, Resp, Server};
use serde_json::{json, Value};

fn ids(v: &Value, key: &str) -> Vec<String> {
    v[key].as_array().unwrap().iter().map(id).collect()
}

async fn submit(s: &Server, token: &str, tid: &str, key: Option<&str>) -> Resp {
    let mut rb = s
        .http()
        .post(s.url("/api/v1/approvals/requests"))
        .bearer_auth(token)
        .json(&json!({ "template_id": tid, "answers": { "amount": 120 } }));
    if let Some(k) = key {
        rb = rb.header("idempotency-key", k);
    }
    Server::finish(rb).await
}

async fn boxed(s: &Server, token: &str, query: &str) -> Vec<String> {
    let r = s
        .get(&format!("/api/v1/approvals/requests?{query}"), token)
        .await;
    ids(r.ok(200), "items")
}

async fn lifecycle(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvr").await;
    let admin = &t.admin_token;
    let (sam, sam_t) = s.staff(&t, "Sam").await;
    let (alice, alice_t) = s.staff(&t, "Alice").await;
    let (bob, bob_t) = s.staff(&t, "Bob").await;
    let (carol, carol_t) = s.staff(&t, "Carol").await;
    let (dave, dave_t) = s.staff(&t, "Dave").await;
    let (_, otto_t) = s.staff(&t, "Otto").await;
    let tpl = s
        .post(
            "/api/v1/approvals/templates",
            admin,
            json!({
                "name": "Expenses", "category": "Tests",
                "form": { "fields": [
                    { "id": "amount", "label": "Amount", "kind": "number", "required": true },
                    { "id": "note", "label": "Note", "kind": "text" }
                ]},
                "flow": {
                    "nodes": [
                        { "id": "lead", "name": "Lead", "mode": "any_one",
                          "approvers": people(&[&alice, &bob]) },
                        { "id": "finance", "name": "Finance", "mode": "sequence",
                          "approvers": people(&[&carol, &bob]) }
                    ],
                    "cc_on_submit": people(&[&dave])
                }
            }),
        )
        .await;
    let tid = id(tpl.ok(201));

    // Submit, retried with the same key: one request.
    let first = submit(&s, &sam_t, &tid, Some("apv-submit-1")).await;
    let again = submit(&s, &sam_t, &tid, Some("apv-submit-1")).await;
    let r = first.ok(201).clone();
    assert_eq!(again.ok(201)["id"], r["id"]);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    let rid = id(&r);
    let path = format!("/api/v1/approvals/requests/{rid}");
    assert_eq!(r["state"], "pending");
    assert_eq!(r["revision"], 1);
    assert_eq!(r["version"], 1);
    assert_eq!(r["answers"]["amount"].as_f64(), Some(120.0));
    assert_eq!(ids(&r, "waiting_for"), [alice.clone(), bob.clone()]);
    assert_eq!(ids(&r, "cc_on_submit"), [dave.as_str()]);
    assert_eq!(r["nodes"][0]["state"], "active");
    assert_eq!(r["nodes"][1]["state"], "waiting");
    assert_eq!(r["can"], json!(["withdraw", "urge", "comment"]));
    assert_eq!(r["history"][0]["action"], "submit");
    assert_eq!(boxed(&s, &sam_t, "box=mine").await, [rid.as_str()]);
    assert_eq!(boxed(&s, &alice_t, "box=waiting").await, [rid.as_str()]);
    assert_eq!(boxed(&s, &dave_t, "box=cc").await, [rid.as_str()]);
    assert!(boxed(&s, &carol_t, "box=waiting").await.is_empty());

    // The chain is frozen: editing the template now changes nothing for this request.
    s.req(
        "PUT",
        &format!("/api/v1/approvals/templates/{tid}"),
        Some(admin),
        Some(json!({
            "name": "Expenses v2",
            "form": { "fields": [{ "id": "amount", "label": "Amount", "kind": "number", "required": true }] },
            "flow": { "nodes": [{ "id": "x", "name": "X", "mode": "any_one", "approvers": people(&[&dave]) }] }
        })),
    )
    .await
    .ok(200);
    // A submit that names the version it saw gets 409 once the template moved on.
    let stale = s
        .post(
            "/api/v1/approvals/requests",
            &sam_t,
            json!({ "template_id": tid, "version": 1, "answers": { "amount": 1 } }),
        )
        .await;
    assert_eq!(stale.problem(409), "conflict");

    // Who may read and act: an outsider sees nothing (404); the copied person and the
    // submitter read but do not decide (403).
    assert_eq!(s.get(&path, &otto_t).await.problem(404), "not_found");
    assert_eq!(
        act(&s, &otto_t, &rid, "approve", json!({}))
            .await
            .problem(404),
        "not_found"
    );
    assert_eq!(s.get(&path, &dave_t).await.ok(200)["id"], rid.as_str());
    assert_eq!(
        act(&s, &dave_t, &rid, "approve", json!({}))
            .await
            .problem(403),
        "forbidden"
    );
    assert_eq!(
        act(&s, &sam_t, &rid, "approve", json!({}))
            .await
            .problem(403),
        "forbidden"
    );
    assert_eq!(
        act(&s, &alice_t, &rid, "withdraw", json!({}))
            .await
            .problem(403),
        "forbidden"
    );
    // Bad input: a blank comment, an overlong one, an unknown field.
    let r = act(&s, &alice_t, &rid, "comments", json!({ "comment": "  " })).await;
    assert_eq!(r.problem(422), "validation_failed");
    let long = "x".repeat(2_001);
    let r = act(&s, &alice_t, &rid, "approve", json!({ "comment": long })).await;
    assert_eq!(r.problem(422), "validation_failed");
    assert!((400..500).contains(
        &act(&s, &alice_t, &rid, "approve", json!({ "verdict": "yes" }))
            .await
            .status
    ));
    // A stale revision is refused and changes nothing.
    assert_eq!(
        act(&s, &alice_t, &rid, "approve", json!({ "revision": 0 }))
            .await
            .problem(409),
        "conflict"
    );
    // A comment by the copied person joins the history.
    let c = act(
        &s,
        &dave_t,
        &rid,
        "comments",
        json!({ "comment": "Receipt?" }),
    )
    .await;
    assert_eq!(c.ok(201)["history"][1]["comment"], "Receipt?");

    // Any-one: Alice decides for the lead node; Bob is too late there (409).
    let a = act(
        &s,
        &alice_t,
        &rid,
        "approve",
        json!({ "comment": "fine", "revision": 2 }),
    )
    .await;
    let a = a.ok(200);
    assert_eq!(a["nodes"][0]["state"], "approved");
    assert_eq!(a["nodes"][0]["approved_by"], json!([alice]));
    assert_eq!(ids(a, "waiting_for"), [carol.as_str()]);
    // In sequence: Bob waits for Carol, who is first in line.
    assert_eq!(
        act(&s, &bob_t, &rid, "approve", json!({}))
            .await
            .problem(409),
        "conflict"
    );
    assert_eq!(boxed(&s, &carol_t, "box=waiting").await, [rid.as_str()]);
    act(&s, &carol_t, &rid, "approve", json!({})).await.ok(200);
    let done = act(&s, &bob_t, &rid, "approve", json!({})).await;
    let done = done.ok(200).clone();
    assert_eq!(done["state"], "approved");
    assert!(done["finished_at"].is_string());
    assert_eq!(done["can"], json!([]));
    let actions: Vec<&str> = done["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["submit", "comment", "approve", "approve", "approve"]
    );
    assert_eq!(done["history"][2]["actor"]["id"], alice.as_str());
    assert_eq!(done["history"][2]["node_id"], "lead");
    assert_eq!(done["history"][2]["comment"], "fine");
    // Finished requests are immutable.
    for (who, what) in [
        (&sam_t, "withdraw"),
        (&sam_t, "comments"),
        (&bob_t, "reject"),
    ] {
        let r = act(&s, who, &rid, what, json!({ "comment": "late" })).await;
        assert_eq!(r.problem(409), "conflict", "{what}");
    }
    assert_eq!(boxed(&s, &alice_t, "box=handled").await, [rid.as_str()]);
    assert!(boxed(&s, &alice_t, "box=waiting").await.is_empty());
    assert!(boxed(&s, &dave_t, "box=handled").await.is_empty());

    // Reject: a second request (under version 2 now: Dave approves alone).
    let r2 = id(submit(&s, &sam_t, &tid, None).await.ok(201));
    let rej = act(&s, &dave_t, &r2, "reject", json!({ "comment": "no" })).await;
    assert_eq!(rej.ok(200)["state"], "rejected");
    assert_eq!(rej.ok(200)["version"], 2);
    assert_eq!(rej.ok(200)["nodes"][0]["rejected_by"], dave.as_str());

    // Withdraw: the submitter, while pending; nobody decides afterwards.
    let r3 = id(submit(&s, &sam_t, &tid, None).await.ok(201));
    let w = act(&s, &sam_t, &r3, "withdraw", json!({ "comment": "typo" })).await;
    assert_eq!(w.ok(200)["state"], "withdrawn");
    assert_eq!(
        act(&s, &dave_t, &r3, "approve", json!({}))
            .await
            .problem(409),
        "conflict"
    );
    assert!(boxed(&s, &dave_t, "box=waiting").await.is_empty());

    // Lists: filters and paging.
    assert_eq!(
        boxed(&s, &sam_t, "box=mine&state=approved").await,
        [rid.as_str()]
    );
    assert_eq!(
        boxed(&s, &sam_t, "box=mine&state=withdrawn").await,
        [r3.as_str()]
    );
    assert_eq!(
        boxed(&s, &sam_t, &format!("template_id={tid}")).await,
        [r3.clone(), r2.clone(), rid.clone()]
    );
    assert!(boxed(&s, &sam_t, "from=2999-01-01T00:00:00Z")
        .await
        .is_empty());
    let page = s
        .get("/api/v1/approvals/requests?box=mine&limit=2", &sam_t)
        .await;
    let page = page.ok(200).clone();
    assert_eq!(ids(&page, "items"), [r3.clone(), r2.clone()]);
    let cursor = page["next_cursor"].as_str().unwrap();
    assert_eq!(
        boxed(&s, &sam_t, &format!("box=mine&limit=2&cursor={cursor}")).await,
        [rid.as_str()]
    );
    // `all` needs `approvals.read_all` (admins hold it), which also reads any request.
    assert_eq!(boxed(&s, admin, "box=all").await.len(), 3);
    let r = s.get("/api/v1/approvals/requests?box=all", &sam_t).await;
    assert_eq!(r.problem(403), "forbidden");
    assert_eq!(s.get(&path, admin).await.ok(200)["state"], "approved");
    // Bad list input.
    for q in [
        "box=nope",
        "state=gone",
        "limit=0",
        "cursor=zzz",
        "from=yesterday",
    ] {
        let r = s
            .get(&format!("/api/v1/approvals/requests?{q}"), &sam_t)
            .await;
        assert!((400..500).contains(&r.status), "{q}: {}", r.text);
    }

    // Bad submit input; an unknown template; no session; another tenant.
    let r = s
        .post(
            "/api/v1/approvals/requests",
            &sam_t,
            json!({ "template_id": tid, "answers": { "amount": "lots" } }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(r.body["field"], "answers.amount", "{}", r.text);
    let r = s
        .post(
            "/api/v1/approvals/requests",
            &sam_t,
            json!({ "template_id": "nope", "answers": {} }),
        )
        .await;
    assert_eq!(r.problem(404), "not_found");
    let r = s
        .req("POST", "/api/v1/approvals/requests", None, Some(json!({})))
        .await;
    assert_eq!(r.problem(401), "unauthenticated");
    assert_eq!(
        s.req("GET", &path, None, None).await.problem(401),
        "unauthenticated"
    );
    let other = s.tenant("apvr-other").await;
    assert_eq!(
        s.get(&path, &other.admin_token).await.problem(404),
        "not_found"
    );
    assert_eq!(
        act(&s, &other.admin_token, &r2, "approve", json!({}))
            .await
            .problem(404),
        "not_found"
    );
    assert!(boxed(&s, &other.admin_token, "box=all").await.is_empty());
    // Every action is in the audit log.
    let n = s
        .count(&format!(
            "select count(*) from audit_log where target_id = '{rid}' and action like 'approval_request.%'"
        ))
        .await;
    assert_eq!(n, 5);
    let _ = sam;
}
both!(lifecycle);

/// Eight approvers of an any-one node approve at once: exactly one decides (200), the
/// others learn someone was first (409), and the history holds one approval.
async fn any_one_race(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvrace").await;
    let (_, sam_t) = s.staff(&t, "Sam").await;
    let mut approvers = Vec::new();
    for i in 0..8 {
        approvers.push(s.staff(&t, &format!("Approver {i}")).await);
    }
    let who: Vec<&str> = approvers.iter().map(|a| a.0.as_str()).collect();
    let tpl = s
        .post(
            "/api/v1/approvals/templates",
            &t.admin_token,
            json!({
                "name": "Race",
                "form": { "fields": [{ "id": "amount", "label": "Amount", "kind": "number", "required": true }] },
                "flow": { "nodes": [{ "id": "any", "name": "Any", "mode": "any_one", "approvers": people(&who) }] }
            }),
        )
        .await;
    let tid = id(tpl.ok(201));
    for round in 0..3 {
        let rid = id(submit(&s, &sam_t, &tid, None).await.ok(201));
        let answers = futures_util::future::join_all(
            approvers
                .iter()
                .map(|(_, token)| act(&s, token, &rid, "approve", json!({}))),
        )
        .await;
        let ok = answers.iter().filter(|r| r.status == 200).count();
        let conflict = answers.iter().filter(|r| r.status == 409).count();
        assert_eq!(
            (ok, conflict),
            (1, 7),
            "round {round}: {:?}",
            answers
                .iter()
                .map(|r| (r.status, r.text.clone()))
                .collect::<Vec<_>>()
        );
        let r = s
            .get(&format!("/api/v1/approvals/requests/{rid}"), &sam_t)
            .await;
        let r = r.ok(200);
        assert_eq!(r["state"], "approved");
        let approvals = r["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["action"] == "approve")
            .count();
        assert_eq!(approvals, 1);
        assert_eq!(r["revision"], 2);
    }
}
both!(any_one_race);

/// Requests are found by the people who may read them (search kind `approval`), by their
/// answers and comments: the submitter, the approvers, holders of `approvals.read_all` — not
/// others.
async fn search_visibility(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvsearch").await;
    let (_, sam_t) = s.staff(&t, "Sam").await;
    let (alice, alice_t) = s.staff(&t, "Alice").await;
    let (_, otto_t) = s.staff(&t, "Otto").await;
    let tpl = s
        .post(
            "/api/v1/approvals/templates",
            &t.admin_token,
            json!({
                "name": "Trip",
                "form": { "fields": [{ "id": "purpose", "label": "Purpose", "kind": "text", "required": true }] },
                "flow": { "nodes": [{ "id": "a", "name": "A", "mode": "any_one", "approvers": people(&[&alice]) }] }
            }),
        )
        .await;
    let tid = id(tpl.ok(201));
    let r = s
        .post(
            "/api/v1/approvals/requests",
            &sam_t,
            json!({ "template_id": tid, "answers": { "purpose": "Zanzibar conference" } }),
        )
        .await;
    let rid = id(r.ok(201));
    let found = |r: &Value| -> Vec<String> {
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["kind"] == "approval")
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect()
    };
    s.eventually("the submitter finds the request", || async {
        found(s.search(&sam_t, "zanzibar").await.ok(200)) == [rid.as_str()]
    })
    .await;
    assert_eq!(
        found(s.search(&alice_t, "zanzibar").await.ok(200)),
        [rid.as_str()]
    );
    assert_eq!(
        found(s.search(&t.admin_token, "conference").await.ok(200)),
        [rid.as_str()]
    );
    assert!(found(s.search(&otto_t, "zanzibar").await.ok(200)).is_empty());
    // A comment is found too.
    act(
        &s,
        &alice_t,
        &rid,
        "comments",
        json!({ "comment": "Bring the visa papers" }),
    )
    .await
    .ok(201);
    s.eventually("the comment is searchable", || async {
        found(s.search(&sam_t, "visa").await.ok(200)) == [rid.as_str()]
    })
    .await;
}
both!(search_visibility);

/// Transfer: a current approver hands their place to another person (not the submitter, not
/// someone already on the node), keeps reading, no longer decides. Urge: the submitter, once
/// an hour (429 after), recorded in the history.
async fn transfer_and_urge(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvtr").await;
    let (sam, sam_t) = s.staff(&t, "Sam").await;
    let (alice, alice_t) = s.staff(&t, "Alice").await;
    let (carol, carol_t) = s.staff(&t, "Carol").await;
    let tpl = s
        .post(
            "/api/v1/approvals/templates",
            &t.admin_token,
            json!({
                "name": "Transfer",
                "form": { "fields": [{ "id": "amount", "label": "Amount", "kind": "number", "required": true }] },
                "flow": { "nodes": [{ "id": "a", "name": "A", "mode": "any_one", "approvers": people(&[&alice]) }] }
            }),
        )
        .await;
    let tid = id(tpl.ok(201));
    let rid = id(submit(&s, &sam_t, &tid, None).await.ok(201));
    for bad in [sam.as_str(), alice.as_str(), "nope"] {
        let r = act(&s, &alice_t, &rid, "transfer", json!({ "to": bad })).await;
        assert_eq!(r.problem(422), "validation_failed", "{bad}");
        assert_eq!(r.body["field"], "to");
    }
    assert_eq!(
        act(&s, &carol_t, &rid, "transfer", json!({ "to": carol }))
            .await
            .problem(404),
        "not_found"
    );
    let r = act(
        &s,
        &alice_t,
        &rid,
        "transfer",
        json!({ "to": carol, "comment": "on leave" }),
    )
    .await;
    let r = r.ok(200).clone();
    assert_eq!(ids(&r, "waiting_for"), [carol.as_str()]);
    let last = &r["history"][1];
    assert_eq!(last["action"], "transfer");
    assert_eq!(last["target_id"], carol.as_str());
    assert_eq!(last["comment"], "on leave");
    // Alice still reads it but no longer decides; Carol does.
    assert_eq!(
        s.get(&format!("/api/v1/approvals/requests/{rid}"), &alice_t)
            .await
            .ok(200)["can"],
        json!(["comment"])
    );
    assert_eq!(
        act(&s, &alice_t, &rid, "approve", json!({}))
            .await
            .problem(403),
        "forbidden"
    );
    assert_eq!(boxed(&s, &carol_t, "box=waiting").await, [rid.as_str()]);
    assert!(boxed(&s, &alice_t, "box=waiting").await.is_empty());

    // Urge: the submitter only, once an hour.
    assert_eq!(
        act(&s, &alice_t, &rid, "urge", json!({}))
            .await
            .problem(403),
        "forbidden"
    );
    let u = act(&s, &sam_t, &rid, "urge", json!({})).await;
    assert_eq!(u.ok(200)["history"][2]["action"], "urge");
    let again = act(&s, &sam_t, &rid, "urge", json!({})).await;
    assert_eq!(again.status, 429, "{}", again.text);
    assert!(again.header("retry-after").is_some());
    // Carol was told both times (a notice for the transfer, one for the urge).
    let notices = s.get("/api/v1/notices", &carol_t).await;
    let kinds: Vec<&str> = notices.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["source"] == "approval")
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"waiting") && kinds.contains(&"urged"),
        "{kinds:?}"
    );
    let done = act(&s, &carol_t, &rid, "approve", json!({})).await;
    assert_eq!(done.ok(200)["state"], "approved");
    assert_eq!(
        act(&s, &sam_t, &rid, "urge", json!({})).await.problem(409),
        "conflict"
    );
}
both!(transfer_and_urge);
