//! Approval request actions beyond deciding: add a signer before or after oneself, send back
//! to an earlier node or to the submitter, resubmit with edited answers (every round kept),
//! the replacement of an approver who is disabled (their manager) — and attachments, which
//! exactly the request's readers may download.

use crate::approvals_fixtures::{act, people};
use crate::both;
use crate::common::{id, Server};
use serde_json::{json, Value};

fn waiting(v: &Value) -> Vec<String> {
    v["waiting_for"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect()
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

async fn signers_and_send_back(b: crate::common::Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvact").await;
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
                "name": "Purchases", "category": "Tests",
                "form": { "fields": [
                    { "id": "amount", "label": "Amount", "kind": "number", "required": true }
                ]},
                "flow": { "nodes": [
                    { "id": "lead", "name": "Lead", "mode": "any_one", "approvers": people(&[&alice]) },
                    { "id": "finance", "name": "Finance", "mode": "any_one", "approvers": people(&[&carol]) }
                ]}
            }),
        )
        .await;
    let tid = id(tpl.ok(201));
    let r = s
        .post(
            "/api/v1/approvals/requests",
            &sam_t,
            json!({ "template_id": tid, "answers": { "amount": 120 } }),
        )
        .await;
    let rid = id(r.ok(201));

    // Alice may add signers and send back; Sam may not (403), an outsider sees nothing (404).
    let r = s
        .get(&format!("/api/v1/approvals/requests/{rid}"), &alice_t)
        .await;
    let can = r.ok(200)["can"].clone();
    assert!(
        can.as_array().unwrap().contains(&json!("add_signer")),
        "{can}"
    );
    assert!(
        can.as_array().unwrap().contains(&json!("send_back")),
        "{can}"
    );
    let body = json!({ "to": bob, "position": "before" });
    assert_eq!(
        act(&s, &sam_t, &rid, "signers", body.clone())
            .await
            .problem(403),
        "forbidden"
    );
    assert_eq!(
        act(&s, &otto_t, &rid, "signers", body.clone())
            .await
            .problem(404),
        "not_found"
    );
    // Not the submitter, not oneself (422).
    let r = act(
        &s,
        &alice_t,
        &rid,
        "signers",
        json!({ "to": sam, "position": "before" }),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = act(
        &s,
        &alice_t,
        &rid,
        "signers",
        json!({ "to": alice, "position": "after" }),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);

    // Before: Bob decides first (and is told), then it is Alice's again.
    let r = act(&s, &alice_t, &rid, "signers", body).await;
    let v = r.ok(200).clone();
    assert_eq!(waiting(&v), std::slice::from_ref(&bob));
    assert_eq!(v["nodes"][0]["added_by"], alice.as_str());
    let last = v["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "add_signer_before");
    assert_eq!(last["target_id"], bob.as_str());
    assert!(notice_kinds(&s, &bob_t)
        .await
        .contains(&"waiting".to_string()));
    assert_eq!(
        act(&s, &alice_t, &rid, "approve", json!({}))
            .await
            .problem(409),
        "conflict"
    );
    let v = act(&s, &bob_t, &rid, "approve", json!({}))
        .await
        .ok(200)
        .clone();
    assert_eq!(waiting(&v), std::slice::from_ref(&alice));

    // After: Dave gets a step right after Alice's node (and is told now).
    let v = act(
        &s,
        &alice_t,
        &rid,
        "signers",
        json!({ "to": dave, "position": "after" }),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(waiting(&v), std::slice::from_ref(&alice));
    assert!(notice_kinds(&s, &dave_t)
        .await
        .contains(&"signer_added".to_string()));
    act(&s, &alice_t, &rid, "approve", json!({})).await.ok(200);
    let v = act(&s, &dave_t, &rid, "approve", json!({}))
        .await
        .ok(200)
        .clone();
    assert_eq!(waiting(&v), std::slice::from_ref(&carol));

    // Carol sends it back to an earlier node: not to one that was not approved (422); to
    // Alice's, which restarts.
    let r = act(
        &s,
        &carol_t,
        &rid,
        "send-back",
        json!({ "node_id": "finance" }),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let v = act(
        &s,
        &carol_t,
        &rid,
        "send-back",
        json!({ "node_id": "lead", "comment": "check the vendor" }),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(waiting(&v), std::slice::from_ref(&alice));
    assert!(notice_kinds(&s, &sam_t)
        .await
        .contains(&"sent_back".to_string()));
    act(&s, &alice_t, &rid, "approve", json!({})).await.ok(200);
    act(&s, &dave_t, &rid, "approve", json!({})).await.ok(200);

    // To the submitter: returned, nobody decides, only Sam resubmits (or withdraws).
    let v = act(
        &s,
        &carol_t,
        &rid,
        "send-back",
        json!({ "comment": "amount too high" }),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(v["state"], "returned");
    assert!(waiting(&v).is_empty());
    assert!(notice_kinds(&s, &sam_t)
        .await
        .contains(&"returned".to_string()));
    assert_eq!(
        act(&s, &carol_t, &rid, "approve", json!({}))
            .await
            .problem(409),
        "conflict"
    );
    assert_eq!(
        act(&s, &alice_t, &rid, "resubmit", json!({}))
            .await
            .problem(403),
        "forbidden"
    );
    let r = s
        .get(&format!("/api/v1/approvals/requests/{rid}"), &sam_t)
        .await;
    assert_eq!(r.ok(200)["can"], json!(["withdraw", "resubmit", "comment"]));
    // A state of its own: listed under `returned`, not under `pending`.
    let listed = |query: &'static str| {
        let s = &s;
        let sam_t = &sam_t;
        async move {
            s.get(&format!("/api/v1/approvals/requests?{query}"), sam_t)
                .await
                .ok(200)["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        listed("box=mine&state=returned").await,
        std::slice::from_ref(&rid)
    );
    assert!(!listed("box=mine&state=pending").await.contains(&rid));
    // Edited answers are checked against the request's own template version.
    let r = act(
        &s,
        &sam_t,
        &rid,
        "resubmit",
        json!({ "answers": { "amount": "lots" } }),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let v = act(
        &s,
        &sam_t,
        &rid,
        "resubmit",
        json!({ "answers": { "amount": 90 }, "comment": "lowered" }),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(v["state"], "pending");
    assert_eq!(v["answers"]["amount"].as_f64(), Some(90.0));
    assert!(listed("state=returned").await.is_empty());
    assert!(listed("state=pending").await.contains(&rid));
    // The chain is kept and walked again from the start: Bob's added step first.
    assert_eq!(waiting(&v), std::slice::from_ref(&bob));
    let last = v["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "resubmit");
    assert_eq!(last["answers"]["amount"].as_f64(), Some(120.0));
    assert_eq!(
        act(&s, &sam_t, &rid, "resubmit", json!({}))
            .await
            .problem(409),
        "conflict"
    );
    for who in [&bob_t, &alice_t, &dave_t, &carol_t] {
        act(&s, who, &rid, "approve", json!({})).await.ok(200);
    }
    let done = s
        .get(&format!("/api/v1/approvals/requests/{rid}"), &sam_t)
        .await;
    let done = done.ok(200);
    assert_eq!(done["state"], "approved");
    let actions: Vec<&str> = done["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == "send_back").count(), 2);
    assert_eq!(
        act(&s, &carol_t, &rid, "send-back", json!({}))
            .await
            .problem(409),
        "conflict"
    );
}
both!(signers_and_send_back);

async fn departed_approver_replaced(b: crate::common::Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvgone").await;
    let admin = &t.admin_token;
    let (_, sam_t) = s.staff(&t, "Sam").await;
    let (alice, _) = s.staff(&t, "Alice").await;
    let (mia, mia_t) = s.staff(&t, "Mia").await;
    let (carol, carol_t) = s.staff(&t, "Carol").await;
    s.req(
        "PUT",
        &format!("/api/v1/directory/people/{alice}"),
        Some(admin),
        Some(json!({ "manager_id": mia })),
    )
    .await
    .ok(200);
    let tpl = s
        .post(
            "/api/v1/approvals/templates",
            admin,
            json!({
                "name": "Trips", "category": "Tests",
                "form": { "fields": [{ "id": "amount", "label": "Amount", "kind": "number", "required": true }] },
                "flow": { "nodes": [
                    { "id": "lead", "name": "Lead", "mode": "any_one", "approvers": people(&[&alice]) },
                    { "id": "hr", "name": "HR", "mode": "any_one", "approvers": people(&[&carol]) }
                ]}
            }),
        )
        .await;
    let tid = id(tpl.ok(201));
    let mut rids = Vec::new();
    for _ in 0..2 {
        let r = s
            .post(
                "/api/v1/approvals/requests",
                &sam_t,
                json!({ "template_id": tid, "answers": { "amount": 5 } }),
            )
            .await;
        rids.push(id(r.ok(201)));
    }
    // Alice leaves mid-flow: her manager Mia takes her place, recorded as Stoa's action.
    s.post(&format!("/api/v1/users/{alice}/disable"), admin, json!({}))
        .await
        .ok(200);
    for rid in &rids {
        let path = format!("/api/v1/approvals/requests/{rid}");
        s.eventually("the departed approver is replaced", || async {
            let v = s.get(&path, &sam_t).await;
            waiting(v.ok(200)) == [mia.clone()]
        })
        .await;
        let v = s.get(&path, &sam_t).await.ok(200).clone();
        let last = v["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "replace");
        assert!(last["actor"].is_null());
        assert_eq!(last["target_id"], alice.as_str());
        assert_eq!(last["node_id"], "lead");
    }
    assert!(notice_kinds(&s, &mia_t)
        .await
        .contains(&"replaced".to_string()));
    act(&s, &mia_t, &rids[0], "approve", json!({}))
        .await
        .ok(200);
    let v = act(&s, &carol_t, &rids[0], "approve", json!({}))
        .await
        .ok(200)
        .clone();
    assert_eq!(v["state"], "approved");
    // Carol (no manager) leaves: the approval admins take her place.
    s.post(&format!("/api/v1/users/{carol}/disable"), admin, json!({}))
        .await
        .ok(200);
    act(&s, &mia_t, &rids[1], "approve", json!({}))
        .await
        .ok(200);
    let path = format!("/api/v1/approvals/requests/{}", rids[1]);
    s.eventually("the approval admins take over", || async {
        let v = s.get(&path, &sam_t).await;
        waiting(v.ok(200)).contains(&t.admin_id)
    })
    .await;
    let v = act(&s, admin, &rids[1], "approve", json!({}))
        .await
        .ok(200)
        .clone();
    assert_eq!(v["state"], "approved");
}
both!(departed_approver_replaced);

async fn attachments_follow_readers(b: crate::common::Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvfile").await;
    let admin = &t.admin_token;
    let (_, sam_t) = s.staff(&t, "Sam").await;
    let (alice, alice_t) = s.staff(&t, "Alice").await;
    let (dave, dave_t) = s.staff(&t, "Dave").await;
    let (_, otto_t) = s.staff(&t, "Otto").await;
    let tpl = s
        .post(
            "/api/v1/approvals/templates",
            admin,
            json!({
                "name": "Receipts", "category": "Tests",
                "form": { "fields": [
                    { "id": "receipts", "label": "Receipts", "kind": "attachment", "required": true }
                ]},
                "flow": {
                    "nodes": [{ "id": "lead", "name": "Lead", "mode": "any_one", "approvers": people(&[&alice]) }],
                    "cc_on_submit": people(&[&dave])
                }
            }),
        )
        .await;
    let tid = id(tpl.ok(201));
    let file = id(s
        .upload(&sam_t, "receipt.txt", b"taxi 12.50".to_vec())
        .await
        .ok(201));
    let others = id(s
        .upload(&otto_t, "otto.txt", b"not yours".to_vec())
        .await
        .ok(201));
    // Only one's own (or readable) uploads can be attached.
    let r = s
        .post(
            "/api/v1/approvals/requests",
            &sam_t,
            json!({ "template_id": tid, "answers": { "receipts": [others] } }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    // Before it is attached, Alice cannot read Sam's upload.
    assert_eq!(s.download(&alice_t, &file, &[]).await.0, 404);
    let r = s
        .post(
            "/api/v1/approvals/requests",
            &sam_t,
            json!({ "template_id": tid, "answers": { "receipts": [file] } }),
        )
        .await;
    r.ok(201);
    for (who, status) in [
        (&sam_t, 200),
        (&alice_t, 200),
        (&dave_t, 200),
        (&otto_t, 404),
    ] {
        let (got, _, bytes) = s.download(who, &file, &[]).await;
        assert_eq!(got, status);
        if status == 200 {
            assert_eq!(bytes, b"taxi 12.50");
        }
    }
    // `approvals.read_all` (the tenant admin) reads it too.
    assert_eq!(s.download(admin, &file, &[]).await.0, 200);
}
both!(attachments_follow_readers);

/// Files attached with a comment (or an approval) are checked like form attachments (one's own
/// or readable uploads, at most 10: 4xx naming `file_ids` otherwise), listed with the action in
/// the history, and downloadable by exactly the request's readers.
async fn comment_attachments(b: crate::common::Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvcfile").await;
    let admin = &t.admin_token;
    let (_, sam_t) = s.staff(&t, "Sam").await;
    let (alice, alice_t) = s.staff(&t, "Alice").await;
    let (dave, dave_t) = s.staff(&t, "Dave").await;
    let (_, otto_t) = s.staff(&t, "Otto").await;
    let tpl = s
        .post(
            "/api/v1/approvals/templates",
            admin,
            json!({
                "name": "Notes", "category": "Tests",
                "form": { "fields": [
                    { "id": "note", "label": "Note", "kind": "text", "required": true }
                ]},
                "flow": {
                    "nodes": [{ "id": "lead", "name": "Lead", "mode": "any_one", "approvers": people(&[&alice]) }],
                    "cc_on_submit": people(&[&dave])
                }
            }),
        )
        .await;
    let tid = id(tpl.ok(201));
    let rid = id(s
        .post(
            "/api/v1/approvals/requests",
            &sam_t,
            json!({ "template_id": tid, "answers": { "note": "taxi" } }),
        )
        .await
        .ok(201));
    let quote = id(s
        .upload(&alice_t, "quote.txt", b"cheaper elsewhere".to_vec())
        .await
        .ok(201));
    let signed = id(s
        .upload(&alice_t, "signed.txt", b"ok by me".to_vec())
        .await
        .ok(201));
    let others = id(s
        .upload(&otto_t, "otto.txt", b"not yours".to_vec())
        .await
        .ok(201));
    // Someone else's upload, a file id that does not exist, too many files: 4xx naming the field.
    for files in [
        json!([others]),
        json!(["01J0000000000000000000000Z"]),
        json!(["nope"]),
    ] {
        let r = act(
            &s,
            &alice_t,
            &rid,
            "comments",
            json!({ "comment": "see attached", "file_ids": files }),
        )
        .await;
        assert_eq!(r.status, 422, "{files} {}", r.text);
        assert_eq!(r.body["field"], "file_ids", "{}", r.text);
    }
    let eleven: Vec<String> = std::iter::repeat_n(quote.clone(), 11).collect();
    let r = act(
        &s,
        &alice_t,
        &rid,
        "comments",
        json!({ "comment": "see attached", "file_ids": eleven }),
    )
    .await;
    assert!((400..500).contains(&r.status), "{}", r.text);
    // Nothing was written by the refused attempts.
    assert_eq!(s.download(&sam_t, &quote, &[]).await.0, 404);

    let v = act(
        &s,
        &alice_t,
        &rid,
        "comments",
        json!({ "comment": "see attached", "file_ids": [quote, quote] }),
    )
    .await
    .ok(201)
    .clone();
    let last = v["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "comment");
    assert_eq!(last["file_ids"], json!([quote]));
    let v = act(
        &s,
        &alice_t,
        &rid,
        "approve",
        json!({ "comment": "signed", "file_ids": [signed] }),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(v["state"], "approved");
    let hist = v["history"].as_array().unwrap();
    assert_eq!(hist[0]["file_ids"], json!([]));
    assert_eq!(hist.last().unwrap()["file_ids"], json!([signed]));
    for file in [&quote, &signed] {
        for (who, status) in [
            (&sam_t, 200),
            (&alice_t, 200),
            (&dave_t, 200),
            (admin, 200),
            (&otto_t, 404),
        ] {
            assert_eq!(s.download(who, file, &[]).await.0, status, "{file}");
        }
    }
}
both!(comment_attachments);
