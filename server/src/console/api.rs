//! `/auth/browser/…`: the admin console's sign-in. The same steps as the bearer sign-in
//! (password, second factor, setting up a required factor, single sign-on), calling the same
//! services, but a session ends in an HttpOnly `SameSite=Strict` cookie instead of a token in
//! the body; the body carries the session's CSRF token instead. `/auth/sign-in/{tenant}` tells
//! a sign-in page what a tenant offers.

use crate::{
    authn::{self, browser, ctx_of, SessionPendingConsent},
    db::{now_ms, rfc3339},
    error::{ApiError, ApiResult},
    http::ApiTags,
    signin::{
        api::{ConfirmWithChallenge, LoginRequest, SecondFactorAnswer, SecondFactorChallenge},
        service::{self as signin, NewSession, Outcome},
    },
    sso::api::SsoExchange,
    AppState,
};
use poem::{web::Data, Request};
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

/// A browser session (the cookie holds its token, out of reach of scripts).
#[derive(Debug, Object)]
pub struct BrowserSession {
    /// Send it as `X-CSRF-Token` with every request that is not GET, HEAD or OPTIONS while
    /// the cookie signs you in. It stays the same for the whole session.
    pub csrf_token: String,
    pub session_id: String,
    /// The tenant's slug.
    pub tenant: String,
    pub user_id: String,
    /// The session ends then whatever its use (absolute expiry).
    pub expires_at: String,
    /// The session also ends after this many seconds without a request (idle expiry).
    pub idle_timeout_secs: i64,
    /// The person must accept the tenant's privacy policy first (`GET /privacy/policy`,
    /// `POST /privacy/policy/accept`); other operations answer 403 `consent_required`.
    pub consent_pending: bool,
}

/// A browser session with the recovery codes of the factor just set up (shown this once).
#[derive(Debug, Object)]
pub struct BrowserEnrolledSession {
    pub session: BrowserSession,
    pub recovery_codes: Vec<String>,
}

