//! `/me/export`, `/me/exports`, `/users/{id}/export(s)`, `/exports/{id}/link` and
//! `/exports/{id}/download`: asking for an export, following its progress, fetching it.

use super::{service, store::ExportRow};
use crate::{
    authn::{Session, SessionPendingConsent},
    db::rfc3339,
    error::{ApiError, ApiResult, Code},
    http::{download::Download, ApiTags},
    ops::ctx::RequestCtx,
    AppState,
};
use poem::{web::Data, Body, Request};
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

/// A personal data export and its progress.
#[derive(Debug, Object)]
pub struct DataExport {
    pub id: String,
    /// Whose data it holds.
    pub user_id: String,
    /// Who asked for it: the person, or an admin.
    pub requested_by: String,
    /// `queued`, `running`, `ready` (download it), `failed` (see `error`) or `expired` (the
    /// archive was purged).
    pub status: String,
    /// 0–100 while running; 100 once ready.
    pub progress: i64,
    /// Items per section of the archive (`profile`, `messages`, `documents`, …), once ready.
    pub counts: std::collections::BTreeMap<String, u64>,
    pub items: i64,
    /// Original files in the archive.
    pub files: i64,
    /// Size of the archive in bytes, once ready.
    pub size_bytes: i64,
    /// SHA-256 of the archive, once ready.
    pub sha256: String,
    pub error: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub ready_at: Option<String>,
    /// When the archive is purged.
    pub expires_at: Option<String>,
    /// How often it was downloaded.
    pub downloads: i64,
}

impl From<ExportRow> for DataExport {
    fn from(r: ExportRow) -> Self {
        DataExport {
            id: r.id,
            user_id: r.user_id,
            requested_by: r.requested_by,
            status: r.status,
            progress: r.progress,
            counts: serde_json::from_str(&r.counts).unwrap_or_default(),
            items: r.items,
            files: r.files,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            error: r.error,
            created_at: rfc3339(r.created_at),
            started_at: r.started_at.map(rfc3339),
            ready_at: r.ready_at.map(rfc3339),
            expires_at: r.expires_at.map(rfc3339),
            downloads: r.downloads,
        }
    }
}

#[derive(Debug, Object)]
pub struct DataExportList {
    /// Newest first (at most 50).
    pub items: Vec<DataExport>,
}

/// A short-lived download link.
#[derive(Debug, Object)]
pub struct DownloadLink {
    /// Relative to the server (`/api/v1/exports/{id}/download?token=…`); works without a
    /// session, for anyone holding it, until `expires_at`. A new link replaces this one.
    pub url: String,
    pub expires_at: String,
}

#[derive(ApiResponse)]
pub enum ExportStarted {
    /// The export is queued; poll it for its progress.
    #[oai(status = 202)]
    Accepted(Json<DataExport>),
}

fn list(rows: Vec<ExportRow>) -> Json<DataExportList> {
    Json(DataExportList {
        items: rows.into_iter().map(Into::into).collect(),
    })
}

#[derive(Default)]
pub struct ExportsApi;

#[OpenApi(tag = "ApiTags::Exports")]
impl ExportsApi {
    /// Export my data
    ///
    /// Builds, in the background, one zip archive of everything the caller owns or authored:
    /// profile and roles, sessions and sign-ins, rooms and their own messages (plaintext where
    /// the server has it, ciphertext in end-to-end encrypted rooms, as the manifest says),
    /// attachments, documents and uploads as original files, notifications — with
    /// `manifest.json` and `index.html`. 409 while another export of the caller is being
    /// prepared, 429 after `exports.max_per_day` a day. Allowed before consenting to the
    /// privacy policy.
    #[oai(path = "/me/export", method = "post", operation_id = "me_export_start")]
    async fn start_own(
        &self,
        state: Data<&Arc<AppState>>,
        auth: SessionPendingConsent,
    ) -> ApiResult<ExportStarted> {
        let r = service::request_own(&state, &auth.0).await?;
        Ok(ExportStarted::Accepted(Json(r.into())))
    }

    /// My exports
    #[oai(path = "/me/exports", method = "get", operation_id = "me_exports_list")]
    async fn list_own(
        &self,
        state: Data<&Arc<AppState>>,
        auth: SessionPendingConsent,
    ) -> ApiResult<Json<DataExportList>> {
        Ok(list(service::list_own(&state, &auth.0).await?))
    }

