//! `/files`: upload, download (with ranges), metadata, delete, storage usage.

use super::{service, store::FileRow};
use crate::{
    authn::Session,
    db::rfc3339,
    error::{ApiError, ApiResult, Code},
    http::pagination,
    http::{ApiTags, NoContent},
    AppState,
};
use poem::{web::Data, Body, Request};
use poem_openapi::{
    param::{Header, Path, Query},
    payload::{Binary, Json},
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

pub use crate::http::{
    download::Download,
    upload::{declared_length, file_part, upload_parts, MultipartUpload, UploadBody},
};

/// An uploaded file.
#[derive(Debug, Object)]
pub struct FileInfo {
    pub id: String,
    /// The file name, cleaned of any path.
    pub name: String,
    /// Detected from the content, not taken from the client.
    pub content_type: String,
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub uploader_id: String,
    /// Text extraction for search: `pending`, `done`, `failed` or `none` (a type without text).
    pub extract_status: String,
    /// Why extraction failed, when it did.
    pub extract_error: Option<String>,
    /// The thumbnail: `pending`, `done`, `failed` or `none` (a type without one).
    pub preview_status: String,
    /// Why the thumbnail could not be made, when it could not.
    pub preview_error: Option<String>,
    pub created_at: String,
}

impl From<FileRow> for FileInfo {
    fn from(f: FileRow) -> Self {
        FileInfo {
            id: f.id,
            name: f.name,
            content_type: f.content_type,
            size: f.size,
            sha256: f.sha256,
            uploader_id: f.uploader_id,
            extract_status: f.extract_status,
            extract_error: f.extract_error,
            preview_status: f.preview_status,
            preview_error: f.preview_error,
            created_at: rfc3339(f.created_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct FilePage {
    pub items: Vec<FileInfo>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
pub struct UserUsage {
    pub user_id: String,
    pub files: i64,
    pub bytes: i64,
}

/// The tenant's storage.
#[derive(Debug, Object)]
pub struct StorageUsage {
    /// Bytes of file content stored.
    pub used_bytes: i64,
    /// The quota in bytes; 0 = unlimited.
    pub quota_bytes: i64,
    /// Largest single upload accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Per uploader, largest first: the 1,000 largest (`used_bytes` counts everyone).
    pub by_user: Vec<UserUsage>,
}

#[derive(ApiResponse)]
pub enum UploadResponse {
    /// Stored.
    #[oai(status = 201)]
    Created(Json<FileInfo>),
    /// A retry with an `Idempotency-Key` already used: the first upload's file.
    #[oai(status = 200)]
    Replayed(
        Json<FileInfo>,
        #[oai(header = "Idempotent-Replayed")] String,
    ),
}

#[derive(ApiResponse)]
pub enum Thumbnail {
    #[oai(status = 200, content_type = "image/jpeg")]
    Ok(Binary<Vec<u8>>, #[oai(header = "Cache-Control")] String),
}

/// Answer a download of file `id` as `p`: ranges, conditional requests, safe headers. Also
/// used by document downloads, which resolve a document version to its file first and pass
/// the document's name (`name`): the file row keeps the name the bytes arrived with (`file`
/// for a raw upload), the document's name is the one people chose and see.
pub async fn send_file(
    state: &AppState,
    p: &crate::authn::Principal,
    id: &str,
    name: Option<&str>,
    req: &Request,
) -> ApiResult<Download> {
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok());
    let mut range = header("range").and_then(service::parse_range);
    let content = service::download(state, p, id, name, range).await?;
    let (file, range_used, body) = match content {
        service::Content::Redirect(url) => {
            return Ok(Download::new(
                poem::Response::builder()
                    .status(poem::http::StatusCode::FOUND)
                    .header("location", url)
                    .finish(),
            ))
        }
        service::Content::Unsatisfiable { size } => {
            let mut resp = ApiError::new(
                Code::RangeNotSatisfiable,
                format!("the file has {size} bytes"),
            )
            .into_response_with(None);
            if let Ok(v) = format!("bytes */{size}").parse() {
                resp.headers_mut().insert("content-range", v);
            }
            return Ok(Download::new(resp));
        }
        service::Content::Bytes { file, range, body } => (file, range, body),
    };
    let etag = format!("\"{}\"", file.sha256);
    if header("if-none-match")
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return Ok(Download::new(
            poem::Response::builder()
                .status(poem::http::StatusCode::NOT_MODIFIED)
                .header("etag", etag)
                .finish(),
        ));
    }
    let mut range_used = range_used;
    let mut body = body;
    // If-Range: a range only against the version the client has; otherwise the whole file.
    if range_used.is_some() && header("if-range").is_some_and(|v| v.trim() != etag) {
        range = None;
        let whole = service::download(state, p, id, name, range).await?;
        if let service::Content::Bytes { body: b, .. } = whole {
            body = b;
            range_used = None;
        }
    }
    let size = file.size.max(0) as u64;
    let mut resp = poem::Response::builder()
        .header(
            "content-type",
            crate::http::download::safe_content_type(&file.content_type),
        )
        .header(
            "content-disposition",
            crate::http::content_disposition(name.unwrap_or(&file.name)),
        )
        .header("accept-ranges", "bytes")
        .header("etag", etag)
        .header("content-security-policy", "sandbox; default-src 'none'");
    let len = match range_used {
        Some((a, b)) => {
            resp = resp
                .status(poem::http::StatusCode::PARTIAL_CONTENT)
                .header("content-range", format!("bytes {a}-{b}/{size}"));
            b - a + 1
        }
        None => size,
    };
    let resp = resp
        .header("content-length", len)
        .body(Body::from_bytes_stream(body));
    Ok(Download::new(resp))
}

#[derive(Default)]
pub struct FilesApi;

#[OpenApi(tag = "ApiTags::Files")]
impl FilesApi {
    /// Upload a file.
    ///
    /// Send the raw content (`?name=` names it) or a `multipart/form-data` form with a `file`
    /// part. The content type is detected from the bytes. Limits: the tenant's per-file limit
    /// (413 `payload_too_large`) and storage quota (413 `quota_exceeded`); an empty file is a 400.
    /// With an `Idempotency-Key` header, a retry returns the first upload's file (200) instead
    /// of storing the content twice.
    #[oai(path = "/files", method = "post", operation_id = "files_upload")]
    async fn upload(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        req: &Request,
        /// The file name, for a raw upload.
        name: Query<Option<String>>,
        /// Makes a retried upload safe.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
        body: UploadBody,
    ) -> ApiResult<UploadResponse> {
        let (file_name, stream, content_length, _) = upload_parts(req, name.0, body).await?;
        let (file, replayed) = service::upload(
            &state,
            &auth.0,
            service::Upload {
                name: file_name,
                idempotency_key: idempotency_key.0,
                content_length,
                body: stream,
            },
        )
        .await?;
        Ok(if replayed {
            UploadResponse::Replayed(Json(file.into()), "true".into())
        } else {
            UploadResponse::Created(Json(file.into()))
        })
    }

    /// The caller's own uploads, newest first.
    #[oai(path = "/files", method = "get", operation_id = "files_list")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<FilePage>> {
        let limit = pagination::limit(limit.0)?;
        let before = pagination::decode(cursor.0.as_deref())?;
        let rows = service::list_mine(&state, &auth.0, before.as_deref(), limit).await?;
        let (rows, next_cursor) = pagination::page(rows, limit, |f| f.id.clone());
        Ok(Json(FilePage {
            items: rows.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// Storage used by the tenant, its quota, and usage per person (needs `files.manage`).
    #[oai(path = "/files/usage", method = "get", operation_id = "files_usage")]
    async fn usage(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<StorageUsage>> {
        let u = service::usage(&state, &auth.0).await?;
        Ok(Json(StorageUsage {
            used_bytes: u.used,
            quota_bytes: u.quota,
            max_upload_bytes: u.max_upload,
            by_user: u
                .by_user
                .into_iter()
                .map(|(user_id, files, bytes)| UserUsage {
                    user_id,
                    files,
                    bytes,
                })
                .collect(),
        }))
    }

    /// A file's metadata.
    #[oai(path = "/files/:id/info", method = "get", operation_id = "files_info")]
    async fn info(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<FileInfo>> {
        Ok(Json(service::get(&state, &auth.0, &id.0).await?.into()))
    }

    /// Download a file.
    ///
    /// Supports one byte range (`Range: bytes=a-b`, `bytes=a-`, `bytes=-n`; 206), `If-Range`,
    /// and `If-None-Match` with the ETag (the content's SHA-256). Always sent as an attachment
    /// with `X-Content-Type-Options: nosniff`.
    #[oai(path = "/files/:id", method = "get", operation_id = "files_download")]
    async fn download(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        req: &Request,
    ) -> ApiResult<Download> {
        send_file(&state, &auth.0, &id.0, None, req).await
    }

    /// A thumbnail of an image or of a PDF's first page (JPEG, at most 256 pixels on its
    /// longest side); 404 when the file has none (another type, or not processed yet).
    #[oai(
        path = "/files/:id/thumbnail",
        method = "get",
        operation_id = "files_thumbnail"
    )]
    async fn thumbnail(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Thumbnail> {
        let (ct, data) = service::thumbnail(&state, &auth.0, &id.0).await?;
        let _ = ct; // always image/jpeg
        Ok(Thumbnail::Ok(Binary(data), "private, max-age=300".into()))
    }

    /// Delete a file (the uploader, or someone with `files.manage`). Its content and index
    /// entry are removed from every store.
    #[oai(path = "/files/:id", method = "delete", operation_id = "files_delete")]
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
