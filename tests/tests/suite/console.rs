//! The admin console: `/admin` served from a built console (a small Vite-shaped build the test
//! writes, served through `console.dir`) or, without one, the page that says how to build it;
//! and its browser sessions — the cookie, the CSRF token and origin checks, expiry, sign-out.

use crate::both;
use crate::common::{Backend, Resp, Server, PASSWORD};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const COOKIE: &str = "stoa_session";
const INDEX: &str = "<!doctype html><html><head><title>Stoa admin</title>\
<script type=\"module\" crossorigin src=\"/admin/assets/index-Ab12Cd34.js\"></script>\
<link rel=\"stylesheet\" href=\"/admin/assets/index-Ef56Gh78.css\"></head>\
<body><div id=\"root\"></div></body></html>";
const SCRIPT: &str = "console.log('stoa admin');";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "stoa-console-{name}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A build shaped like Vite's: `index.html`, hashed files under `assets/`, a favicon.
fn fixture_build() -> PathBuf {
    let dir = scratch("dist");
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    std::fs::write(dir.join("assets/index-Ab12Cd34.js"), SCRIPT).unwrap();
    std::fs::write(dir.join("assets/index-Ef56Gh78.css"), "body{margin:0}").unwrap();
    std::fs::write(dir.join("favicon.ico"), [0u8, 0, 1, 0]).unwrap();
    dir
}

async fn get(s: &Server, method: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut rb = s.http().request(m, s.url(path));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    Server::finish(rb).await
}

