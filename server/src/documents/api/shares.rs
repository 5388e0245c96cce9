//! `/shares` and `/shared`.

use crate::documents::{shares, store::ShareRow};
use crate::{
    authn::Session,
    db::rfc3339,
    error::ApiResult,
    http::{ApiTags, NoContent},
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
pub struct Share {
    pub id: String,
    pub space_id: String,
    /// `folder` or `document`.
    pub target_kind: String,
    pub target_id: String,
    /// `user`, `role` or `department` (a department's share reaches its members and its
    /// sub-departments' members, as they are at each request).
    pub grantee_kind: String,
    pub grantee_id: String,
    /// `viewer` or `editor`.
    pub role: String,
    pub created_by: String,
    pub created_at: String,
}

impl From<ShareRow> for Share {
    fn from(s: ShareRow) -> Self {
        Share {
            id: s.id,
            space_id: s.space_id,
            target_kind: s.target_kind,
            target_id: s.target_id,
            grantee_kind: s.grantee_kind,
            grantee_id: s.grantee_id,
            role: s.role,
            created_by: s.created_by,
            created_at: rfc3339(s.created_at),
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewShare {
    /// `folder` or `document`.
    pub target_kind: String,
    pub target_id: String,
    /// `user`, `role` or `department` (a department's share reaches its members and its
    /// sub-departments' members, as they are at each request).
    pub grantee_kind: String,
    pub grantee_id: String,
    /// `viewer` or `editor`.
    pub role: String,
}

#[derive(Debug, Object)]
pub struct SharedItem {
    /// `folder` or `document`.
    pub target_kind: String,
    pub target_id: String,
    pub space_id: String,
    pub name: String,
    /// The strongest role a share gives the caller.
    pub role: String,
    pub shared_by: String,
    pub shared_at: String,
}

#[derive(ApiResponse)]
pub enum ShareOutcome {
    #[oai(status = 201)]
    Created(Json<Share>),
    /// The grantee already had a share here: its role was changed.
    #[oai(status = 200)]
    Updated(Json<Share>),
}

#[derive(Default)]
pub struct SharesApi;

#[OpenApi(tag = "ApiTags::Documents")]
impl SharesApi {
    /// Share a folder (and everything below it) or a document with a person or a role
    /// (`documents.share` and an editor role in the space). Sharing again with the same
    /// grantee changes the role (200).
    #[oai(path = "/shares", method = "post", operation_id = "shares_create")]
    async fn share(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<NewShare>,
    ) -> ApiResult<ShareOutcome> {
        let b = body.0;
        let (s, created) = shares::share(
            &state,
            &auth.0,
            shares::NewShare {
                target_kind: b.target_kind,
                target_id: b.target_id,
                grantee_kind: b.grantee_kind,
                grantee_id: b.grantee_id,
                role: b.role,
            },
        )
        .await?;
        Ok(if created {
            ShareOutcome::Created(Json(s.into()))
        } else {
            ShareOutcome::Updated(Json(s.into()))
        })
    }

    /// The shares on a folder or document (those who may share it).
    #[oai(path = "/shares", method = "get", operation_id = "shares_list")]
    async fn shares(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        /// `folder` or `document`.
        target_kind: Query<String>,
        target_id: Query<String>,
    ) -> ApiResult<Json<Vec<Share>>> {
        let rows = shares::list(&state, &auth.0, &target_kind.0, &target_id.0).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// Revoke a share; it stops working on the very next request, downloads and search
    /// included.
    #[oai(
        path = "/shares/:id",
        method = "delete",
        operation_id = "shares_delete"
    )]
    async fn revoke(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        shares::revoke(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }

    /// Folders and documents shared with the caller (directly or through a role).
    #[oai(path = "/shared", method = "get", operation_id = "shares_with_me")]
    async fn shared(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<Vec<SharedItem>>> {
        let rows = shares::shared_with_me(&state, &auth.0).await?;
        Ok(Json(
            rows.into_iter()
                .map(|r| SharedItem {
                    target_kind: r.target_kind,
                    target_id: r.target_id,
                    space_id: r.space_id,
                    name: r.name,
                    role: r.role,
                    shared_by: r.created_by,
                    shared_at: rfc3339(r.created_at),
                })
                .collect(),
        ))
    }
}
