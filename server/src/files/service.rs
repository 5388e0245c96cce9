//! Rules for files: who may upload, read and delete; limits and quotas; what an upload commits.
//!
//! Upload order (docs/architecture.md): the blob is written first (streamed, hashed, sealed), then one
//! transaction counts it against the quota, inserts the row, records the audit entry and
//! enqueues text extraction and indexing. A crash between the two leaves an unreferenced blob,
//! which the orphan sweeper removes.

use super::{detect, store, store::FileRow};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    blobs::{BlobError, ByteStream},
    db::{now_ms, outbox},
    error::{ApiError, ApiResult, Code},
    search, AppState,
};
use sqlx::AnyConnection;

pub const TOPIC_EXTRACT: &str = "files.extract";
pub const TOPIC_BLOB_DELETE: &str = "blobs.delete";
/// The search kind of an uploaded file.
pub const KIND: &str = "file";

pub struct Upload {
    pub name: String,
    pub idempotency_key: Option<String>,
    /// The declared length, when the client sent one: lets an oversize upload fail at once.
    pub content_length: Option<u64>,
    pub body: ByteStream,
}

/// A client-supplied file name made safe to store and to send back: the last path segment,
/// without control characters, at most 255 characters.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(255).collect();
    let cleaned = cleaned.trim().trim_matches('.').trim().to_string();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

fn quota_exceeded() -> ApiError {
    ApiError::new(
        Code::QuotaExceeded,
        "the tenant's storage quota does not leave room for this file",
    )
}

/// Store an upload. A retry with the same `Idempotency-Key` returns the first file (and
/// `true`) instead of storing the content twice.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, user_id = %p.user_id))]
pub async fn upload(state: &AppState, p: &Principal, up: Upload) -> ApiResult<(FileRow, bool)> {
    state.authz.require(p, perm::FILES_UPLOAD).await?;
    let staged = match stage(state, p, up, store::SCOPE_USER).await? {
        Staged::Replayed(f) => return Ok((f, true)),
        Staged::New(s) => s,
    };
    let mut tx = state.db.begin().await?;
    if let Err(e) = staged.record(&mut tx, p).await {
        drop(tx);
        return staged.fail(state, p, e).await;
    }
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok((staged.row, false))
}

/// An upload whose content is stored but not yet committed.
pub enum Staged {
    /// The `Idempotency-Key` was used before: its file.
    Replayed(FileRow),
    New(StagedFile),
}

pub struct StagedFile {
    pub row: FileRow,
    quota: i64,
}

impl StagedFile {
    /// Count the file against the tenant's and the uploader's quotas and insert its row, its
    /// audit entry and its extraction job, inside the caller's transaction.
    pub async fn record(&self, tx: &mut AnyConnection, p: &Principal) -> ApiResult<()> {
        let row = &self.row;
        if !store::reserve(tx, &p.tenant_id, row.size, self.quota).await? {
            return Err(quota_exceeded());
        }
        if !store::reserve_user(tx, &p.tenant_id, &row.uploader_id, row.size).await? {
            return Err(ApiError::new(
                Code::QuotaExceeded,
                "your personal storage quota does not leave room for this file",
            ));
        }
        store::insert(tx, row).await?;
        audit::record(
            tx,
            p.audit("file.uploaded")
                .target("file", &row.id)
                .details(serde_json::json!({
                    "size": row.size, "content_type": row.content_type, "sha256": row.sha256,
                    "scope": row.scope,
                })),
        )
        .await?;
        outbox::enqueue(
            tx,
            &p.tenant_id,
            TOPIC_EXTRACT,
            &serde_json::json!({ "id": row.id }),
        )
        .await?;
        Ok(())
    }

