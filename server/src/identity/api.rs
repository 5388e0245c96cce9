//! Self-service identity over HTTP: codes, sign-up, phone sign-in, password reset by email,
//! proving a new email or phone, and the tenant's registration settings.

use super::{recovery, service, settings};
use crate::{
    authn::{ctx_of, Session},
    db::rfc3339,
    error::ApiResult,
    http::{ApiTags, NoContent},
    signin::api::LoginAnswer,
    users::api::User,
    AppState,
};
use poem::{web::Data, Request};
use poem_openapi::{payload::Json, ApiResponse, Object, OpenApi};
use std::sync::Arc;

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CodeRequest {
    /// The tenant's slug.
    pub tenant: String,
    /// `register` (sign up; needs open registration) or `sign_in` (a phone number; needs phone
    /// sign-in).
    pub purpose: String,
    /// Either an email address…
    pub email: Option<String>,
    /// …or an E.164 phone number.
    pub phone: Option<String>,
}

/// A code is on its way — if the address can use one. The answer is the same either way.
#[derive(Debug, Object)]
pub struct CodeSent {
    pub expires_at: String,
    /// Asking again for the same address sooner answers 429.
    pub resend_after_secs: i64,
}

impl From<service::CodeSent> for CodeSent {
    fn from(c: service::CodeSent) -> Self {
        CodeSent {
            expires_at: rfc3339(c.expires_at),
            resend_after_secs: c.resend_after_secs,
        }
    }
}

#[derive(ApiResponse)]
pub enum CodeAccepted {
    /// Accepted.
    #[oai(status = 202)]
    Accepted(Json<CodeSent>),
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RegisterRequest {
    pub tenant: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The 6-digit code sent to the address.
    pub code: String,
    #[oai(validator(max_length = 200))]
    pub display_name: String,
    /// Required unless registering by phone where phone sign-in is on.
    pub password: Option<String>,
    /// `en`, `vi` or `zh`.
    pub locale: Option<String>,
    pub device: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PhoneCodeLogin {
    pub tenant: String,
    /// E.164 phone number.
    pub phone: String,
    /// The 6-digit code sent by text message.
    pub code: String,
    pub device: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub tenant: String,
    pub email: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PasswordResetComplete {
    /// The token from the reset link.
    pub token: String,
    pub new_password: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ContactCodeRequest {
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ContactConfirm {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub code: String,
}

/// Who may join the tenant, and how.
#[derive(Debug, Object)]
pub struct RegistrationSettings {
    /// `invitation` (only admins add people) or `open` (people sign up with a code).
    pub mode: String,
    /// With `open`: sign-up by email (needs mail configured).
    pub by_email: bool,
    /// With `open`: sign-up by phone (needs text messages configured).
    pub by_phone: bool,
    /// Email domains allowed to sign up (empty: any), e.g. `["example.com"]`.
    pub email_domains: Vec<String>,
    /// Role given to people who sign up (absent: the built-in `staff` role). It may not hold
    /// admin permissions, and must be within the permissions of the admin who sets it.
    pub default_role_id: Option<String>,
    /// People may sign in with their phone number and a text-message code instead of the
    /// password.
    pub phone_sign_in: bool,
}

#[derive(Debug, Object)]
pub struct RegistrationSettingsView {
    #[oai(flatten)]
    pub settings: RegistrationSettings,
    pub updated_at: Option<String>,
}

impl From<settings::Registration> for RegistrationSettingsView {
    fn from(r: settings::Registration) -> Self {
        RegistrationSettingsView {
            settings: RegistrationSettings {
                mode: r.mode,
                by_email: r.by_email,
                by_phone: r.by_phone,
                email_domains: r.email_domains,
                default_role_id: r.default_role_id,
                phone_sign_in: r.phone_sign_in,
            },
            updated_at: (r.updated_at > 0).then(|| rfc3339(r.updated_at)),
        }
    }
}

#[derive(Default)]
pub struct IdentityApi;

#[OpenApi(tag = "ApiTags::Auth")]
impl IdentityApi {
    /// Ask for a one-time code
    ///
    /// Sends a 6-digit code by mail or text message, valid 10 minutes, for signing up or for
    /// signing in with a phone number. The answer never tells whether the address has an
    /// account. Limited per address (a cool-down, then an hourly quota), per client address
    /// and per tenant: 429 with `Retry-After`.
    #[oai(
        path = "/auth/codes",
        method = "post",
        operation_id = "auth_code_request"
    )]
    async fn code(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<CodeRequest>,
    ) -> ApiResult<CodeAccepted> {
        let b = body.0;
        let d = service::destination(b.email.as_deref(), b.phone.as_deref())?;
        let sent = service::request_code(&state, &ctx_of(req), &b.tenant, &b.purpose, d).await?;
        Ok(CodeAccepted::Accepted(Json(sent.into())))
    }

    /// Sign up with a code
    ///
    /// Creates the account with the tenant's default role and the address verified, then signs
    /// in (202 when the tenant requires a second factor first). A code works once; 5 wrong
    /// guesses end it.
    #[oai(
        path = "/auth/register",
        method = "post",
        operation_id = "auth_register"
    )]
    async fn register(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<RegisterRequest>,
    ) -> ApiResult<LoginAnswer> {
        let b = body.0;
        let destination = service::destination(b.email.as_deref(), b.phone.as_deref())?;
        let outcome = service::register(
            &state,
            &ctx_of(req),
            service::SignUp {
                tenant: b.tenant,
                destination,
                code: b.code,
                display_name: b.display_name,
                password: b.password,
                locale: b.locale,
                device: b.device.unwrap_or_default(),
            },
        )
        .await?;
        Ok(outcome.into())
    }

    /// Sign in with a phone code
    ///
    /// The code from `POST /auth/codes` with `purpose: sign_in`, when the tenant has phone
    /// sign-in on. Answers like `POST /auth/login`.
    #[oai(
        path = "/auth/login/code",
        method = "post",
        operation_id = "auth_login_code"
    )]
    async fn login_code(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<PhoneCodeLogin>,
    ) -> ApiResult<LoginAnswer> {
        let b = body.0;
        let outcome = service::sign_in_with_code(
            &state,
            &ctx_of(req),
            &b.tenant,
            &b.phone,
            &b.code,
            b.device.as_deref().unwrap_or(""),
        )
        .await?;
        Ok(outcome.into())
    }

    /// Forgot my password
    ///
    /// Mails a reset link (valid an hour, works once) to an active account with this verified
    /// email. The answer is the same whatever the address.
    #[oai(
        path = "/auth/password-reset",
        method = "post",
        operation_id = "auth_password_reset"
    )]
    async fn reset(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<PasswordResetRequest>,
    ) -> ApiResult<CodeAccepted> {
        let b = body.0;
        let sent =
            recovery::request_password_reset(&state, &ctx_of(req), &b.tenant, &b.email).await?;
        Ok(CodeAccepted::Accepted(Json(sent.into())))
    }

    /// Set a new password with a reset link
    ///
    /// Every session of the person ends; a second factor, if set up, is still asked for at the
    /// next sign-in.
    #[oai(
        path = "/auth/password-reset/complete",
        method = "post",
        operation_id = "auth_password_reset_complete"
    )]
    async fn reset_complete(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<PasswordResetComplete>,
    ) -> ApiResult<NoContent> {
        let b = body.0;
        recovery::complete_password_reset(&state, &ctx_of(req), &b.token, &b.new_password).await?;
        Ok(NoContent::Done)
    }
}

