//! `/spaces`: spaces and their members.

use crate::documents::{access::Role, spaces, store::SpaceRow};
use crate::{authn::Session, db::rfc3339, error::ApiResult, http::ApiTags, AppState};
use poem::web::Data;
use poem_openapi::{param::Path, payload::Json, ApiResponse, Object, OpenApi};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct Space {
    pub id: String,
    /// `personal`, `team` or `company`.
    pub kind: String,
    pub name: String,
    /// The caller's role: `viewer`, `editor` or `manager`.
    pub role: String,
    pub created_at: String,
}

fn space(s: SpaceRow, r: Role) -> Space {
    Space {
        id: s.id,
        kind: s.kind,
        name: s.name,
        role: r.as_str().into(),
        created_at: rfc3339(s.created_at),
    }
}

#[derive(Debug, Object)]
pub struct SpaceMember {
    pub user_id: String,
    /// `viewer`, `editor` or `manager`.
    pub role: String,
}

#[derive(Debug, Object)]
pub struct SpaceDetail {
    pub space: Space,
    /// Team spaces' members (empty for personal and company spaces).
    pub members: Vec<SpaceMember>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateSpace {
    pub name: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetMember {
    /// `viewer`, `editor` or `manager`.
    pub role: String,
}

#[derive(ApiResponse)]
pub enum CreatedSpace {
    #[oai(status = 201)]
    Created(Json<Space>),
}

#[derive(Default)]
pub struct SpacesApi;

#[OpenApi(tag = "ApiTags::Documents")]
impl SpacesApi {
    /// The caller's spaces: personal (created on first use), company, and their team spaces.
    #[oai(path = "/spaces", method = "get", operation_id = "spaces_list")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<Vec<Space>>> {
        let rows = spaces::list(&state, &auth.0).await?;
        Ok(Json(rows.into_iter().map(|(s, r)| space(s, r)).collect()))
    }

    /// Create a team space (`documents.spaces.create`); the creator manages it.
    #[oai(path = "/spaces", method = "post", operation_id = "spaces_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<CreateSpace>,
    ) -> ApiResult<CreatedSpace> {
        let s = spaces::create_team(&state, &auth.0, &body.0.name).await?;
        Ok(CreatedSpace::Created(Json(space(s, Role::Manager))))
    }

    /// A space with its members.
    #[oai(path = "/spaces/:id", method = "get", operation_id = "spaces_get")]
    async fn get_space(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<SpaceDetail>> {
        let (s, r, members) = spaces::members(&state, &auth.0, &id.0).await?;
        Ok(Json(SpaceDetail {
            space: space(s, r),
            members: members
                .into_iter()
                .map(|(user_id, role)| SpaceMember { user_id, role })
                .collect(),
        }))
    }

    /// Add a person to a team space or change their role (the space's managers).
    #[oai(
        path = "/spaces/:id/members/:user_id",
        method = "put",
        operation_id = "spaces_set_member"
    )]
    async fn set_member(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        user_id: Path<String>,
        body: Json<SetMember>,
    ) -> ApiResult<crate::http::NoContent> {
        spaces::set_member(&state, &auth.0, &id.0, &user_id.0, Some(&body.0.role)).await?;
        Ok(crate::http::NoContent::Done)
    }

    /// Remove a person from a team space (the space's managers; a space keeps one manager).
    #[oai(
        path = "/spaces/:id/members/:user_id",
        method = "delete",
        operation_id = "spaces_remove_member"
    )]
    async fn remove_member(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        user_id: Path<String>,
    ) -> ApiResult<crate::http::NoContent> {
        spaces::set_member(&state, &auth.0, &id.0, &user_id.0, None).await?;
        Ok(crate::http::NoContent::Done)
    }
}
