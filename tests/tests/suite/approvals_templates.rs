//! Approval templates: starter templates in a fresh tenant, create/edit (versions)/archive/
//! restore, who may submit, and the preview of a request's chain — managers N levels up,
//! department heads (the submitter's and one chosen in the form), role holders, conditional
//! nodes, empty nodes (skip or the approval admins), the submitter as an approver, people the
//! submitter chooses — resolved on the current organisation.

use crate::both;
use crate::common::{id, Backend, Resp, Server, Tenant};
use serde_json::{json, Value};

async fn template(s: &Server, t: &Tenant, body: Value) -> Value {
    s.post("/api/v1/approvals/templates", &t.admin_token, body)
        .await
        .ok(201)
        .clone()
}

async fn preview(s: &Server, token: &str, tid: &str, answers: Value, chosen: Value) -> Resp {
    s.post(
        "/api/v1/approvals/preview",
        token,
        json!({ "template_id": tid, "answers": answers, "chosen": chosen }),
    )
    .await
}

/// (node id, approver ids, skipped) of each node of a preview.
fn nodes(v: &Value) -> Vec<(String, Vec<String>, Option<String>)> {
    v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["node_id"].as_str().unwrap().to_string(),
                n["approvers"].as_array().unwrap().iter().map(id).collect(),
                n["skipped"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn node<'a>(
    all: &'a [(String, Vec<String>, Option<String>)],
    name: &str,
) -> &'a (String, Vec<String>, Option<String>) {
    all.iter().find(|n| n.0 == name).unwrap()
}

fn simple(name: &str) -> Value {
    json!({
        "name": name,
        "category": "Tests",
        "icon": "general",
        "form": { "fields": [
            { "id": "amount", "label": "Amount", "kind": "money", "currency": "USD", "required": true },
            { "id": "note", "label": "Note", "kind": "text" }
        ]},
        "flow": { "nodes": [
            { "id": "manager", "name": "Manager", "mode": "any_one", "approvers": [{ "kind": "manager" }] }
        ]}
    })
}

