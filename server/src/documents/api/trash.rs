//! `/spaces/{id}/trash` and `/trash`: listing, restoring and purging trashed items.

use crate::documents::trash;
use crate::{
    authn::Session,
    db::rfc3339,
    error::{ApiError, ApiResult},
    http::{ApiTags, NoContent},
    AppState,
};
use poem::web::Data;
use poem_openapi::{param::Path, payload::Json, Object, OpenApi};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct TrashItem {
    /// `folder` or `document`.
    pub kind: String,
    pub id: String,
    pub name: String,
    pub trashed_at: String,
    pub trashed_by: String,
    /// When it is purged for good unless restored (absent: the trash period is "keep forever",
    /// or a legal hold decides).
    pub purge_at: Option<String>,
}

fn trash_kind(kind: &str) -> ApiResult<&'static str> {
    match kind {
        "documents" => Ok("documents"),
        "folders" => Ok("folders"),
        _ => Err(ApiError::not_found("trash item")),
    }
}

#[derive(Default)]
pub struct TrashApi;

#[OpenApi(tag = "ApiTags::Documents")]
impl TrashApi {
    /// What was trashed in a space, newest first, with when each is purged (editors).
    #[oai(
        path = "/spaces/:id/trash",
        method = "get",
        operation_id = "trash_list"
    )]
    async fn trash(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Vec<TrashItem>>> {
        let items = trash::trash_list(&state, &auth.0, &id.0).await?;
        Ok(Json(
            items
                .into_iter()
                .map(|t| TrashItem {
                    kind: t.kind.into(),
                    id: t.id,
                    name: t.name,
                    trashed_at: rfc3339(t.trashed_at),
                    trashed_by: t.trashed_by,
                    purge_at: t.purge_at.map(rfc3339),
                })
                .collect(),
        ))
    }

    /// Restore a trashed document or folder (`kind`: `documents` or `folders`; editors).
    #[oai(
        path = "/trash/:kind/:id/restore",
        method = "post",
        operation_id = "trash_restore"
    )]
    async fn restore(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        kind: Path<String>,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        trash::restore(&state, &auth.0, trash_kind(&kind.0)?, &id.0).await?;
        Ok(NoContent::Done)
    }

    /// Purge a trashed document or folder now: every version's content and index entry goes
    /// (the space's managers).
    #[oai(
        path = "/trash/:kind/:id",
        method = "delete",
        operation_id = "trash_purge"
    )]
    async fn purge(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        kind: Path<String>,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        trash::purge_now(&state, &auth.0, trash_kind(&kind.0)?, &id.0).await?;
        Ok(NoContent::Done)
    }
}
