//! `/documents/{id}/versions`.

use super::docs::{document, outcome, Document, UploadOutcome};
use crate::documents::{uploads, versions};
use crate::{
    authn::Session,
    db::rfc3339,
    error::ApiResult,
    files::{
        self,
        api::{upload_parts, UploadBody},
    },
    http::ApiTags,
    AppState,
};
use poem::{web::Data, Request};
use poem_openapi::{
    param::{Header, Path},
    payload::Json,
    Object, OpenApi,
};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct Version {
    pub number: i64,
    pub file_id: String,
    pub size: i64,
    pub sha256: String,
    pub content_type: String,
    pub author_id: String,
    pub created_at: String,
    /// The version this one restored, if it did.
    pub restored_from: Option<i64>,
    pub current: bool,
}

#[derive(Default)]
pub struct VersionsApi;

#[OpenApi(tag = "ApiTags::Documents")]
impl VersionsApi {
    /// A document's versions, newest first.
    #[oai(
        path = "/documents/:id/versions",
        method = "get",
        operation_id = "documents_versions"
    )]
    async fn versions(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Vec<Version>>> {
        let (d, rows) = versions::versions(&state, &auth.0, &id.0).await?;
        Ok(Json(
            rows.into_iter()
                .map(|(v, f)| {
                    let (size, sha256, content_type) = f
                        .map(|f| (f.size, f.sha256, f.content_type))
                        .unwrap_or_default();
                    Version {
                        current: v.number == d.version,
                        number: v.number,
                        file_id: v.file_id,
                        size,
                        sha256,
                        content_type,
                        author_id: v.author_id,
                        created_at: rfc3339(v.created_at),
                        restored_from: v.restored_from,
                    }
                })
                .collect(),
        ))
    }

    /// Upload a new version of a document (editors). Body as for `documents_upload`.
    #[oai(
        path = "/documents/:id/versions",
        method = "post",
        operation_id = "documents_upload_version"
    )]
    async fn upload_version(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        req: &Request,
        id: Path<String>,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
        body: UploadBody,
    ) -> ApiResult<UploadOutcome> {
        let (file_name, stream, content_length, _) = upload_parts(req, None, body).await?;
        let u = uploads::upload_version(
            &state,
            &auth.0,
            &id.0,
            files::service::Upload {
                name: file_name,
                idempotency_key: idempotency_key.0,
                content_length,
                body: stream,
            },
        )
        .await?;
        Ok(outcome(u))
    }

    /// Make an earlier version current again (a new version with its content; editors).
    #[oai(
        path = "/documents/:id/versions/:number/restore",
        method = "post",
        operation_id = "documents_restore_version"
    )]
    async fn restore_version(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        number: Path<i64>,
    ) -> ApiResult<Json<Document>> {
        let d = versions::restore_version(&state, &auth.0, &id.0, number.0).await?;
        Ok(Json(document(d, None)))
    }
}
