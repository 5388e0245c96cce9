//! `/operator/tenants`: install-wide tenant management with the operator credential.

use super::{service, store::TenantRow};
use crate::{
    authn::{InstallActor, Operator},
    db::rfc3339,
    error::ApiResult,
    http::ApiTags,
    users::api::{InvitationLink, User},
    AppState,
};
use poem::web::Data;
use poem_openapi::{param::Path, param::Query, payload::Json, ApiResponse, Object, OpenApi};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct Tenant {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// `active` or `suspended`.
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<TenantRow> for Tenant {
    fn from(t: TenantRow) -> Self {
        Tenant {
            id: t.id,
            slug: t.slug,
            name: t.name,
            status: t.status,
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct TenantSummary {
    #[oai(flatten)]
    pub tenant: Tenant,
    pub users: i64,
}

#[derive(Debug, Object)]
pub struct TenantPage {
    pub items: Vec<TenantSummary>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateTenant {
    /// Lowercase letters, digits and dashes; people type it to sign in.
    pub slug: String,
    pub name: String,
    pub admin_email: String,
    pub admin_name: Option<String>,
    /// Set the first admin's password now; omitted, the admin gets an invitation link.
    pub admin_password: Option<String>,
}

#[derive(Debug, Object)]
pub struct CreatedTenant {
    pub tenant: Tenant,
    pub admin: User,
    pub invitation: Option<InvitationLink>,
}

#[derive(ApiResponse)]
pub enum CreateTenantResponse {
    #[oai(status = 201)]
    Created(Json<CreatedTenant>),
}

#[derive(Default)]
pub struct OperatorApi;

#[OpenApi(tag = "ApiTags::Operator")]
impl OperatorApi {
    /// List tenants
    #[oai(
        path = "/operator/tenants",
        method = "get",
        operation_id = "operator_tenants_list"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        op: Operator,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<TenantPage>> {
        let (rows, next) = service::list(&state, &op.0, cursor.0.as_deref(), limit.0).await?;
        Ok(Json(TenantPage {
            items: rows
                .into_iter()
                .map(|(t, users)| TenantSummary {
                    tenant: t.into(),
                    users,
                })
                .collect(),
            next_cursor: next,
        }))
    }

    /// Create a tenant with its first admin
    #[oai(
        path = "/operator/tenants",
        method = "post",
        operation_id = "operator_tenants_create"
    )]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        op: Operator,
        body: Json<CreateTenant>,
    ) -> ApiResult<CreateTenantResponse> {
        let b = body.0;
        let created = service::create(
            &state,
            InstallActor::Operator(&op.0),
            service::NewTenant {
                slug: b.slug,
                name: b.name,
                admin_email: b.admin_email,
                admin_name: b.admin_name.unwrap_or_default(),
                admin_password: b.admin_password,
            },
        )
        .await?;
        Ok(CreateTenantResponse::Created(Json(CreatedTenant {
            tenant: created.tenant.into(),
            admin: created.admin.into(),
            invitation: created.invitation.map(Into::into),
        })))
    }

    /// Read a tenant (by id or slug)
    #[oai(
        path = "/operator/tenants/:id",
        method = "get",
        operation_id = "operator_tenants_get"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        op: Operator,
        id: Path<String>,
    ) -> ApiResult<Json<Tenant>> {
        Ok(Json(service::get(&state, &op.0, &id.0).await?.into()))
    }

    /// Suspend a tenant
    ///
    /// Every session of the tenant ends at once and nobody can sign in until it is resumed.
    #[oai(
        path = "/operator/tenants/:id/suspend",
        method = "post",
        operation_id = "operator_tenants_suspend"
    )]
    async fn suspend(
        &self,
        state: Data<&Arc<AppState>>,
        op: Operator,
        id: Path<String>,
    ) -> ApiResult<Json<Tenant>> {
        Ok(Json(
            service::set_suspended(&state, &op.0, &id.0, true)
                .await?
                .into(),
        ))
    }

    /// Resume a suspended tenant
    #[oai(
        path = "/operator/tenants/:id/resume",
        method = "post",
        operation_id = "operator_tenants_resume"
    )]
    async fn resume(
        &self,
        state: Data<&Arc<AppState>>,
        op: Operator,
        id: Path<String>,
    ) -> ApiResult<Json<Tenant>> {
        Ok(Json(
            service::set_suspended(&state, &op.0, &id.0, false)
                .await?
                .into(),
        ))
    }
}
