//! `/spaces/{id}/documents` and `/documents/{id}`: uploads, listing, metadata, moves, copies,
//! downloads.

use crate::documents::{
    access::Access,
    docs,
    meta::{check_location, Meta},
    store::DocRow,
    trash, uploads,
    uploads::Uploaded,
    versions,
};
use crate::{
    authn::Session,
    db::rfc3339,
    error::{ApiError, ApiResult},
    files::{self, api::send_file},
    http::{
        download::Download,
        pagination,
        upload::{upload_parts, UploadBody},
        ApiTags, NoContent,
    },
    AppState,
};
use poem::{web::Data, Request};
use poem_openapi::{
    param::{Header, Path, Query},
    payload::Json,
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Object)]
pub struct Document {
    pub id: String,
    pub space_id: String,
    /// `null` at the top of the space.
    pub folder_id: Option<String>,
    /// The file name.
    pub name: String,
    pub title: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub location: Option<Location>,
    /// The current version's number.
    pub version: i64,
    /// The current version's content (download it from `/documents/{id}/content`).
    pub file_id: String,
    pub owner_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub updated_by: String,
    /// The caller's role on it: `viewer`, `editor` or `manager`.
    pub role: Option<String>,
}

pub(super) fn document(d: DocRow, a: Option<Access>) -> Document {
    Document {
        keywords: d.keyword_list(),
        location: d.location().map(|(latitude, longitude)| Location {
            latitude,
            longitude,
        }),
        id: d.id,
        space_id: d.space_id,
        folder_id: d.folder_id,
        name: d.name,
        title: d.title,
        description: d.description,
        version: d.version,
        file_id: d.file_id,
        owner_id: d.owner_id,
        created_at: rfc3339(d.created_at),
        updated_at: rfc3339(d.updated_at),
        updated_by: d.updated_by,
        role: a.map(|a| a.role().as_str().to_string()),
    }
}

#[derive(Debug, Object)]
pub struct Content {
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// Text extraction for search: `pending`, `done`, `failed` or `none`.
    pub extract_status: String,
    /// Why extraction failed, when it did.
    pub extract_error: Option<String>,
    /// The thumbnail: `pending`, `done`, `failed` or `none`.
    pub preview_status: String,
    /// Why the thumbnail could not be made, when it could not.
    pub preview_error: Option<String>,
}

#[derive(Debug, Object)]
pub struct DocumentDetail {
    pub document: Document,
    pub content: Option<Content>,
    /// The first lines of a text-like document (plain text, Markdown, HTML, PDF, Office).
    pub snippet: Option<String>,
    /// Whether `/files/{file_id}/thumbnail` has a preview (images, a PDF's first page).
    pub has_thumbnail: bool,
}

