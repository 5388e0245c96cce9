//! Outbox consumers that keep the index in step with the database, and the registry of
//! searchable kinds. A feature that makes something searchable adds its kind to [`KINDS`] and
//! its arms to [`load`], [`ids_after`] and [`readable`].

use super::{Doc, SearchIndex};
use crate::{
    authn::Principal,
    documents::docs,
    files,
    jobs::convert::{self, ConvertError},
    jobs::outbox::HandlerError,
    messaging,
    search::extract,
    AppState,
};
use sqlx::AnyConnection;

/// Every kind the index holds.
pub const KINDS: &[&str] = &[files::service::KIND, messaging::service::KIND, docs::KIND];

/// The current search document of an item, `None` when it is gone (or must not be indexed).
pub async fn load(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: &str,
    id: &str,
) -> Result<Option<Doc>, sqlx::Error> {
    match kind {
        files::service::KIND => files::service::search_doc(conn, tenant_id, id).await,
        messaging::service::KIND => messaging::messages::search_doc(conn, tenant_id, id).await,
        docs::KIND => docs::search_doc(conn, tenant_id, id).await,
        _ => Ok(None),
    }
}

/// A page of a tenant's item ids of one kind, for reindexing.
pub async fn ids_after(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    match kind {
        files::service::KIND => files::service::ids_after(conn, tenant_id, after, limit).await,
        messaging::service::KIND => {
            messaging::store::message_ids_after(conn, tenant_id, after, limit).await
        }
        docs::KIND => docs::ids_after(conn, tenant_id, after, limit).await,
        _ => Ok(Vec::new()),
    }
}

/// Whether the caller may read the item now, checked against the database: the last word on
/// a hit the index returned.
pub async fn readable(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    kind: &str,
    id: &str,
) -> Result<bool, crate::error::ApiError> {
    match kind {
        files::service::KIND => match files::store::get(conn, &p.tenant_id, id).await? {
            Some(f) => files::service::can_read(state, conn, p, &f).await,
            None => Ok(false),
        },
        messaging::service::KIND => messaging::messages::can_read(conn, p, id).await,
        docs::KIND => docs::can_read(state, conn, p, id).await,
        _ => Ok(false),
    }
}

#[derive(serde::Deserialize)]
struct ItemRef {
    kind: String,
    id: String,
}

#[derive(serde::Deserialize)]
struct FileRef {
    id: String,
}

#[derive(serde::Deserialize)]
struct BlobRef {
    key: String,
}

fn parse<T: serde::de::DeserializeOwned>(payload: &str) -> Result<T, HandlerError> {
    serde_json::from_str(payload).map_err(HandlerError::permanent)
}

fn db_err(e: sqlx::Error) -> HandlerError {
    HandlerError::retry(e)
}

/// Bring one item's index entry up to date: upsert what exists, delete what does not.
pub async fn sync_item(
    state: &AppState,
    tenant_id: &str,
    kind: &str,
    id: &str,
) -> Result<(), HandlerError> {
    let doc = {
        let mut conn = state.db.conn().await.map_err(db_err)?;
        load(&mut conn, tenant_id, kind, id).await.map_err(db_err)?
    };
    match doc {
        Some(d) => state.search.upsert(vec![d]).await,
        None => state.search.delete(tenant_id, kind, id).await,
    }
    .map_err(HandlerError::from)
}

/// `search.index {kind, id}`.
pub async fn handle_index(
    state: &AppState,
    tenant_id: &str,
    payload: &str,
) -> Result<(), HandlerError> {
    let r: ItemRef = parse(payload)?;
    sync_item(state, tenant_id, &r.kind, &r.id).await
}

/// Rebuild the index of one tenant from the database.
pub async fn reindex_tenant(
    db: &crate::db::Db,
    index: &dyn SearchIndex,
    tenant_id: &str,
) -> Result<u64, HandlerError> {
    index
        .delete_tenant(tenant_id)
        .await
        .map_err(HandlerError::from)?;
    let mut n = 0u64;
    for kind in KINDS {
        let mut after = String::new();
        loop {
            let mut conn = db.conn().await.map_err(db_err)?;
            let ids = ids_after(&mut conn, tenant_id, kind, &after, 500)
                .await
                .map_err(db_err)?;
            let Some(last) = ids.last().cloned() else {
                break;
            };
            let mut docs = Vec::with_capacity(ids.len());
            for id in &ids {
                if let Some(d) = load(&mut conn, tenant_id, kind, id).await.map_err(db_err)? {
                    docs.push(d);
                }
            }
            drop(conn);
            n += docs.len() as u64;
            index.upsert(docs).await.map_err(HandlerError::from)?;
            after = last;
        }
    }
    index.flush().await.map_err(HandlerError::from)?;
    Ok(n)
}

/// `search.reindex`: one tenant, or every tenant when the message has none.
pub async fn handle_reindex(state: &AppState, tenant_id: &str) -> Result<(), HandlerError> {
    let tenants: Vec<String> = if tenant_id.is_empty() {
        let mut conn = state.db.conn().await.map_err(db_err)?;
        sqlx::query_scalar("select id from tenants order by id")
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?
    } else {
        vec![tenant_id.to_string()]
    };
    for t in tenants {
        let n = reindex_tenant(&state.db, state.search.as_ref(), &t).await?;
        tracing::info!(tenant_id = %t, documents = n, "search index rebuilt");
    }
    Ok(())
}