async fn starters_and_versions(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvt").await;
    let admin = &t.admin_token;
    let (_, staff) = s.staff(&t, "Sam").await;

    // A fresh tenant has the four starters, ready for everyone.
    let list = s
        .get("/api/v1/approvals/templates", &staff)
        .await
        .ok(200)
        .clone();
    let mut starters: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["starter"].as_str().unwrap())
        .collect();
    starters.sort();
    assert_eq!(starters, ["expense", "leave", "purchase", "trip"]);
    let leave = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["starter"] == "leave")
        .unwrap();
    assert_eq!(leave["attendance"]["kind"], "leave");
    let full = s
        .get(
            &format!("/api/v1/approvals/templates/{}", id(leave)),
            &staff,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(full["form"]["fields"][1]["kind"], "date_range");
    assert_eq!(full["flow"]["nodes"][0]["approvers"][0]["kind"], "manager");
    // Listing again seeds nothing more.
    let again = s
        .get("/api/v1/approvals/admin/templates", admin)
        .await
        .ok(200)
        .clone();
    assert_eq!(again["items"].as_array().unwrap().len(), 4);

    // Create, then edit: version 2; version 1 stays readable as it was.
    let v1 = template(&s, &t, simple("Petty cash")).await;
    let tid = id(&v1);
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["state"], "active");
    let mut edit = simple("Petty cash (small)");
    edit["expected_version"] = json!(1);
    let path = format!("/api/v1/approvals/templates/{tid}");
    let v2 = s
        .req("PUT", &path, Some(admin), Some(edit.clone()))
        .await
        .ok(200)
        .clone();
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["name"], "Petty cash (small)");
    let old = s
        .get(&format!("{path}?version=1"), admin)
        .await
        .ok(200)
        .clone();
    assert_eq!(old["name"], "Petty cash");
    let versions = s
        .get(&format!("{path}/versions"), admin)
        .await
        .ok(200)
        .clone();
    assert_eq!(versions["items"].as_array().unwrap().len(), 2);
    assert_eq!(versions["items"][0]["version"], 2);
    // A stale edit is refused.
    assert_eq!(
        s.req("PUT", &path, Some(admin), Some(edit))
            .await
            .problem(409),
        "conflict"
    );

    // Bad definitions name the field.
    let mut bad = simple("Bad");
    bad["flow"]["nodes"][0]["condition"] = json!("amount > ");
    let r = s.post("/api/v1/approvals/templates", admin, bad).await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(r.body["field"], "flow.nodes[0].condition");
    assert!(r.body["detail"].as_str().unwrap().contains("position"));
    let mut bad = simple("Bad");
    bad["flow"]["nodes"][0]["condition"] = json!(r#"amount = "x""#);
    let r = s.post("/api/v1/approvals/templates", admin, bad).await;
    assert_eq!(r.body["field"], "flow.nodes[0].condition", "{}", r.text);
    let mut bad = simple("Bad");
    bad["form"]["fields"][1]["id"] = json!("amount");
    let r = s.post("/api/v1/approvals/templates", admin, bad).await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(r.body["field"], "form.fields[1].id");
    let mut bad = simple("Bad");
    bad["flow"]["nodes"][0]["approvers"] = json!([{ "kind": "people", "people": ["nobody"] }]);
    let r = s.post("/api/v1/approvals/templates", admin, bad).await;
    assert_eq!(
        r.body["field"], "flow.nodes[0].approvers[0].people[0]",
        "{}",
        r.text
    );
    let mut bad = simple("Bad");
    bad["attendance"] = json!({ "kind": "leave", "field": "note" });
    let r = s.post("/api/v1/approvals/templates", admin, bad).await;
    assert_eq!(r.body["field"], "attendance.field", "{}", r.text);

    // Archive: gone for submitters (404), kept for admins, restorable.
    s.post(&format!("{path}/archive"), admin, json!({}))
        .await
        .ok(200);
    assert_eq!(s.get(&path, &staff).await.problem(404), "not_found");
    assert_eq!(
        preview(&s, &staff, &tid, json!({"amount": 1}), json!({}))
            .await
            .problem(404),
        "not_found"
    );
    let archived = s
        .get("/api/v1/approvals/admin/templates?state=archived", admin)
        .await
        .ok(200)
        .clone();
    assert_eq!(archived["items"][0]["id"], tid.as_str());
    assert_eq!(s.get(&path, admin).await.ok(200)["state"], "archived");
    s.post(&format!("{path}/restore"), admin, json!({}))
        .await
        .ok(200);
    assert_eq!(s.get(&path, &staff).await.ok(200)["version"], 2);

    // Another tenant sees none of it.
    let other = s.tenant("apvt-other").await;
    assert_eq!(
        s.get(&path, &other.admin_token).await.problem(404),
        "not_found"
    );
}
both!(starters_and_versions);

