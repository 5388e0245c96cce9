//! The platform operator: tenants over the API and the CLI, suspension while sessions are in use.

use crate::both;
use crate::common::{Backend, Server, PASSWORD};
use serde_json::json;

async fn suspension_ends_sessions_and_sign_in(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let other = s.tenant("other").await;
    let (_, bob) = s.staff(&t, "Bob").await;
    s.get("/api/v1/me", &bob).await.ok(200);
    let r = s
        .operator(
            "POST",
            &format!("/api/v1/operator/tenants/{}/suspend", t.id),
            None,
        )
        .await;
    assert_eq!(r.ok(200)["status"], "suspended");
    s.get("/api/v1/me", &bob).await.problem(401);
    s.get("/api/v1/me", &t.admin_token).await.problem(401);
    s.login("acme", &t.admin_email, PASSWORD).await.problem(401);
    // Other tenants carry on.
    s.get("/api/v1/me", &other.admin_token).await.ok(200);
    let r = s
        .operator("POST", "/api/v1/operator/tenants/acme/resume", None)
        .await;
    assert_eq!(r.ok(200)["status"], "active");
    s.get("/api/v1/me", &bob).await.problem(401);
    s.login("acme", &t.admin_email, PASSWORD).await.ok(200);
    let list = s.operator("GET", "/api/v1/operator/tenants", None).await;
    let items = list.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items.iter().find(|x| x["slug"] == "acme").unwrap()["users"],
        2
    );
    let audit = s
        .get(
            "/api/v1/audit?action=tenant.*",
            &s.login_token("acme", &t.admin_email).await,
        )
        .await;
    let actions: Vec<&str> = audit.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["tenant.resumed", "tenant.suspended", "tenant.created"]
    );
}
both!(suspension_ends_sessions_and_sign_in);

async fn operator_credential_is_separate(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    // A tenant admin's session is no operator credential.
    s.req(
        "GET",
        "/api/v1/operator/tenants",
        Some(&t.admin_token),
        None,
    )
    .await
    .problem(401);
    s.req("GET", "/api/v1/operator/tenants", None, None)
        .await
        .problem(401);
    s.req(
        "GET",
        "/api/v1/operator/tenants",
        Some("stoa_op_wrong"),
        None,
    )
    .await
    .problem(401);
    // And the operator credential is no tenant session.
    s.req("GET", "/api/v1/me", Some(&s.operator_token.clone()), None)
        .await
        .problem(401);
    let dup = s
        .operator(
            "POST",
            "/api/v1/operator/tenants",
            Some(json!({ "slug": "acme", "name": "Again", "admin_email": "x@y.test" })),
        )
        .await;
    assert_eq!(dup.problem(409), "slug_taken");
    let bad = s
        .operator(
            "POST",
            "/api/v1/operator/tenants",
            Some(json!({ "slug": "Not OK!", "name": "X", "admin_email": "x@y.test" })),
        )
        .await;
    assert_eq!(bad.body["field"], "slug");
    bad.problem(422);
    // Without a password the first admin gets an invitation link.
    let r = s
        .operator(
            "POST",
            "/api/v1/operator/tenants",
            Some(json!({ "slug": "beta", "name": "Beta", "admin_email": "boss@beta.test" })),
        )
        .await;
    let inv = r.ok(201)["invitation"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = s.accept(&inv, PASSWORD).await;
    let tok = r.ok(200)["token"].as_str().unwrap().to_string();
    assert!(s.get("/api/v1/me", &tok).await.ok(200)["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "roles.manage"));
    s.operator(
        "GET",
        "/api/v1/operator/tenants/00000000-0000-7000-8000-000000000000",
        None,
    )
    .await
    .problem(404);
}
both!(operator_credential_is_separate);

async fn cli_manages_tenants_offline(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let out = s.cli(
        &[
            "tenant",
            "create",
            "--slug",
            "cli-co",
            "--name",
            "CLI Co",
            "--admin-email",
            "root@cli.test",
            "--admin-password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("tenant cli-co"));
    let tok = s.login_token("cli-co", "root@cli.test").await;
    s.get("/api/v1/users", &tok).await.ok(200);
    let out = s.cli(
        &[
            "tenant",
            "create",
            "--slug",
            "cli-co",
            "--name",
            "Again",
            "--admin-email",
            "x@cli.test",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("slug"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = s.cli(&["tenant", "list"], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains("cli-co"));
    let out = s.cli(&["tenant", "suspend", "cli-co"], None);
    assert!(out.status.success());
    // On PostgreSQL the command's notification reaches the running server at once; on SQLite
    // no other process hears it, and the server's cached lookups of the tenant's sessions go
    // when they expire (`session.cache_secs`, 5 s).
    s.eventually("the suspension reaches the server", || async {
        s.get("/api/v1/users", &tok).await.status == 401
    })
    .await;
    let out = s.cli(&["tenant", "resume", "cli-co"], None);
    assert!(out.status.success());
    s.login("cli-co", "root@cli.test", PASSWORD).await.ok(200);
}
both!(cli_manages_tenants_offline);
