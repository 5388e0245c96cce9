//! Uploading documents: into a space or folder (a new document, or a new version of the one
//! of the same name there), or as a new version of a given document.
//!
//! The flow: the route parses the body, [`upload`] checks the place, has `files` stage the
//! content (streamed, hashed, sealed), then one transaction checks access again, commits the
//! file (quota, row) and writes the document and its version.

use super::{
    access::{self, DocEdit},
    docs::{self, Fill},
    meta::{clean_name, Meta},
    record::{audit_doc, save, KIND},
    store::{self, DocRow},
    versions,
};
use crate::{
    authn::Principal,
    authz::perm,
    error::{ApiError, ApiResult, Code},
    files::{self, store::FileRow},
    search, AppState,
};
use sqlx::AnyConnection;

/// What an upload did.
pub enum Uploaded {
    Created(DocRow),
    /// A document of that name existed in the folder: the upload became its new version.
    NewVersion(DocRow),
    /// A retry with an `Idempotency-Key` already used for this upload.
    Replayed(DocRow),
}

/// The document an idempotent retry refers to, as the caller may read it now: a retry is
/// answered with the document's current metadata, so access is checked again (someone who
/// has since left the space, or whose share was revoked, gets a 404 like any other read).
async fn replayed(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    f: &FileRow,
) -> ApiResult<DocRow> {
    match store::versions::first_document_on(conn, &p.tenant_id, &f.id, &p.user_id).await? {
        Some(id) => Ok(access::document(state, conn, p, &id).await?.0),
        None => Err(ApiError::new(
            Code::IdempotencyKeyReused,
            "this Idempotency-Key was used for another request",
        )),
    }
}

/// Store an upload's content as document content: the staged file, or (`Err`) the answer to a
/// retry whose `Idempotency-Key` was used before.
async fn stage(
    state: &AppState,
    p: &Principal,
    up: files::service::Upload,
) -> ApiResult<Result<files::service::StagedFile, Uploaded>> {
    match files::service::stage(state, p, up, files::store::SCOPE_DOCUMENT).await? {
        files::service::Staged::New(s) => Ok(Ok(s)),
        files::service::Staged::Replayed(f) => {
            let mut conn = state.db.conn().await?;
            Ok(Err(Uploaded::Replayed(
                replayed(state, &mut conn, p, &f).await?,
            )))
        }
    }
}

/// The commit of a staged upload failed: remove its content, unless a concurrent retry with the
/// same key won, whose document is then the answer.
async fn failed(
    state: &AppState,
    p: &Principal,
    staged: &files::service::StagedFile,
    e: ApiError,
) -> ApiResult<Uploaded> {
    let (f, _): (FileRow, bool) = staged.fail(state, p, e).await?;
    let mut conn = state.db.conn().await?;
    Ok(Uploaded::Replayed(replayed(state, &mut conn, p, &f).await?))
}

/// Upload into a space (and folder). A live document of the same name in that folder gets
/// the upload as its new version instead.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, space_id = %space_id))]
pub async fn upload(
    state: &AppState,
    p: &Principal,
    space_id: &str,
    folder_id: Option<&str>,
    meta: Meta,
    up: files::service::Upload,
) -> ApiResult<Uploaded> {
    state.authz.require(p, perm::FILES_UPLOAD).await?;
    let meta = meta.validate()?;
    {
        // Refuse before reading the body when the place is wrong.
        let mut conn = state.db.conn().await?;
        let (_, place) =
            access::place(state, &mut conn, p, space_id, folder_id, "folder_id").await?;
        place.edit()?;
    }
    let name = meta
        .name
        .clone()
        .unwrap_or_else(|| files::service::clean_name(&up.name));
    let name = clean_name("name", &name)?;
    let staged = match stage(state, p, up).await? {
        Ok(s) => s,
        Err(replay) => return Ok(replay),
    };
    let res = commit_upload(state, p, space_id, folder_id, &name, &meta, &staged).await;
    match res {
        Ok(u) => {
            state.outbox_wake.noted();
            Ok(u)
        }
        Err(e) => failed(state, p, &staged, e).await,
    }
}

async fn commit_upload(
    state: &AppState,
    p: &Principal,
    space_id: &str,
    folder_id: Option<&str>,
    name: &str,
    meta: &Meta,
    staged: &files::service::StagedFile,
) -> ApiResult<Uploaded> {
    let mut tx = state.db.begin().await?;
    // Checked again inside the transaction: access may have changed while the body streamed.
    let (_, place) = access::place(state, &mut tx, p, space_id, folder_id, "folder_id").await?;
    let here = place.edit()?;
    staged.record(&mut tx, p).await?;
    let existing = store::docs::by_name(
        &mut tx,
        &p.tenant_id,
        here.space_id(),
        here.folder_id(),
        name,
    )
    .await?;
    let out = match existing {
        Some(d) => {
            let (mut d, a) = access::document(state, &mut tx, p, &d.id).await?;
            let proof = a.edit()?;
            meta.apply(&mut d);
            d.name = name.to_string();
            new_version(state, &mut tx, &proof, p, &mut d, &staged.row.id).await?;
            Uploaded::NewVersion(d)
        }
        None => {
            let d = docs::create(
                state,
                &mut tx,
                &here,
                p,
                name,
                Fill::Meta(meta),
                &staged.row.id,
            )
            .await?;
            audit_doc(&mut tx, p, "document.created", &d).await?;
            Uploaded::Created(d)
        }
    };
    let d = match &out {
        Uploaded::Created(d) | Uploaded::NewVersion(d) | Uploaded::Replayed(d) => d,
    };
    search::enqueue_index(&mut tx, &p.tenant_id, KIND, &d.id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Make `file_id` the document's current version: the version row (keeping the tenant's cap),
/// the saved document and its audit entry.
async fn new_version(
    state: &AppState,
    tx: &mut AnyConnection,
    proof: &DocEdit,
    p: &Principal,
    d: &mut DocRow,
    file_id: &str,
) -> ApiResult<()> {
    versions::add(state, tx, proof, &p.user_id, d, file_id, None).await?;
    save(tx, proof, d).await?;
    audit_doc(tx, p, "document.version_added", d)
        .await
        .map_err(Into::into)
}

/// Upload a new version of a document (its editors).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, document_id = %id))]
pub async fn upload_version(
    state: &AppState,
    p: &Principal,
    id: &str,
    up: files::service::Upload,
) -> ApiResult<Uploaded> {
    state.authz.require(p, perm::FILES_UPLOAD).await?;
    {
        let mut conn = state.db.conn().await?;
        let (_, a) = access::document(state, &mut conn, p, id).await?;
        a.edit()?;
    }
    let staged = match stage(state, p, up).await? {
        Ok(s) => s,
        Err(replay) => return Ok(replay),
    };
    let res: ApiResult<DocRow> = async {
        let mut tx = state.db.begin().await?;
        let (mut d, a) = access::document(state, &mut tx, p, id).await?;
        let proof = a.edit()?;
        staged.record(&mut tx, p).await?;
        new_version(state, &mut tx, &proof, p, &mut d, &staged.row.id).await?;
        search::enqueue_index(&mut tx, &p.tenant_id, KIND, &d.id).await?;
        tx.commit().await?;
        Ok(d)
    }
    .await;
    match res {
        Ok(d) => {
            state.outbox_wake.noted();
            Ok(Uploaded::NewVersion(d))
        }
        Err(e) => failed(state, p, &staged, e).await,
    }
}
