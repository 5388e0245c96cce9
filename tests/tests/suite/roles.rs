//! RBAC: built-in and custom roles, changes taking effect on the very next request.

use crate::both;
use crate::common::{Backend, Server};
use serde_json::json;

async fn custom_roles_take_effect_at_once(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (bob, bob_token) = s.staff(&t, "Bob").await;
    // Staff cannot reach admin operations.
    for path in [
        "/api/v1/users",
        "/api/v1/roles",
        "/api/v1/audit",
        "/api/v1/permissions",
    ] {
        assert_eq!(
            s.get(path, &bob_token).await.problem(403),
            "forbidden",
            "{path}"
        );
    }
    let catalogue = s.get("/api/v1/permissions", &t.admin_token).await;
    let keys: Vec<String> = catalogue
        .ok(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap().to_string())
        .collect();
    for k in [
        "messages.send",
        "approvals.templates.manage",
        "users.delete",
        "retention.manage",
        "audit.read",
        "documents.share",
    ] {
        assert!(keys.contains(&k.to_string()), "{k}");
    }
    let r = s.post("/api/v1/roles", &t.admin_token, json!({ "name": "Auditor", "description": "Reads the audit log", "permissions": ["audit.read", "users.read"] })).await;
    let role = r.ok(201).clone();
    let role_id = role["id"].as_str().unwrap().to_string();
    assert_eq!(role["permissions"], json!(["audit.read", "users.read"]));
    // Give Bob staff + Auditor: his very next request sees it, with no new sign-in.
    let staff_id = s.builtin_role_id(&t, "staff").await;
    let r = s
        .req(
            "PUT",
            &format!("/api/v1/users/{bob}/roles"),
            Some(&t.admin_token),
            Some(json!({ "role_ids": [staff_id, role_id] })),
        )
        .await;
    assert_eq!(r.ok(200).as_array().unwrap().len(), 2);
    s.get("/api/v1/audit", &bob_token).await.ok(200);
    s.get("/api/v1/users", &bob_token).await.ok(200);
    s.get("/api/v1/roles", &bob_token).await.problem(403);
    // Narrow the role: the next request is refused.
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/roles/{role_id}"),
            Some(&t.admin_token),
            Some(json!({ "permissions": ["users.read"] })),
        )
        .await;
    assert_eq!(r.ok(200)["members"], 1);
    s.get("/api/v1/audit", &bob_token).await.problem(403);
    s.get("/api/v1/users", &bob_token).await.ok(200);
    // Delete it: gone for Bob at once.
    assert_eq!(
        s.req(
            "DELETE",
            &format!("/api/v1/roles/{role_id}"),
            Some(&t.admin_token),
            None
        )
        .await
        .status,
        204
    );
    s.get("/api/v1/users", &bob_token).await.problem(403);
    s.get(&format!("/api/v1/roles/{role_id}"), &t.admin_token)
        .await
        .problem(404);
    // Role changes are audited with before and after.
    let audit = s
        .get(
            &format!("/api/v1/audit?target_id={role_id}"),
            &t.admin_token,
        )
        .await;
    let actions: Vec<String> = audit.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        vec!["role.deleted", "role.updated", "role.created"]
    );
    assert_eq!(
        audit.body["items"][1]["details"]["permissions_before"],
        json!(["audit.read", "users.read"])
    );
}
both!(custom_roles_take_effect_at_once);