#[derive(Default)]
pub struct ContactApi;

#[OpenApi(tag = "ApiTags::Me")]
impl ContactApi {
    /// Send a code to a new email or phone
    ///
    /// To use a new address (or prove the current one), a code is sent to it; confirm it with
    /// `POST /me/contact/confirm`.
    #[oai(
        path = "/me/contact/code",
        method = "post",
        operation_id = "me_contact_code"
    )]
    async fn code(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<ContactCodeRequest>,
    ) -> ApiResult<CodeAccepted> {
        let d = service::destination(body.0.email.as_deref(), body.0.phone.as_deref())?;
        let sent = recovery::request_contact_code(&state, &auth.0, d).await?;
        Ok(CodeAccepted::Accepted(Json(sent.into())))
    }

    /// Confirm a new email or phone
    ///
    /// With the code sent to it, the address becomes mine, verified.
    #[oai(
        path = "/me/contact/confirm",
        method = "post",
        operation_id = "me_contact_confirm"
    )]
    async fn confirm(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<ContactConfirm>,
    ) -> ApiResult<Json<User>> {
        let b = body.0;
        let d = service::destination(b.email.as_deref(), b.phone.as_deref())?;
        let u = recovery::confirm_contact(&state, &auth.0, d, &b.code).await?;
        Ok(Json(u.into()))
    }
}

#[derive(Default)]
pub struct RegistrationApi;

#[OpenApi(tag = "ApiTags::Users")]
impl RegistrationApi {
    /// Registration settings
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/settings/registration",
        method = "get",
        operation_id = "registration_settings_get"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<RegistrationSettingsView>> {
        Ok(Json(settings::registration(&state, &auth.0).await?.into()))
    }

    /// Change the registration settings
    ///
    /// Needs `settings.manage`. Opening a channel needs its sender configured (409
    /// `delivery_not_configured`).
    #[oai(
        path = "/settings/registration",
        method = "put",
        operation_id = "registration_settings_set"
    )]
    async fn set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<RegistrationSettings>,
    ) -> ApiResult<Json<RegistrationSettingsView>> {
        let b = body.0;
        let r = settings::set_registration(
            &state,
            &auth.0,
            settings::Registration {
                mode: b.mode,
                by_email: b.by_email,
                by_phone: b.by_phone,
                email_domains: b.email_domains,
                default_role_id: b.default_role_id,
                phone_sign_in: b.phone_sign_in,
                updated_at: 0,
            },
        )
        .await?;
        Ok(Json(r.into()))
    }
}
