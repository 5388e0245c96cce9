//! `/spaces/{id}/documents`, `/documents`, the trash, `/shares`, document settings and storage.

use super::{
    docs::{self, DocRow, Meta, Uploaded},
    service::Access,
    settings, shares,
};
use crate::{
    authn::Session,
    db::rfc3339,
    error::{ApiError, ApiResult},
    files::{
        self,
        api::{send_file, upload_parts, Download, UploadBody},
    },
    http::{ApiTags, NoContent},
    pagination, AppState,
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

fn document(d: DocRow, a: Option<Access>) -> Document {
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
        role: a.map(|a| a.role.as_str().to_string()),
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

#[derive(Debug, Object)]
pub struct TrashItem {
    /// `folder` or `document`.
    pub kind: String,
    pub id: String,
    pub name: String,
    pub trashed_at: String,
    pub trashed_by: String,
    /// When it is purged for good unless restored.
    pub purge_at: String,
}

#[derive(Debug, Object)]
pub struct Share {
    pub id: String,
    pub space_id: String,
    /// `folder` or `document`.
    pub target_kind: String,
    pub target_id: String,
    /// `user` or `role`.
    pub grantee_kind: String,
    pub grantee_id: String,
    /// `viewer` or `editor`.
    pub role: String,
    pub created_by: String,
    pub created_at: String,
}

impl From<shares::ShareRow> for Share {
    fn from(s: shares::ShareRow) -> Self {
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
    /// `user` or `role`.
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

#[derive(Debug, Object)]
pub struct DocumentSettings {
    /// Versions kept per document; older ones are purged.
    pub versions_kept: i64,
    /// Days in the trash before items are purged (0 = at the next sweep).
    pub trash_retention_days: i64,
    /// Storage each person may use, in bytes (0 = no per-person limit).
    pub user_quota_bytes: i64,
    /// Settings that follow the install's default.
    pub defaults: Vec<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetDocumentSettings {
    /// Omitted or `null`: the install's default.
    pub versions_kept: Option<i64>,
    pub trash_retention_days: Option<i64>,
    pub user_quota_bytes: Option<i64>,
}

#[derive(Debug, Object)]
pub struct SpaceUsage {
    pub space_id: String,
    pub name: String,
    pub kind: String,
    pub documents: i64,
    pub bytes: i64,
}

#[derive(Debug, Object)]
pub struct PersonUsage {
    pub user_id: String,
    pub display_name: String,
    pub used_bytes: i64,
    /// 0 = no per-person limit.
    pub quota_bytes: i64,
}

#[derive(Debug, Object)]
pub struct StorageOverview {
    pub used_bytes: i64,
    /// The tenant's quota (0 = unlimited).
    pub quota_bytes: i64,
    pub spaces: Vec<SpaceUsage>,
    pub users: Vec<PersonUsage>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetUserQuota {
    /// Bytes (0 = no limit); `null` follows the tenant's per-person setting.
    pub quota_bytes: Option<i64>,
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

fn outcome(u: Uploaded) -> UploadOutcome {
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

#[derive(ApiResponse)]
pub enum ShareOutcome {
    #[oai(status = 201)]
    Created(Json<Share>),
    /// The grantee already had a share here: its role was changed.
    #[oai(status = 200)]
    Updated(Json<Share>),
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

fn trash_kind(kind: &str) -> ApiResult<&'static str> {
    match kind {
        "documents" => Ok("documents"),
        "folders" => Ok("folders"),
        _ => Err(ApiError::not_found("trash item")),
    }
}

#[derive(Default)]
pub struct DocumentFilesApi;

#[OpenApi(tag = "ApiTags::Documents")]
impl DocumentFilesApi {
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
        let location = docs::check_location(lat, lon)?;
        let meta = Meta {
            name: pick(name.0, "name"),
            title: pick(title.0, "title"),
            description: pick(description.0, "description"),
            keywords: keywords_param(pick(keywords.0, "keywords")),
            location: location.map(Some),
        };
        let folder = pick(folder_id.0, "folder_id");
        let u = docs::upload(
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
        let mut conn = state.db.conn().await?;
        let (d, a) = docs::document(&state, &mut conn, &auth.0, &id.0).await?;
        let f = files::store::get(&mut conn, &auth.0.tenant_id, &d.file_id).await?;
        let snippet = files::store::text(&mut conn, &auth.0.tenant_id, &d.file_id)
            .await?
            .map(|t| crate::search::text::lead(&t, 300))
            .filter(|t| !t.is_empty());
        let has_thumbnail = files::store::preview(&mut conn, &auth.0.tenant_id, &d.file_id)
            .await?
            .is_some();
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
            (Some(l), _) => Some(docs::check_location(Some(l.latitude), Some(l.longitude))?),
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
        docs::trash_document(&state, &auth.0, &id.0).await?;
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
        let (file_id, name) = docs::version_file(&state, &auth.0, &id.0, version.0).await?;
        send_file(&state, &auth.0, &file_id, Some(&name), req).await
    }

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
        let (d, rows) = docs::versions(&state, &auth.0, &id.0).await?;
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
        let u = docs::upload_version(
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
        let d = docs::restore_version(&state, &auth.0, &id.0, number.0).await?;
        Ok(Json(document(d, None)))
    }

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
        let items = docs::trash_list(&state, &auth.0, &id.0).await?;
        Ok(Json(
            items
                .into_iter()
                .map(|t| TrashItem {
                    kind: t.kind.into(),
                    id: t.id,
                    name: t.name,
                    trashed_at: rfc3339(t.trashed_at),
                    trashed_by: t.trashed_by,
                    purge_at: rfc3339(t.purge_at),
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
        docs::restore(&state, &auth.0, trash_kind(&kind.0)?, &id.0).await?;
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
        docs::purge_now(&state, &auth.0, trash_kind(&kind.0)?, &id.0).await?;
        Ok(NoContent::Done)
    }

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

    /// The tenant's document settings (`documents.manage`).
    #[oai(
        path = "/settings/documents",
        method = "get",
        operation_id = "documents_settings_get"
    )]
    async fn settings_get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<DocumentSettings>> {
        Ok(Json(settings_out(settings::get(&state, &auth.0).await?)))
    }

    /// Change the tenant's document settings (`documents.manage`).
    #[oai(
        path = "/settings/documents",
        method = "put",
        operation_id = "documents_settings_set"
    )]
    async fn settings_set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<SetDocumentSettings>,
    ) -> ApiResult<Json<DocumentSettings>> {
        let b = body.0;
        let s = settings::set(
            &state,
            &auth.0,
            b.versions_kept,
            b.trash_retention_days,
            b.user_quota_bytes,
        )
        .await?;
        Ok(Json(settings_out(s)))
    }

    /// Storage per space and per person: the whole tenant for those who manage documents,
    /// oneself and one's spaces for everyone else.
    #[oai(path = "/storage", method = "get", operation_id = "storage_get")]
    async fn storage(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<StorageOverview>> {
        let u = settings::usage(&state, &auth.0).await?;
        Ok(Json(StorageOverview {
            used_bytes: u.used_bytes,
            quota_bytes: u.quota_bytes,
            spaces: u
                .spaces
                .into_iter()
                .map(|s| SpaceUsage {
                    space_id: s.space_id,
                    name: s.name,
                    kind: s.kind,
                    documents: s.documents,
                    bytes: s.bytes,
                })
                .collect(),
            users: u
                .users
                .into_iter()
                .map(|p| PersonUsage {
                    user_id: p.user_id,
                    display_name: p.display_name,
                    used_bytes: p.used_bytes,
                    quota_bytes: p.quota_bytes,
                })
                .collect(),
        }))
    }

    /// Set one person's storage quota (`documents.manage`).
    #[oai(
        path = "/storage/users/:user_id",
        method = "put",
        operation_id = "storage_set_user_quota"
    )]
    async fn set_user_quota(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        user_id: Path<String>,
        body: Json<SetUserQuota>,
    ) -> ApiResult<NoContent> {
        settings::set_user_quota(&state, &auth.0, &user_id.0, body.0.quota_bytes).await?;
        Ok(NoContent::Done)
    }
}

fn settings_out(s: settings::Settings) -> DocumentSettings {
    DocumentSettings {
        versions_kept: s.versions_kept,
        trash_retention_days: s.trash_retention_days,
        user_quota_bytes: s.user_quota_bytes,
        defaults: s.defaults.into_iter().map(String::from).collect(),
    }
}