async fn role_rules(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let roles = s.get("/api/v1/roles", &t.admin_token).await;
    let list = roles.ok(200).as_array().unwrap().clone();
    let admin = list
        .iter()
        .find(|r| r["builtin"] == "admin")
        .unwrap()
        .clone();
    let staff = list
        .iter()
        .find(|r| r["builtin"] == "staff")
        .unwrap()
        .clone();
    assert_eq!(admin["members"], 1);
    // Built-in roles are fixed.
    let admin_id = admin["id"].as_str().unwrap();
    assert_eq!(
        s.req(
            "PATCH",
            &format!("/api/v1/roles/{admin_id}"),
            Some(&t.admin_token),
            Some(json!({ "name": "Boss" }))
        )
        .await
        .problem(409),
        "builtin_role"
    );
    assert_eq!(
        s.req(
            "DELETE",
            &format!("/api/v1/roles/{admin_id}"),
            Some(&t.admin_token),
            None
        )
        .await
        .problem(409),
        "builtin_role"
    );
    // Unknown permissions and duplicate names are refused clearly.
    let r = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "X", "permissions": ["users.fly"] }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    assert!(r.body["detail"].as_str().unwrap().contains("users.fly"));
    let r = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "staff", "permissions": [] }),
        )
        .await;
    assert_eq!(r.problem(409), "role_name_taken");
    // The last admin cannot lose the admin role.
    let staff_id = staff["id"].as_str().unwrap();
    let r = s
        .req(
            "PUT",
            &format!("/api/v1/users/{}/roles", t.admin_id),
            Some(&t.admin_token),
            Some(json!({ "role_ids": [staff_id] })),
        )
        .await;
    assert_eq!(r.problem(409), "last_admin");
    let r = s
        .req(
            "PUT",
            &format!("/api/v1/users/{}/roles", t.admin_id),
            Some(&t.admin_token),
            Some(json!({ "role_ids": ["not-a-role"] })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    // With a second admin, the first may step down.
    let (second, second_token) = s.member(&t, "Second Admin", json!([admin_id])).await;
    let r = s
        .req(
            "PUT",
            &format!("/api/v1/users/{}/roles", t.admin_id),
            Some(&second_token),
            Some(json!({ "role_ids": [staff_id] })),
        )
        .await;
    r.ok(200);
    s.get("/api/v1/users", &t.admin_token).await.problem(403);
    assert_ne!(second, t.admin_id);
}
both!(role_rules);

/// Two nodes behind a load balancer share PostgreSQL: a role change or a disable made through one
/// node holds on the other at its very next request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_agree_on_policy_changes() {
    let Some(a) = Server::start(Backend::Postgres).await else {
        return;
    };
    let b = a.sibling().await;
    let t = a.tenant("acme").await;
    let (bob, bob_token) = a.staff(&t, "Bob").await;
    // Node B has served Bob (and cached his permissions) before the change.
    b.get("/api/v1/users", &bob_token).await.problem(403);
    b.get("/api/v1/me", &bob_token).await.ok(200);
    let role = a
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "Reader", "permissions": ["users.read"] }),
        )
        .await;
    let role_id = role.ok(201)["id"].as_str().unwrap().to_string();
    a.req(
        "PUT",
        &format!("/api/v1/users/{bob}/roles"),
        Some(&t.admin_token),
        Some(json!({ "role_ids": [role_id] })),
    )
    .await
    .ok(200);
    b.get("/api/v1/users", &bob_token).await.ok(200);
    a.req(
        "PATCH",
        &format!("/api/v1/roles/{role_id}"),
        Some(&t.admin_token),
        Some(json!({ "permissions": [] })),
    )
    .await
    .ok(200);
    b.get("/api/v1/users", &bob_token).await.problem(403);
    a.post(
        &format!("/api/v1/users/{bob}/disable"),
        &t.admin_token,
        json!({}),
    )
    .await
    .ok(200);
    b.get("/api/v1/me", &bob_token).await.problem(401);
}

