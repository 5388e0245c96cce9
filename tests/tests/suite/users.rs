//! User administration: invite, list, search, edit, disable, enable; tenant isolation.

use crate::both;
use crate::common::{Backend, Server, PASSWORD};
use serde_json::json;

async fn admin_manages_users(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob, _) = s.staff(&t, "Bob Tran").await;
    let (_, _) = s.staff(&t, "Chi Pham").await;
    // Search by name, email; filter by status; page with cursors.
    let r = s.get("/api/v1/users?q=tran", &t.admin_token).await;
    let items = r.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], bob.as_str());
    let r = s.get("/api/v1/users?q=chi.pham@acme", &t.admin_token).await;
    assert_eq!(r.ok(200)["items"].as_array().unwrap().len(), 1);
    // Accents and case do not matter: Vietnamese names are found however they are typed.
    let (lan, _) = s.staff(&t, "Nguyễn Thị Lan").await;
    for q in ["nguyen%20thi", "NGUYỄN", "Nguyen%20Thi%20Lan"] {
        let r = s.get(&format!("/api/v1/users?q={q}"), &t.admin_token).await;
        let ids: Vec<&str> = r.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![lan.as_str()], "{q}");
    }
    let r = s.get("/api/v1/users?q=%25", &t.admin_token).await;
    assert_eq!(
        r.ok(200)["items"].as_array().unwrap().len(),
        0,
        "LIKE wildcards are escaped"
    );
    let page1 = s.get("/api/v1/users?limit=2", &t.admin_token).await;
    let p1 = page1.ok(200).clone();
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    let cursor = p1["next_cursor"].as_str().unwrap();
    let page2 = s
        .get(
            &format!("/api/v1/users?limit=2&cursor={cursor}"),
            &t.admin_token,
        )
        .await;
    let p2 = page2.ok(200).clone();
    assert_eq!(p2["items"].as_array().unwrap().len(), 2);
    assert!(p2["next_cursor"].is_null());
    assert_ne!(p1["items"][0]["id"], p2["items"][0]["id"]);
    s.get("/api/v1/users?cursor=!!!", &t.admin_token)
        .await
        .problem(422);
    s.get("/api/v1/users?limit=5000", &t.admin_token)
        .await
        .problem(422);
    s.get("/api/v1/users?status=weird", &t.admin_token)
        .await
        .problem(422);
    // Edit, with the identifiers validated and unique.
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/users/{bob}"),
            Some(&t.admin_token),
            Some(json!({ "title": "Engineer", "department": "R&D", "email": "Robert@Acme.test" })),
        )
        .await;
    assert_eq!(r.ok(200)["email"], "robert@acme.test");
    assert_eq!(r.body["title"], "Engineer");
    let dup = s
        .req(
            "PATCH",
            &format!("/api/v1/users/{bob}"),
            Some(&t.admin_token),
            Some(json!({ "email": t.admin_email })),
        )
        .await;
    assert_eq!(dup.problem(409), "email_taken");
    assert_eq!(dup.body["field"], "email");
    let bad = s
        .req(
            "PATCH",
            &format!("/api/v1/users/{bob}"),
            Some(&t.admin_token),
            Some(json!({ "phone": "12345" })),
        )
        .await;
    assert_eq!(bad.problem(422), "validation_failed");
    assert_eq!(bad.body["field"], "phone");
    let dup = s
        .post(
            "/api/v1/users",
            &t.admin_token,
            json!({ "display_name": "Other", "email": "robert@acme.test" }),
        )
        .await;
    assert_eq!(dup.problem(409), "email_taken");
    let none = s
        .post(
            "/api/v1/users",
            &t.admin_token,
            json!({ "display_name": "No Id" }),
        )
        .await;
    none.problem(422);
    s.login("acme", "robert@acme.test", PASSWORD).await.ok(200);
    assert_eq!(
        s.get(&format!("/api/v1/users/{bob}"), &t.admin_token)
            .await
            .ok(200)["department"],
        "R&D"
    );
}
both!(admin_manages_users);

