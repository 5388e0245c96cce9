//! Two-factor sign-in over HTTP: one's own factor, the tenant's policy, an admin's reset.

use super::service;
use crate::{
    authn::Session,
    error::ApiResult,
    http::{ApiTags, NoContent},
    AppState,
};
use poem::web::Data;
use poem_openapi::{param::Path, payload::Json, Object, OpenApi};
use std::sync::Arc;

/// A factor being set up: scan the QR code (or type the secret) into an authenticator app,
/// then confirm with its first code.
#[derive(Debug, Object)]
pub struct Enrolment {
    /// Base32.
    pub secret: String,
    pub otpauth_uri: String,
    /// The `otpauth_uri` as a QR code (an SVG document).
    pub qr_svg: String,
}

impl From<service::Enrolment> for Enrolment {
    fn from(e: service::Enrolment) -> Self {
        Enrolment {
            secret: e.secret,
            otpauth_uri: e.otpauth_uri,
            qr_svg: e.qr_svg,
        }
    }
}

#[derive(Debug, Object)]
pub struct TwoFactorStatus {
    /// Sign-in asks for a code.
    pub enabled: bool,
    pub recovery_codes_left: i64,
    /// The tenant's policy requires it for this account (it cannot be turned off).
    pub required: bool,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct TotpCode {
    pub code: String,
}

#[derive(Debug, Object)]
pub struct RecoveryCodes {
    /// Ten single-use codes for when the device is lost; shown this once.
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DisableTwoFactor {
    pub password: String,
    pub code: String,
}

#[derive(Debug, Object)]
pub struct TwoFactorPolicy {
    /// `optional`, `admins` (accounts holding any permission the built-in staff role lacks) or
    /// `everyone`.
    pub policy: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct TwoFactorPolicyInput {
    pub policy: String,
}

#[derive(Default)]
pub struct TwoFactorApi;

#[OpenApi(tag = "ApiTags::Me")]
impl TwoFactorApi {
    /// My second factor
    #[oai(
        path = "/me/two-factor",
        method = "get",
        operation_id = "me_two_factor_get"
    )]
    async fn status(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<TwoFactorStatus>> {
        let (enabled, left, required) = service::status(&state, &auth.0).await?;
        Ok(Json(TwoFactorStatus {
            enabled,
            recovery_codes_left: left,
            required,
        }))
    }

    /// Set up a second factor
    ///
    /// A new secret for an authenticator app; sign-in asks for codes once it is confirmed.
    /// 409 while one is on.
    #[oai(
        path = "/me/two-factor/enrol",
        method = "post",
        operation_id = "me_two_factor_enrol"
    )]
    async fn enrol(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<Enrolment>> {
        Ok(Json(service::enrol(&state, &auth.0).await?.into()))
    }

    /// Confirm the second factor
    ///
    /// With the first code the app shows; answers the recovery codes (shown this once).
    #[oai(
        path = "/me/two-factor/confirm",
        method = "post",
        operation_id = "me_two_factor_confirm"
    )]
    async fn confirm(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<TotpCode>,
    ) -> ApiResult<Json<RecoveryCodes>> {
        let codes = service::confirm(&state, &auth.0, &body.0.code).await?;
        Ok(Json(RecoveryCodes {
            recovery_codes: codes,
        }))
    }

    /// Turn the second factor off
    ///
    /// With the password and a current code; refused (409) while the tenant requires it.
    #[oai(
        path = "/me/two-factor/disable",
        method = "post",
        operation_id = "me_two_factor_disable"
    )]
    async fn disable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<DisableTwoFactor>,
    ) -> ApiResult<NoContent> {
        service::disable(&state, &auth.0, &body.0.password, &body.0.code).await?;
        Ok(NoContent::Done)
    }
}

#[derive(Default)]
pub struct TwoFactorAdminApi;

#[OpenApi(tag = "ApiTags::Users")]
impl TwoFactorAdminApi {
    /// Reset someone's second factor
    ///
    /// For a lost device: the factor and its recovery codes go, and the person signs in with
    /// the password (setting up a new factor if the tenant requires one). Needs `users.manage`
    /// and every permission the account holds.
    #[oai(
        path = "/users/:id/two-factor/reset",
        method = "post",
        operation_id = "users_two_factor_reset"
    )]
    async fn reset(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        service::reset(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }

    /// Two-factor policy
    ///
    /// Who must sign in with a second factor. Needs `settings.manage`.
    #[oai(
        path = "/settings/two-factor",
        method = "get",
        operation_id = "two_factor_policy_get"
    )]
    async fn policy_get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<TwoFactorPolicy>> {
        Ok(Json(TwoFactorPolicy {
            policy: service::policy(&state, &auth.0).await?,
        }))
    }

    /// Change the two-factor policy
    ///
    /// From the next sign-in on, people it covers without a factor set one up before their
    /// session starts. Needs `settings.manage`.
    #[oai(
        path = "/settings/two-factor",
        method = "put",
        operation_id = "two_factor_policy_set"
    )]
    async fn policy_set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<TwoFactorPolicyInput>,
    ) -> ApiResult<Json<TwoFactorPolicy>> {
        Ok(Json(TwoFactorPolicy {
            policy: service::set_policy(&state, &auth.0, &body.0.policy).await?,
        }))
    }
}
