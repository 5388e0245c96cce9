//! How files feed the search index: the `file` kind, and the outbox jobs that extract a file's
//! text and make its thumbnail (each in a locked-down converter child) and delete blobs no row
//! references any more.

use super::{service::KIND, store};
use crate::{
    authn::Principal,
    error::ApiResult,
    jobs::convert::{self, ConvertError},
    jobs::outbox::HandlerError,
    search::{
        self, extract,
        indexer::{db_err, parse, sync_item},
        Searchable,
    },
    AppState,
};
use async_trait::async_trait;
use sqlx::AnyConnection;

/// Uploaded files, found by name and extracted text (document content is found through its
/// documents instead).
pub struct Files;

#[async_trait]
impl Searchable for Files {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn load(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<search::Doc>, sqlx::Error> {
        search_doc(conn, tenant_id, id).await
    }

    async fn ids_after(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<String>, sqlx::Error> {
        ids_after(conn, tenant_id, after, limit).await
    }

    async fn readable(
        &self,
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        id: &str,
    ) -> ApiResult<bool> {
        match store::get(conn, &p.tenant_id, id).await? {
            Some(f) => super::service::can_read(state, conn, p, &f).await,
            None => Ok(false),
        }
    }
}

#[derive(serde::Deserialize)]
struct FileRef {
    id: String,
}

#[derive(serde::Deserialize)]
struct BlobRef {
    key: String,
}

/// The search document for a file, or `None` when it no longer exists.
async fn search_doc(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<search::Doc>, sqlx::Error> {
    let Some(f) = store::get(conn, tenant_id, id).await? else {
        return Ok(None);
    };
    if f.scope == store::SCOPE_DOCUMENT {
        // Found through its documents (kind `document`), never on its own.
        return Ok(None);
    }
    let body = store::text(conn, tenant_id, id).await?.unwrap_or_default();
    Ok(Some(search::Doc {
        tenant_id: f.tenant_id,
        kind: KIND.to_string(),
        id: f.id,
        owner_id: f.uploader_id.clone(),
        readers: vec![search::user_token(&f.uploader_id)],
        tags: Vec::new(),
        title: f.name,
        body,
        created_at: f.created_at,
    }))
}

/// Ids of a tenant's files after `after`, for reindexing.
async fn ids_after(
    conn: &mut AnyConnection,
    tenant_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    Ok(store::page_all(conn, tenant_id, after, limit)
        .await?
        .into_iter()
        .map(|f| f.id)
        .collect())
}

/// `files.extract {id}`: pull the text out of an uploaded file, keep it, and index the file.
pub async fn handle_extract(
    state: &AppState,
    tenant_id: &str,
    payload: &str,
) -> Result<(), HandlerError> {
    let r: FileRef = parse(payload)?;
    let mut conn = state.db.conn().await.map_err(db_err)?;
    let Some(f) = store::get(&mut conn, tenant_id, &r.id)
        .await
        .map_err(db_err)?
    else {
        // Deleted before we got to it: make sure nothing lingers in the index.
        drop(conn);
        return sync_item(state, tenant_id, KIND, &r.id).await;
    };
    if f.extract_status == "pending" {
        let cfg = &state.cfg.search;
        let too_large = f.size as u64 > cfg.extract_max_input_bytes;
        let zip = f.content_type == "application/zip";
        let mut content_type = f.content_type.clone();
        let (status, error, text) = if extract::kind_for(&content_type).is_none() && !zip {
            ("none", None, None)
        } else if too_large {
            (
                "failed",
                Some(format!(
                    "larger than {} bytes: not extracted",
                    cfg.extract_max_input_bytes
                )),
                None,
            )
        } else {
            let bytes = match state
                .blobs
                .read_all(
                    &mut conn,
                    tenant_id,
                    &f.blob_key,
                    f.key_version,
                    f.size as u64,
                    cfg.extract_max_input_bytes,
                )
                .await
            {
                Ok(b) => b,
                Err(crate::blobs::BlobError::Key(crate::blobs::crypto::KeyError::Destroyed)) => {
                    return Err(HandlerError::permanent("the tenant key was destroyed"))
                }
                Err(e) => return Err(HandlerError::retry(e)),
            };
            if zip {
                if let Some(t) = super::detect::refine_zip(&bytes) {
                    content_type = t.to_string();
                }
            }
            match extract::kind_for(&content_type) {
                None => ("none", None, None),
                Some(kind) => {
                    let limits = extract::Limits {
                        max_input_bytes: cfg.extract_max_input_bytes as usize,
                        max_unpacked_bytes: cfg.extract_max_unpacked_bytes,
                        max_entries: cfg.extract_max_entries,
                        max_output_chars: cfg.extract_max_chars,
                        timeout: std::time::Duration::from_secs(cfg.extract_timeout_secs),
                    };
                    match run_extract(state, kind, bytes, limits).await? {
                        Ok(t) => ("done", None, Some(t)),
                        Err(e) => {
                            tracing::info!(file_id = %f.id, error = %e, "text extraction failed");
                            ("failed", Some(e), None)
                        }
                    }
                }
            }
        };
        if content_type != f.content_type {
            let mut tx = state.db.begin().await.map_err(db_err)?;
            store::set_content_type(&mut tx, tenant_id, &f.id, &content_type)
                .await
                .map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
        }
        drop(conn);
        let mut tx = state.db.begin().await.map_err(db_err)?;
        store::set_extracted(
            &mut tx,
            tenant_id,
            &f.id,
            status,
            error.as_deref(),
            text.as_deref(),
        )
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
    } else {
        drop(conn);
    }
    if super::preview::wanted(&f, &state.cfg.documents) {
        make_thumbnail(state, tenant_id, &f).await?;
    }
    sync_item(state, tenant_id, KIND, &r.id).await?;
    // What shows this file's text (a document whose content it is) now has it.
    let showing = {
        let mut conn = state.db.conn().await.map_err(db_err)?;
        state
            .file_readers
            .showing(&mut conn, tenant_id, &r.id)
            .await
            .map_err(db_err)?
    };
    for (kind, id) in showing {
        sync_item(state, tenant_id, kind, &id).await?;
    }
    Ok(())
}

/// Make and keep a file's thumbnail (in a locked-down child process); a file that cannot be
/// rendered is marked `failed` with the reason.
async fn make_thumbnail(
    state: &AppState,
    tenant_id: &str,
    f: &store::FileRow,
) -> Result<(), HandlerError> {
    let mut conn = state.db.conn().await.map_err(db_err)?;
    if store::preview(&mut conn, tenant_id, &f.id)
        .await
        .map_err(db_err)?
        .is_some()
    {
        return Ok(());
    }
    let limit = state.cfg.documents.thumbnail_max_input_bytes;
    let bytes = match state
        .blobs
        .read_all(
            &mut conn,
            tenant_id,
            &f.blob_key,
            f.key_version,
            f.size as u64,
            limit,
        )
        .await
    {
        Ok(b) => b,
        Err(crate::blobs::BlobError::Key(crate::blobs::crypto::KeyError::Destroyed)) => {
            return Ok(())
        }
        Err(e) => return Err(HandlerError::retry(e)),
    };
    drop(conn);
    let budget = convert::Budget {
        timeout: std::time::Duration::from_secs(state.cfg.convert.thumbnail_timeout_secs),
        max_output: state.cfg.convert.max_output_bytes as usize,
    };
    let made = state
        .convert
        .run(
            super::preview::JOB,
            &serde_json::json!({ "content_type": f.content_type }),
            bytes,
            budget,
        )
        .await;
    let mut tx = state.db.begin().await.map_err(db_err)?;
    match made {
        Ok(jpeg) => store::set_preview(&mut tx, tenant_id, &f.id, "image/jpeg", &jpeg)
            .await
            .map_err(db_err)?,
        Err(ConvertError::Failed(reason)) => {
            tracing::info!(file_id = %f.id, error = %reason, "no thumbnail");
            store::set_preview_status(&mut tx, tenant_id, &f.id, "failed", Some(&reason))
                .await
                .map_err(db_err)?
        }
        Err(ConvertError::Unavailable(e)) => return Err(HandlerError::retry(e)),
    }
    tx.commit().await.map_err(db_err)?;
    Ok(())
}

/// Extract a file's text in a locked-down child process. The outer error means this node could
/// not run the converter (retry); the inner one is the file's fault (recorded as the reason).
async fn run_extract(
    state: &AppState,
    kind: extract::Kind,
    bytes: Vec<u8>,
    limits: extract::Limits,
) -> Result<Result<String, String>, HandlerError> {
    let budget = convert::Budget {
        timeout: limits.timeout,
        // UTF-8 takes at most four bytes a character.
        max_output: limits.max_output_chars.saturating_mul(4),
    };
    let job =
        serde_json::to_value(extract::Job { kind, limits }).map_err(HandlerError::permanent)?;
    match state.convert.run(extract::JOB, &job, bytes, budget).await {
        Ok(out) => Ok(Ok(String::from_utf8_lossy(&out).into_owned())),
        Err(ConvertError::Failed(reason)) => Ok(Err(reason)),
        Err(ConvertError::Unavailable(e)) => Err(HandlerError::retry(e)),
    }
}

/// `blobs.delete {key}`: remove a blob no row references any more.
pub async fn handle_blob_delete(state: &AppState, payload: &str) -> Result<(), HandlerError> {
    let r: BlobRef = parse(payload)?;
    match state.blobs.store.delete(&r.key).await {
        Ok(()) | Err(crate::blobs::BlobError::NotFound) => Ok(()),
        Err(crate::blobs::BlobError::InvalidKey) => {
            Err(HandlerError::permanent("invalid blob key"))
        }
        Err(e) => Err(HandlerError::retry(e)),
    }
}