async fn who_may_submit(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvw").await;
    let admin = &t.admin_token;
    let dept = |name: &'static str, parent: Option<String>| {
        let token = admin.clone();
        let s = &s;
        async move {
            id(s.post(
                "/api/v1/directory/departments",
                &token,
                json!({ "name": name, "parent_id": parent }),
            )
            .await
            .ok(201))
        }
    };
    let sales = dept("Sales", None).await;
    let north = dept("North", Some(sales.clone())).await;
    let (inside, inside_token) = s.staff(&t, "Ivy").await;
    let (_, outside_token) = s.staff(&t, "Otto").await;
    s.req(
        "PUT",
        &format!("/api/v1/directory/people/{inside}"),
        Some(admin),
        Some(json!({ "primary_department_id": north })),
    )
    .await
    .ok(200);
    let role = id(s
        .post(
            "/api/v1/roles",
            admin,
            json!({ "name": "Buyers", "permissions": [] }),
        )
        .await
        .ok(201));
    let (_, buyer_token) = s
        .member(
            &t,
            "Bea",
            json!([s.builtin_role_id(&t, "staff").await, role]),
        )
        .await;

    let mut body = simple("Sales only");
    body["submitters"] = json!([{ "kind": "department", "id": sales, "subtree": true }]);
    let sales_only = id(&template(&s, &t, body).await);
    let mut body = simple("Buyers only");
    body["submitters"] = json!([{ "kind": "role", "id": role }]);
    let buyers_only = id(&template(&s, &t, body).await);

    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    let list = |token: String| {
        let s = &s;
        async move {
            s.get("/api/v1/approvals/templates", &token)
                .await
                .ok(200)
                .clone()
        }
    };
    let l = names(&list(inside_token.clone()).await);
    assert!(
        l.contains(&"Sales only".into()) && !l.contains(&"Buyers only".into()),
        "{l:?}"
    );
    let l = names(&list(outside_token.clone()).await);
    assert!(
        !l.contains(&"Sales only".into()) && !l.contains(&"Buyers only".into()),
        "{l:?}"
    );
    assert!(l.contains(&"Leave request".into()), "{l:?}");
    let l = names(&list(buyer_token.clone()).await);
    assert!(l.contains(&"Buyers only".into()), "{l:?}");
    let get = |tid: &str, token: &str| {
        let path = format!("/api/v1/approvals/templates/{tid}");
        let token = token.to_string();
        let s = &s;
        async move { s.get(&path, &token).await }
    };
    get(&sales_only, &inside_token).await.ok(200);
    assert_eq!(
        get(&sales_only, &outside_token).await.problem(404),
        "not_found"
    );
    assert_eq!(
        preview(
            &s,
            &outside_token,
            &sales_only,
            json!({"amount": 1}),
            json!({})
        )
        .await
        .problem(404),
        "not_found"
    );
    // Admins manage every template, whoever may submit it.
    get(&buyers_only, admin).await.ok(200);
    // Only departments, roles or everyone submit.
    let mut body = simple("One person");
    body["submitters"] = json!([{ "kind": "person", "id": inside }]);
    let r = s.post("/api/v1/approvals/templates", admin, body).await;
    assert_eq!(r.problem(422), "validation_failed");
}
both!(who_may_submit);

