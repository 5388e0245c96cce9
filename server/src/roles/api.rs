//! `/roles` and `/permissions`: role administration.

use super::{service, store::RoleRow};
use crate::{
    authn::Session,
    authz::catalogue::CATALOGUE,
    db::rfc3339,
    error::ApiResult,
    http::{ApiTags, NoContent},
    AppState,
};
use poem::web::Data;
use poem_openapi::{param::Path, payload::Json, ApiResponse, Object, OpenApi};
use std::sync::Arc;

/// A role, briefly.
#[derive(Debug, Object)]
pub struct RoleRef {
    pub id: String,
    pub name: String,
    /// `admin` or `staff` for built-in roles, absent for custom ones.
    pub builtin: Option<String>,
}

impl From<RoleRow> for RoleRef {
    fn from(r: RoleRow) -> Self {
        RoleRef {
            id: r.id,
            name: r.name,
            builtin: (!r.builtin.is_empty()).then_some(r.builtin),
        }
    }
}

#[derive(Debug, Object)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub description: String,
    pub builtin: Option<String>,
    /// Permission keys from the catalogue.
    pub permissions: Vec<String>,
    /// How many users hold the role.
    pub members: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<service::RoleView> for Role {
    fn from(v: service::RoleView) -> Self {
        Role {
            id: v.row.id,
            name: v.row.name,
            description: v.row.description,
            builtin: (!v.row.builtin.is_empty()).then_some(v.row.builtin),
            permissions: v.permissions,
            members: v.members,
            created_at: rfc3339(v.row.created_at),
            updated_at: rfc3339(v.row.updated_at),
        }
    }
}

/// One entry of the permission catalogue.
#[derive(Debug, Object)]
pub struct Permission {
    pub key: String,
    pub feature: String,
    pub description: String,
    /// Whether the built-in `staff` role holds it.
    pub staff: bool,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateRole {
    pub name: String,
    #[oai(default)]
    pub description: String,
    pub permissions: Vec<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateRole {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Replaces the role's permissions when present.
    pub permissions: Option<Vec<String>>,
}

#[derive(ApiResponse)]
pub enum CreateRoleResponse {
    #[oai(status = 201)]
    Created(Json<Role>),
}

#[derive(Default)]
pub struct RolesApi;

#[OpenApi(tag = "ApiTags::Roles")]
impl RolesApi {
    /// The permission catalogue
    #[oai(
        path = "/permissions",
        method = "get",
        operation_id = "permissions_list"
    )]
    async fn permissions(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<Vec<Permission>>> {
        state
            .authz
            .require(&auth.0, crate::authz::perm::ROLES_READ)
            .await?;
        Ok(Json(
            CATALOGUE
                .iter()
                .map(|p| Permission {
                    key: p.key.into(),
                    feature: p.feature.into(),
                    description: p.description.into(),
                    staff: p.staff,
                })
                .collect(),
        ))
    }

    /// List roles
    #[oai(path = "/roles", method = "get", operation_id = "roles_list")]
    async fn list(&self, state: Data<&Arc<AppState>>, auth: Session) -> ApiResult<Json<Vec<Role>>> {
        Ok(Json(
            service::list(&state, &auth.0)
                .await?
                .into_iter()
                .map(Role::from)
                .collect(),
        ))
    }

    /// Create a custom role
    #[oai(path = "/roles", method = "post", operation_id = "roles_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<CreateRole>,
    ) -> ApiResult<CreateRoleResponse> {
        let b = body.0;
        let v = service::create(&state, &auth.0, &b.name, &b.description, &b.permissions).await?;
        Ok(CreateRoleResponse::Created(Json(v.into())))
    }

    /// Read a role
    #[oai(path = "/roles/:id", method = "get", operation_id = "roles_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Role>> {
        Ok(Json(service::get(&state, &auth.0, &id.0).await?.into()))
    }

    /// Edit a custom role
    ///
    /// Takes effect for every holder on their very next request.
    #[oai(path = "/roles/:id", method = "patch", operation_id = "roles_update")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<UpdateRole>,
    ) -> ApiResult<Json<Role>> {
        let b = body.0;
        let v = service::update(
            &state,
            &auth.0,
            &id.0,
            b.name.as_deref(),
            b.description.as_deref(),
            b.permissions.as_deref(),
        )
        .await?;
        Ok(Json(v.into()))
    }

    /// Delete a custom role
    ///
    /// Its holders lose its permissions at once.
    #[oai(path = "/roles/:id", method = "delete", operation_id = "roles_delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        service::delete(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }
}
