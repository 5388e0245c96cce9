//! `/spaces/{id}/folders` and `/folders`.

use crate::documents::{folders, store::FolderRow, trash};
use crate::{
    authn::Session,
    db::rfc3339,
    error::ApiResult,
    http::{pagination, ApiTags},
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

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

#[derive(ApiResponse)]
pub enum CreatedFolder {
    #[oai(status = 201)]
    Created(Json<Folder>),
}

#[derive(Default)]
pub struct FoldersApi;

#[OpenApi(tag = "ApiTags::Documents")]
impl FoldersApi {
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
        let f = folders::create_folder(
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
            folders::list_folders(&state, &auth.0, &id.0, parent_id.0.as_deref(), after, limit)
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
        let (f, crumbs) = folders::get(&state, &auth.0, &id.0).await?;
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
        let f = folders::update_folder(
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
        trash::trash_folder(&state, &auth.0, &id.0).await?;
        Ok(crate::http::NoContent::Done)
    }
}
