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
use poem_openapi::{payload::Json, Object, OpenApi};
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
    ) -> ApiResult<Json<LoginResponse>> {
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
        Ok(Json(s.into()))
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
    ) -> ApiResult<Json<LoginResponse>> {
        let b = body.0;
        let s = service::accept_invitation(
            &state,
            &ctx_of(req),
            &b.token,
            &b.password,
            b.device.as_deref().unwrap_or(""),
        )
        .await?;
        Ok(Json(s.into()))
    }
}