/// `files.extract {id}`: pull the text out of an uploaded file, keep it, and index the file.
pub async fn handle_extract(
    state: &AppState,
    tenant_id: &str,
    payload: &str,
) -> Result<(), HandlerError> {
    let r: FileRef = parse(payload)?;
    let mut conn = state.db.conn().await.map_err(db_err)?;
    let Some(f) = files::store::get(&mut conn, tenant_id, &r.id)
        .await
        .map_err(db_err)?
    else {
        // Deleted before we got to it: make sure nothing lingers in the index.
        drop(conn);
        return sync_item(state, tenant_id, files::service::KIND, &r.id).await;
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
                if let Some(t) = files::detect::refine_zip(&bytes) {
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
            files::store::set_content_type(&mut tx, tenant_id, &f.id, &content_type)
                .await
                .map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
        }
        drop(conn);
        let mut tx = state.db.begin().await.map_err(db_err)?;
        files::store::set_extracted(
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
    if files::preview::wanted(&f, &state.cfg.documents) {
        make_thumbnail(state, tenant_id, &f).await?;
    }
    sync_item(state, tenant_id, files::service::KIND, &r.id).await?;
    // Documents whose current content this is now have its text.
    let users = {
        let mut conn = state.db.conn().await.map_err(db_err)?;
        docs::using_file(&mut conn, tenant_id, &r.id)
            .await
            .map_err(db_err)?
    };
    for d in users {
        sync_item(state, tenant_id, docs::KIND, &d).await?;
    }
    Ok(())
}

/// Make and keep a file's thumbnail (in a locked-down child process); a file that cannot be
/// rendered is marked `failed` with the reason.
async fn make_thumbnail(
    state: &AppState,
    tenant_id: &str,
    f: &files::store::FileRow,
) -> Result<(), HandlerError> {
    let mut conn = state.db.conn().await.map_err(db_err)?;
    if files::store::preview(&mut conn, tenant_id, &f.id)
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
            files::preview::JOB,
            &serde_json::json!({ "content_type": f.content_type }),
            bytes,
            budget,
        )
        .await;
    let mut tx = state.db.begin().await.map_err(db_err)?;
    match made {
        Ok(jpeg) => files::store::set_preview(&mut tx, tenant_id, &f.id, "image/jpeg", &jpeg)
            .await
            .map_err(db_err)?,
        Err(ConvertError::Failed(reason)) => {
            tracing::info!(file_id = %f.id, error = %reason, "no thumbnail");
            files::store::set_preview_status(&mut tx, tenant_id, &f.id, "failed", Some(&reason))
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

/// `stoa search reindex`: rebuild here when the index can be opened; when a running server
/// holds the embedded index, ask it to through the outbox.
pub async fn reindex_command(
    cfg: crate::config::Config,
    tenant_slug: Option<&str>,
) -> Result<String, crate::BoxError> {
    let state = crate::build_cli_state(cfg).await?;
    let tenant_id = match tenant_slug {
        Some(slug) => {
            let mut conn = state.db.conn().await?;
            crate::tenants::store::by_slug(&mut conn, slug)
                .await?
                .ok_or_else(|| format!("no tenant with slug `{slug}`"))?
                .id
        }
        None => String::new(),
    };
    match super::from_config(&state.cfg).await {
        Ok(index) => {
            let tenants: Vec<String> = if tenant_id.is_empty() {
                let mut conn = state.db.conn().await?;
                sqlx::query_scalar("select id from tenants order by id")
                    .fetch_all(&mut *conn)
                    .await?
            } else {
                vec![tenant_id]
            };
            let mut n = 0;
            for t in &tenants {
                n += reindex_tenant(&state.db, index.as_ref(), t)
                    .await
                    .map_err(|e| e.message)?;
            }
            Ok(format!(
                "search index rebuilt: {n} documents in {} tenant(s)",
                tenants.len()
            ))
        }
        Err(e) if state.cfg.search.backend == "embedded" => {
            tracing::info!(error = %e, "index busy; handing the rebuild to the server");
            let mut tx = state.db.begin().await?;
            crate::db::outbox::enqueue(
                &mut tx,
                &tenant_id,
                super::TOPIC_REINDEX,
                &serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
            Ok("the running server holds the index: rebuild queued; it runs within seconds".into())
        }
        Err(e) => Err(e),
    }
}

/// `stoa search count`: a tenant's entries in the index, or one item's (0 or 1).
pub async fn count_command(
    cfg: crate::config::Config,
    tenant_slug: &str,
    kind: Option<&str>,
    id: Option<&str>,
) -> Result<u64, crate::BoxError> {
    let state = crate::build_cli_state(cfg).await?;
    let tenant_id = {
        let mut conn = state.db.conn().await?;
        crate::tenants::store::by_slug(&mut conn, tenant_slug)
            .await?
            .ok_or_else(|| format!("no tenant with slug `{tenant_slug}`"))?
            .id
    };
    let index = super::from_config(&state.cfg).await?;
    let item = match (kind, id) {
        (Some(k), Some(i)) => Some((k, i)),
        (None, None) => None,
        _ => return Err("give --kind and --id together".into()),
    };
    Ok(index.count(&tenant_id, item).await?)
}