    /// The transaction failed: remove the stored content; when a concurrent retry with the
    /// same key won, answer with its file.
    pub async fn fail<T: From<(FileRow, bool)>>(
        &self,
        state: &AppState,
        p: &Principal,
        e: ApiError,
    ) -> ApiResult<T> {
        discard(state, &self.row.blob_key).await;
        if let Some(k) = &self.row.idempotency_key {
            let mut conn = state.db.conn().await?;
            if let Some(f) =
                store::by_idempotency_key(&mut conn, &p.tenant_id, &p.user_id, k).await?
            {
                return Ok((f, true).into());
            }
        }
        Err(e)
    }
}

async fn discard(state: &AppState, key: &str) {
    if let Err(e) = state.blobs.store.delete(key).await {
        tracing::warn!(error = %e, "could not remove a discarded upload; the sweeper will");
    }
}

/// Check the limits and store the content (streamed, hashed, sealed) of an upload; the caller
/// commits it with [`StagedFile::record`].
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, user_id = %p.user_id))]
pub async fn stage(state: &AppState, p: &Principal, up: Upload, scope: &str) -> ApiResult<Staged> {
    if let Some(k) = &up.idempotency_key {
        if !crate::ops::idempotency::valid_key(k) {
            return Err(ApiError::validation(
                "Idempotency-Key",
                "1 to 200 visible ASCII characters",
            )
            .with_code(Code::BadRequest));
        }
    }
    let (max_upload, quota, used, user) = {
        let mut conn = state.db.conn().await?;
        if let Some(k) = &up.idempotency_key {
            if let Some(f) =
                store::by_idempotency_key(&mut conn, &p.tenant_id, &p.user_id, k).await?
            {
                return Ok(Staged::Replayed(f));
            }
        }
        let (max_upload, quota, used) = limits(state, &mut conn, &p.tenant_id).await?;
        let user = store::user_storage(&mut conn, &p.tenant_id, &p.user_id).await?;
        (max_upload, quota, used, user)
    };
    let too_large = || {
        ApiError::new(
            Code::PayloadTooLarge,
            format!("files may be at most {max_upload} bytes"),
        )
    };
    if let Some(len) = up.content_length {
        if len > max_upload {
            return Err(too_large());
        }
        if quota > 0 && used.saturating_add(len as i64) > quota {
            return Err(quota_exceeded());
        }
        let (user_used, user_quota) = user;
        if user_quota > 0 && user_used.saturating_add(len as i64) > user_quota {
            return Err(ApiError::new(
                Code::QuotaExceeded,
                "your personal storage quota does not leave room for this file",
            ));
        }
    }
    let stored = match state
        .blobs
        .put(&state.db, &p.tenant_id, up.body, max_upload)
        .await
    {
        Ok(s) => s,
        Err(BlobError::TooLarge(_)) => return Err(too_large()),
        Err(BlobError::Io(e)) => {
            // The client went away or sent a broken body; nothing was stored.
            return Err(ApiError::bad_request(format!(
                "the upload did not complete: {e}"
            )));
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    if stored.size == 0 {
        discard(state, &stored.key).await;
        return Err(ApiError::new(Code::EmptyFile, "the file is empty"));
    }
    let name = clean_name(&up.name);
    let mut row = FileRow {
        tenant_id: p.tenant_id.clone(),
        id: crate::db::new_id(),
        uploader_id: p.user_id.clone(),
        content_type: detect::content_type(&stored.head, &name, stored.size),
        name,
        size: stored.size as i64,
        sha256: stored.sha256.clone(),
        blob_key: stored.key.clone(),
        key_version: stored.key_version,
        idempotency_key: up.idempotency_key.clone(),
        extract_status: "pending".into(),
        extract_error: None,
        preview_status: "none".into(),
        preview_error: None,
        created_at: now_ms(),
        scope: scope.to_string(),
    };
    if super::preview::wanted(&row, &state.cfg.documents) {
        row.preview_status = "pending".into();
    }
    Ok(Staged::New(StagedFile { row, quota }))
}

/// Whether `p` may read the file now: the uploader, and whoever the features that use the file
/// say (see [`super::readers`]).
pub async fn can_read(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    f: &FileRow,
) -> ApiResult<bool> {
    state.file_readers.can_read(state, conn, p, f).await
}

/// A file the caller may read; 404 otherwise (also for other tenants' ids, so ids do not leak).
pub async fn readable(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<FileRow> {
    let not_found = || ApiError::not_found("file");
    if !crate::db::is_id(id) {
        return Err(not_found());
    }
    let f = store::get(conn, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    if can_read(state, conn, p, &f).await? {
        Ok(f)
    } else {
        Err(not_found())
    }
}

/// Whether a feature may attach file `id` for the caller (to a message, task, meeting,
/// announcement or approval request): a plain upload the caller may read. A document's content
/// is shared through the document, never attached.
pub async fn attachable(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> bool {
    readable(state, conn, p, id)
        .await
        .is_ok_and(|f| f.scope == store::SCOPE_USER)
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, user_id = %p.user_id))]
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<FileRow> {
    let mut conn = state.db.conn().await?;
    readable(state, &mut conn, p, id).await
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, user_id = %p.user_id))]
pub async fn list_mine(
    state: &AppState,
    p: &Principal,
    before: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<FileRow>> {
    let mut conn = state.db.conn().await?;
    Ok(store::list_by_uploader(&mut conn, &p.tenant_id, &p.user_id, before, limit + 1).await?)
}

/// A readable file's thumbnail: (content type, bytes); 404 when it has none.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, user_id = %p.user_id))]
pub async fn thumbnail(state: &AppState, p: &Principal, id: &str) -> ApiResult<(String, Vec<u8>)> {
    let mut conn = state.db.conn().await?;
    let f = readable(state, &mut conn, p, id).await?;
    store::preview(&mut conn, &p.tenant_id, &f.id)
        .await?
        .ok_or_else(|| ApiError::not_found("thumbnail"))
}

pub use super::export::stored_file;
use super::quota::limits;
pub use super::quota::{
    people_storage, set_user_quota, set_user_quota_default, sizes, tenant_usage, usage,
    user_quota_default, PeopleStorage, Usage,
};
pub use crate::http::range::{parse_range, resolve_range, RangeSpec, Unsatisfiable};

pub enum Content {
    /// Stream these bytes (`range` set for a partial answer).
    Bytes {
        file: Box<FileRow>,
        range: Option<(u64, u64)>,
        body: ByteStream,
    },
    /// Send the client to a presigned URL.
    Redirect(String),
    Unsatisfiable {
        size: u64,
    },
}

/// Open a file for download; `name` (a document's) replaces the file's own name in a
/// presigned URL's `Content-Disposition`.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, user_id = %p.user_id))]
pub async fn download(
    state: &AppState,
    p: &Principal,
    id: &str,
    name: Option<&str>,
    range: Option<RangeSpec>,
) -> ApiResult<Content> {
    let mut conn = state.db.conn().await?;
    let f = readable(state, &mut conn, p, id).await?;
    if state.cfg.storage.presign_downloads && f.key_version == 0 {
        if let Some(url) = state
            .blobs
            .store
            .presign_get(
                &f.blob_key,
                state.cfg.storage.presign_ttl_secs,
                name.unwrap_or(&f.name),
                &f.content_type,
            )
            .await
            .map_err(ApiError::internal)?
        {
            return Ok(Content::Redirect(url));
        }
    }
    let size = f.size.max(0) as u64;
    let range = match resolve_range(range, size) {
        Ok(r) => r,
        Err(Unsatisfiable) => return Ok(Content::Unsatisfiable { size }),
    };
    let body = state
        .blobs
        .open(
            &mut conn,
            &p.tenant_id,
            &f.blob_key,
            f.key_version,
            size,
            range,
        )
        .await
        .map_err(blob_error)?;
    Ok(Content::Bytes {
        file: Box::new(f),
        range,
        body,
    })
}

fn blob_error(e: BlobError) -> ApiError {
    match e {
        BlobError::Key(crate::blobs::crypto::KeyError::Destroyed) => ApiError::new(
            Code::KeyDestroyed,
            "this file's content was destroyed and can no longer be read",
        ),
        other => ApiError::internal(other),
    }
}

/// Delete a file: its row now, its blob and index entry through the outbox.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, user_id = %p.user_id))]
pub async fn delete(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let not_found = || ApiError::not_found("file");
    if !crate::db::is_id(id) {
        return Err(not_found());
    }
    let may_manage = state
        .authz
        .permissions(p)
        .await?
        .contains(perm::FILES_MANAGE);
    let mut tx = state.db.begin().await?;
    let f = store::get(&mut tx, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    if f.scope == store::SCOPE_DOCUMENT {
        return Err(if can_read(state, &mut tx, p, &f).await? {
            ApiError::conflict(
                Code::Conflict,
                "this file is a document version: delete the document instead",
            )
        } else {
            not_found()
        });
    }
    if f.uploader_id != p.user_id && !may_manage {
        // Someone who can see the file learns why they may not delete it; others learn nothing.
        return Err(if can_read(state, &mut tx, p, &f).await? {
            ApiError::forbidden(perm::FILES_MANAGE)
        } else {
            not_found()
        });
    }
    purge(&MayDelete(&p.tenant_id), &mut tx, id).await?;
    audit::record(
        &mut tx,
        p.audit("file.deleted")
            .target("file", id)
            .details(serde_json::json!({ "size": f.size, "uploader_id": f.uploader_id })),
    )
    .await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(())
}

/// Proof that the caller uploaded the file or manages files: made only by [`delete`]'s check.
struct MayDelete<'a>(&'a str);

impl crate::authz::Proof for MayDelete<'_> {
    fn tenant_id(&self) -> &str {
        self.0
    }
}

/// Remove a file from every store, inside the caller's transaction: its row and extracted text
/// now (and its quota), its blob and index entry through the outbox. Destructive, so it takes
/// the proof of the check its caller made (a document's editor, the trash sweeper, a room's
/// delete-after-delivery pass…), and acts in that proof's tenant only.
pub async fn purge(
    proof: &dyn crate::authz::Proof,
    conn: &mut AnyConnection,
    id: &str,
) -> Result<crate::lifecycle::Purged, sqlx::Error> {
    let tenant_id = proof.tenant_id();
    let Some(f) = store::get(conn, tenant_id, id).await? else {
        return Ok(crate::lifecycle::Purged::default());
    };
    let rows = store::delete(conn, tenant_id, id).await?;
    store::release(conn, tenant_id, f.size).await?;
    store::release_user(conn, tenant_id, &f.uploader_id, f.size).await?;
    outbox::enqueue(
        conn,
        tenant_id,
        TOPIC_BLOB_DELETE,
        &serde_json::json!({ "key": f.blob_key }),
    )
    .await?;
    search::enqueue_delete(conn, tenant_id, KIND, id).await?;
    Ok(crate::lifecycle::Purged {
        items: 0,
        rows,
        blobs: 1,
        bytes: u64::try_from(f.size).unwrap_or(0),
        index_entries: 1,
    })
}

/// A file's row, for a feature that checked access to it through its own rules.
pub async fn stored(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<FileRow>, sqlx::Error> {
    store::get(conn, tenant_id, id).await
}

/// A file's extracted text, for a feature that checked access to it through its own rules.
pub async fn stored_text(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    store::text(conn, tenant_id, id).await
}

/// Whether a file has a thumbnail.
pub async fn has_thumbnail(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(store::preview(conn, tenant_id, id).await?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\x\\Báo cáo.docx"), "Báo cáo.docx");
        assert_eq!(clean_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(""), "file");
        assert_eq!(clean_name(&"x".repeat(400)).len(), 255);
    }
}
