//! Rules for documents (the entity): reading, listing, metadata, moves, copies, and what
//! search and downloads need to decide who reads them. Uploads are in [`super::uploads`],
//! versions in [`super::versions`], the trash in [`super::trash`].

use super::{
    access::{self, DocAccess, PlaceEdit},
    meta::{after_key, clean_name, Meta},
    readers::{department_token, role_token, space_token, MANAGE_TOKEN},
    record::{audit_doc, name_clash, save},
    store::{self, DocRow},
    versions,
};
use crate::{
    audit,
    authn::Principal,
    db::{new_id, now_ms},
    error::{ApiError, ApiResult},
    files::{self, store::FileRow},
    search, AppState,
};
use sqlx::AnyConnection;

pub use super::record::KIND;

/// Where a new document's metadata comes from.
pub(super) enum Fill<'a> {
    /// An upload's metadata.
    Meta(&'a Meta),
    /// A copy takes the original's.
    CopyOf(&'a DocRow),
}

/// Create a document named `name` in a place the caller edits, on `file_id` as its first
/// version: its row, first version and saved fields.
pub(super) async fn create(
    state: &AppState,
    conn: &mut AnyConnection,
    proof: &PlaceEdit,
    p: &Principal,
    name: &str,
    fill: Fill<'_>,
    file_id: &str,
) -> ApiResult<DocRow> {
    let now = now_ms();
    let mut d = DocRow {
        id: new_id(),
        space_id: proof.space_id().to_string(),
        folder_id: proof.folder_id().map(str::to_string),
        name: name.to_string(),
        title: String::new(),
        description: String::new(),
        keywords: "[]".into(),
        latitude_e7: None,
        longitude_e7: None,
        file_id: file_id.to_string(),
        version: 0,
        owner_id: p.user_id.clone(),
        created_at: now,
        updated_at: now,
        updated_by: p.user_id.clone(),
        trashed_at: None,
        trashed_via: None,
        trashed_by: None,
    };
    match fill {
        Fill::Meta(m) => m.apply(&mut d),
        Fill::CopyOf(src) => {
            d.title = src.title.clone();
            d.description = src.description.clone();
            d.keywords = src.keywords.clone();
            d.latitude_e7 = src.latitude_e7;
            d.longitude_e7 = src.longitude_e7;
        }
    }
    store::docs::insert(conn, proof.tenant_id(), &d)
        .await
        .map_err(name_clash)?;
    let edit = proof.create(&d.id);
    versions::add(state, conn, &edit, &p.user_id, &mut d, file_id, None).await?;
    save(conn, &edit, &d).await?;
    Ok(d)
}

/// Documents directly in a folder (or at the top of the space), by name, after the cursor's
/// `(name, id)` (the sort key of the last document the caller was shown).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, space_id = %space_id))]
pub async fn list(
    state: &AppState,
    p: &Principal,
    space_id: &str,
    folder_id: Option<&str>,
    after: Option<Vec<String>>,
    limit: i64,
) -> ApiResult<(Vec<DocRow>, access::Access)> {
    let mut conn = state.db.conn().await?;
    let (s, place) = access::place(state, &mut conn, p, space_id, folder_id, "folder_id").await?;
    let rows = store::docs::list(
        &mut conn,
        &p.tenant_id,
        &s.id,
        place.folder_id().map(str::to_string),
        after_key(after),
        limit + 1,
    )
    .await?;
    Ok((rows, place.access()))
}

/// A readable document with its content's details.
pub struct Detail {
    pub doc: DocRow,
    pub access: access::Access,
    pub file: Option<FileRow>,
    /// The first lines of its text, when it has any.
    pub snippet: Option<String>,
    pub has_thumbnail: bool,
}

/// A document the caller reads, with its content's details and a preview.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, document_id = %id))]
pub async fn detail(state: &AppState, p: &Principal, id: &str) -> ApiResult<Detail> {
    let mut conn = state.db.conn().await?;
    let (d, a) = access::document(state, &mut conn, p, id).await?;
    let file = files::service::stored(&mut conn, &p.tenant_id, &d.file_id).await?;
    let snippet = files::service::stored_text(&mut conn, &p.tenant_id, &d.file_id)
        .await?
        .map(|t| crate::search::text::lead(&t, 300))
        .filter(|t| !t.is_empty());
    let has_thumbnail = files::service::has_thumbnail(&mut conn, &p.tenant_id, &d.file_id).await?;
    Ok(Detail {
        doc: d,
        access: a.access(),
        file,
        snippet,
        has_thumbnail,
    })
}

/// Change metadata and/or move within the space (editors; the destination needs editing too).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, document_id = %id))]
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    meta: Meta,
    folder_id: Option<&str>,
) -> ApiResult<(DocRow, access::Access)> {
    let meta = meta.validate()?;
    let mut tx = state.db.begin().await?;
    let (mut d, a) = access::document(state, &mut tx, p, id).await?;
    let proof = a.edit()?;
    if let Some(fid) = folder_id {
        let (_, dest) =
            access::place(state, &mut tx, p, &d.space_id, Some(fid), "folder_id").await?;
        let dest = dest.edit()?;
        d.folder_id = dest.folder_id().map(str::to_string);
    }
    meta.apply(&mut d);
    d.updated_at = now_ms();
    d.updated_by = p.user_id.clone();
    save(&mut tx, &proof, &d).await?;
    audit_doc(&mut tx, p, "document.updated", &d).await?;
    search::enqueue_index(&mut tx, &p.tenant_id, KIND, &d.id).await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    let a = {
        let mut conn = state.db.conn().await?;
        access::document(state, &mut conn, p, id)
            .await
            .map(|(_, a)| a.access())
            .unwrap_or(a.access())
    };
    Ok((d, a))
}