/// Containment (issue 10): holding `users.manage` or `roles.manage` reaches no further than the
/// holder's own permissions — no resetting, editing, disabling or re-roling an account that holds
/// more, no granting (oneself included) or composing a role that holds more.
async fn lesser_admins_are_contained(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let staff_id = s.builtin_role_id(&t, "staff").await;
    let admin_id = s.builtin_role_id(&t, "admin").await;
    let role = |name: &'static str, perms: serde_json::Value| {
        let s = &s;
        let tok = t.admin_token.clone();
        async move {
            let r = s
                .post(
                    "/api/v1/roles",
                    &tok,
                    json!({ "name": name, "permissions": perms }),
                )
                .await;
            r.ok(201)["id"].as_str().unwrap().to_string()
        }
    };
    let user_manager = role("User manager", json!(["users.manage", "users.read"])).await;
    let role_manager = role(
        "Role manager",
        json!(["roles.manage", "roles.read", "users.read"]),
    )
    .await;
    let (_lena, lena) = s.member(&t, "Lena", json!([staff_id, user_manager])).await;
    let (rolf, rolf_token) = s.member(&t, "Rolf", json!([staff_id, role_manager])).await;
    let (ada, _) = s.member(&t, "Ada", json!([admin_id])).await;
    let (sam, _) = s.staff(&t, "Sam").await;
    let post = |path: String, tok: String| {
        let s = &s;
        async move { s.post(&path, &tok, json!({})).await }
    };

    // The user manager against an admin: every account action is refused, nothing changes.
    let r = post(format!("/api/v1/users/{ada}/invitation"), lena.clone()).await;
    assert_eq!(r.problem(403), "containment");
    assert!(
        r.body["detail"].as_str().unwrap().contains("roles.manage"),
        "{}",
        r.text
    );
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/users/{ada}"),
            Some(&lena),
            Some(json!({ "email": "lena.owns.this@acme.test" })),
        )
        .await;
    assert_eq!(r.problem(403), "containment");
    let r = post(format!("/api/v1/users/{ada}/disable"), lena.clone()).await;
    assert_eq!(r.problem(403), "containment");
    let r = post(format!("/api/v1/users/{ada}/enable"), lena.clone()).await;
    assert_eq!(r.problem(403), "containment");
    let ada_now = s.get(&format!("/api/v1/users/{ada}"), &t.admin_token).await;
    assert_eq!(ada_now.ok(200)["status"], "active");
    assert_eq!(ada_now.body["email"], "ada@acme.test");
    // The same against the tenant's first admin.
    let r = post(
        format!("/api/v1/users/{}/invitation", t.admin_id),
        lena.clone(),
    )
    .await;
    assert_eq!(r.problem(403), "containment");
    // …and against a staff member, all of it works.
    post(format!("/api/v1/users/{sam}/invitation"), lena.clone())
        .await
        .ok(200);
    s.req(
        "PATCH",
        &format!("/api/v1/users/{sam}"),
        Some(&lena),
        Some(json!({ "title": "Clerk" })),
    )
    .await
    .ok(200);
    post(format!("/api/v1/users/{sam}/disable"), lena.clone())
        .await
        .ok(200);
    post(format!("/api/v1/users/{sam}/enable"), lena.clone())
        .await
        .ok(200);
    // Inviting someone with the default staff role is within her reach.
    s.post(
        "/api/v1/users",
        &lena,
        json!({ "display_name": "New", "email": "new@acme.test" }),
    )
    .await
    .ok(201);

    // The role manager cannot grant what he does not hold: admin to himself or anyone, or a
    // custom role with more than his own permissions.
    let put_roles = |user: String, roles: serde_json::Value| {
        let s = &s;
        let tok = rolf_token.clone();
        async move {
            s.req(
                "PUT",
                &format!("/api/v1/users/{user}/roles"),
                Some(&tok),
                Some(json!({ "role_ids": roles })),
            )
            .await
        }
    };
    let r = put_roles(rolf.clone(), json!([staff_id, role_manager, admin_id])).await;
    assert_eq!(r.problem(403), "containment");
    let r = put_roles(sam.clone(), json!([admin_id])).await;
    assert_eq!(r.problem(403), "containment");
    let r = put_roles(sam.clone(), json!([staff_id, user_manager])).await;
    assert_eq!(r.problem(403), "containment");
    assert!(
        r.body["detail"].as_str().unwrap().contains("users.manage"),
        "{}",
        r.text
    );
    // Nor take roles away from an account that holds more than he does.
    let r = put_roles(ada.clone(), json!([staff_id])).await;
    assert_eq!(r.problem(403), "containment");
    // Composing a role: only from his own permissions, on create and on edit.
    let r = s
        .post(
            "/api/v1/roles",
            &rolf_token,
            json!({ "name": "Escalator", "permissions": ["roles.manage", "audit.read"] }),
        )
        .await;
    assert_eq!(r.problem(403), "containment");
    assert!(
        r.body["detail"].as_str().unwrap().contains("audit.read"),
        "{}",
        r.text
    );
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/roles/{role_manager}"),
            Some(&rolf_token),
            Some(json!({ "permissions": ["roles.manage", "roles.read", "users.read", "users.manage"] })),
        )
        .await;
    assert_eq!(r.problem(403), "containment");
    // A role reaching further than him is not his to edit or delete.
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/roles/{user_manager}"),
            Some(&rolf_token),
            Some(json!({ "permissions": [] })),
        )
        .await;
    assert_eq!(r.problem(403), "containment");
    let r = s
        .req(
            "DELETE",
            &format!("/api/v1/roles/{user_manager}"),
            Some(&rolf_token),
            None,
        )
        .await;
    assert_eq!(r.problem(403), "containment");
    // Within his reach it all works: a role of his own permissions, granted to a staff member.
    let r = s
        .post(
            "/api/v1/roles",
            &rolf_token,
            json!({ "name": "Reader", "permissions": ["roles.read", "users.read"] }),
        )
        .await;
    let reader = r.ok(201)["id"].as_str().unwrap().to_string();
    put_roles(sam.clone(), json!([staff_id, reader]))
        .await
        .ok(200);
    // Nothing escalated: Lena still cannot reach audit, Rolf still holds no admin role.
    s.get("/api/v1/audit", &lena).await.problem(403);
    let mine = s
        .get(&format!("/api/v1/users/{rolf}/roles"), &rolf_token)
        .await;
    assert!(!mine.ok(200).to_string().contains(&admin_id));
}
both!(lesser_admins_are_contained);