#[derive(ApiResponse)]
pub enum BrowserSignIn {
    /// Signed in: `Set-Cookie` carries the session.
    #[oai(status = 200)]
    Session(Json<BrowserSession>, #[oai(header = "Set-Cookie")] String),
    /// A second factor is needed first (`POST /auth/browser/login/second-factor`, or for
    /// `enrol` the `POST /auth/login/enrol` then `/auth/browser/login/enrol/confirm`).
    #[oai(status = 202)]
    SecondFactor(Json<SecondFactorChallenge>),
}

#[derive(ApiResponse)]
pub enum BrowserSignedIn {
    /// Signed in: `Set-Cookie` carries the session.
    #[oai(status = 200)]
    Session(Json<BrowserSession>, #[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
pub enum BrowserEnrolled {
    /// Signed in: `Set-Cookie` carries the session.
    #[oai(status = 200)]
    Session(
        Json<BrowserEnrolledSession>,
        #[oai(header = "Set-Cookie")] String,
    ),
}

#[derive(ApiResponse)]
pub enum BrowserSignedOut {
    /// Signed out: `Set-Cookie` removes the cookie.
    #[oai(status = 204)]
    Done(#[oai(header = "Set-Cookie")] String),
}

/// What a tenant's sign-in page offers. An unknown tenant looks like one that offers only
/// passwords, so the answer never tells whether a tenant exists.
#[derive(Debug, Object)]
pub struct SignInMethods {
    /// The slug asked for, normalised.
    pub tenant: String,
    /// Email or phone and password (`POST /auth/browser/login`): always.
    pub password: bool,
    /// A one-time code by text message (`POST /auth/codes`, then `POST /auth/login/code`).
    pub phone_code: bool,
    /// Single sign-on: show the button.
    pub sso: bool,
    /// Where the button goes (a full-page navigation, not `fetch`); the provider returns the
    /// browser to `/admin/sso#code=…` for `POST /auth/browser/sso/exchange`.
    pub sso_start: Option<String>,
    /// `invitation` or `open`: whether people may register themselves.
    pub registration: String,
    /// The two-factor policy: `optional`, `admins` (admins need a second factor) or
    /// `everyone`. A required factor is asked for (or set up) after the password.
    pub two_factor: String,
}

fn view(state: &AppState, p: &authn::Principal, token: &str, expires_at: i64) -> BrowserSession {
    BrowserSession {
        csrf_token: browser::csrf_token(token),
        session_id: p.session_id.clone(),
        tenant: p.tenant_slug.clone(),
        user_id: p.user_id.clone(),
        expires_at: rfc3339(expires_at),
        idle_timeout_secs: state.cfg.session.idle_timeout_secs,
        consent_pending: p.consent_pending,
    }
}

/// The new session as a cookie and its view.
async fn started(
    state: &AppState,
    req: &Request,
    s: &NewSession,
) -> ApiResult<(BrowserSession, String)> {
    let p = authn::resolve(state, &s.token, ctx_of(req)).await?;
    let cookie = browser::set_cookie(state, req, &s.token, (s.expires_at - now_ms()) / 1000);
    Ok((view(state, &p, &s.token, s.expires_at), cookie))
}

async fn answer(state: &AppState, req: &Request, o: Outcome) -> ApiResult<BrowserSignIn> {
    match o {
        Outcome::Session(s) => {
            let (v, cookie) = started(state, req, &s).await?;
            Ok(BrowserSignIn::Session(Json(v), cookie))
        }
        Outcome::Challenge(c) => Ok(BrowserSignIn::SecondFactor(Json(c.into()))),
    }
}

/// The token the request was authenticated with: the cookie's (turned into the bearer header
/// by `authn::browser`) or a bearer token's.
fn request_token(req: &Request) -> ApiResult<String> {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string())
        .ok_or_else(ApiError::unauthenticated)
}

fn slug_of(raw: &str) -> ApiResult<String> {
    let slug = raw.trim().to_lowercase();
    if slug.is_empty()
        || slug.len() > 100
        || !slug
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::validation("tenant", "not a tenant slug"));
    }
    Ok(slug)
}

#[derive(Default)]
pub struct BrowserApi;

#[OpenApi(tag = "ApiTags::Auth")]
impl BrowserApi {
    /// Sign in (browser)
    ///
    /// `POST /auth/login` for the admin console: the session comes as an HttpOnly,
    /// `SameSite=Strict` cookie and the answer carries its CSRF token. Refused (403
    /// `csrf_failed`) when the browser says the request comes from another site.
    #[oai(
        path = "/auth/browser/login",
        method = "post",
        operation_id = "auth_browser_login"
    )]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<LoginRequest>,
    ) -> ApiResult<BrowserSignIn> {
        let b = body.0;
        let o = signin::login(
            &state,
            &ctx_of(req),
            &b.tenant,
            &b.login,
            &b.password,
            b.device.as_deref().unwrap_or(""),
        )
        .await?;
        answer(&state, req, o).await
    }

    /// Sign in (browser): the second factor
    #[oai(
        path = "/auth/browser/login/second-factor",
        method = "post",
        operation_id = "auth_browser_login_second_factor"
    )]
    async fn second_factor(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<SecondFactorAnswer>,
    ) -> ApiResult<BrowserSignedIn> {
        let b = body.0;
        let s = signin::second_factor(
            &state,
            &ctx_of(req),
            &b.challenge,
            b.code.as_deref(),
            b.recovery_code.as_deref(),
        )
        .await?;
        let (v, cookie) = started(&state, req, &s).await?;
        Ok(BrowserSignedIn::Session(Json(v), cookie))
    }

    /// Sign in (browser): confirm the new second factor
    ///
    /// After `POST /auth/login/enrol` with an `enrol` challenge: the first code confirms the
    /// factor and signs in; the answer carries the recovery codes.
    #[oai(
        path = "/auth/browser/login/enrol/confirm",
        method = "post",
        operation_id = "auth_browser_login_enrol_confirm"
    )]
    async fn enrol_confirm(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<ConfirmWithChallenge>,
    ) -> ApiResult<BrowserEnrolled> {
        let b = body.0;
        let (s, codes) =
            signin::enrol_and_sign_in(&state, &ctx_of(req), &b.challenge, &b.code).await?;
        let (v, cookie) = started(&state, req, &s).await?;
        Ok(BrowserEnrolled::Session(
            Json(BrowserEnrolledSession {
                session: v,
                recovery_codes: codes,
            }),
            cookie,
        ))
    }

    /// Sign in (browser) with single sign-on
    ///
    /// The code from `/admin/sso#code=…` (works once, for 60 seconds) for a browser session,
    /// or the second factor the tenant requires first.
    #[oai(
        path = "/auth/browser/sso/exchange",
        method = "post",
        operation_id = "auth_browser_sso_exchange"
    )]
    async fn sso_exchange(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<SsoExchange>,
    ) -> ApiResult<BrowserSignIn> {
        let b = body.0;
        let o = crate::sso::flow::exchange(
            &state,
            &ctx_of(req),
            &b.code,
            b.device.as_deref().unwrap_or(""),
        )
        .await?;
        answer(&state, req, o).await
    }

    /// The browser session
    ///
    /// The session the cookie carries, with its CSRF token (after a page reload the console
    /// reads it here). 401 when there is none, or it ended (the cookie is then removed).
    #[oai(
        path = "/auth/browser/session",
        method = "get",
        operation_id = "auth_browser_session"
    )]
    async fn session(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        auth: SessionPendingConsent,
    ) -> ApiResult<Json<BrowserSession>> {
        let p = auth.0;
        let token = request_token(req)?;
        let expires_at = authn::service::sessions(&state, &p)
            .await?
            .into_iter()
            .find(|s| s.id == p.session_id)
            .map(|s| s.expires_at)
            .ok_or_else(ApiError::unauthenticated)?;
        Ok(Json(view(&state, &p, &token, expires_at)))
    }

    /// Sign out (browser)
    ///
    /// Ends this session and removes the cookie; with `everywhere=true`, ends every session of
    /// this person (browsers and apps alike). Works while consent to the privacy policy is
    /// pending.
    #[oai(
        path = "/auth/browser/logout",
        method = "post",
        operation_id = "auth_browser_logout"
    )]
    async fn logout(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        auth: SessionPendingConsent,
        /// End every session of mine, not only this one.
        everywhere: Query<Option<bool>>,
    ) -> ApiResult<BrowserSignedOut> {
        if everywhere.0.unwrap_or(false) {
            authn::service::logout_everywhere(&state, &auth.0).await?;
        } else {
            authn::service::logout(&state, &auth.0).await?;
        }
        Ok(BrowserSignedOut::Done(browser::clear_cookie(&state, req)))
    }

    /// What a tenant's sign-in page offers
    ///
    /// Which ways of signing in the tenant has (password, phone code, single sign-on) and
    /// whether a second factor is required. Answers the same for an unknown tenant as for one
    /// that offers only passwords.
    #[oai(
        path = "/auth/sign-in/:tenant",
        method = "get",
        operation_id = "auth_sign_in_methods"
    )]
    async fn methods(
        &self,
        state: Data<&Arc<AppState>>,
        /// The tenant's slug.
        tenant: Path<String>,
    ) -> ApiResult<Json<SignInMethods>> {
        let slug = slug_of(&tenant.0)?;
        let mut conn = state.db.conn().await?;
        let found = crate::tenants::service::by_slug(&mut conn, &slug)
            .await?
            .filter(|t| t.status == "active");
        let mut m = SignInMethods {
            tenant: slug.clone(),
            password: true,
            phone_code: false,
            sso: false,
            sso_start: None,
            registration: "invitation".into(),
            two_factor: "optional".into(),
        };
        if let Some(t) = found {
            let r = crate::identity::settings::offered(&state, &mut conn, &t.id).await?;
            m.phone_code = r.phone_sign_in;
            m.registration = r.mode;
            m.two_factor = crate::mfa::service::policy_of(&mut conn, &t.id).await?;
            m.sso = crate::sso::settings::enabled(&mut conn, &t.id).await?;
            if m.sso {
                let back: String = url::form_urlencoded::byte_serialize(
                    crate::sso::flow::console_return(&state).as_bytes(),
                )
                .collect();
                m.sso_start = Some(format!(
                    "{}/api/v1/auth/sso/{slug}/start?client=browser&return_to={back}",
                    state.cfg.public_url.trim_end_matches('/')
                ));
            }
        }
        Ok(Json(m))
    }
}
