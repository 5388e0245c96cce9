//! `/setup`: first-run setup.

use crate::{
    authn::{self, ctx_of, InstallActor},
    error::ApiResult,
    http::{validate, ApiTags},
    tenants, users, AppState,
};
use poem::{web::Data, Request};
use poem_openapi::{payload::Json, ApiResponse, Object, OpenApi};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct SetupStatus {
    /// True while the install has no tenant.
    pub required: bool,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetupRequest {
    /// The one-time token from the server log.
    pub setup_token: String,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub admin_email: String,
    pub admin_name: Option<String>,
    pub admin_password: String,
}

#[derive(ApiResponse)]
pub enum SetupResponse {
    /// The tenant exists and the admin is signed in.
    #[oai(status = 201)]
    Created(Json<crate::signin::api::LoginResponse>),
}

#[derive(Default)]
pub struct SetupApi;

#[OpenApi(tag = "ApiTags::Setup")]
impl SetupApi {
    /// Whether first-run setup is still needed
    #[oai(path = "/setup", method = "get", operation_id = "setup_status")]
    async fn status(&self, state: Data<&Arc<AppState>>) -> ApiResult<Json<SetupStatus>> {
        Ok(Json(SetupStatus {
            required: super::required(&state.db).await?,
        }))
    }

    /// Create the first tenant and its admin
    ///
    /// Needs the one-time setup token printed in the log at start; refused with `setup_done`
    /// once any tenant exists.
    #[oai(path = "/setup", method = "post", operation_id = "setup_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<SetupRequest>,
    ) -> ApiResult<SetupResponse> {
        let b = body.0;
        let ctx = ctx_of(req);
        // Validate before the token is spent.
        let slug = tenants::service::validate_slug(&b.tenant_slug)?;
        validate::text("tenant_name", &b.tenant_name, 200)?;
        users::validate::email("admin_email", &b.admin_email)?;
        authn::password::validate("admin_password", &b.admin_password)?;
        let proof = super::consume(&state.db, &b.setup_token, ctx.clone()).await?;
        let input = tenants::service::NewTenant {
            slug: slug.clone(),
            name: b.tenant_name,
            admin_email: b.admin_email.clone(),
            admin_name: b.admin_name.unwrap_or_default(),
            admin_password: Some(b.admin_password.clone()),
        };
        tenants::service::create(&state, InstallActor::Setup(&proof), input).await?;
        let session = crate::signin::service::login(
            &state,
            &ctx,
            &slug,
            &b.admin_email,
            &b.admin_password,
            "setup",
        )
        .await?;
        // A new tenant requires no second factor and its admin has none.
        let crate::signin::service::Outcome::Session(session) = session else {
            return Err(crate::error::ApiError::internal(
                "a new tenant's admin was asked for a second factor",
            ));
        };
        Ok(SetupResponse::Created(Json((*session).into())))
    }
}
