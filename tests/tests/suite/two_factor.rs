//! Two-factor sign-in (TOTP): setting it up, signing in with a code or a recovery code, each
//! code working once, brute force ending a challenge, the tenant's policy, an admin's reset.

use crate::both;
use crate::common::{Backend, Server, PASSWORD};
use serde_json::{json, Value};

/// The code an authenticator app shows for `secret` (base32), `ahead` steps from now.
pub(crate) fn code(secret: &str, ahead: i64) -> String {
    let raw = totp_rs::Secret::Encoded(secret.to_string())
        .to_bytes()
        .expect("base32 secret");
    let t =
        totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 0, 30, raw, None, String::new());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    t.generate(((now / 30 + ahead) * 30) as u64)
}

/// Set up and confirm a factor for the holder of `token`: (secret, recovery codes).
pub(crate) async fn enrol(s: &Server, token: &str) -> (String, Vec<String>) {
    let e = s
        .post("/api/v1/me/two-factor/enrol", token, json!({}))
        .await;
    let e = e.ok(200).clone();
    assert!(e["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));
    assert!(e["qr_svg"].as_str().unwrap().contains("<svg"));
    let secret = e["secret"].as_str().unwrap().to_string();
    let r = s
        .post(
            "/api/v1/me/two-factor/confirm",
            token,
            json!({ "code": code(&secret, 0) }),
        )
        .await;
    let codes: Vec<String> = r.ok(200)["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (secret, codes)
}

async fn login(s: &Server, login: &str) -> (u16, Value) {
    let r = s.login("acme", login, PASSWORD).await;
    (r.status, r.body.clone())
}

async fn answer(s: &Server, challenge: &str, body: Value) -> u16 {
    let mut body = body;
    body["challenge"] = json!(challenge);
    s.req("POST", "/api/v1/auth/login/second-factor", None, Some(body))
        .await
        .status
}

async fn sign_in_with_codes(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, bob) = s.staff(&t, "Bob").await;
    let (secret, recovery) = enrol(&s, &bob).await;
    assert_eq!(recovery.len(), 10);
    let st = s.get("/api/v1/me/two-factor", &bob).await;
    assert_eq!(st.ok(200)["enabled"], true);
    assert_eq!(st.body["recovery_codes_left"], 10);

    // The password alone gives a challenge, not a session.
    let (status, c) = login(&s, "bob@acme.test").await;
    assert_eq!(status, 202, "{c}");
    assert_eq!(c["second_factor"], "totp");
    assert!(c.get("token").is_none());
    let ch = c["challenge"].as_str().unwrap().to_string();
    assert_eq!(answer(&s, &ch, json!({ "code": "000000" })).await, 401);
    let next = code(&secret, 1);
    let r = s
        .req(
            "POST",
            "/api/v1/auth/login/second-factor",
            None,
            Some(json!({ "challenge": ch, "code": next })),
        )
        .await;
    let tok = r.ok(200)["token"].as_str().unwrap().to_string();
    assert_eq!(s.get("/api/v1/me", &tok).await.status, 200);
    // The challenge is used up; the code works once, even with a new challenge.
    assert_eq!(answer(&s, &ch, json!({ "code": next })).await, 401);
    let (_, c) = login(&s, "bob@acme.test").await;
    let ch = c["challenge"].as_str().unwrap().to_string();
    assert_eq!(answer(&s, &ch, json!({ "code": next })).await, 401);
    // A recovery code works, once.
    assert_eq!(
        answer(
            &s,
            &ch,
            json!({ "recovery_code": recovery[0].to_uppercase() })
        )
        .await,
        200
    );
    let (_, c) = login(&s, "bob@acme.test").await;
    let ch = c["challenge"].as_str().unwrap().to_string();
    assert_eq!(
        answer(&s, &ch, json!({ "recovery_code": recovery[0] })).await,
        401
    );
    // Five wrong answers end the challenge: the right code no longer helps.
    for _ in 0..4 {
        assert_eq!(answer(&s, &ch, json!({ "code": "123456" })).await, 401);
    }
    assert_eq!(
        answer(&s, &ch, json!({ "recovery_code": recovery[1] })).await,
        401
    );
    // Both at once, or neither, is bad input.
    let (_, c) = login(&s, "bob@acme.test").await;
    let ch = c["challenge"].as_str().unwrap().to_string();
    let r = s
        .req(
            "POST",
            "/api/v1/auth/login/second-factor",
            None,
            Some(json!({ "challenge": ch })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");

    // Two answers of one challenge at once: exactly one session.
    let (_, c) = login(&s, "bob@acme.test").await;
    let ch = c["challenge"].as_str().unwrap().to_string();
    let r1 = answer(&s, &ch, json!({ "recovery_code": recovery[2] }));
    let r2 = answer(&s, &ch, json!({ "recovery_code": recovery[3] }));
    let (a, b2) = tokio::join!(r1, r2);
    assert_eq!([a, b2].iter().filter(|x| **x == 200).count(), 1, "{a} {b2}");

    // Turning it off needs the password and a code.
    let r = s
        .post(
            "/api/v1/me/two-factor/disable",
            &tok,
            json!({ "password": "wrong password!", "code": code(&secret, 1) }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    s.eventually("a fresh time step", || async {
        let r = s
            .post(
                "/api/v1/me/two-factor/disable",
                &tok,
                json!({ "password": PASSWORD, "code": code(&secret, 1) }),
            )
            .await;
        r.status == 204
    })
    .await;
    let (status, _) = login(&s, "bob@acme.test").await;
    assert_eq!(status, 200);
}
both!(sign_in_with_codes);

async fn policy_and_reset(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let admin = t.admin_token.clone();
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let other = s.tenant("other").await;
    let set = |p: &'static str| {
        s.req(
            "PUT",
            "/api/v1/settings/two-factor",
            Some(&admin),
            Some(json!({ "policy": p })),
        )
    };
    assert_eq!(set("sometimes").await.problem(422), "validation_failed");
    set("admins").await.ok(200);
    assert_eq!(
        s.get("/api/v1/settings/two-factor", &bob)
            .await
            .problem(403),
        "forbidden"
    );
    // Staff sign in as before; the admin must set up a factor first.
    assert_eq!(login(&s, "bob@acme.test").await.0, 200);
    let (status, c) = login(&s, &t.admin_email).await;
    assert_eq!((status, c["second_factor"].as_str()), (202, Some("enrol")));
    let ch = c["challenge"].as_str().unwrap().to_string();
    // The enrol challenge is no second factor.
    assert_eq!(answer(&s, &ch, json!({ "code": "123456" })).await, 401);
    let e = s
        .req(
            "POST",
            "/api/v1/auth/login/enrol",
            None,
            Some(json!({ "challenge": ch })),
        )
        .await;
    let secret = e.ok(200)["secret"].as_str().unwrap().to_string();
    let r = s
        .req(
            "POST",
            "/api/v1/auth/login/enrol/confirm",
            None,
            Some(json!({ "challenge": ch, "code": code(&secret, 0) })),
        )
        .await;
    let r = r.ok(200).clone();
    assert_eq!(r["recovery_codes"].as_array().unwrap().len(), 10);
    let admin = r["session"]["token"].as_str().unwrap().to_string();
    // Required: it cannot be turned off.
    let st = s.get("/api/v1/me/two-factor", &admin).await;
    assert_eq!(st.ok(200)["required"], true);
    let r = s
        .post(
            "/api/v1/me/two-factor/disable",
            &admin,
            json!({ "password": PASSWORD, "code": code(&secret, 1) }),
        )
        .await;
    assert_eq!(r.problem(409), "conflict");

    // Everyone: Bob enrols at his next sign-in; a reset sends him through enrolment again.
    s.req(
        "PUT",
        "/api/v1/settings/two-factor",
        Some(&admin),
        Some(json!({ "policy": "everyone" })),
    )
    .await
    .ok(200);
    let (status, c) = login(&s, "bob@acme.test").await;
    assert_eq!((status, c["second_factor"].as_str()), (202, Some("enrol")));
    let reset = format!("/api/v1/users/{bob_id}/two-factor/reset");
    assert_eq!(
        s.post(&reset, &bob, json!({})).await.problem(403),
        "forbidden"
    );
    assert_eq!(
        s.post(&reset, &other.admin_token, json!({})).await.status,
        404
    );
    let (_, codes) = enrol(&s, &bob).await;
    assert_eq!(codes.len(), 10);
    let (_, c) = login(&s, "bob@acme.test").await;
    assert_eq!(c["second_factor"], "totp");
    assert_eq!(s.post(&reset, &admin, json!({})).await.status, 204);
    let (_, c) = login(&s, "bob@acme.test").await;
    assert_eq!(c["second_factor"], "enrol");
    let audit = s
        .get("/api/v1/audit?action=user.two_factor_reset", &admin)
        .await;
    assert_eq!(audit.ok(200)["items"].as_array().unwrap().len(), 1);
}
both!(policy_and_reset);
