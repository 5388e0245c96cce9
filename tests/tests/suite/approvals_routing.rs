//! Approval routing that must hold after submission: a resubmission with edited answers is
//! routed again by the flow's conditions (no escaping a step by lowering an amount first and
//! raising it after a send-back), nobody chooses themselves as approver, a departed
//! approver's replacement is never the submitter, the frozen chain ignores later moves in the
//! directory — and the people a step no longer waits for hear of it.

use crate::approvals_fixtures::{act, people};
use crate::both;
use crate::common::{id, Backend, Server};
use crate::sinks::SmtpSink;
use serde_json::{json, Value};

fn waiting(v: &Value) -> Vec<String> {
    v["waiting_for"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect()
}

fn node_states(v: &Value) -> Vec<(String, String)> {
    v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["node_id"].as_str().unwrap().to_string(),
                n["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn state_of(v: &Value, node: &str) -> String {
    node_states(v)
        .into_iter()
        .find(|(n, _)| n == node)
        .map(|(_, s)| s)
        .unwrap_or_default()
}

async fn notice_kinds(s: &Server, token: &str) -> Vec<String> {
    s.get("/api/v1/notices", token).await.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["source"] == "approval")
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn resubmit_routes_again(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvroute").await;
    let admin = &t.admin_token;
    let (sam, sam_t) = s.staff(&t, "Sam").await;
    let (alice, alice_t) = s.staff(&t, "Alice").await;
    let (carol, carol_t) = s.staff(&t, "Carol").await;
    let (dave, dave_t) = s.staff(&t, "Dave").await;
    let tpl = s
        .post(
            "/api/v1/approvals/templates",
            admin,
            json!({
                "name": "Spend", "category": "Tests",
                "form": { "fields": [
                    { "id": "amount", "label": "Amount", "kind": "number", "required": true }
                ]},
                "flow": { "nodes": [
                    { "id": "lead", "name": "Lead", "mode": "any_one", "approvers": people(&[&alice]) },
                    { "id": "finance", "name": "Finance", "mode": "any_one",
                      "condition": "amount > 10000", "approvers": people(&[&carol]) },
                    { "id": "board", "name": "Board", "mode": "any_one",
                      "condition": "amount > 50000", "approvers": [{ "kind": "chosen", "max": 2 }] }
                ]}
            }),
        )
        .await;
    let tid = id(tpl.ok(201));

    // Choosing: never oneself; a step only a choice fills needs one at submit, not at preview.
    let big = json!({ "amount": 60000 });
    let r = s
        .post(
            "/api/v1/approvals/requests",
            &sam_t,
            json!({ "template_id": tid, "answers": big, "chosen": { "board": [sam] } }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(r.body["field"], "chosen.board", "{}", r.text);
    let r = s
        .post(
            "/api/v1/approvals/requests",
            &sam_t,
            json!({ "template_id": tid, "answers": big }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(r.body["field"], "chosen.board", "{}", r.text);
    let r = s
        .post(
            "/api/v1/approvals/preview",
            &sam_t,
            json!({ "template_id": tid, "answers": big }),
        )
        .await;
    let nodes = r.ok(200)["nodes"].clone();
    // Nobody chosen yet: the preview shows what the flow's empty-set rule would do.
    assert!(
        nodes[2]["fallback"] == true || nodes[2]["skipped"] == "no_approver",
        "{nodes}"
    );
    let r = s
        .post(
            "/api/v1/approvals/preview",
            &sam_t,
            json!({ "template_id": tid, "answers": big, "chosen": { "board": [sam] } }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");

    // Submitted small: only the lead decides.
    let r = s
        .post(
            "/api/v1/approvals/requests",
            &sam_t,
            json!({ "template_id": tid, "answers": { "amount": 5000 } }),
        )
        .await;
    let v = r.ok(201).clone();
    let rid = id(&v);
    assert_eq!(state_of(&v, "finance"), "skipped");
    act(&s, &alice_t, &rid, "send-back", json!({}))
        .await
        .ok(200);
    // Raised after the send-back: finance is brought in (resolved now), the board needs a
    // choice (422 naming it, nothing changed), and Sam may not pick himself.
    let raised = json!({ "answers": { "amount": 60000 } });
    let r = act(&s, &sam_t, &rid, "resubmit", raised.clone()).await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(r.body["field"], "chosen.board", "{}", r.text);
    let r = act(
        &s,
        &sam_t,
        &rid,
        "resubmit",
        json!({ "answers": { "amount": 60000 }, "chosen": { "board": [sam] } }),
    )
    .await;
    assert_eq!(r.problem(422), "validation_failed");
    let unchanged = s
        .get(&format!("/api/v1/approvals/requests/{rid}"), &sam_t)
        .await
        .ok(200)
        .clone();
    assert_eq!(unchanged["state"], "returned");
    assert_eq!(unchanged["answers"]["amount"].as_f64(), Some(5000.0));
    let v = act(
        &s,
        &sam_t,
        &rid,
        "resubmit",
        json!({ "answers": { "amount": 60000 }, "chosen": { "board": [dave] } }),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(v["state"], "pending");
    assert_eq!(waiting(&v), std::slice::from_ref(&alice));
    assert_eq!(state_of(&v, "finance"), "waiting");
    assert_eq!(state_of(&v, "board"), "waiting");
    let v = act(&s, &alice_t, &rid, "approve", json!({}))
        .await
        .ok(200)
        .clone();
    assert_eq!(waiting(&v), std::slice::from_ref(&carol));
    // Carol sends it back; lowered, finance and the board drop out and the lead alone decides.
    act(&s, &carol_t, &rid, "send-back", json!({}))
        .await
        .ok(200);
    let v = act(
        &s,
        &sam_t,
        &rid,
        "resubmit",
        json!({ "answers": { "amount": 900 } }),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(state_of(&v, "finance"), "skipped");
    assert_eq!(state_of(&v, "board"), "skipped");
    // Carol and Dave, taken off, still read the request they took part in.
    for who in [&carol_t, &dave_t] {
        s.get(&format!("/api/v1/approvals/requests/{rid}"), who)
            .await
            .ok(200);
    }
    let v = act(&s, &alice_t, &rid, "approve", json!({}))
        .await
        .ok(200)
        .clone();
    assert_eq!(v["state"], "approved");
}
both!(resubmit_routes_again);

/// Sam submits; Alice and Bob may each decide the first step (any one), Carol the second.
async fn step_template(s: &Server, admin: &str, first: &[&str], second: &str) -> String {
    let tpl = s
        .post(
            "/api/v1/approvals/templates",
            admin,
            json!({
                "name": "Equipment", "category": "Tests",
                "form": { "fields": [{ "id": "amount", "label": "Amount", "kind": "number", "required": true }] },
                "flow": { "nodes": [
                    { "id": "lead", "name": "Lead", "mode": "any_one", "approvers": people(first) },
                    { "id": "finance", "name": "Finance", "mode": "any_one", "approvers": people(&[second]) }
                ]}
            }),
        )
        .await;
    id(tpl.ok(201))
}

async fn submit(s: &Server, token: &str, tid: &str) -> String {
    let r = s
        .post(
            "/api/v1/approvals/requests",
            token,
            json!({ "template_id": tid, "answers": { "amount": 10 } }),
        )
        .await;
    id(r.ok(201))
}

async fn told_when_no_longer_waited_for(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvtold").await;
    let admin = &t.admin_token;
    let (_, sam_t) = s.staff(&t, "Sam").await;
    let (alice, alice_t) = s.staff(&t, "Alice").await;
    let (bob, bob_t) = s.staff(&t, "Bob").await;
    let (carol, carol_t) = s.staff(&t, "Carol").await;
    let tid = step_template(&s, admin, &[&alice, &bob], &carol).await;

    // Alice decides the step Bob waited on too: Bob is told it was decided, Sam of progress.
    let rid = submit(&s, &sam_t, &tid).await;
    act(&s, &alice_t, &rid, "approve", json!({})).await.ok(200);
    assert!(notice_kinds(&s, &bob_t)
        .await
        .contains(&"decided".to_string()));
    assert!(!notice_kinds(&s, &alice_t)
        .await
        .contains(&"decided".to_string()));
    assert!(notice_kinds(&s, &sam_t)
        .await
        .contains(&"progress".to_string()));
    // Withdrawn while Carol waits: Carol is told.
    act(&s, &sam_t, &rid, "withdraw", json!({})).await.ok(200);
    assert!(notice_kinds(&s, &carol_t)
        .await
        .contains(&"withdrawn".to_string()));
}
both!(told_when_no_longer_waited_for);

async fn replacement_is_never_the_submitter(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvrepl").await;
    let admin = &t.admin_token;
    let (sam, sam_t) = s.staff(&t, "Sam").await;
    let (alice, _) = s.staff(&t, "Alice").await;
    let (carol, _) = s.staff(&t, "Carol").await;
    // Alice's manager is Sam, who submits: when Alice leaves, Sam may not take her place.
    s.req(
        "PUT",
        &format!("/api/v1/directory/people/{alice}"),
        Some(admin),
        Some(json!({ "manager_id": sam })),
    )
    .await
    .ok(200);
    let tid = step_template(&s, admin, &[&alice], &carol).await;
    let rid = submit(&s, &sam_t, &tid).await;
    s.post(&format!("/api/v1/users/{alice}/disable"), admin, json!({}))
        .await
        .ok(200);
    let path = format!("/api/v1/approvals/requests/{rid}");
    s.eventually(
        "the approval admins take the departed approver's place",
        || async {
            let v = s.get(&path, &sam_t).await;
            waiting(v.ok(200)) == [t.admin_id.clone()]
        },
    )
    .await;
    assert_eq!(
        act(&s, &sam_t, &rid, "approve", json!({}))
            .await
            .problem(403),
        "forbidden"
    );
    act(&s, admin, &rid, "approve", json!({})).await.ok(200);
}
both!(replacement_is_never_the_submitter);

async fn frozen_chain_ignores_later_moves(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvfrozen").await;
    let admin = &t.admin_token;
    let (sam, sam_t) = s.staff(&t, "Sam").await;
    let (mia, mia_t) = s.staff(&t, "Mia").await;
    let (nora, _) = s.staff(&t, "Nora").await;
    let (zed, zed_t) = s.staff(&t, "Zed").await;
    let set_manager = |who: String, manager: String| {
        let s = &s;
        async move {
            s.req(
                "PUT",
                &format!("/api/v1/directory/people/{who}"),
                Some(admin),
                Some(json!({ "manager_id": manager })),
            )
            .await
            .ok(200);
        }
    };
    // Sam's manager is Mia, Mia's is Zed: the flow asks Sam's manager, then two levels up.
    set_manager(sam.clone(), mia.clone()).await;
    set_manager(mia.clone(), zed.clone()).await;
    let tpl = s
        .post(
            "/api/v1/approvals/templates",
            admin,
            json!({
                "name": "Leave", "category": "Tests",
                "form": { "fields": [{ "id": "amount", "label": "Days", "kind": "number", "required": true }] },
                "flow": { "nodes": [
                    { "id": "manager", "name": "Manager", "mode": "any_one", "approvers": [{ "kind": "manager" }] },
                    { "id": "skip", "name": "Skip level", "mode": "any_one", "approvers": [{ "kind": "manager", "levels": 2 }] }
                ]}
            }),
        )
        .await;
    let tid = id(tpl.ok(201));
    let rid = submit(&s, &sam_t, &tid).await;
    // After submission Sam moves under Nora, and Mia under Nora too: the request keeps the
    // people it was submitted to, on this step and on the next.
    set_manager(sam.clone(), nora.clone()).await;
    set_manager(mia.clone(), nora.clone()).await;
    let path = format!("/api/v1/approvals/requests/{rid}");
    let v = s.get(&path, &sam_t).await.ok(200).clone();
    assert_eq!(waiting(&v), std::slice::from_ref(&mia));
    let v = act(&s, &mia_t, &rid, "approve", json!({}))
        .await
        .ok(200)
        .clone();
    assert_eq!(waiting(&v), std::slice::from_ref(&zed));
    let v = act(&s, &zed_t, &rid, "approve", json!({}))
        .await
        .ok(200)
        .clone();
    assert_eq!(v["state"], "approved");
    // A new request follows the directory as it is now.
    let rid = submit(&s, &sam_t, &tid).await;
    let v = s
        .get(&format!("/api/v1/approvals/requests/{rid}"), &sam_t)
        .await
        .ok(200)
        .clone();
    assert_eq!(waiting(&v), std::slice::from_ref(&nora));
}
both!(frozen_chain_ignores_later_moves);

async fn mail_for_urge_return_and_copies(b: Backend) {
    let Some(sink) = SmtpSink::start().await else {
        return;
    };
    let env = sink.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let Some(s) = Server::start_with(b, &env).await else {
        return;
    };
    let t = s.tenant("apvmail2").await;
    let admin = &t.admin_token;
    let (_, sam_t) = s.staff(&t, "Sam").await;
    let (alice, alice_t) = s.staff(&t, "Alice").await;
    let (dora, _) = s.staff(&t, "Dora").await;
    let tpl = s
        .post(
            "/api/v1/approvals/templates",
            admin,
            json!({
                "name": "Monitor purchase", "category": "Tests",
                "form": { "fields": [{ "id": "amount", "label": "Amount", "kind": "number", "required": true }] },
                "flow": {
                    "nodes": [{ "id": "lead", "name": "Team lead", "mode": "any_one", "approvers": people(&[&alice]) }],
                    "cc_on_submit": people(&[&dora]),
                    "cc_on_complete": people(&[&dora])
                }
            }),
        )
        .await;
    let tid = id(tpl.ok(201));
    let (sam_at, alice_at, dora_at) = (
        "sam@apvmail2.test",
        "alice@apvmail2.test",
        "dora@apvmail2.test",
    );
    let mails = |to: &str| {
        sink.to(to)
            .into_iter()
            .filter(|m| m.subject.contains("Monitor purchase"))
            .map(|m| m.subject)
            .collect::<Vec<_>>()
    };
    let rid = submit(&s, &sam_t, &tid).await;
    s.eventually("the person copied on submit is mailed", || async {
        mails(dora_at) == ["For your information: Monitor purchase"]
    })
    .await;
    act(&s, &sam_t, &rid, "urge", json!({})).await.ok(200);
    s.eventually("the approver is reminded", || async {
        mails(alice_at).contains(&"Reminder: approval needed: Monitor purchase".to_string())
    })
    .await;
    act(&s, &alice_t, &rid, "send-back", json!({}))
        .await
        .ok(200);
    s.eventually("the submitter is mailed the return", || async {
        mails(sam_at) == ["Sent back for changes: Monitor purchase"]
    })
    .await;
    act(&s, &sam_t, &rid, "resubmit", json!({})).await.ok(200);
    act(&s, &alice_t, &rid, "approve", json!({})).await.ok(200);
    s.eventually("the person copied on completion is mailed", || async {
        mails(dora_at).contains(&"Approved: Monitor purchase".to_string())
    })
    .await;
}
both!(mail_for_urge_return_and_copies);
