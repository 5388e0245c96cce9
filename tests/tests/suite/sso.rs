//! Single sign-on with a real OpenID Connect provider (tests/oidc/provider.mjs: the npm
//! `oidc-provider`, started per test by scripts/oidc.sh on loopback), driven like a browser:
//! redirects followed by hand, the provider's login and consent forms filled in and posted,
//! cookies kept. The negative suite uses the provider's `/rogue/<mode>` issuers, which sign real
//! ID tokens that are wrong in one way each; every case must leave 0 new sessions.

use crate::both;
use crate::common::{Backend, Server, Tenant, PASSWORD};
use serde_json::{json, Value};
use std::collections::HashMap;

/// A provider process of this test; stopped (and its state removed) on drop.
struct Provider {
    url: String,
    run: String,
}

fn script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/oidc.sh")
}

impl Provider {
    /// `None` (said loudly) when Node.js is missing outside CI; under CI it must start.
    fn start() -> Option<Provider> {
        let out = std::process::Command::new(script()).arg("start").output();
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        let out = match out {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).to_string(),
            other => {
                let why = match other {
                    Ok(o) => String::from_utf8_lossy(&o.stderr).to_string(),
                    Err(e) => e.to_string(),
                };
                assert!(!ci, "CI=true but the OIDC provider did not start: {why}");
                eprintln!("!!! SKIPPED: the OIDC test provider did not start (scripts/oidc.sh needs Node.js and npm): {why}");
                return None;
            }
        };
        let field = |name: &str| {
            out.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("{name} in {out}"))
                .to_string()
        };
        Some(Provider {
            url: field("STOA_TEST_OIDC_URL"),
            run: field("STOA_OIDC_RUN"),
        })
    }

    /// Register a client for `s` (dynamic client registration): (client id, client secret).
    async fn register(&self, s: &Server) -> (String, String) {
        let r = reqwest::Client::new()
            .post(format!("{}/reg", self.url))
            .json(&json!({
                "redirect_uris": [s.url("/api/v1/auth/sso/callback")],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let v: Value = r.json().await.unwrap();
        (
            v["client_id"].as_str().unwrap().to_string(),
            v["client_secret"].as_str().unwrap().to_string(),
        )
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = std::process::Command::new(script())
            .args(["stop", &self.run])
            .status();
    }
}

/// A server whose `public_url` is its own address (the redirect URI registered with the
/// provider names it) and which may reach the provider on loopback.
async fn server(backend: Backend) -> Option<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let public = format!("http://127.0.0.1:{port}");
    Server::start_with(
        backend,
        &[
            ("STOA_LISTEN", &listen),
            ("STOA_PUBLIC_URL", &public),
            ("STOA_OUTBOUND__ALLOW_HOSTS", "127.0.0.1"),
        ],
    )
    .await
}

/// A browser: no automatic redirects, a cookie jar (one host: the provider's).
struct Browser {
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new() -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    async fn send(&mut self, rb: reqwest::RequestBuilder) -> (u16, String, String) {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let r = rb.header("cookie", cookie.join("; ")).send().await.unwrap();
        for c in r.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let pair = c.split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies.insert(k.trim().to_string(), v.to_string());
            }
        }
        let status = r.status().as_u16();
        let url = r.url().clone();
        let location = r
            .headers()
            .get("location")
            .map(|l| url.join(l.to_str().unwrap()).unwrap().to_string())
            .unwrap_or_default();
        (status, location, r.text().await.unwrap_or_default())
    }

    async fn get(&mut self, url: &str) -> (u16, String, String) {
        let rb = self.http.get(url);
        self.send(rb).await
    }
}

/// `name="value"` of an HTML tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].replace("&amp;", "&"))
}

