//! Rules for versions: each points at a `files` row of scope `document`; copies and restored
//! versions point at the same row instead of storing the bytes again. A tenant keeps at most
//! its cap of versions per document, and a file is purged (row, quota, blob, index entry) when
//! the last version pointing at it goes.

use super::{
    access::{self, DocEdit},
    record::{audit_doc, save, KIND},
    settings,
    store::{self, DocRow, VersionRow},
};
use crate::{
    authn::Principal,
    authz::Proof,
    db::now_ms,
    error::{ApiError, ApiResult},
    files::{self, store::FileRow},
    lifecycle::{holds, Purge, Purged},
    search, AppState,
};
use sqlx::AnyConnection;

/// A document's versions with their files (`None` when a file is gone).
pub type VersionList = Vec<(VersionRow, Option<FileRow>)>;

/// Purge `file_id` when no version uses it any more; what went.
pub(super) async fn release_file(
    conn: &mut AnyConnection,
    proof: &dyn Proof,
    file_id: &str,
) -> Result<Purged, sqlx::Error> {
    if store::versions::users_of_file(conn, proof.tenant_id(), file_id).await? == 0 {
        return files::service::purge(proof, conn, file_id).await;
    }
    Ok(Purged::default())
}

/// Remove version `number` of a document, past its retention (the lifecycle's purge), unless
/// it has become the current one meanwhile; what went.
pub(super) async fn purge_old(
    conn: &mut AnyConnection,
    proof: &Purge,
    document_id: &str,
    number: i64,
) -> Result<Purged, sqlx::Error> {
    let tenant_id = proof.tenant_id();
    let Some(d) = store::docs::get(conn, tenant_id, document_id).await? else {
        return Ok(Purged::default());
    };
    if number >= d.version {
        return Ok(Purged::default());
    }
    let Some(file_id) = store::versions::file_of(conn, tenant_id, document_id, number).await?
    else {
        return Ok(Purged::default());
    };
    let gone = store::versions::delete(conn, tenant_id, document_id, number).await?;
    let mut out = release_file(conn, proof, &file_id).await?;
    out.items += gone;
    out.rows += gone;
    Ok(out)
}

/// Add the next version on `file_id`, make it current (in `d`; the caller saves it), and keep
/// at most the tenant's cap.
pub(super) async fn add(
    state: &AppState,
    conn: &mut AnyConnection,
    proof: &DocEdit,
    by: &str,
    d: &mut DocRow,
    file_id: &str,
    restored_from: Option<i64>,
) -> ApiResult<()> {
    proof.covers(d)?;
    let tenant_id = proof.tenant_id();
    let now = now_ms();
    d.version += 1;
    d.file_id = file_id.to_string();
    d.updated_at = now;
    d.updated_by = by.to_string();
    let v = VersionRow {
        number: d.version,
        file_id: file_id.to_string(),
        author_id: by.to_string(),
        created_at: now,
        restored_from,
    };
    store::versions::insert(conn, tenant_id, &d.id, &v).await?;
    let keep = settings::versions_kept(state, conn, tenant_id).await?;
    let old = store::versions::beyond(conn, tenant_id, &d.id, keep).await?;
    // A legal hold keeps the versions it covers, whatever the cap.
    let holds = if old.is_empty() {
        Vec::new()
    } else {
        holds::active(conn, tenant_id).await?
    };
    for v in old {
        let item = holds::Item {
            people: &[v.author_id.as_str(), d.owner_id.as_str()],
            room: None,
            space: Some(&d.space_id),
            at: v.created_at,
        };
        if holds.iter().any(|h| h.covers(&item)) {
            continue;
        }
        store::versions::delete(conn, tenant_id, &d.id, v.number).await?;
        release_file(conn, proof, &v.file_id).await?;
    }
    Ok(())
}

/// A readable document's versions, newest first, with their files.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, document_id = %id))]
pub async fn versions(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<(DocRow, VersionList)> {
    let mut conn = state.db.conn().await?;
    let (d, _) = access::document(state, &mut conn, p, id).await?;
    let rows = store::versions::list(&mut conn, &p.tenant_id, &d.id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for v in rows {
        let f = files::service::stored(&mut conn, &p.tenant_id, &v.file_id).await?;
        out.push((v, f));
    }
    Ok((d, out))
}

/// The file of a version (the current one when `version` is `None`) of a readable document,
/// and the document's name (what the download is called, whichever version it is).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, document_id = %id))]
pub async fn version_file(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: Option<i64>,
) -> ApiResult<(String, String)> {
    let mut conn = state.db.conn().await?;
    let (d, _) = access::document(state, &mut conn, p, id).await?;
    let file_id = match version {
        None => d.file_id,
        Some(n) => store::versions::file_of(&mut conn, &p.tenant_id, &d.id, n)
            .await?
            .ok_or_else(|| ApiError::not_found("version"))?,
    };
    Ok((file_id, d.name))
}

/// Make an earlier version current again: a new version with that content (editors).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, document_id = %id))]
pub async fn restore_version(
    state: &AppState,
    p: &Principal,
    id: &str,
    number: i64,
) -> ApiResult<DocRow> {
    let mut tx = state.db.begin().await?;
    let (mut d, a) = access::document(state, &mut tx, p, id).await?;
    let proof = a.edit()?;
    let file_id = store::versions::file_of(&mut tx, &p.tenant_id, &d.id, number)
        .await?
        .ok_or_else(|| ApiError::not_found("version"))?;
    add(
        state,
        &mut tx,
        &proof,
        &p.user_id,
        &mut d,
        &file_id,
        Some(number),
    )
    .await?;
    save(&mut tx, &proof, &d).await?;
    audit_doc(&mut tx, p, "document.version_restored", &d).await?;
    search::enqueue_index(&mut tx, &p.tenant_id, KIND, &d.id).await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(d)
}
