//! `/auth`: sign-in, sign-out, accepting invitations.

use super::service;
use crate::{
    authn::{ctx_of, SessionPendingConsent},
    db::rfc3339,
    error::ApiResult,
    http::{ApiTags, NoContent},
    users::api::User,
    AppState,
};
use poem::{web::Data, Request};
use poem_openapi::{payload::Json, ApiResponse, Object, OpenApi};
use std::sync::Arc;

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LoginRequest {
    /// The tenant's slug.
    pub tenant: String,
    /// Email address or E.164 phone number.
    pub login: String,
    pub password: String,
    /// A name for this device, shown in the session list.
    pub device: Option<String>,
}

/// A new session. Send the token as `Authorization: Bearer <token>`.
#[derive(Debug, Object)]
pub struct LoginResponse {
    pub token: String,
    pub session_id: String,
    pub expires_at: String,
    pub user: User,
}

impl From<service::NewSession> for LoginResponse {
    fn from(s: service::NewSession) -> Self {
        LoginResponse {
            token: s.token,
            session_id: s.session_id,
            expires_at: rfc3339(s.expires_at),
            user: s.user.into(),
        }
    }
}

/// The password was right; a second factor comes before the session.
#[derive(Debug, Object)]
pub struct SecondFactorChallenge {
    /// Give it back with the code (`POST /auth/login/second-factor`) or, for `enrol`, set up a
    /// factor with it (`POST /auth/login/enrol`, then `/auth/login/enrol/confirm`). Valid 5
    /// minutes, at most 5 wrong answers, works once.
    pub challenge: String,
    /// `totp`: give a code from the authenticator app (or a recovery code); `enrol`: the tenant
    /// requires two-factor sign-in and this account has no factor yet.
    pub second_factor: String,
    pub expires_at: String,
}

impl From<crate::mfa::service::Challenge> for SecondFactorChallenge {
    fn from(c: crate::mfa::service::Challenge) -> Self {
        SecondFactorChallenge {
            challenge: c.token,
            second_factor: c.kind.into(),
            expires_at: rfc3339(c.expires_at),
        }
    }
}

#[derive(ApiResponse)]
pub enum LoginAnswer {
    /// Signed in.
    #[oai(status = 200)]
    Session(Json<Box<LoginResponse>>),
    /// A second factor is needed first.
    #[oai(status = 202)]
    SecondFactor(Json<SecondFactorChallenge>),
}

impl From<service::Outcome> for LoginAnswer {
    fn from(o: service::Outcome) -> Self {
        match o {
            service::Outcome::Session(s) => LoginAnswer::Session(Json(Box::new((*s).into()))),
            service::Outcome::Challenge(c) => LoginAnswer::SecondFactor(Json(c.into())),
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SecondFactorAnswer {
    pub challenge: String,
    /// The 6-digit code from the authenticator app…
    pub code: Option<String>,
    /// …or one of the recovery codes (each works once).
    pub recovery_code: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct EnrolWithChallenge {
    pub challenge: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ConfirmWithChallenge {
    pub challenge: String,
    /// The first code the authenticator app shows.
    pub code: String,
}

/// Signed in, with the recovery codes of the factor just set up (shown this once).
#[derive(Debug, Object)]
pub struct EnrolledSession {
    pub session: LoginResponse,
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The token from the invitation link.
    pub token: String,
    /// The password to set.
    pub password: String,
    pub device: Option<String>,
}

#[derive(Default)]
pub struct AuthApi;

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthApi {
    /// Sign in
    ///
    /// Failed attempts are throttled per account and per client address (429 with
    /// `Retry-After`); the error never tells whether an account exists.
    #[oai(path = "/auth/login", method = "post", operation_id = "auth_login")]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<LoginRequest>,
    ) -> ApiResult<LoginAnswer> {
        let b = body.0;
        let s = service::login(
            &state,
            &ctx_of(req),
            &b.tenant,
            &b.login,
            &b.password,
            b.device.as_deref().unwrap_or(""),
        )
        .await?;
        Ok(s.into())
    }

    /// Sign in: the second factor
    ///
    /// Answers a `totp` challenge from `POST /auth/login` with a code or a recovery code. A
    /// code works once; 5 wrong answers end the challenge.
    #[oai(
        path = "/auth/login/second-factor",
        method = "post",
        operation_id = "auth_login_second_factor"
    )]
    async fn second_factor(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<SecondFactorAnswer>,
    ) -> ApiResult<Json<LoginResponse>> {
        let b = body.0;
        let s = service::second_factor(
            &state,
            &ctx_of(req),
            &b.challenge,
            b.code.as_deref(),
            b.recovery_code.as_deref(),
        )
        .await?;
        Ok(Json(s.into()))
    }

    /// Sign in: set up the required second factor
    ///
    /// With an `enrol` challenge (the tenant requires two-factor sign-in): the secret, its
    /// `otpauth://` URI and a QR code (SVG) for an authenticator app.
    #[oai(
        path = "/auth/login/enrol",
        method = "post",
        operation_id = "auth_login_enrol"
    )]
    async fn enrol(
        &self,
        state: Data<&Arc<AppState>>,
        body: Json<EnrolWithChallenge>,
    ) -> ApiResult<Json<crate::mfa::api::Enrolment>> {
        let e = crate::mfa::service::enrol_challenge(&state, &body.0.challenge).await?;
        Ok(Json(e.into()))
    }

    /// Sign in: confirm the new second factor
    ///
    /// The first code confirms the factor and signs in; the answer carries the recovery codes.
    #[oai(
        path = "/auth/login/enrol/confirm",
        method = "post",
        operation_id = "auth_login_enrol_confirm"
    )]
    async fn enrol_confirm(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<ConfirmWithChallenge>,
    ) -> ApiResult<Json<EnrolledSession>> {
        let b = body.0;
        let (s, codes) =
            service::enrol_and_sign_in(&state, &ctx_of(req), &b.challenge, &b.code).await?;
        Ok(Json(EnrolledSession {
            session: s.into(),
            recovery_codes: codes,
        }))
    }

    /// Sign out
    ///
    /// Ends this session; the token answers 401 from now on. Works while consent to the privacy
    /// policy is pending.
    #[oai(path = "/auth/logout", method = "post", operation_id = "auth_logout")]
    async fn logout(
        &self,
        state: Data<&Arc<AppState>>,
        auth: SessionPendingConsent,
    ) -> ApiResult<NoContent> {
        crate::authn::service::logout(&state, &auth.0).await?;
        Ok(NoContent::Done)
    }

    /// Accept an invitation
    ///
    /// Sets the password, activates the account and signs in. Each link works once.
    #[oai(
        path = "/auth/invitations/accept",
        method = "post",
        operation_id = "auth_accept_invitation"
    )]
    async fn accept(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<AcceptInvitation>,
    ) -> ApiResult<LoginAnswer> {
        let b = body.0;
        let s = service::accept_invitation(
            &state,
            &ctx_of(req),
            &b.token,
            &b.password,
            b.device.as_deref().unwrap_or(""),
        )
        .await?;
        Ok(s.into())
    }
}