async fn disabling_ends_sessions_in_use(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob, bob_token) = s.staff(&t, "Bob").await;
    s.get("/api/v1/me", &bob_token).await.ok(200);
    let r = s
        .post(
            &format!("/api/v1/users/{bob}/disable"),
            &t.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(r.ok(200)["status"], "disabled");
    // The counts follow: the admin and Bob, one of them disabled now.
    let c = s.get("/api/v1/users/counts", &t.admin_token).await;
    assert_eq!(
        c.ok(200).clone(),
        json!({ "invited": 0, "active": 1, "disabled": 1, "pending_erasure": 0, "erased": 0, "total": 2 }),
        "{}",
        c.text
    );
    // The very next request with the old token is refused, and so is signing in.
    s.get("/api/v1/me", &bob_token).await.problem(401);
    s.login("acme", "bob@acme.test", PASSWORD)
        .await
        .problem(401);
    let r = s
        .post(
            &format!("/api/v1/users/{bob}/enable"),
            &t.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(r.ok(200)["status"], "active");
    // Re-enabling does not revive old sessions.
    s.get("/api/v1/me", &bob_token).await.problem(401);
    let fresh = s.login_token("acme", "bob@acme.test").await;
    s.get("/api/v1/me", &fresh).await.ok(200);
    // An admin cannot disable themselves, nor the last admin.
    let me = s
        .post(
            &format!("/api/v1/users/{}/disable", t.admin_id),
            &t.admin_token,
            json!({}),
        )
        .await;
    me.problem(409);
    let audit = s
        .get(
            &format!("/api/v1/audit?target_id={bob}&action=user.disabled"),
            &t.admin_token,
        )
        .await;
    let e = audit.ok(200)["items"][0].clone();
    assert_eq!(e["actor_id"], t.admin_id.as_str());
    assert_eq!(e["details"]["sessions_revoked"], 1);
}
both!(disabling_ends_sessions_in_use);

async fn self_service_profile(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, tok) = s.staff(&t, "Bob").await;
    let r = s
        .req(
            "PATCH",
            "/api/v1/me",
            Some(&tok),
            Some(json!({ "display_name": "Bob Builder", "title": "" })),
        )
        .await;
    assert_eq!(r.ok(200)["display_name"], "Bob Builder");
    assert!(r.body["title"].is_null());
    // Sign-in identifiers are an admin's to change.
    let r = s
        .req(
            "PATCH",
            "/api/v1/me",
            Some(&tok),
            Some(json!({ "email": "me@elsewhere.test" })),
        )
        .await;
    r.problem(422);
    // The time zone is a profile field: an IANA name, stored canonically; "" clears it.
    let r = s
        .req(
            "PATCH",
            "/api/v1/me",
            Some(&tok),
            Some(json!({ "time_zone": "Asia/Ho_Chi_Minh" })),
        )
        .await;
    assert_eq!(r.ok(200)["time_zone"], "Asia/Ho_Chi_Minh");
    for bad in ["Mars/Olympus", "+07:00", "GMT+7 Hanoi"] {
        let r = s
            .req(
                "PATCH",
                "/api/v1/me",
                Some(&tok),
                Some(json!({ "time_zone": bad })),
            )
            .await;
        assert_eq!(r.problem(422), "validation_failed", "{bad}");
    }
    let me = s.get("/api/v1/me", &tok).await;
    assert_eq!(me.ok(200)["user"]["time_zone"], "Asia/Ho_Chi_Minh");
    let r = s
        .req(
            "PATCH",
            "/api/v1/me",
            Some(&tok),
            Some(json!({ "time_zone": "" })),
        )
        .await;
    assert!(r.ok(200)["time_zone"].is_null());
    let me = s.get("/api/v1/me", &tok).await;
    assert_eq!(me.ok(200)["roles"][0]["builtin"], "staff");
    assert!(!me.body["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "users.manage"));
    assert!(me.body["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "messages.send"));
}
both!(self_service_profile);

async fn tenants_are_isolated(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let z = s.tenant("zulu").await;
    let (alpha_user, _) = s.staff(&a, "Ann").await;
    // Zulu's admin sees none of Alpha's objects: 404, never 403.
    for (m, path) in [
        ("GET", format!("/api/v1/users/{alpha_user}")),
        ("PATCH", format!("/api/v1/users/{alpha_user}")),
        ("POST", format!("/api/v1/users/{alpha_user}/disable")),
        ("GET", format!("/api/v1/users/{alpha_user}/roles")),
    ] {
        let body = (m != "GET").then(|| json!({}));
        assert_eq!(
            s.req(m, &path, Some(&z.admin_token), body)
                .await
                .problem(404),
            "not_found",
            "{m} {path}"
        );
    }
    let list = s.get("/api/v1/users", &z.admin_token).await;
    assert!(!list.text.contains(&alpha_user));
    let audit = s.get("/api/v1/audit?limit=200", &z.admin_token).await;
    assert!(!audit.text.contains(&alpha_user));
    // The same email may exist in two tenants; tenant in the body changes nothing.
    s.post(
        "/api/v1/users",
        &z.admin_token,
        json!({ "display_name": "Ann", "email": "ann@alpha.test" }),
    )
    .await
    .ok(201);
    let sneaky = s
        .post(
            "/api/v1/users",
            &z.admin_token,
            json!({ "display_name": "X", "email": "x@x.test", "tenant_id": a.id }),
        )
        .await;
    sneaky.problem(400);
}
both!(tenants_are_isolated);

/// An admin sees another person's sessions and ends one: that token stops working at once,
/// the others stay, and the audit log says who did it. `users.manage` is needed, and only for
/// someone whose permissions are within the caller's.
async fn admin_ends_another_persons_session(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob, first) = s.staff(&t, "Bob Tran").await;
    let second = s.login_token("acme", "bob.tran@acme.test").await;
    let path = format!("/api/v1/users/{bob}/sessions");
    let list = s.get(&path, &t.admin_token).await.ok(200).clone();
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert!(items.iter().all(|x| x["current"] == false), "{list}");
    let mine = s.get("/api/v1/me/sessions", &second).await.ok(200).clone();
    let second_id = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(items.iter().any(|x| x["id"] == second_id.as_str()));

    s.delete(&format!("{path}/{second_id}"), &t.admin_token)
        .await
        .ok(204);
    s.get("/api/v1/me", &second).await.problem(401);
    s.get("/api/v1/me", &first).await.ok(200);
    let left = s.get(&path, &t.admin_token).await.ok(200).clone();
    assert_eq!(left.as_array().unwrap().len(), 1, "{left}");
    // Again: it is gone.
    s.delete(&format!("{path}/{second_id}"), &t.admin_token)
        .await
        .problem(404);
    // Another person's session id under Bob's path is not Bob's.
    let (_, other) = s.staff(&t, "Chi Pham").await;
    let chi_sessions = s.get("/api/v1/me/sessions", &other).await.ok(200).clone();
    let chi_session = chi_sessions[0]["id"].as_str().unwrap().to_string();
    s.delete(&format!("{path}/{chi_session}"), &t.admin_token)
        .await
        .problem(404);
    s.get("/api/v1/me", &other).await.ok(200);
    s.get(
        "/api/v1/users/01aaaaaa-0000-7000-8000-000000000000/sessions",
        &t.admin_token,
    )
    .await
    .problem(404);

    let audit = s
        .get("/api/v1/audit?action=auth.session_revoked", &t.admin_token)
        .await
        .ok(200)
        .clone();
    let entry = &audit["items"][0];
    assert_eq!(entry["target_id"], second_id.as_str(), "{audit}");
    assert_eq!(entry["details"]["user_id"], bob.as_str(), "{audit}");

    // A helpdesk role with users.manage: Bob's sessions yes, the admin's no (containment).
    let role = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "Helpdesk", "permissions": ["users.read", "users.manage"] }),
        )
        .await;
    let role = role.ok(201)["id"].as_str().unwrap().to_string();
    let staff_role = s.builtin_role_id(&t, "staff").await;
    let (_, helpdesk) = s.member(&t, "Dan Help", json!([staff_role, role])).await;
    s.get(&path, &helpdesk).await.ok(200);
    let admin_id = s.get("/api/v1/me", &t.admin_token).await.ok(200)["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.get(&format!("/api/v1/users/{admin_id}/sessions"), &helpdesk)
        .await
        .problem(403);
    // Without users.manage: 403.
    s.get(&path, &first).await.problem(403);
}
both!(admin_ends_another_persons_session);

/// `GET /users?role_id=` lists who holds a role, paged like every list.
async fn users_by_role(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let role = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "Finance", "permissions": [] }),
        )
        .await;
    let role = role.ok(201)["id"].as_str().unwrap().to_string();
    let staff_role = s.builtin_role_id(&t, "staff").await;
    let mut holders = Vec::new();
    for name in ["An Finance", "Binh Finance", "Cuong Finance"] {
        holders.push(s.member(&t, name, json!([staff_role, role])).await.0);
    }
    s.staff(&t, "Dung Other").await;
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_string())
            .collect()
    };
    let p1 = s
        .get(
            &format!("/api/v1/users?role_id={role}&limit=2"),
            &t.admin_token,
        )
        .await
        .ok(200)
        .clone();
    let cursor = p1["next_cursor"].as_str().unwrap().to_string();
    let p2 = s
        .get(
            &format!("/api/v1/users?role_id={role}&limit=2&cursor={cursor}"),
            &t.admin_token,
        )
        .await
        .ok(200)
        .clone();
    assert!(p2["next_cursor"].is_null());
    let mut got = ids(&p1);
    got.extend(ids(&p2));
    holders.sort();
    assert_eq!(got, holders);
    // With a search too; a role nobody holds (or another tenant's) lists nobody.
    let r = s
        .get(
            &format!("/api/v1/users?role_id={role}&q=binh"),
            &t.admin_token,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(ids(&r), vec![holders[1].clone()]);
    let other = s.tenant("other").await;
    let theirs = s.builtin_role_id(&other, "staff").await;
    let r = s
        .get(&format!("/api/v1/users?role_id={theirs}"), &t.admin_token)
        .await
        .ok(200)
        .clone();
    assert!(ids(&r).is_empty(), "{r}");
    s.get("/api/v1/users?role_id=not%20an%20id", &t.admin_token)
        .await
        .problem(422);
}
both!(users_by_role);