/// Go through the provider as `login` (see provider.mjs for its form) from a provider URL,
/// posting its login and consent forms, until it sends the browser back to Stoa's callback:
/// that callback URL, not yet followed.
async fn to_callback(s: &Server, b: &mut Browser, url: &str, login: &str) -> String {
    let callback = s.url("/api/v1/auth/sso/callback");
    let mut next = url.to_string();
    for _ in 0..20 {
        if next.starts_with(&callback) {
            return next;
        }
        let (status, location, html) = b.get(&next).await;
        if (300..400).contains(&status) {
            next = location;
            continue;
        }
        assert_eq!(status, 200, "{next}: {html}");
        let form_at = html.find("<form").expect("a form");
        let form_tag = &html[form_at..form_at + html[form_at..].find('>').unwrap()];
        let action = reqwest::Url::parse(&next)
            .unwrap()
            .join(&attr(form_tag, "action").unwrap())
            .unwrap();
        let mut fields: Vec<(String, String)> = Vec::new();
        for input in html[form_at..].split("<input").skip(1) {
            let tag = &input[..input.find('>').unwrap_or(input.len())];
            match attr(tag, "name").as_deref() {
                Some("login") => fields.push(("login".into(), login.into())),
                Some("password") => fields.push(("password".into(), "any".into())),
                Some(name) => fields.push((name.into(), attr(tag, "value").unwrap_or_default())),
                None => {}
            }
        }
        let rb = b.http.post(action.clone()).form(&fields);
        let (status, location, text) = b.send(rb).await;
        assert!((300..400).contains(&status), "{action}: {status} {text}");
        next = location;
    }
    panic!("the provider never sent the browser back");
}

/// [`to_callback`], then follow the callback once: (status, location or body).
async fn through_provider(s: &Server, b: &mut Browser, url: &str, login: &str) -> (u16, String) {
    let cb = to_callback(s, b, url, login).await;
    let (status, location, text) = b.get(&cb).await;
    (status, if status == 302 { location } else { text })
}

fn param(url: &str, name: &str) -> String {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("{name} in {url}"))
        .1
        .to_string()
}