async fn preview_resolves_the_org(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("apvp").await;
    let admin = t.admin_token.clone();
    let staff_role = s.builtin_role_id(&t, "staff").await;
    let finance = id(s
        .post(
            "/api/v1/roles",
            &admin,
            json!({ "name": "Finance", "permissions": [] }),
        )
        .await
        .ok(201));
    let empty_role = id(s
        .post(
            "/api/v1/roles",
            &admin,
            json!({ "name": "Nobody", "permissions": [] }),
        )
        .await
        .ok(201));
    let (alice, alice_t) = s.staff(&t, "Alice").await;
    let (bob, _) = s.staff(&t, "Bob").await;
    let (carol, _) = s.staff(&t, "Carol").await;
    let (dave, _) = s.staff(&t, "Dave").await;
    let (erin, _) = s.staff(&t, "Erin").await;
    let (fred, _) = s.member(&t, "Fred", json!([staff_role, finance])).await;
    let (gina, _) = s.staff(&t, "Gina").await;
    let dept = |name: &'static str, parent: Option<String>, head: &str| {
        let body = json!({ "name": name, "parent_id": parent, "head_id": head });
        let token = admin.clone();
        let s = &s;
        async move {
            id(s.post("/api/v1/directory/departments", &token, body)
                .await
                .ok(201))
        }
    };
    let sales = dept("Sales", None, &dave).await;
    let north = dept("North", Some(sales.clone()), &erin).await;
    let ops = dept("Ops", None, &gina).await;
    let place = |who: &str, body: Value| {
        let path = format!("/api/v1/directory/people/{who}");
        let token = admin.clone();
        let s = &s;
        async move {
            s.req("PUT", &path, Some(&token), Some(body)).await.ok(200);
        }
    };
    place(
        &alice,
        json!({ "primary_department_id": north, "manager_id": bob }),
    )
    .await;
    place(&bob, json!({ "manager_id": carol })).await;

    let rule = |kind: &str, extra: Value| {
        let mut r = json!({ "kind": kind });
        if let (Some(m), Some(e)) = (r.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        r
    };
    let n = |id: &str, cond: Option<&str>, rules: Vec<Value>| json!({ "id": id, "name": id, "mode": "any_one", "condition": cond, "approvers": rules });
    let body = json!({
        "name": "Routing",
        "form": { "fields": [
            { "id": "amount", "label": "Amount", "kind": "money", "currency": "USD", "required": true },
            { "id": "dept", "label": "Department", "kind": "department" }
        ]},
        "flow": {
            "nodes": [
                n("manager", None, vec![rule("manager", json!({}))]),
                n("skip_level", None, vec![rule("manager", json!({ "levels": 2 }))]),
                n("chain", None, vec![rule("manager", json!({ "levels": 3, "up_to": true }))]),
                n("head", None, vec![rule("department_head", json!({}))]),
                n("parent_head", None, vec![rule("department_head", json!({ "levels": 2 }))]),
                n("their_head", None, vec![rule("department_head", json!({ "field": "dept" }))]),
                n("finance", Some("amount > 10000"), vec![rule("role", json!({ "role_id": finance }))]),
                n("nobody", None, vec![rule("role", json!({ "role_id": empty_role }))]),
                n("picked", None, vec![rule("chosen", json!({ "max": 2 }))]),
                n("both", None, vec![rule("people", json!({ "people": [gina, bob] })), rule("manager", json!({}))])
            ],
            "cc_on_submit": [rule("people", json!({ "people": [gina, alice] }))],
            "cc_on_complete": [rule("role", json!({ "role_id": finance }))]
        }
    });
    let tid = id(&template(&s, &t, body.clone()).await);

    let v = preview(&s, &alice_t, &tid, json!({ "amount": "500" }), json!({}))
        .await
        .ok(200)
        .clone();
    assert_eq!(
        v["answers"]["amount"],
        json!({ "amount": "500.00", "currency": "USD" })
    );
    let all = nodes(&v);
    assert_eq!(node(&all, "manager").1, vec![bob.clone()]);
    assert_eq!(node(&all, "skip_level").1, vec![carol.clone()]);
    assert_eq!(node(&all, "chain").1, vec![bob.clone(), carol.clone()]);
    assert_eq!(node(&all, "head").1, vec![erin.clone()]);
    assert_eq!(node(&all, "parent_head").1, vec![dave.clone()]);
    // No department answered: nobody, so the approval admins (the tenant admin).
    assert_eq!(node(&all, "their_head").1, vec![t.admin_id.clone()]);
    assert_eq!(node(&all, "finance").2.as_deref(), Some("condition"));
    assert_eq!(node(&all, "nobody").1, vec![t.admin_id.clone()]);
    let nobody = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["node_id"] == "nobody")
        .unwrap();
    assert_eq!(nobody["fallback"], true);
    assert_eq!(node(&all, "picked").1, vec![t.admin_id.clone()]);
    // Rules union in order, each person once.
    assert_eq!(node(&all, "both").1, vec![gina.clone(), bob.clone()]);
    assert_eq!(v["nodes"][0]["approvers"][0]["display_name"], "Bob");
    // CC lists leave out the submitter.
    assert_eq!(v["cc_on_submit"].as_array().unwrap().len(), 1);
    assert_eq!(v["cc_on_submit"][0]["id"], gina.as_str());
    assert_eq!(v["cc_on_complete"][0]["id"], fred.as_str());

    // Over the threshold: finance; a department answered: its head; chosen approvers.
    let v = preview(
        &s,
        &alice_t,
        &tid,
        json!({ "amount": 20000, "dept": ops }),
        json!({ "picked": [erin, dave] }),
    )
    .await
    .ok(200)
    .clone();
    let all = nodes(&v);
    assert_eq!(node(&all, "finance").1, vec![fred.clone()]);
    assert_eq!(node(&all, "their_head").1, vec![gina.clone()]);
    assert_eq!(node(&all, "picked").1, vec![erin.clone(), dave.clone()]);

    // Bad answers and choices are the same 422s submit gives.
    let r = preview(&s, &alice_t, &tid, json!({}), json!({})).await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(r.body["field"], "answers.amount");
    let r = preview(
        &s,
        &alice_t,
        &tid,
        json!({ "amount": 1, "bogus": 1 }),
        json!({}),
    )
    .await;
    assert_eq!(r.body["field"], "answers.bogus");
    let r = preview(
        &s,
        &alice_t,
        &tid,
        json!({ "amount": 1 }),
        json!({ "picked": [erin, dave, gina] }),
    )
    .await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(r.body["field"], "chosen.picked");
    let r = preview(
        &s,
        &alice_t,
        &tid,
        json!({ "amount": 1 }),
        json!({ "manager": [erin] }),
    )
    .await;
    assert_eq!(r.body["field"], "chosen.manager");

    // The organisation changes: the preview follows at once.
    place(
        &alice,
        json!({ "primary_department_id": north, "manager_id": carol }),
    )
    .await;
    s.req(
        "PATCH",
        &format!("/api/v1/directory/departments/{north}"),
        Some(&admin),
        Some(json!({ "head_id": gina })),
    )
    .await
    .ok(200);
    s.post(&format!("/api/v1/users/{fred}/disable"), &admin, json!({}))
        .await
        .ok(200);
    let v = preview(&s, &alice_t, &tid, json!({ "amount": 20000 }), json!({}))
        .await
        .ok(200)
        .clone();
    let all = nodes(&v);
    assert_eq!(node(&all, "manager").1, vec![carol.clone()]);
    assert_eq!(node(&all, "head").1, vec![gina.clone()]);
    // Fred is disabled: finance finds nobody, so the admins.
    assert_eq!(node(&all, "finance").1, vec![t.admin_id.clone()]);
    assert!(v["cc_on_complete"].as_array().unwrap().is_empty());

    // Empty nodes skipped instead; the submitter as an approver.
    let mut skip = body.clone();
    skip["name"] = json!("Routing (skip)");
    skip["flow"]["when_empty"] = json!("skip");
    skip["flow"]["nodes"] = json!([
        n(
            "nobody",
            None,
            vec![rule("role", json!({ "role_id": empty_role }))]
        ),
        n(
            "self_only",
            None,
            vec![rule("people", json!({ "people": [alice] }))]
        ),
        n(
            "self_and_bob",
            None,
            vec![rule("people", json!({ "people": [alice, bob] }))]
        )
    ]);
    let skip_id = id(&template(&s, &t, skip.clone()).await);
    let v = preview(&s, &alice_t, &skip_id, json!({ "amount": 1 }), json!({}))
        .await
        .ok(200)
        .clone();
    let all = nodes(&v);
    assert_eq!(node(&all, "nobody").2.as_deref(), Some("no_approver"));
    assert_eq!(node(&all, "self_only").2.as_deref(), Some("submitter"));
    assert!(node(&all, "self_only").1.is_empty());
    assert_eq!(node(&all, "self_and_bob").1, vec![bob.clone()]);
    skip["flow"]["submitter_is_approver"] = json!("approve");
    s.req(
        "PUT",
        &format!("/api/v1/approvals/templates/{skip_id}"),
        Some(&admin),
        Some(skip),
    )
    .await
    .ok(200);
    let v = preview(&s, &alice_t, &skip_id, json!({ "amount": 1 }), json!({}))
        .await
        .ok(200)
        .clone();
    let all = nodes(&v);
    assert_eq!(node(&all, "self_only").1, vec![alice.clone()]);
    assert_eq!(
        node(&all, "self_and_bob").1,
        vec![alice.clone(), bob.clone()]
    );
}
both!(preview_resolves_the_org);