    /// One of my exports, with its progress
    #[oai(
        path = "/me/exports/:id",
        method = "get",
        operation_id = "me_exports_get"
    )]
    async fn get_own(
        &self,
        state: Data<&Arc<AppState>>,
        auth: SessionPendingConsent,
        id: Path<String>,
    ) -> ApiResult<Json<DataExport>> {
        Ok(Json(service::get_own(&state, &auth.0, &id.0).await?.into()))
    }

    /// Export a user's data
    ///
    /// The same archive as `POST /me/export`, of another account, for an access request.
    /// Audited. Needs `users.manage`, and the account may hold no permission the caller lacks.
    #[oai(
        path = "/users/:id/export",
        method = "post",
        operation_id = "users_export_start"
    )]
    async fn start_for(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<ExportStarted> {
        let r = service::request_for(&state, &auth.0, &id.0).await?;
        Ok(ExportStarted::Accepted(Json(r.into())))
    }

    /// A user's exports
    ///
    /// Every export of the account, whoever asked. Needs `users.manage`.
    #[oai(
        path = "/users/:id/exports",
        method = "get",
        operation_id = "users_exports_list"
    )]
    async fn list_for(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<DataExportList>> {
        Ok(list(service::list_for(&state, &auth.0, &id.0).await?))
    }

    /// A download link for a ready export
    ///
    /// For the person whose data it is, or the admin who asked for it. The link works for
    /// `exports.link_ttl_secs` (15 minutes by default); 409 when the export is not ready.
    #[oai(
        path = "/exports/:id/link",
        method = "post",
        operation_id = "exports_link"
    )]
    async fn link(
        &self,
        state: Data<&Arc<AppState>>,
        auth: SessionPendingConsent,
        id: Path<String>,
    ) -> ApiResult<Json<DownloadLink>> {
        let l = service::link(&state, &auth.0, &id.0).await?;
        Ok(Json(DownloadLink {
            url: l.url,
            expires_at: rfc3339(l.expires_at),
        }))
    }

    /// Download an export
    ///
    /// The zip archive, by the link from `POST /exports/{id}/link` (the token is the
    /// credential: no session needed). Supports one byte range, for resuming. 404 for an
    /// unknown, replaced or expired link.
    #[oai(
        path = "/exports/:id/download",
        method = "get",
        operation_id = "exports_download"
    )]
    async fn download(
        &self,
        state: Data<&Arc<AppState>>,
        id: Path<String>,
        token: Query<String>,
        req: &Request,
    ) -> ApiResult<Download> {
        send(&state, &id.0, &token.0, req).await
    }
}

async fn send(state: &AppState, id: &str, token: &str, req: &Request) -> ApiResult<Download> {
    use crate::http::range::{parse_range, resolve_range, Unsatisfiable};
    let range = req
        .headers()
        .get("range")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_range);
    let ctx = req.data::<RequestCtx>().cloned().unwrap_or_default();
    // A request from the first byte counts as a download; one resuming later does not.
    let first_byte = range.is_none();
    let r = service::open_by_link(state, id, token, first_byte, &ctx).await?;
    let size = u64::try_from(r.size_bytes).unwrap_or(0);
    let range = match resolve_range(range, size) {
        Ok(r) => r,
        Err(Unsatisfiable) => {
            let mut resp = ApiError::new(
                Code::RangeNotSatisfiable,
                format!("the archive has {size} bytes"),
            )
            .into_response_with(None);
            if let Ok(v) = format!("bytes */{size}").parse() {
                resp.headers_mut().insert("content-range", v);
            }
            return Ok(Download::new(resp));
        }
    };
    let key = r.blob_key.clone().unwrap_or_default();
    let body = {
        let mut conn = state.db.conn().await?;
        state
            .blobs
            .open(&mut conn, &r.tenant_id, &key, r.key_version, size, range)
            .await
            .map_err(ApiError::internal)?
    };
    let day = rfc3339(r.created_at).chars().take(10).collect::<String>();
    let mut resp = poem::Response::builder()
        .header("content-type", "application/zip")
        .header(
            "content-disposition",
            crate::http::content_disposition(&format!("stoa-export-{day}.zip")),
        )
        .header("accept-ranges", "bytes")
        .header("etag", format!("\"{}\"", r.sha256))
        .header("cache-control", "no-store");
    let len = match range {
        Some((a, b)) => {
            resp = resp
                .status(poem::http::StatusCode::PARTIAL_CONTENT)
                .header("content-range", format!("bytes {a}-{b}/{size}"));
            b - a + 1
        }
        None => size,
    };
    Ok(Download::new(
        resp.header("content-length", len)
            .body(Body::from_bytes_stream(body)),
    ))
}