/// The fragment of a return address as pairs.
fn fragment(location: &str) -> HashMap<String, String> {
    let (_, f) = location.split_once('#').unwrap_or(("", ""));
    reqwest::Url::parse(&format!("http://x/?{f}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Sign in at tenant `slug` through the provider as `login`: the return address's fragment.
async fn sso(s: &Server, slug: &str, login: &str, query: &str) -> HashMap<String, String> {
    let mut b = Browser::new();
    let (status, to_provider, text) = b
        .get(&s.url(&format!("/api/v1/auth/sso/{slug}/start{query}")))
        .await;
    assert_eq!(status, 302, "{text}");
    let (status, back) = through_provider(s, &mut b, &to_provider, login).await;
    assert_eq!(status, 302, "{back}");
    fragment(&back)
}

async fn exchange(s: &Server, code: &str) -> crate::common::Resp {
    s.req(
        "POST",
        "/api/v1/auth/sso/exchange",
        None,
        Some(json!({ "code": code, "device": "test" })),
    )
    .await
}

async fn sessions(s: &Server) -> i64 {
    s.count("select count(*) from sessions").await
}

async fn configure(s: &Server, t: &Tenant, body: Value) -> crate::common::Resp {
    s.req(
        "PUT",
        "/api/v1/settings/sso",
        Some(&t.admin_token),
        Some(body),
    )
    .await
}

async fn setup(s: &Server, p: &Provider, t: &Tenant, extra: Value) -> Value {
    let (client_id, secret) = p.register(s).await;
    let mut body = json!({
        "enabled": true,
        "issuer": p.url,
        "client_id": client_id,
        "client_secret": secret,
        "scopes": ["openid", "email", "profile", "groups"],
        "groups_claim": "groups",
        "jit": true,
        "allowed_domains": ["acme.test"],
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    configure(s, t, body).await.ok(200).clone()
}

async fn happy_path(backend: Backend) {
    let Some(p) = Provider::start() else { return };
    let Some(s) = server(backend).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let viewer = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "Viewer", "permissions": ["users.read"] }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let settings = setup(
        &s,
        &p,
        &t,
        json!({ "role_mapping": [{ "group": "viewers", "role_id": viewer }] }),
    )
    .await;
    // The secret is write-only.
    assert_eq!(settings["client_secret_set"], true);
    assert!(settings.get("client_secret").is_none());
    assert_eq!(
        settings["callback_url"],
        s.url("/api/v1/auth/sso/callback").as_str()
    );
    let got = s.get("/api/v1/settings/sso", &t.admin_token).await;
    assert!(!got.text.contains("client_secret\""), "{}", got.text);
    assert_eq!(got.ok(200)["issuer"], p.url.as_str());
    // Saving again without a secret keeps it.
    let kept = configure(
        &s,
        &t,
        json!({ "enabled": true, "issuer": p.url, "client_id": settings["client_id"], "jit": true,
                "scopes": ["openid", "email", "profile", "groups"], "groups_claim": "groups",
                "allowed_domains": ["acme.test"],
                "role_mapping": [{ "group": "viewers", "role_id": viewer }] }),
    )
    .await;
    assert_eq!(kept.ok(200)["client_secret_set"], true);

    // First sign-in: the account is created just in time, with the mapped role.
    let before = sessions(&s).await;
    let back = sso(&s, "acme", "u-ann~ann.lee@acme.test~1~viewers", "").await;
    let code = back.get("code").unwrap_or_else(|| panic!("{back:?}"));
    assert!(code.len() >= 22, "≥ 128 bits");
    let r = exchange(&s, code).await;
    let session = r.ok(200).clone();
    assert_eq!(session["user"]["email"], "ann.lee@acme.test");
    assert_eq!(session["user"]["display_name"], "ann lee");
    assert_eq!(session["user"]["status"], "active");
    let token = session["token"].as_str().unwrap().to_string();
    let me = s.get("/api/v1/me", &token).await;
    assert_eq!(
        me.ok(200)["user"]["email"],
        "ann.lee@acme.test",
        "{}",
        me.text
    );
    let uid = session["user"]["id"].as_str().unwrap().to_string();
    let roles = s
        .get(&format!("/api/v1/users/{uid}/roles"), &t.admin_token)
        .await;
    assert!(roles.text.contains(&viewer), "{}", roles.text);
    assert_eq!(sessions(&s).await, before + 1);
    // The exchange code works once.
    assert_eq!(exchange(&s, code).await.problem(401), "invalid_credentials");
    assert_eq!(sessions(&s).await, before + 1);

    // Second sign-in: the linked account, no new account.
    let users_before = s.count("select count(*) from users").await;
    let back = sso(&s, "acme", "u-ann~ann.lee@acme.test~1~viewers", "").await;
    let again = exchange(&s, &back["code"]).await;
    assert_eq!(again.ok(200)["user"]["id"], uid.as_str());
    assert_eq!(s.count("select count(*) from users").await, users_before);
    let links = s.get("/api/v1/me/sso", &token).await;
    let links = links.ok(200).clone();
    assert_eq!(links["available"], true);
    // The provider's subject is the whole login (see provider.mjs).
    assert_eq!(
        links["links"][0]["subject"],
        "u-ann~ann.lee@acme.test~1~viewers"
    );
    assert_eq!(links["links"][0]["issuer"], p.url.as_str());

    // An app's own return address, when the tenant allows it; others are refused.
    let r = s
        .req(
            "GET",
            "/api/v1/auth/sso/acme/start?return_to=com.acme.app%3A%2Fsso&client=app",
            None,
            None,
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let mut body = s.get("/api/v1/settings/sso", &t.admin_token).await.body;
    body.as_object_mut().unwrap().retain(|k, _| {
        ![
            "client_secret_set",
            "callback_url",
            "default_return_url",
            "updated_at",
        ]
        .contains(&k.as_str())
    });
    body["redirect_uris"] = json!(["com.acme.app:/sso"]);
    configure(&s, &t, body).await.ok(200);
    let back = sso(
        &s,
        "acme",
        "u-ann~ann.lee@acme.test~1~viewers",
        "?return_to=com.acme.app%3A%2Fsso&client=app",
    )
    .await;
    assert!(back.contains_key("code"), "{back:?}");

    // The built-in return page: static, under a strict Content-Security-Policy.
    let page = reqwest::get(s.url("/sso/done")).await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(page.text().await.unwrap().contains("sso-done.js"));
    let script = reqwest::get(s.url("/sso/sso-done.js")).await.unwrap();
    assert_eq!(script.status().as_u16(), 200);

    // Every sign-in is in the audit log, with no personal data in the failure reasons.
    let audit = s.get("/api/v1/audit?action=auth.sso", &t.admin_token).await;
    assert!(
        audit.text.matches("auth.sso").count() >= 3,
        "{}",
        audit.text
    );
}
both!(happy_path);

async fn link_and_unlink(backend: Backend) {
    let Some(p) = Provider::start() else { return };
    let Some(s) = server(backend).await else {
        return;
    };
    let t = s.tenant("acme").await;
    // No just-in-time creation: only linked people sign in.
    setup(&s, &p, &t, json!({ "jit": false })).await;
    let (bea_id, bea) = s.staff(&t, "Bea Brown").await;

    // Not linked yet: refused, even with her email verified at the provider.
    let before = sessions(&s).await;
    let back = sso(&s, "acme", "u-bea~bea.brown@acme.test~1", "").await;
    assert_eq!(back.get("error").map(String::as_str), Some("not_linked"));
    assert_eq!(sessions(&s).await, before);

    // Signed in, she links her identity.
    let r = s.post("/api/v1/me/sso/link/start", &bea, json!({})).await;
    let url = r.ok(200)["authorization_url"].as_str().unwrap().to_string();
    let mut b = Browser::new();
    let (status, back) = through_provider(&s, &mut b, &url, "u-bea~bea.brown@acme.test~1").await;
    assert_eq!(status, 302);
    assert_eq!(fragment(&back).get("linked").map(String::as_str), Some("1"));
    let links = s.get("/api/v1/me/sso", &bea).await.ok(200).clone();
    let link_id = links["links"][0]["id"].as_str().unwrap().to_string();

    // Now the identity signs her in.
    let back = sso(&s, "acme", "u-bea~bea.brown@acme.test~1", "").await;
    let r = exchange(&s, &back["code"]).await;
    assert_eq!(r.ok(200)["user"]["id"], bea_id.as_str());

    // Another person cannot take over a linked identity.
    let (_, cal) = s.staff(&t, "Cal Cole").await;
    let url = s
        .post("/api/v1/me/sso/link/start", &cal, json!({}))
        .await
        .ok(200)["authorization_url"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, back) =
        through_provider(&s, &mut Browser::new(), &url, "u-bea~bea.brown@acme.test~1").await;
    assert_eq!(
        fragment(&back).get("error").map(String::as_str),
        Some("identity_linked_elsewhere")
    );

    // Unlinking: only one's own links; afterwards the identity no longer signs in.
    let r = s
        .delete(&format!("/api/v1/me/sso/links/{link_id}"), &cal)
        .await;
    assert_eq!(r.problem(404), "not_found");
    let r = s
        .delete(&format!("/api/v1/me/sso/links/{link_id}"), &bea)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let before = sessions(&s).await;
    let back = sso(&s, "acme", "u-bea~bea.brown@acme.test~1", "").await;
    assert_eq!(back.get("error").map(String::as_str), Some("not_linked"));
    assert_eq!(sessions(&s).await, before);
    let audit = s.get("/api/v1/audit", &t.admin_token).await;
    assert!(audit.text.contains("user.sso_linked"), "{}", audit.text);
    assert!(audit.text.contains("user.sso_unlinked"), "{}", audit.text);

    // Erasure takes the links along.
    let url = s
        .post("/api/v1/me/sso/link/start", &bea, json!({}))
        .await
        .ok(200)["authorization_url"]
        .as_str()
        .unwrap()
        .to_string();
    through_provider(&s, &mut Browser::new(), &url, "u-bea~bea.brown@acme.test~1").await;
    assert_eq!(
        s.count("select count(*) from sso_links").await,
        1,
        "linked again"
    );
    s.req(
        "PUT",
        "/api/v1/settings/account-deletion",
        Some(&t.admin_token),
        Some(json!({ "grace_days": 0, "authored_messages": "pseudonymise", "sign_in_cancels": false })),
    )
    .await
    .ok(200);
    s.post(
        &format!("/api/v1/users/{bea_id}/deletion"),
        &t.admin_token,
        json!({}),
    )
    .await
    .ok(202);
    let start = std::time::Instant::now();
    while s.count("select count(*) from sso_links").await > 0 {
        assert!(crate::common::patient(start), "the link outlived erasure");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
both!(link_and_unlink);

/// Every way a sign-in must fail; each leaves no session behind.
async fn refusals(backend: Backend) {
    let Some(p) = Provider::start() else { return };
    let Some(s) = server(backend).await else {
        return;
    };
    let t = s.tenant("acme").await;
    setup(&s, &p, &t, json!({})).await;
    let before = sessions(&s).await;

    // A wrong state: unknown to the server.
    let mut b = Browser::new();
    let (status, to_provider, _) = b.get(&s.url("/api/v1/auth/sso/acme/start")).await;
    assert_eq!(status, 302);
    let (status, back) = through_provider(&s, &mut b, &to_provider, "u-dan~dan@acme.test~1").await;
    assert_eq!(status, 302);
    let code = fragment(&back)["code"].clone();
    let r = s
        .req(
            "GET",
            "/api/v1/auth/sso/callback?code=abc&state=not-the-state",
            None,
            None,
        )
        .await;
    assert_eq!(r.problem(400), "bad_request");
    let r = s.req("GET", "/api/v1/auth/sso/callback", None, None).await;
    assert_eq!(r.problem(400), "bad_request");

    // A replayed callback (the same code and state again): the state worked once.
    let mut b = Browser::new();
    let (_, to_provider, _) = b.get(&s.url("/api/v1/auth/sso/acme/start")).await;
    let callback_url = to_callback(&s, &mut b, &to_provider, "u-dan~dan@acme.test~1").await;
    let first = b.get(&callback_url).await;
    assert_eq!(first.0, 302);
    assert!(fragment(&first.1).contains_key("code"));
    let replay = s
        .req("GET", &callback_url[s.base.len()..], None, None)
        .await;
    assert_eq!(replay.problem(400), "bad_request");
    // The exchange codes of those sign-ins were not used: nothing so far made a session.
    assert_eq!(sessions(&s).await, before);
    let _ = code;
    let callback = s.url("/api/v1/auth/sso/callback");

    // A response naming another issuer (RFC 9207 `iss`): a mix-up, refused.
    let mut b = Browser::new();
    let (_, to_provider, _) = b.get(&s.url("/api/v1/auth/sso/acme/start")).await;
    let cb = to_callback(&s, &mut b, &to_provider, "u-dan~dan@acme.test~1").await;
    assert_eq!(param(&cb, "iss"), p.url);
    let mut mixed = reqwest::Url::parse(&cb).unwrap();
    let pairs: Vec<(String, String)> = mixed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "iss" {
                "https://evil.example".to_string()
            } else {
                v.to_string()
            };
            (k.to_string(), v)
        })
        .collect();
    mixed.query_pairs_mut().clear().extend_pairs(pairs);
    let (status, back, _) = b.get(mixed.as_str()).await;
    assert_eq!(status, 302);
    assert_eq!(
        fragment(&back).get("error").map(String::as_str),
        Some("wrong_issuer")
    );
    assert_eq!(sessions(&s).await, before);

    // Misbehaving providers: each ID token is wrong in one way.
    for (mode, reason) in [
        ("wrong_nonce", "wrong_nonce"),
        ("no_nonce", "wrong_nonce"),
        ("wrong_issuer", "wrong_issuer"),
        ("wrong_audience", "wrong_audience"),
        ("expired", "expired"),
        ("bad_signature", "bad_signature"),
    ] {
        configure(
            &s,
            &t,
            json!({ "enabled": true, "issuer": format!("{}/rogue/{mode}", p.url),
                    "client_id": "stoa", "client_secret": "s", "jit": true }),
        )
        .await
        .ok(200);
        let back = sso(&s, "acme", "", "").await;
        assert_eq!(
            back.get("error").map(String::as_str),
            Some(reason),
            "{mode}: {back:?}"
        );
        assert_eq!(sessions(&s).await, before, "{mode}");
    }
    // The same provider, behaving: the control case signs in.
    configure(
        &s,
        &t,
        json!({ "enabled": true, "issuer": format!("{}/rogue/ok", p.url),
                "client_id": "stoa", "client_secret": "s", "jit": true }),
    )
    .await
    .ok(200);
    let back = sso(&s, "acme", "", "").await;
    exchange(&s, &back["code"]).await.ok(200);
    assert_eq!(sessions(&s).await, before + 1);
    let before = before + 1;

    // An unverified email matching an existing account: ignored entirely (no link, no
    // account, no session).
    setup(&s, &p, &t, json!({})).await;
    let users = s.count("select count(*) from users").await;
    let back = sso(&s, "acme", &format!("u-eve~{}~0", t.admin_email), "").await;
    assert_eq!(
        back.get("error").map(String::as_str),
        Some("email_unverified")
    );
    // …and a verified one is not linked by email either.
    let back = sso(&s, "acme", "u-eve2~admin@acme.test~1", "").await;
    assert_eq!(back.get("error").map(String::as_str), Some("email_in_use"));
    assert_eq!(s.count("select count(*) from users").await, users);
    let admin_links = format!(
        "select count(*) from sso_links where user_id = '{}'",
        t.admin_id
    );
    assert_eq!(s.count(&admin_links).await, 0);
    assert_eq!(sessions(&s).await, before);

    // A domain the tenant does not allow.
    let back = sso(&s, "acme", "u-out~mallory@elsewhere.test~1", "").await;
    assert_eq!(
        back.get("error").map(String::as_str),
        Some("domain_not_allowed")
    );

    // A disabled account.
    let back = sso(&s, "acme", "u-fay~fay@acme.test~1", "").await;
    let fay = exchange(&s, &back["code"]).await.ok(200).clone();
    let before = sessions(&s).await;
    let fay_id = fay["user"]["id"].as_str().unwrap();
    s.post(
        &format!("/api/v1/users/{fay_id}/disable"),
        &t.admin_token,
        json!({}),
    )
    .await;
    let back = sso(&s, "acme", "u-fay~fay@acme.test~1", "").await;
    assert_eq!(
        back.get("error").map(String::as_str),
        Some("account_not_active")
    );
    assert_eq!(sessions(&s).await, before);

    // A provider configured for another tenant: tenant B's client at the same provider. Its
    // identities are tenant B's; tenant A (JIT off now) does not know them…
    let other = s.tenant("other").await;
    setup(&s, &p, &other, json!({ "allowed_domains": ["other.test"] })).await;
    let back = sso(&s, "other", "u-gus~gus@other.test~1", "").await;
    exchange(&s, &back["code"]).await.ok(200);
    let before = sessions(&s).await;
    let mut a_body = s.get("/api/v1/settings/sso", &t.admin_token).await.body;
    a_body.as_object_mut().unwrap().retain(|k, _| {
        ![
            "client_secret_set",
            "callback_url",
            "default_return_url",
            "updated_at",
        ]
        .contains(&k.as_str())
    });
    a_body["jit"] = json!(false);
    configure(&s, &t, a_body).await.ok(200);
    let back = sso(&s, "acme", "u-gus~gus@other.test~1", "").await;
    assert_eq!(back.get("error").map(String::as_str), Some("not_linked"));
    // …and a code the provider issued to tenant B's client does not redeem for tenant A.
    let mut b = Browser::new();
    let (_, to_b, _) = b.get(&s.url("/api/v1/auth/sso/other/start")).await;
    let (_, to_a, _) = Browser::new()
        .get(&s.url("/api/v1/auth/sso/acme/start"))
        .await;
    let a_state = param(&to_a, "state");
    let b_callback = to_callback(&s, &mut b, &to_b, "u-gus~gus@other.test~1").await;
    let b_code = param(&b_callback, "code");
    let (status, back, _) = Browser::new()
        .get(&format!(
            "{callback}?code={}&state={}",
            urlencode(&b_code),
            urlencode(&a_state)
        ))
        .await;
    assert_eq!(status, 302);
    assert_eq!(
        fragment(&back).get("error").map(String::as_str),
        Some("code_refused")
    );
    assert_eq!(sessions(&s).await, before);

    // Failures are audited with their reason and nothing personal.
    let audit = s
        .get("/api/v1/audit?action=auth.sso&limit=100", &t.admin_token)
        .await;
    for reason in [
        "wrong_nonce",
        "wrong_issuer",
        "wrong_audience",
        "expired",
        "bad_signature",
        "email_unverified",
        "email_in_use",
        "account_not_active",
        "code_refused",
    ] {
        assert!(audit.text.contains(reason), "{reason}: {}", audit.text);
    }
    assert!(!audit.text.contains("mallory@elsewhere.test"));
}
both!(refusals);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A provider that rotated its signing key since Stoa fetched its keys; and the tenant's
/// two-factor policy applying to single sign-on as it does to passwords.
async fn rotation_and_two_factor(backend: Backend) {
    let Some(p) = Provider::start() else { return };
    let Some(s) = server(backend).await else {
        return;
    };
    let t = s.tenant("acme").await;
    configure(
        &s,
        &t,
        json!({ "enabled": true, "issuer": format!("{}/rogue/rotate", p.url),
                "client_id": "stoa", "client_secret": "s", "jit": true }),
    )
    .await
    .ok(200);
    let back = sso(&s, "acme", "", "").await;
    let r = exchange(&s, back.get("code").unwrap_or_else(|| panic!("{back:?}"))).await;
    r.ok(200);

    // Unfinished sign-ins are capped per client address (a finished one does not count).
    let mut b = Browser::new();
    for i in 0..100 {
        let (status, _, text) = b.get(&s.url("/api/v1/auth/sso/acme/start")).await;
        assert_eq!(status, 302, "start {i}: {text}");
    }
    let (status, _, text) = b.get(&s.url("/api/v1/auth/sso/acme/start")).await;
    assert_eq!(status, 429, "{text}");
    s.sql("delete from sso_flows").await;

    s.req(
        "PUT",
        "/api/v1/settings/two-factor",
        Some(&t.admin_token),
        Some(json!({ "policy": "everyone" })),
    )
    .await
    .ok(200);
    let before = sessions(&s).await;
    let back = sso(&s, "acme", "", "").await;
    let r = exchange(&s, &back["code"]).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body["second_factor"], "enrol");
    assert!(r.body["challenge"].as_str().is_some());
    assert_eq!(sessions(&s).await, before);
}
both!(rotation_and_two_factor);

/// Settings: validation answers 4xx naming the field; the outbound client refuses private
/// targets unless allowed; containment applies to the roles SSO hands out.
async fn settings_rules(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let put = |body: Value| {
        let token = t.admin_token.clone();
        let s = &s;
        async move {
            s.req("PUT", "/api/v1/settings/sso", Some(&token), Some(body))
                .await
        }
    };
    let r = s.get("/api/v1/settings/sso", &t.admin_token).await;
    let v = r.ok(200);
    assert_eq!(v["enabled"], false);
    assert_eq!(v["client_secret_set"], false);
    for (body, field) in [
        (json!({ "enabled": true, "client_id": "x" }), "issuer"),
        (
            json!({ "enabled": true, "issuer": "not a url", "client_id": "x" }),
            "issuer",
        ),
        (
            json!({ "enabled": true, "issuer": "http://id.example.com", "client_id": "x" }),
            "issuer",
        ),
        (
            json!({ "enabled": false, "redirect_uris": ["javascript:alert(1)"] }),
            "redirect_uris",
        ),
        (
            json!({ "enabled": false, "redirect_uris": ["http://evil.example/cb"] }),
            "redirect_uris",
        ),
        (
            json!({ "enabled": false, "allowed_domains": ["not a domain"] }),
            "allowed_domains",
        ),
        (
            json!({ "enabled": false, "default_role_id": "nope" }),
            "default_role_id",
        ),
        (
            json!({ "enabled": false, "scopes": ["bad scope"] }),
            "scopes",
        ),
        (
            json!({ "enabled": false, "email_claim": "" }),
            "email_claim",
        ),
    ] {
        let r = put(body.clone()).await;
        assert_eq!(r.problem(422), "validation_failed", "{body}");
        assert_eq!(r.body["field"], field, "{body}: {}", r.text);
    }
    // Loopback and link-local issuers are refused by the outbound client (not allowed here).
    for issuer in [
        "http://127.0.0.1:9/",
        "https://169.254.169.254/latest",
        "https://localhost/realms/x",
    ] {
        let r = put(json!({ "enabled": true, "issuer": issuer, "client_id": "x" })).await;
        assert_eq!(r.problem(422), "validation_failed", "{issuer}");
        assert_eq!(r.body["field"], "issuer");
    }
    // Staff with `settings.manage` but not `users.manage` cannot hand out the admin role.
    let admin_role = s.builtin_role_id(&t, "admin").await;
    let mgr_role = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "Settings", "permissions": ["settings.manage"] }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, mgr) = s.member(&t, "Mo Manager", json!([mgr_role])).await;
    let r = s
        .req(
            "PUT",
            "/api/v1/settings/sso",
            Some(&mgr),
            Some(json!({ "enabled": false, "default_role_id": admin_role })),
        )
        .await;
    assert_eq!(r.problem(403), "containment");
    // Single sign-on off: starting answers 404 without telling whether the tenant exists.
    let r = s
        .req("GET", "/api/v1/auth/sso/acme/start", None, None)
        .await;
    assert_eq!(r.problem(404), "not_found");
    let r = s
        .req("GET", "/api/v1/auth/sso/nobody/start", None, None)
        .await;
    assert_eq!(r.problem(404), "not_found");
    let _ = PASSWORD;
}
both!(settings_rules);