#[derive(Debug, Object)]
pub struct DocumentPage {
    pub items: Vec<Document>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateDocument {
    /// Rename (the file name).
    pub name: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub keywords: Option<Vec<String>>,
    /// Set the location; see `clear_location` to remove it.
    pub location: Option<LocationIn>,
    /// Remove the location.
    pub clear_location: Option<bool>,
    /// Move to this folder of the same space; `""` moves to the top.
    pub folder_id: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LocationIn {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CopyDocument {
    /// Another space to copy into (default: the same space).
    pub space_id: Option<String>,
    /// A folder of the target space; `""` is its top (default: the same folder when copying
    /// within the space).
    pub folder_id: Option<String>,
    /// The copy's name (default: the original's, with ` (copy)` when in the same folder).
    pub name: Option<String>,
}

#[derive(ApiResponse)]
pub enum UploadOutcome {
    /// A new document.
    #[oai(status = 201)]
    Created(Json<Document>),
    /// A new version of an existing document (same name in the same folder, or
    /// `/documents/{id}/versions`), or an idempotent replay (`Idempotent-Replayed: true`).
    #[oai(status = 200)]
    Updated(
        Json<Document>,
        #[oai(header = "Idempotent-Replayed")] Option<String>,
    ),
}

pub(super) fn outcome(u: Uploaded) -> UploadOutcome {
    match u {
        Uploaded::Created(d) => UploadOutcome::Created(Json(document(d, None))),
        Uploaded::NewVersion(d) => UploadOutcome::Updated(Json(document(d, None)), None),
        Uploaded::Replayed(d) => {
            UploadOutcome::Updated(Json(document(d, None)), Some("true".into()))
        }
    }
}

#[derive(ApiResponse)]
pub enum CreatedDocument {
    #[oai(status = 201)]
    Created(Json<Document>),
}

fn keywords_param(k: Option<String>) -> Option<Vec<String>> {
    k.map(|k| k.split(',').map(|s| s.trim().to_string()).collect())
}

fn form_value(fields: &[(String, String)], key: &str) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

fn float_field(field: &str, v: Option<String>) -> ApiResult<Option<f64>> {
    v.map(|v| {
        v.trim()
            .parse::<f64>()
            .map_err(|_| ApiError::validation(field, "a number of degrees"))
    })
    .transpose()
}

#[derive(Default)]
pub struct DocsApi;

#[OpenApi(tag = "ApiTags::Documents")]
impl DocsApi {
    /// Upload a document into a space (and folder), with metadata.
    ///
    /// Send the raw content (metadata in the query) or a `multipart/form-data` form whose text
    /// fields `name`, `title`, `description`, `keywords` (comma-separated), `latitude` and
    /// `longitude` come before the `file` part. A document of the same name in that folder
    /// gets the upload as a new version (200) instead. Editors of the space or folder only;
    /// quotas as for `/files`.
    #[oai(
        path = "/spaces/:id/documents",
        method = "post",
        operation_id = "documents_upload"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn upload(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        req: &Request,
        id: Path<String>,
        /// The folder; omitted for the top of the space.
        folder_id: Query<Option<String>>,
        /// The file name (default: the uploaded file's).
        name: Query<Option<String>>,
        title: Query<Option<String>>,
        description: Query<Option<String>>,
        /// Comma-separated.
        keywords: Query<Option<String>>,
        latitude: Query<Option<f64>>,
        longitude: Query<Option<f64>>,
        #[oai(name = "Idempotency-Key")] idempotency_key: Header<Option<String>>,
        body: UploadBody,
    ) -> ApiResult<UploadOutcome> {
        let (file_name, stream, content_length, fields) = upload_parts(req, None, body).await?;
        let pick = |q: Option<String>, key: &str| q.or_else(|| form_value(&fields, key));
        let lat = match latitude.0 {
            Some(v) => Some(v),
            None => float_field("latitude", form_value(&fields, "latitude"))?,
        };
        let lon = match longitude.0 {
            Some(v) => Some(v),
            None => float_field("longitude", form_value(&fields, "longitude"))?,
        };
        let location = check_location(lat, lon)?;
        let meta = Meta {
            name: pick(name.0, "name"),
            title: pick(title.0, "title"),
            description: pick(description.0, "description"),
            keywords: keywords_param(pick(keywords.0, "keywords")),
            location: location.map(Some),
        };
        let folder = pick(folder_id.0, "folder_id");
        let u = uploads::upload(
            &state,
            &auth.0,
            &id.0,
            folder.as_deref(),
            meta,
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

    /// Documents in a folder (or at the top of the space), sorted by name.
    #[oai(
        path = "/spaces/:id/documents",
        method = "get",
        operation_id = "documents_list"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        folder_id: Query<Option<String>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<DocumentPage>> {
        let limit = pagination::limit(limit.0)?;
        let after = pagination::decode_key(cursor.0.as_deref(), 2)?;
        let (rows, a) =
            docs::list(&state, &auth.0, &id.0, folder_id.0.as_deref(), after, limit).await?;
        let (rows, next_cursor) =
            pagination::page_key(rows, limit, |d| vec![d.name.clone(), d.id.clone()]);
        Ok(Json(DocumentPage {
            items: rows.into_iter().map(|d| document(d, Some(a))).collect(),
            next_cursor,
        }))
    }

    /// A document with its content's details and a preview.
    #[oai(
        path = "/documents/:id",
        method = "get",
        operation_id = "documents_get"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<DocumentDetail>> {
        let docs::Detail {
            doc: d,
            access: a,
            file: f,
            snippet,
            has_thumbnail,
        } = docs::detail(&state, &auth.0, &id.0).await?;
        Ok(Json(DocumentDetail {
            content: f.map(|f| Content {
                content_type: f.content_type,
                size: f.size,
                sha256: f.sha256,
                extract_status: f.extract_status,
                extract_error: f.extract_error,
                preview_status: f.preview_status,
                preview_error: f.preview_error,
            }),
            document: document(d, Some(a)),
            snippet,
            has_thumbnail,
        }))
    }

    /// Edit metadata, rename, or move within the space (editors).
    #[oai(
        path = "/documents/:id",
        method = "patch",
        operation_id = "documents_update"
    )]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<UpdateDocument>,
    ) -> ApiResult<Json<Document>> {
        let b = body.0;
        let location = match (b.location, b.clear_location) {
            (Some(_), Some(true)) => {
                return Err(ApiError::validation(
                    "location",
                    "give a location or clear it, not both",
                ))
            }
            (Some(l), _) => Some(check_location(Some(l.latitude), Some(l.longitude))?),
            (None, Some(true)) => Some(None),
            (None, _) => None,
        };
        let meta = Meta {
            name: b.name,
            title: b.title,
            description: b.description,
            keywords: b.keywords,
            location,
        };
        let (d, a) = docs::update(&state, &auth.0, &id.0, meta, b.folder_id.as_deref()).await?;
        Ok(Json(document(d, Some(a))))
    }

    /// Move a document to the trash (the space's editors).
    #[oai(
        path = "/documents/:id",
        method = "delete",
        operation_id = "documents_delete"
    )]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        trash::trash_document(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }

    /// Copy a document (its current version) into a place the caller edits.
    #[oai(
        path = "/documents/:id/copy",
        method = "post",
        operation_id = "documents_copy"
    )]
    async fn copy(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<CopyDocument>,
    ) -> ApiResult<CreatedDocument> {
        let b = body.0;
        let d = docs::copy(
            &state,
            &auth.0,
            &id.0,
            b.space_id.as_deref(),
            b.folder_id.as_deref(),
            b.name.as_deref(),
        )
        .await?;
        Ok(CreatedDocument::Created(Json(document(d, None))))
    }

    /// Download a document's content: the current version, or `?version=N`. Ranges and
    /// conditional requests as for `/files/{id}`.
    #[oai(
        path = "/documents/:id/content",
        method = "get",
        operation_id = "documents_download"
    )]
    async fn download(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        version: Query<Option<i64>>,
        req: &Request,
    ) -> ApiResult<Download> {
        let (file_id, name) = versions::version_file(&state, &auth.0, &id.0, version.0).await?;
        send_file(&state, &auth.0, &file_id, Some(&name), req).await
    }
}