/// Copy a document (its current version) into a place the caller edits. The copy shares the
/// stored content: no bytes are written and no quota is used.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, document_id = %id))]
pub async fn copy(
    state: &AppState,
    p: &Principal,
    id: &str,
    space_id: Option<&str>,
    folder_id: Option<&str>,
    name: Option<&str>,
) -> ApiResult<DocRow> {
    let mut tx = state.db.begin().await?;
    let (src, _): (DocRow, DocAccess) = access::document(state, &mut tx, p, id).await?;
    let space_id = space_id.unwrap_or(&src.space_id).to_string();
    let folder_id = match folder_id {
        Some(f) => Some(f.to_string()),
        None if space_id == src.space_id => src.folder_id.clone(),
        None => None,
    };
    let (s, place) = access::place(
        state,
        &mut tx,
        p,
        &space_id,
        folder_id.as_deref(),
        "folder_id",
    )
    .await
    .map_err(|e| {
        if e.status() == poem::http::StatusCode::NOT_FOUND {
            ApiError::validation("space_id", "no such space you can see")
        } else {
            e
        }
    })?;
    let proof = place.edit()?;
    let name = match name {
        Some(n) => clean_name("name", n)?,
        None if s.id == src.space_id && proof.folder_id() == src.folder_id.as_deref() => {
            format!("{} (copy)", src.name)
        }
        None => src.name.clone(),
    };
    let d = create(
        state,
        &mut tx,
        &proof,
        p,
        &name,
        Fill::CopyOf(&src),
        &src.file_id,
    )
    .await?;
    audit::record(
        &mut tx,
        p.audit("document.copied")
            .target("document", &d.id)
            .details(serde_json::json!({ "from": src.id, "space_id": d.space_id })),
    )
    .await?;
    search::enqueue_index(&mut tx, &p.tenant_id, KIND, &d.id).await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(d)
}

/// Whether `p` may read document content stored as `file_id` now: some live document with a
/// version on it is readable to them.
pub async fn file_readable(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    file_id: &str,
) -> ApiResult<bool> {
    let ids = store::docs::live_with_version_on(conn, &p.tenant_id, file_id).await?;
    for id in ids {
        if let Some(d) = store::docs::get(conn, &p.tenant_id, &id).await? {
            if access::reads_document(state, conn, p, &d).await? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Search document of a document: its names, metadata and current content; readable by its
/// space's readers and everyone a share reaches.
pub async fn search_doc(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<search::Doc>, sqlx::Error> {
    if !crate::db::is_id(id) {
        return Ok(None);
    }
    let Some(d) = store::docs::get(conn, tenant_id, id).await? else {
        return Ok(None);
    };
    if d.trashed_at.is_some() {
        return Ok(None);
    }
    let Some(s) = store::spaces::get(conn, tenant_id, &d.space_id).await? else {
        return Ok(None);
    };
    let mut readers = match s.kind.as_str() {
        "personal" => vec![search::user_token(&s.created_by)],
        _ => vec![space_token(&s.id), MANAGE_TOKEN.to_string()],
    };
    let chain = access::folder_chain(conn, tenant_id, d.folder_id.as_deref()).await?;
    let mut targets: Vec<(&str, String)> = chain.into_iter().map(|f| ("folder", f)).collect();
    targets.push(("document", d.id.clone()));
    for (kind, target) in targets {
        for (gk, gid) in store::shares::grantees(conn, tenant_id, kind, &target).await? {
            let t = match gk.as_str() {
                "role" => role_token(&gid),
                "department" => department_token(&gid),
                _ => search::user_token(&gid),
            };
            if !readers.contains(&t) {
                readers.push(t);
            }
        }
    }
    let f = files::service::stored(conn, tenant_id, &d.file_id).await?;
    let content = files::service::stored_text(conn, tenant_id, &d.file_id)
        .await?
        .unwrap_or_default();
    let keywords = d.keyword_list();
    let mut tags = vec![format!("space:{}", d.space_id)];
    if let Some(f) = &f {
        let essence = f
            .content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        if let Some((major, _)) = essence.split_once('/') {
            tags.push(format!("type:{major}"));
        }
        tags.push(format!("type:{essence}"));
    }
    let title = if d.title.is_empty() {
        d.name.clone()
    } else {
        d.title.clone()
    };
    let mut body = String::new();
    for part in [&d.name, &d.description, &keywords.join(", "), &content] {
        if !part.is_empty() && part != &title {
            body.push_str(part);
            body.push('\n');
        }
    }
    Ok(Some(search::Doc {
        tenant_id: tenant_id.to_string(),
        kind: KIND.to_string(),
        id: d.id,
        owner_id: d.owner_id,
        readers,
        tags,
        title,
        body,
        created_at: d.updated_at,
    }))
}

/// Ids of a tenant's live documents after `after`, for reindexing.
pub async fn ids_after(
    conn: &mut AnyConnection,
    tenant_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    store::docs::ids_after(conn, tenant_id, after, limit).await
}

/// Live documents whose current content is `file_id` (to reindex when its text arrives).
pub async fn using_file(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    store::docs::using_file(conn, tenant_id, file_id).await
}

/// Whether `p` may read the document now (search's last word).
pub async fn can_read(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<bool> {
    match access::document(state, conn, p, id).await {
        Ok(_) => Ok(true),
        Err(e) if e.status() == poem::http::StatusCode::NOT_FOUND => Ok(false),
        Err(e) => Err(e),
    }
}