/// The headers every console answer carries.
#[track_caller]
fn assert_console_headers(r: &Resp, what: &str) {
    let csp = r.header("content-security-policy").unwrap_or_default();
    for part in [
        "default-src 'self'",
        "script-src 'self';",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "connect-src 'self' ws://",
    ] {
        assert!(csp.contains(part), "{what}: CSP lacks {part}: {csp}");
    }
    let script_src = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap();
    assert!(!script_src.contains("unsafe"), "{what}: {script_src}");
    assert_eq!(
        r.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert!(r.header("referrer-policy").is_some(), "{what}");
    assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"));
}

async fn admin_without_a_console_says_how_to_build(b: Backend) {
    // Whatever this binary embeds, `/admin` is a page, never an error.
    let Some(s) = Server::start(b).await else {
        return;
    };
    let r = get(&s, "GET", "/admin", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    drop(s);

    // A console folder without a build: the page that says how to make one.
    let empty = scratch("empty");
    let Some(s) = Server::start_with(b, &[("STOA_CONSOLE__DIR", empty.to_str().unwrap())]).await
    else {
        return;
    };
    for path in ["/admin", "/admin/", "/admin/people/42"] {
        let r = get(&s, "GET", path, &[]).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
        assert!(r.text.contains("make run"), "{}", r.text);
        assert!(r.text.contains("npm --prefix admin-web ci"), "{}", r.text);
        assert!(r.text.contains("npm --prefix admin-web run build"));
        assert!(!r.text.contains("<script"));
        assert_console_headers(&r, path);
    }
    let r = get(&s, "HEAD", "/admin", &[]).await;
    assert_eq!(r.status, 200);
    assert!(r.text.is_empty());
    assert_eq!(
        get(&s, "GET", "/admin/assets/index-1.js", &[]).await.status,
        404
    );
}
both!(admin_without_a_console_says_how_to_build);

async fn admin_serves_the_built_console(b: Backend) {
    let dist = fixture_build();
    let Some(s) = Server::start_with(b, &[("STOA_CONSOLE__DIR", dist.to_str().unwrap())]).await
    else {
        return;
    };
    // The page and the application's own routes: index.html, revalidated every time.
    for path in [
        "/admin",
        "/admin/",
        "/admin/index.html",
        "/admin/people/0190aa00",
        "/admin/retention/preview",
    ] {
        let r = get(&s, "GET", path, &[]).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.text, INDEX, "{path}");
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(
            r.header("cache-control").as_deref(),
            Some("no-cache"),
            "{path}"
        );
        assert!(r.header("etag").is_some());
        assert_console_headers(&r, path);
    }
    // Hashed assets: long-lived and immutable, with their content types.
    let js = get(&s, "GET", "/admin/assets/index-Ab12Cd34.js", &[]).await;
    assert_eq!(js.status, 200);
    assert_eq!(js.text, SCRIPT);
    assert!(
        js.header("content-type").unwrap().contains("javascript"),
        "{:?}",
        js.header("content-type")
    );
    assert_eq!(
        js.header("cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_console_headers(&js, "script");
    let css = get(&s, "GET", "/admin/assets/index-Ef56Gh78.css", &[]).await;
    assert_eq!(
        css.header("content-type").as_deref(),
        Some("text/css; charset=utf-8")
    );
    let icon = get(&s, "GET", "/admin/favicon.ico", &[]).await;
    assert_eq!(icon.status, 200);
    assert_eq!(icon.header("cache-control").as_deref(), Some("no-cache"));
    // A missing asset is 404, never the page.
    for path in [
        "/admin/assets/index-00000000.js",
        "/admin/assets/gone",
        "/admin/logo.png",
    ] {
        let r = get(&s, "GET", path, &[]).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text.contains("<html"), "{path}");
    }
    // HEAD like GET without the body; a cached copy revalidates to 304.
    let head = get(&s, "HEAD", "/admin/assets/index-Ab12Cd34.js", &[]).await;
    assert_eq!(head.status, 200);
    assert!(head.text.is_empty());
    assert!(head.header("content-type").unwrap().contains("javascript"));
    let etag = get(&s, "GET", "/admin", &[]).await.header("etag").unwrap();
    let r = get(&s, "GET", "/admin", &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, 304);
    // A path that tries to leave the build stays inside it.
    let (status, _) = crate::common::raw_http(
        &s.base,
        "GET /admin/assets/..%2f..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
        Vec::new(),
    )
    .await;
    assert_eq!(status, 404);
    // A new build is picked up at once (the page is never cached without revalidation).
    std::fs::write(dist.join("index.html"), "<!doctype html><title>v2</title>").unwrap();
    assert!(get(&s, "GET", "/admin/people", &[])
        .await
        .text
        .contains("v2"));
}
both!(admin_serves_the_built_console);

/// A browser signed in to the console: its cookie (`name=value`) and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

fn set_cookies(r: &Resp) -> Vec<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn browser_of(r: &Resp) -> Browser {
    let body = r.ok(200);
    let sc = set_cookies(r);
    assert_eq!(sc.len(), 1, "{sc:?}");
    let cookie = sc[0].split(';').next().unwrap().to_string();
    assert!(cookie.starts_with(&format!("{COOKIE}=stoa_s_")), "{cookie}");
    Browser {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().to_string(),
    }
}

async fn browser_login(s: &Server, tenant: &str, login: &str) -> Resp {
    call(
        s,
        "POST",
        "/api/v1/auth/browser/login",
        None,
        &[],
        Some(json!({ "tenant": tenant, "login": login, "password": PASSWORD })),
    )
    .await
}

/// A request with the browser's cookie (if any), extra headers and a JSON body.
async fn call(
    s: &Server,
    method: &str,
    path: &str,
    b: Option<&Browser>,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Resp {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut rb = s.http().request(m, s.url(path));
    if let Some(b) = b {
        rb = rb.header("cookie", &b.cookie);
    }
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    if let Some(body) = body {
        rb = rb.json(&body);
    }
    Server::finish(rb).await
}

fn cleared(r: &Resp) -> bool {
    set_cookies(r)
        .iter()
        .any(|c| c.starts_with(&format!("{COOKIE}=;")) && c.contains("Max-Age=0"))
}

async fn cookie_sessions_with_csrf(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let r = browser_login(&s, "acme", &t.admin_email).await;
    let sc = set_cookies(&r);
    let attrs = sc[0].to_ascii_lowercase();
    for a in ["httponly", "samesite=strict", "path=/", "max-age="] {
        assert!(attrs.contains(a), "{a}: {attrs}");
    }
    // The suite's public_url is http: no Secure.
    assert!(!attrs.contains("secure"), "{attrs}");
    assert!(
        r.body.get("token").is_none(),
        "the token stays in the cookie"
    );
    assert_eq!(r.body["tenant"], "acme");
    assert_eq!(r.body["user_id"], t.admin_id.as_str());
    let br = browser_of(&r);
    let origin = s.base.clone();

    // Reading needs no CSRF token; the session answer repeats it.
    call(&s, "GET", "/api/v1/me", Some(&br), &[], None)
        .await
        .ok(200);
    let sess = call(
        &s,
        "GET",
        "/api/v1/auth/browser/session",
        Some(&br),
        &[],
        None,
    )
    .await;
    assert_eq!(sess.ok(200)["csrf_token"], br.csrf.as_str());

    // Writing: refused without the token, with a wrong one, from another origin or site.
    let role = |n: &str| json!({ "name": n, "permissions": ["users.read"] });
    let no_csrf = call(
        &s,
        "POST",
        "/api/v1/roles",
        Some(&br),
        &[("origin", &origin)],
        Some(role("A")),
    )
    .await;
    assert_eq!(no_csrf.problem(403), "csrf_failed");
    let wrong = call(
        &s,
        "POST",
        "/api/v1/roles",
        Some(&br),
        &[("x-csrf-token", "nope")],
        Some(role("A")),
    )
    .await;
    assert_eq!(wrong.problem(403), "csrf_failed");
    let forged = call(
        &s,
        "POST",
        "/api/v1/roles",
        Some(&br),
        &[
            ("x-csrf-token", &br.csrf),
            ("origin", "https://evil.example"),
        ],
        Some(role("A")),
    )
    .await;
    assert_eq!(forged.problem(403), "csrf_failed");
    let cross = call(
        &s,
        "POST",
        "/api/v1/roles",
        Some(&br),
        &[("x-csrf-token", &br.csrf), ("sec-fetch-site", "cross-site")],
        Some(role("A")),
    )
    .await;
    assert_eq!(cross.problem(403), "csrf_failed");
    let roles = s.get("/api/v1/roles", &t.admin_token).await;
    assert!(!roles.text.contains("\"A\""), "nothing was created");
    // With the token, from this origin: done.
    call(
        &s,
        "POST",
        "/api/v1/roles",
        Some(&br),
        &[
            ("x-csrf-token", &br.csrf),
            ("origin", &origin),
            ("sec-fetch-site", "same-origin"),
        ],
        Some(role("Console role")),
    )
    .await
    .ok(201);
    // A browser sign-in is refused from another site too.
    let r = call(
        &s,
        "POST",
        "/api/v1/auth/browser/login",
        None,
        &[("origin", "https://evil.example")],
        Some(json!({ "tenant": "acme", "login": t.admin_email, "password": PASSWORD })),
    )
    .await;
    assert_eq!(r.problem(403), "csrf_failed");

    // The bearer API is exactly as it was: no CSRF token, and a stray cookie changes nothing.
    s.post("/api/v1/roles", &t.admin_token, role("Bearer role"))
        .await
        .ok(201);
    let r = s
        .http()
        .post(s.url("/api/v1/roles"))
        .bearer_auth(&t.admin_token)
        .header("cookie", format!("{COOKIE}=stoa_s_garbage"))
        .json(&role("Bearer role 2"));
    Server::finish(r).await.ok(201);
    let other = s.staff(&t, "Sam Staff").await.1;
    let r = s
        .http()
        .get(s.url("/api/v1/me"))
        .bearer_auth(&other)
        .header("cookie", &br.cookie);
    let me = Server::finish(r).await;
    assert!(me.ok(200).to_string().contains("Sam Staff"), "{}", me.text);

    // The WebSocket: the cookie signs the upgrade in from this origin, not from another.
    let ws = format!("{}/api/v1/events", s.base.replacen("http://", "ws://", 1));
    let mut req = ws.clone().into_client_request().unwrap();
    req.headers_mut()
        .insert("cookie", br.cookie.parse().unwrap());
    req.headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            assert_eq!(r.status().as_u16(), 403);
        }
        other => panic!(
            "a cross-site upgrade must be refused: {:?}",
            other.map(|_| ())
        ),
    }
    let mut req = ws.into_client_request().unwrap();
    req.headers_mut()
        .insert("cookie", br.cookie.parse().unwrap());
    req.headers_mut().insert("origin", origin.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("upgrade");
    use futures_util::StreamExt;
    let first = tokio::time::timeout(Duration::from_secs(20), socket.next())
        .await
        .expect("a first frame")
        .expect("open")
        .expect("frame");
    assert!(first.to_text().unwrap().contains("\"ready\""), "{first:?}");

    // Sign-out: 204, the cookie removed, the session over.
    let out = call(
        &s,
        "POST",
        "/api/v1/auth/browser/logout",
        Some(&br),
        &[("x-csrf-token", &br.csrf)],
        None,
    )
    .await;
    assert_eq!(out.status, 204, "{}", out.text);
    assert!(cleared(&out), "{:?}", set_cookies(&out));
    let r = call(
        &s,
        "GET",
        "/api/v1/auth/browser/session",
        Some(&br),
        &[],
        None,
    )
    .await;
    assert_eq!(r.problem(401), "unauthenticated");
    assert!(cleared(&r), "an ended session's cookie is removed");
    // An old cookie does not get in the way of signing in again, nor of public endpoints.
    let again = call(
        &s,
        "POST",
        "/api/v1/auth/browser/login",
        Some(&br),
        &[],
        Some(json!({ "tenant": "acme", "login": t.admin_email, "password": PASSWORD })),
    )
    .await;
    let br2 = browser_of(&again);
    assert_ne!(br2.csrf, br.csrf, "a new session, a new CSRF token");
    call(&s, "GET", "/api/v1/setup", Some(&br), &[], None)
        .await
        .ok(200);
}
both!(cookie_sessions_with_csrf);

async fn sign_out_everywhere_ends_cookie_and_bearer_sessions(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let one = browser_of(&browser_login(&s, "acme", &t.admin_email).await);
    let two = browser_of(&browser_login(&s, "acme", &t.admin_email).await);
    // Revoking a cookie session from the session list ends it like any other.
    let three = browser_login(&s, "acme", &t.admin_email).await;
    let three_id = three.body["session_id"].as_str().unwrap().to_string();
    let three = browser_of(&three);
    let r = s
        .delete(&format!("/api/v1/me/sessions/{three_id}"), &t.admin_token)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    call(&s, "GET", "/api/v1/me", Some(&three), &[], None)
        .await
        .problem(401);

    let out = call(
        &s,
        "POST",
        "/api/v1/auth/browser/logout?everywhere=true",
        Some(&one),
        &[("x-csrf-token", &one.csrf)],
        None,
    )
    .await;
    assert_eq!(out.status, 204, "{}", out.text);
    assert!(cleared(&out));
    call(&s, "GET", "/api/v1/me", Some(&one), &[], None)
        .await
        .problem(401);
    call(&s, "GET", "/api/v1/me", Some(&two), &[], None)
        .await
        .problem(401);
    s.get("/api/v1/me", &t.admin_token).await.problem(401);
    // Signing in again works.
    browser_of(&browser_login(&s, "acme", &t.admin_email).await);
}
both!(sign_out_everywhere_ends_cookie_and_bearer_sessions);

async fn cookie_sessions_expire_like_bearer_ones(b: Backend) {
    // Idle expiry.
    let Some(s) = Server::start_with(b, &[("STOA_SESSION__IDLE_TIMEOUT_SECS", "1")]).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let br = browser_of(&browser_login(&s, "acme", &t.admin_email).await);
    call(&s, "GET", "/api/v1/me", Some(&br), &[], None)
        .await
        .ok(200);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let r = call(&s, "GET", "/api/v1/me", Some(&br), &[], None).await;
    assert_eq!(r.problem(401), "unauthenticated");
    assert!(cleared(&r));
    drop(s);

    // Absolute expiry, however busy the session.
    let Some(s) = Server::start_with(b, &[("STOA_SESSION__ABSOLUTE_TIMEOUT_SECS", "2")]).await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    let r = browser_login(&s, "acme", &t.admin_email).await;
    let max_age: i64 = set_cookies(&r)[0]
        .split(';')
        .find_map(|a| a.trim().strip_prefix("Max-Age="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (0..=2).contains(&max_age),
        "the cookie lives as long as its session: {max_age}"
    );
    let br = browser_of(&r);
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_millis(2500) {
        let r = call(&s, "GET", "/api/v1/me", Some(&br), &[], None).await;
        if r.status == 401 {
            break;
        }
        r.ok(200);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    call(&s, "GET", "/api/v1/me", Some(&br), &[], None)
        .await
        .problem(401);
}
both!(cookie_sessions_expire_like_bearer_ones);

async fn browser_sign_in_with_a_second_factor(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (secret, _) = crate::two_factor::enrol(&s, &t.admin_token).await;
    let m = s.req("GET", "/api/v1/auth/sign-in/acme", None, None).await;
    let m = m.ok(200);
    assert_eq!(m["password"], true);
    assert_eq!(m["sso"], false);
    assert!(m["sso_start"].is_null());
    assert_eq!(m["two_factor"], "optional");
    // An unknown tenant looks like one that offers only passwords.
    let u = s
        .req("GET", "/api/v1/auth/sign-in/nobody", None, None)
        .await;
    let u = u.ok(200);
    assert_eq!(u["password"], true);
    assert_eq!(u["sso"], false);
    let bad = s
        .req("GET", "/api/v1/auth/sign-in/no%20pe", None, None)
        .await;
    bad.problem(bad.status);

    let r = browser_login(&s, "acme", &t.admin_email).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(
        set_cookies(&r).is_empty(),
        "no session before the second factor"
    );
    let challenge = r.body["challenge"].as_str().unwrap().to_string();
    let r = call(
        &s,
        "POST",
        "/api/v1/auth/browser/login/second-factor",
        None,
        &[],
        Some(json!({ "challenge": challenge, "code": crate::two_factor::code(&secret, 1) })),
    )
    .await;
    let br = browser_of(&r);
    call(&s, "GET", "/api/v1/me", Some(&br), &[], None)
        .await
        .ok(200);
}
both!(browser_sign_in_with_a_second_factor);
