//! `/spaces` and `/folders`.

use super::service::{self, FolderRow, Role, SpaceRow};
use crate::{authn::Session, db::rfc3339, error::ApiResult, http::ApiTags, pagination, AppState};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    ApiResponse, Object, OpenApi,
};
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
pub struct Folder {
    pub id: String,
    pub space_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<FolderRow> for Folder {
    fn from(f: FolderRow) -> Self {
        Folder {
            id: f.id,
            space_id: f.space_id,
            parent_id: f.parent_id,
            name: f.name,
            created_by: f.created_by,
            created_at: rfc3339(f.created_at),
            updated_at: rfc3339(f.updated_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct FolderDetail {
    pub folder: Folder,
    /// From the top of the space down to this folder; for someone who reaches the folder
    /// through a share, from the highest folder shared with them.
    pub breadcrumbs: Vec<Folder>,
}

#[derive(Debug, Object)]
pub struct FolderPage {
    pub items: Vec<Folder>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateSpace {
    pub name: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateFolder {
    pub name: String,
    /// Parent folder; omitted for the top of the space.
    pub parent_id: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateFolder {
    pub name: Option<String>,
    /// Move under this folder of the same space; `""` moves to the top.
    pub parent_id: Option<String>,
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
pub struct SetMember {
    /// `viewer`, `editor` or `manager`.
    pub role: String,
}

#[derive(ApiResponse)]
pub enum CreatedSpace {
    #[oai(status = 201)]
    Created(Json<Space>),
}

#[derive(ApiResponse)]
pub enum CreatedFolder {
    #[oai(status = 201)]
    Created(Json<Folder>),
}

#[derive(Default)]
pub struct DocumentsApi;

#[OpenApi(tag = "ApiTags::Documents")]
impl DocumentsApi {
    /// The caller's spaces: personal (created on first use), company, and their team spaces.
    #[oai(path = "/spaces", method = "get", operation_id = "spaces_list")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<Vec<Space>>> {
        let rows = service::list(&state, &auth.0).await?;
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
        let s = service::create_team(&state, &auth.0, &body.0.name).await?;
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
        let (s, r, members) = service::members(&state, &auth.0, &id.0).await?;
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
        service::set_member(&state, &auth.0, &id.0, &user_id.0, Some(&body.0.role)).await?;
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
        service::set_member(&state, &auth.0, &id.0, &user_id.0, None).await?;
        Ok(crate::http::NoContent::Done)
    }

    /// Create a folder (editors and managers of the space).
    #[oai(
        path = "/spaces/:id/folders",
        method = "post",
        operation_id = "folders_create"
    )]
    async fn create_folder(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<CreateFolder>,
    ) -> ApiResult<CreatedFolder> {
        let f = service::create_folder(
            &state,
            &auth.0,
            &id.0,
            &body.0.name,
            body.0.parent_id.as_deref(),
        )
        .await?;
        Ok(CreatedFolder::Created(Json(f.into())))
    }

    /// Folders under `parent_id` (or at the top), sorted by name.
    #[oai(
        path = "/spaces/:id/folders",
        method = "get",
        operation_id = "folders_list"
    )]
    async fn list_folders(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        parent_id: Query<Option<String>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<FolderPage>> {
        let limit = pagination::limit(limit.0)?;
        let after = pagination::decode_key(cursor.0.as_deref(), 2)?;
        let rows =
            service::list_folders(&state, &auth.0, &id.0, parent_id.0.as_deref(), after, limit)
                .await?;
        let (rows, next_cursor) =
            pagination::page_key(rows, limit, |f| vec![f.name.clone(), f.id.clone()]);
        Ok(Json(FolderPage {
            items: rows.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// A folder with its breadcrumbs.
    #[oai(path = "/folders/:id", method = "get", operation_id = "folders_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<FolderDetail>> {
        let mut conn = state.db.conn().await?;
        let (f, a) = service::folder_access(&state, &mut conn, &auth.0, &id.0).await?;
        let crumbs = service::visible_breadcrumbs(&state, &mut conn, &auth.0, &f, &a).await?;
        Ok(Json(FolderDetail {
            folder: f.into(),
            breadcrumbs: crumbs.into_iter().map(Into::into).collect(),
        }))
    }

    /// Rename or move a folder within its space (never into itself or its subfolders).
    #[oai(
        path = "/folders/:id",
        method = "patch",
        operation_id = "folders_update"
    )]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<UpdateFolder>,
    ) -> ApiResult<Json<Folder>> {
        let f = service::update_folder(
            &state,
            &auth.0,
            &id.0,
            body.0.name.as_deref(),
            body.0.parent_id.as_deref(),
        )
        .await?;
        Ok(Json(f.into()))
    }

    /// Move a folder and everything in it to the trash (the space's editors).
    #[oai(
        path = "/folders/:id",
        method = "delete",
        operation_id = "folders_delete"
    )]
    async fn delete_folder(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<crate::http::NoContent> {
        super::docs::trash_folder(&state, &auth.0, &id.0).await?;
        Ok(crate::http::NoContent::Done)
    }
}
