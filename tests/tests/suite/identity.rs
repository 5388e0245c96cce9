//! Self-service identity with real peers: mail through a real SMTP sink (aiosmtpd), text
//! messages through an HTTP gateway on loopback. Sign-up by email and by phone, phone sign-in,
//! invitations and password resets by mail, proving a new address, and the code rules: wrong
//! guesses, concurrent use, cool-downs and quotas that a spoofed `X-Forwarded-For` cannot dodge.

use crate::both;
use crate::common::{Backend, Resp, Server, Tenant, METRICS_TOKEN, PASSWORD};
use crate::sinks::{six_digits, smtp_env, SmsGateway, SmtpSink};
use serde_json::{json, Value};

/// A server that mails through `sink` and texts through `gateway`, with extra settings.
async fn server(
    b: Backend,
    sink: Option<&SmtpSink>,
    gateway: Option<&SmsGateway>,
    extra: &[(&str, &str)],
) -> Option<Server> {
    let mut env: Vec<(String, String)> = Vec::new();
    if let Some(s) = sink {
        env.extend(s.env());
    }
    if let Some(g) = gateway {
        env.extend(g.env());
    }
    for (k, v) in extra {
        env.push((k.to_string(), v.to_string()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Server::start_with(b, &env).await
}

pub(crate) async fn open_registration(s: &Server, t: &Tenant, settings: Value) {
    s.req(
        "PUT",
        "/api/v1/settings/registration",
        Some(&t.admin_token),
        Some(settings),
    )
    .await
    .ok(200);
}

async fn ask(s: &Server, body: Value) -> Resp {
    s.req("POST", "/api/v1/auth/codes", None, Some(body)).await
}

async fn sign_up_by_email(b: Backend) {
    let Some(sink) = SmtpSink::start().await else {
        return;
    };
    let Some(s) = server(b, Some(&sink), None, &[]).await else {
        return;
    };
    let t = s.tenant("acme").await;
    // Closed by default: asking for a sign-up code is refused.
    ask(
        &s,
        json!({ "tenant": "acme", "purpose": "register", "email": "new@acme.test" }),
    )
    .await
    .problem(403);
    // Phone sign-up needs a text-message sender, which this server lacks.
    let r = s
        .req(
            "PUT",
            "/api/v1/settings/registration",
            Some(&t.admin_token),
            Some(json!({ "mode": "open", "by_email": true, "by_phone": true,
                         "email_domains": [], "phone_sign_in": false })),
        )
        .await;
    assert_eq!(r.problem(409), "delivery_not_configured");
    open_registration(
        &s,
        &t,
        json!({ "mode": "open", "by_email": true, "by_phone": false,
                "email_domains": ["acme.test"], "phone_sign_in": false }),
    )
    .await;
    // Only the allowed domain.
    let r = ask(
        &s,
        json!({ "tenant": "acme", "purpose": "register", "email": "x@other.test" }),
    )
    .await;
    assert_eq!(r.problem(422), "validation_failed");
    // A code, in the language the browser asks for.
    let r = s
        .http()
        .post(s.url("/api/v1/auth/codes"))
        .header("accept-language", "vi-VN,vi;q=0.9")
        .json(&json!({ "tenant": "acme", "purpose": "register", "email": "Lan@Acme.test" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let mail = sink.nth("lan@acme.test", 1).await;
    assert!(mail.subject.contains("là mã"), "{}", mail.subject);
    let code = mail.code().expect("a code in the mail");
    let register = |code: &str| {
        json!({ "tenant": "acme", "email": "lan@acme.test", "code": code,
                "display_name": "Lan", "password": PASSWORD, "locale": "vi" })
    };
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let r = s
        .req("POST", "/api/v1/auth/register", None, Some(register(wrong)))
        .await;
    assert_eq!(r.problem(400), "invalid_code");
    let r = s
        .req("POST", "/api/v1/auth/register", None, Some(register(&code)))
        .await;
    let body = r.ok(200);
    assert_eq!(body["user"]["email"], "lan@acme.test");
    assert_eq!(body["user"]["email_verified"], true);
    assert_eq!(body["user"]["locale"], "vi");
    assert_eq!(body["user"]["status"], "active");
    let token = body["token"].as_str().unwrap().to_string();
    let me = s.get("/api/v1/me", &token).await;
    let roles: Vec<&str> = me.ok(200)["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["builtin"].as_str())
        .collect();
    assert_eq!(roles, ["staff"]);
    // Used once.
    let r = s
        .req("POST", "/api/v1/auth/register", None, Some(register(&code)))
        .await;
    assert_eq!(r.problem(400), "invalid_code");
    // Asking again for an address with an account answers the same, and mails a notice, not a
    // code: the answer tells nothing, the owner learns they already have an account.
    let r = ask(
        &s,
        json!({ "tenant": "acme", "purpose": "register", "email": "lan@acme.test" }),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let notice = sink.nth("lan@acme.test", 2).await;
    assert!(notice.code().is_none(), "{}", notice.text);
    assert!(notice.subject.contains("tài khoản"), "{}", notice.subject);
    // The sign-up and each code are in the audit log, without the address.
    let audit = s
        .get("/api/v1/audit?action=auth.code_sent", &t.admin_token)
        .await;
    let text = audit.text.clone();
    assert!(
        audit.ok(200)["items"].as_array().unwrap().len() >= 2,
        "{text}"
    );
    assert!(!text.contains("lan@acme.test"), "{text}");
}
both!(sign_up_by_email);

async fn phone_sign_up_and_sign_in(b: Backend) {
    let gw = SmsGateway::start().await;
    let Some(s) = server(b, None, Some(&gw), &[]).await else {
        return;
    };
    let t = s.tenant("acme").await;
    open_registration(
        &s,
        &t,
        json!({ "mode": "open", "by_email": false, "by_phone": true,
                "email_domains": [], "phone_sign_in": true }),
    )
    .await;
    let phone = "+84912000111";
    // The gateway is failing: the message waits in the outbox and goes when it recovers.
    gw.status.store(503, std::sync::atomic::Ordering::SeqCst);
    ask(
        &s,
        json!({ "tenant": "acme", "purpose": "register", "phone": "+84 912 000 111" }),
    )
    .await
    .ok(202);
    let gw_ref = &gw;
    s.eventually(
        "the gateway is tried",
        || async move { gw_ref.attempts() > 0 },
    )
    .await;
    gw.status.store(200, std::sync::atomic::Ordering::SeqCst);
    let text = gw.nth(phone, 1).await;
    let code = six_digits(&text).expect("a code");
    // The gateway got the configured header and a JSON body.
    let req = &gw.requests()[0];
    assert_eq!(req.header("x-api-key").as_deref(), Some("gateway-test-key"));
    assert_eq!(
        req.header("content-type").as_deref(),
        Some("application/json")
    );
    // Phone sign-in is on, so no password is needed.
    let r = s
        .req(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(json!({ "tenant": "acme", "phone": phone, "code": code, "display_name": "Minh" })),
        )
        .await;
    assert_eq!(r.ok(200)["user"]["phone_verified"], true);
    // Sign in with a phone code.
    ask(
        &s,
        json!({ "tenant": "acme", "purpose": "sign_in", "phone": phone }),
    )
    .await
    .ok(202);
    let code = six_digits(&gw.nth(phone, 2).await).unwrap();
    let login =
        |code: &str| json!({ "tenant": "acme", "phone": phone, "code": code, "device": "phone" });
    let r = s
        .req("POST", "/api/v1/auth/login/code", None, Some(login(&code)))
        .await;
    let token = r.ok(200)["token"].as_str().unwrap().to_string();
    s.get("/api/v1/me", &token).await.ok(200);
    // An unknown number gets the same answer and no text message.
    ask(
        &s,
        json!({ "tenant": "acme", "purpose": "sign_in", "phone": "+84912999999" }),
    )
    .await
    .ok(202);
    let r = s
        .req(
            "POST",
            "/api/v1/auth/login/code",
            None,
            Some(json!({ "tenant": "acme", "phone": "+84912999999", "code": "123456" })),
        )
        .await;
    assert_eq!(r.problem(400), "invalid_code");
    // A later message to the known number proves the unknown one got nothing in between.
    s.post("/api/v1/me/contact/code", &token, json!({ "phone": phone }))
        .await
        .ok(202);
    gw.nth(phone, 3).await;
    assert!(
        gw.messages().iter().all(|(to, _)| to == phone),
        "{:?}",
        gw.messages()
    );
    // Another tenant's settings do not open this one.
    s.tenant("other").await;
    ask(
        &s,
        json!({ "tenant": "other", "purpose": "sign_in", "phone": phone }),
    )
    .await
    .problem(403);
}
both!(phone_sign_up_and_sign_in);

/// Five wrong guesses kill a code; of many concurrent uses of the right code exactly one signs
/// in.
async fn codes_resist_guessing(b: Backend) {
    let gw = SmsGateway::start().await;
    let Some(s) = server(
        b,
        None,
        Some(&gw),
        &[("STOA_CODES__RESEND_COOLDOWN_SECS", "0")],
    )
    .await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    open_registration(
        &s,
        &t,
        json!({ "mode": "invitation", "by_email": false, "by_phone": false,
                "email_domains": [], "phone_sign_in": true }),
    )
    .await;
    let phone = "+84913000222";
    s.req(
        "POST",
        "/api/v1/users",
        Some(&t.admin_token),
        Some(json!({ "display_name": "Hoa", "phone": phone })),
    )
    .await
    .ok(201);
    // Invited (no password yet) people may not sign in; activate through the invitation.
    let inv = s.get("/api/v1/users?q=Hoa", &t.admin_token).await.ok(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let link = s
        .req(
            "POST",
            &format!("/api/v1/users/{inv}/invitation"),
            Some(&t.admin_token),
            None,
        )
        .await;
    let token = link.ok(200)["token"].as_str().unwrap().to_string();
    s.accept(&token, PASSWORD).await.ok(200);

    ask(
        &s,
        json!({ "tenant": "acme", "purpose": "sign_in", "phone": phone }),
    )
    .await
    .ok(202);
    let code = six_digits(&gw.nth(phone, 1).await).unwrap();
    let login = |code: String| json!({ "tenant": "acme", "phone": phone, "code": code });
    for i in 0..5 {
        let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000);
        s.req("POST", "/api/v1/auth/login/code", None, Some(login(wrong)))
            .await
            .problem(400);
    }
    // The right code is dead now.
    let r = s
        .req(
            "POST",
            "/api/v1/auth/login/code",
            None,
            Some(login(code.clone())),
        )
        .await;
    assert_eq!(r.problem(400), "invalid_code");

    // A new code, used 8 times at once: exactly one session.
    ask(
        &s,
        json!({ "tenant": "acme", "purpose": "sign_in", "phone": phone }),
    )
    .await
    .ok(202);
    let code = six_digits(&gw.nth(phone, 2).await).unwrap();
    let tries = (0..8).map(|_| {
        let body = login(code.clone());
        let s = &s;
        async move {
            s.req("POST", "/api/v1/auth/login/code", None, Some(body))
                .await
        }
    });
    let answers = futures_util::future::join_all(tries).await;
    let ok = answers.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(answers.iter().all(|r| r.status == 200 || r.status == 400));
}
both!(codes_resist_guessing);

/// The cool-down per address, then the hourly quotas per address and per client address —
/// which a client cannot dodge by sending its own `X-Forwarded-For` (the server trusts no
/// proxy here).
async fn quotas(b: Backend) {
    let gw = SmsGateway::start().await;
    let Some(s) = server(
        b,
        None,
        Some(&gw),
        &[
            ("STOA_CODES__RESEND_COOLDOWN_SECS", "60"),
            ("STOA_CODES__PER_CLIENT_PER_HOUR", "4"),
        ],
    )
    .await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    open_registration(
        &s,
        &t,
        json!({ "mode": "open", "by_email": false, "by_phone": true,
                "email_domains": [], "phone_sign_in": false }),
    )
    .await;
    let code_for = |phone: &str, xff: &str| {
        s.http()
            .post(s.url("/api/v1/auth/codes"))
            .header("x-forwarded-for", xff.to_string())
            .json(&json!({ "tenant": "acme", "purpose": "register", "phone": phone }))
            .send()
    };
    let r = code_for("+84914000001", "203.0.113.1").await.unwrap();
    assert_eq!(r.status(), 202);
    // Again at once: the cool-down.
    let r = code_for("+84914000001", "203.0.113.2").await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    // Other numbers, each "from" another address: the client quota (4 an hour) still holds.
    let mut statuses = Vec::new();
    for i in 2..=5 {
        let r = code_for(&format!("+8491400000{i}"), &format!("198.51.100.{i}"))
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    // The refused cool-down above counted nothing: 1 + 3 sent, the 4th refused.
    assert_eq!(statuses, [202, 202, 202, 429], "{statuses:?}");
    let r = code_for("+84914000009", "192.0.2.9").await.unwrap();
    assert_eq!(r.status(), 429);
}
both!(quotas);

/// The hourly quotas per address and per tenant.
async fn destination_and_tenant_quotas(b: Backend) {
    let gw = SmsGateway::start().await;
    let Some(s) = server(
        b,
        None,
        Some(&gw),
        &[
            ("STOA_CODES__RESEND_COOLDOWN_SECS", "0"),
            ("STOA_CODES__PER_DESTINATION_PER_HOUR", "2"),
            ("STOA_CODES__PER_TENANT_PER_HOUR", "4"),
        ],
    )
    .await
    else {
        return;
    };
    let t = s.tenant("acme").await;
    open_registration(
        &s,
        &t,
        json!({ "mode": "open", "by_email": false, "by_phone": true,
                "email_domains": [], "phone_sign_in": false }),
    )
    .await;
    let mut statuses = Vec::new();
    for phone in [
        "+84916000001",
        "+84916000001",
        "+84916000001",
        "+84916000002",
        "+84916000003",
        "+84916000004",
    ] {
        let r = ask(
            &s,
            json!({ "tenant": "acme", "purpose": "register", "phone": phone }),
        )
        .await;
        if r.status == 429 {
            assert!(r.header("retry-after").is_some());
        }
        statuses.push(r.status);
    }
    // Two to one number, then the tenant's four are spent.
    assert_eq!(statuses, [202, 202, 429, 202, 202, 429], "{statuses:?}");
}
both!(destination_and_tenant_quotas);

/// Invitations are mailed; a verified email can reset a forgotten password by link; an
/// unverified one gets nothing.
async fn invitations_and_password_reset_by_mail(b: Backend) {
    let Some(sink) = SmtpSink::start().await else {
        return;
    };
    // The second reset request follows the first at once.
    let cooldown = [("STOA_CODES__RESEND_COOLDOWN_SECS", "0")];
    let Some(s) = server(b, Some(&sink), None, &cooldown).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let r = s
        .req(
            "POST",
            "/api/v1/users",
            Some(&t.admin_token),
            Some(json!({ "display_name": "Mai", "email": "mai@acme.test", "locale": "zh" })),
        )
        .await;
    let created = r.ok(201).clone();
    assert_eq!(created["invitation"]["mailed"], true);
    let mail = sink.nth("mai@acme.test", 1).await;
    assert!(
        mail.subject.contains("邀请") || mail.subject.contains("受邀"),
        "{}",
        mail.subject
    );
    let token = mail.link_param("token").expect("the invitation link");
    assert_eq!(token, created["invitation"]["token"].as_str().unwrap());
    let session = s.accept(&token, PASSWORD).await.ok(200)["token"]
        .as_str()
        .unwrap()
        .to_string();

    // Not verified yet: the reset answers the same, and nothing is mailed (a later mail arrives
    // first: the mail lane keeps order).
    s.req(
        "POST",
        "/api/v1/auth/password-reset",
        None,
        Some(json!({ "tenant": "acme", "email": "mai@acme.test" })),
    )
    .await
    .ok(202);
    s.post(
        "/api/v1/me/contact/code",
        &session,
        json!({ "email": "mai@acme.test" }),
    )
    .await
    .ok(202);
    let verify = sink.nth("mai@acme.test", 2).await;
    let code = verify.code().expect("a code");
    let me = s
        .post(
            "/api/v1/me/contact/confirm",
            &session,
            json!({ "email": "mai@acme.test", "code": code }),
        )
        .await;
    assert_eq!(me.ok(200)["email_verified"], true);

    // Verified: the link arrives, works once, ends every session.
    s.req(
        "POST",
        "/api/v1/auth/password-reset",
        None,
        Some(json!({ "tenant": "acme", "email": "MAI@acme.test" })),
    )
    .await
    .ok(202);
    let reset = sink.nth("mai@acme.test", 3).await;
    assert!(reset.text.contains("/reset#token="), "{}", reset.text);
    let rtoken = reset.link_param("token").unwrap();
    let complete = |pw: &str| json!({ "token": rtoken, "new_password": pw });
    let r = s
        .req(
            "POST",
            "/api/v1/auth/password-reset/complete",
            None,
            Some(complete("short")),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    s.req(
        "POST",
        "/api/v1/auth/password-reset/complete",
        None,
        Some(complete("a brand new passphrase")),
    )
    .await
    .ok(204);
    s.get("/api/v1/me", &session).await.problem(401);
    s.login("acme", "mai@acme.test", "a brand new passphrase")
        .await
        .ok(200);
    let r = s
        .req(
            "POST",
            "/api/v1/auth/password-reset/complete",
            None,
            Some(complete("yet another passphrase")),
        )
        .await;
    assert_eq!(r.problem(400), "invalid_code");
    // The reset page is served.
    let page = s.http().get(s.url("/reset")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("data-mode=\"reset\""));
}
both!(invitations_and_password_reset_by_mail);

/// A new email needs the code sent to it; an address another account holds gets nothing.
async fn changing_email_needs_a_code(b: Backend) {
    let Some(sink) = SmtpSink::start().await else {
        return;
    };
    let Some(s) = server(b, Some(&sink), None, &[]).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, token) = s.staff(&t, "Binh").await;
    let (_, other_token) = s.staff(&t, "Chi").await;
    // Setting a new email directly is refused.
    let r = s
        .req(
            "PATCH",
            "/api/v1/me",
            Some(&token),
            Some(json!({ "email": "binh@new.test" })),
        )
        .await;
    r.problem(422);
    s.post(
        "/api/v1/me/contact/code",
        &token,
        json!({ "email": "binh@new.test" }),
    )
    .await
    .ok(202);
    let code = sink.nth("binh@new.test", 1).await.code().unwrap();
    // Someone else cannot use my code for the same address.
    let r = s
        .post(
            "/api/v1/me/contact/confirm",
            &other_token,
            json!({ "email": "binh@new.test", "code": code }),
        )
        .await;
    assert_eq!(r.problem(400), "invalid_code");
    let me = s
        .post(
            "/api/v1/me/contact/confirm",
            &token,
            json!({ "email": "binh@new.test", "code": code }),
        )
        .await;
    let me = me.ok(200);
    assert_eq!(me["email"], "binh@new.test");
    assert_eq!(me["email_verified"], true);
    // Another account's address: accepted, nothing sent, and no code can take it.
    s.post(
        "/api/v1/me/contact/code",
        &other_token,
        json!({ "email": "binh@new.test" }),
    )
    .await
    .ok(202);
    s.post(
        "/api/v1/me/contact/code",
        &other_token,
        json!({ "email": "chi@new.test" }),
    )
    .await
    .ok(202);
    sink.nth("chi@new.test", 1).await;
    assert_eq!(sink.to("binh@new.test").len(), 1);
    // An admin changing the email makes it unverified again.
    let id = me["id"].as_str().unwrap();
    let u = s
        .req(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            Some(&t.admin_token),
            Some(json!({ "email": "binh@admin.test" })),
        )
        .await;
    assert_eq!(u.ok(200)["email_verified"], false);
}
both!(changing_email_needs_a_code);

/// A mail server that is down only delays mail: the invitation waits in the outbox and goes
/// out once the server is up.
async fn mail_waits_for_a_server_that_is_down(b: Backend) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = smtp_env(port);
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("STOA_OUTBOX__RETRY_BASE_MS", "200"));
    let Some(s) = Server::start_with(b, &env).await else {
        return;
    };
    let t = s.tenant("acme").await;
    s.req(
        "POST",
        "/api/v1/users",
        Some(&t.admin_token),
        Some(json!({ "display_name": "Dung", "email": "dung@acme.test" })),
    )
    .await
    .ok(201);
    let Some(sink) = SmtpSink::start_on(port).await else {
        return;
    };
    let mail = sink.nth("dung@acme.test", 1).await;
    assert!(mail.text.contains("/invite#token="), "{}", mail.text);
}
both!(mail_waits_for_a_server_that_is_down);

/// The gateway goes through the outbound client: on loopback without the allow-list, the text
/// is refused (dead-lettered), never sent.
async fn the_gateway_must_be_allowed(b: Backend) {
    let gw = SmsGateway::start().await;
    let env: Vec<(String, String)> = gw
        .env()
        .into_iter()
        .filter(|(k, _)| k != "STOA_OUTBOUND__ALLOW_HOSTS")
        .collect();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("STOA_METRICS_TOKEN", METRICS_TOKEN));
    let Some(s) = Server::start_with(b, &env).await else {
        return;
    };
    let t = s.tenant("acme").await;
    open_registration(
        &s,
        &t,
        json!({ "mode": "open", "by_email": false, "by_phone": true,
                "email_domains": [], "phone_sign_in": false }),
    )
    .await;
    ask(
        &s,
        json!({ "tenant": "acme", "purpose": "register", "phone": "+84917000001" }),
    )
    .await
    .ok(202);
    s.eventually("the text is dead-lettered", || {
        let s = &s;
        async move {
            let m = s.metrics(METRICS_TOKEN).await;
            m.lines().any(|l| {
                l.starts_with("stoa_outbox_processed_total")
                    && l.contains("delivery.sms")
                    && l.contains("dead")
            })
        }
    })
    .await;
    assert_eq!(gw.attempts(), 0);
}
both!(the_gateway_must_be_allowed);
