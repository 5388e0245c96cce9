//! The page behind invitation links: served, locked down by its headers, and the requests its
//! script makes do what the page promises.

use crate::both;
use crate::common::{Backend, Resp, Server, PASSWORD};
use serde_json::json;

/// The headers every file of the page carries.
#[track_caller]
fn assert_locked_down(r: &Resp, what: &str) {
    let csp = r.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("default-src 'self'"), "{what}: CSP {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: CSP {csp}");
    assert!(csp.contains("form-action 'none'"), "{what}: CSP {csp}");
    assert!(!csp.contains("unsafe-"), "{what}: CSP {csp}");
    assert_eq!(
        r.header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        r.header("referrer-policy").as_deref(),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(
        r.header("x-frame-options").as_deref(),
        Some("DENY"),
        "{what}"
    );
}

async fn invitation_link_opens_the_page(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let r = s
        .post(
            "/api/v1/users",
            &t.admin_token,
            json!({ "display_name": "Nora New", "email": "nora@acme.test", "role_ids": [] }),
        )
        .await;
    let link = r.ok(201)["invitation"]["url"]
        .as_str()
        .expect("invitation url")
        .to_string();
    let link = reqwest::Url::parse(&link).expect("invitation url parses");
    assert_eq!(link.path(), "/invite");
    assert_eq!(link.query(), None, "the token must not be in the query");
    let token = link
        .fragment()
        .and_then(|f| f.strip_prefix("token="))
        .expect("token in the fragment")
        .to_string();

    // The page: the link's path on this server (the suite's servers listen on port 0, so the
    // link's host is the configured default).
    let page = s.req("GET", link.path(), None, None).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(
        page.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert_locked_down(&page, "page");
    for needle in [
        "<html lang=\"en\">",
        "<form id=\"accept\"",
        "<label for=\"password\">",
        "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\"",
        "<label for=\"confirm\">",
        "<input id=\"confirm\" name=\"confirm\" type=\"password\" autocomplete=\"new-password\"",
        "<button id=\"submit\" type=\"submit\">",
        "role=\"alert\"",
        // The rule of server/src/authn/password.rs, stated and handed to the script.
        "at least 10 and at most 512 characters",
        "data-min-length=\"10\" data-max-length=\"512\"",
        "<script src=\"invite.js\" defer></script>",
        "<link rel=\"stylesheet\" href=\"invite.css\">",
    ] {
        assert!(page.text.contains(needle), "the page lacks {needle}");
    }
    // Nothing from elsewhere, nothing inline (the CSP would block it).
    assert!(!page.text.contains("http://") && !page.text.contains("https://"));
    assert!(!page.text.contains("<style") && !page.text.contains(" style="));

    let js = s.req("GET", "/invite.js", None, None).await;
    assert_eq!(js.status, 200);
    assert_eq!(
        js.header("content-type").as_deref(),
        Some("text/javascript; charset=utf-8")
    );
    assert_locked_down(&js, "script");
    assert!(js.text.contains("window.location.hash"));
    assert!(js.text.contains("'auth/invitations/accept'"));
    assert!(!js.text.contains("innerHTML"));

    let css = s.req("GET", "/invite.css", None, None).await;
    assert_eq!(css.status, 200);
    assert_eq!(
        css.header("content-type").as_deref(),
        Some("text/css; charset=utf-8")
    );
    assert_locked_down(&css, "stylesheet");

    // What the script sends: a short password is refused with a detail it can show…
    let short = s
        .req(
            "POST",
            "/api/v1/auth/invitations/accept",
            None,
            Some(json!({ "token": token, "password": "short", "device": "invitation page" })),
        )
        .await;
    short.problem(422);
    assert_eq!(short.body["field"], "password");
    // …a good one sets the password, and the script then ends the session it was given.
    let ok = s
        .req(
            "POST",
            "/api/v1/auth/invitations/accept",
            None,
            Some(json!({ "token": token, "password": PASSWORD, "device": "invitation page" })),
        )
        .await;
    let body = ok.ok(200).clone();
    assert_eq!(body["user"]["email"], "nora@acme.test");
    let session = body["token"].as_str().expect("session token");
    let out = s
        .req("POST", "/api/v1/auth/logout", Some(session), None)
        .await;
    assert_eq!(out.status, 204, "{}", out.text);
    s.get("/api/v1/me", session).await.problem(401);
    // The person signs in with the new password; the used link is dead.
    s.login_token("acme", "nora@acme.test").await;
    let again = s
        .req(
            "POST",
            "/api/v1/auth/invitations/accept",
            None,
            Some(json!({ "token": token, "password": PASSWORD })),
        )
        .await;
    assert_eq!(again.problem(410), "invitation_invalid");
}
both!(invitation_link_opens_the_page);
