//! Documents: uploads into a space or folder with metadata, versions, copies, moves, the
//! trash, and what search and downloads need to decide who reads them.
//!
//! Content lives in `files` rows of scope `document`: each version points at one, and copies
//! and restored versions point at the same row instead of storing the bytes again. A file is
//! purged (row, quota, blob, index entry) when the last version pointing at it goes.

use super::service::{self, need_editor, need_space_editor, place, Access, Role, SpaceRow};
use crate::{
    audit::{self, ActorKind, Entry},
    authn::Principal,
    authz::perm,
    db::{is_unique_violation, new_id, now_ms},
    error::{ApiError, ApiResult, Code},
    files::{self, store::FileRow},
    search, AppState,
};
use sqlx::AnyConnection;

/// The search kind of a document.
pub const KIND: &str = "document";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocRow {
    pub id: String,
    pub space_id: String,
    pub folder_id: Option<String>,
    pub name: String,
    pub title: String,
    pub description: String,
    /// JSON array of strings.
    pub keywords: String,
    /// Degrees × 10⁷.
    pub latitude_e7: Option<i64>,
    pub longitude_e7: Option<i64>,
    pub file_id: String,
    pub version: i64,
    pub owner_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub updated_by: String,
    pub trashed_at: Option<i64>,
    pub trashed_via: Option<String>,
    pub trashed_by: Option<String>,
}

impl DocRow {
    pub fn keyword_list(&self) -> Vec<String> {
        serde_json::from_str(&self.keywords).unwrap_or_default()
    }

    /// (latitude, longitude) in degrees.
    pub fn location(&self) -> Option<(f64, f64)> {
        Some((
            self.latitude_e7? as f64 / E7,
            self.longitude_e7? as f64 / E7,
        ))
    }
}

const E7: f64 = 10_000_000.0;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub number: i64,
    pub file_id: String,
    pub author_id: String,
    pub created_at: i64,
    pub restored_from: Option<i64>,
}

const DOC: &str =
    "id, space_id, folder_id, name, title, description, keywords, latitude_e7, longitude_e7, \
                   file_id, version, owner_id, created_at, updated_at, updated_by, trashed_at, \
                   trashed_via, trashed_by";

/// Metadata a person can set on a document.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub name: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub keywords: Option<Vec<String>>,
    /// `Some(None)` clears the location.
    pub location: Option<Option<(f64, f64)>>,
}

const MAX_TITLE: usize = 255;
const MAX_DESCRIPTION: usize = 10_000;
const MAX_KEYWORDS: usize = 50;
const MAX_KEYWORD: usize = 64;

pub fn check_location(lat: Option<f64>, lon: Option<f64>) -> ApiResult<Option<(f64, f64)>> {
    match (lat, lon) {
        (None, None) => Ok(None),
        (Some(a), Some(o)) => {
            if !a.is_finite() || !(-90.0..=90.0).contains(&a) {
                return Err(ApiError::validation(
                    "latitude",
                    "degrees between -90 and 90",
                ));
            }
            if !o.is_finite() || !(-180.0..=180.0).contains(&o) {
                return Err(ApiError::validation(
                    "longitude",
                    "degrees between -180 and 180",
                ));
            }
            Ok(Some((a, o)))
        }
        _ => Err(ApiError::validation(
            "latitude",
            "give latitude and longitude together",
        )),
    }
}

fn clean_keywords(k: &[String]) -> ApiResult<Vec<String>> {
    if k.len() > MAX_KEYWORDS {
        return Err(ApiError::validation(
            "keywords",
            format!("at most {MAX_KEYWORDS} keywords"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(k.len());
    for w in k {
        let w = w.trim();
        if w.is_empty() {
            continue;
        }
        if w.chars().count() > MAX_KEYWORD || w.chars().any(char::is_control) {
            return Err(ApiError::validation(
                "keywords",
                format!("each keyword is 1 to {MAX_KEYWORD} characters, no control characters"),
            ));
        }
        if !out.iter().any(|o| o == w) {
            out.push(w.to_string());
        }
    }
    Ok(out)
}

fn clean_text(field: &str, v: &str, max: usize) -> ApiResult<String> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(ApiError::validation(
            field,
            format!("at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::validation(field, "no control characters"));
    }
    Ok(v.to_string())
}

impl Meta {
    /// Check every field given; errors name the field.
    pub fn validate(mut self) -> ApiResult<Meta> {
        if let Some(n) = &self.name {
            self.name = Some(service::clean_name("name", n)?);
        }
        if let Some(t) = &self.title {
            self.title = Some(clean_text("title", t, MAX_TITLE)?);
        }
        if let Some(d) = &self.description {
            self.description = Some(clean_text("description", d, MAX_DESCRIPTION)?);
        }
        if let Some(k) = &self.keywords {
            self.keywords = Some(clean_keywords(k)?);
        }
        Ok(self)
    }

    fn apply(&self, d: &mut DocRow) {
        if let Some(n) = &self.name {
            d.name = n.clone();
        }
        if let Some(t) = &self.title {
            d.title = t.clone();
        }
        if let Some(v) = &self.description {
            d.description = v.clone();
        }
        if let Some(k) = &self.keywords {
            d.keywords = serde_json::to_string(k).unwrap_or_else(|_| "[]".into());
        }
        if let Some(l) = self.location {
            d.latitude_e7 = l.map(|l| (l.0 * E7).round() as i64);
            d.longitude_e7 = l.map(|l| (l.1 * E7).round() as i64);
        }
    }
}

pub(crate) async fn doc_row(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<DocRow>, sqlx::Error> {
    if !crate::db::is_id(id) {
        return Ok(None);
    }
    sqlx::query_as(&format!(
        "select {DOC} from documents where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The caller's access to a document (live or in the trash).
async fn doc_access(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    d: &DocRow,
) -> ApiResult<Option<(SpaceRow, Access)>> {
    let Some(s) = service::space_row(conn, &p.tenant_id, &d.space_id).await? else {
        return Ok(None);
    };
    Ok(
        service::access(state, conn, p, &s, d.folder_id.as_deref(), Some(&d.id))
            .await?
            .map(|a| (s, a)),
    )
}

/// A live document the caller may read, with their access; 404 otherwise.
pub async fn document(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<(DocRow, Access)> {
    let not_found = || ApiError::not_found("document");
    let d = doc_row(conn, &p.tenant_id, id)
        .await?
        .filter(|d| d.trashed_at.is_none())
        .ok_or_else(not_found)?;
    let (_, a) = doc_access(state, conn, p, &d)
        .await?
        .ok_or_else(not_found)?;
    Ok((d, a))
}

/// Whether `p` may read document content stored as `file_id` now: some live document with a
/// version on it is readable to them.
pub async fn file_readable(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    file_id: &str,
) -> ApiResult<bool> {
    let ids: Vec<String> = sqlx::query_scalar(
        "select distinct d.id from document_versions v join documents d
            on d.tenant_id = v.tenant_id and d.id = v.document_id
         where v.tenant_id = $1 and v.file_id = $2 and d.trashed_at is null limit 100",
    )
    .bind(&p.tenant_id)
    .bind(file_id)
    .fetch_all(&mut *conn)
    .await?;
    for id in ids {
        if let Some(d) = doc_row(conn, &p.tenant_id, &id).await? {
            if doc_access(state, conn, p, &d).await?.is_some() {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The versions a tenant keeps per document.
async fn versions_kept(
    state: &AppState,
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> ApiResult<i64> {
    let v: Option<i64> = sqlx::query_scalar("select doc_versions_kept from tenants where id = $1")
        .bind(tenant_id)
        .fetch_optional(conn)
        .await?
        .flatten();
    Ok(v.unwrap_or(state.cfg.documents.versions_kept).max(1))
}

/// Remove a version row; purge its file when no version uses it any more.
async fn drop_version(
    conn: &mut AnyConnection,
    tenant_id: &str,
    document_id: &str,
    number: i64,
    file_id: &str,
) -> ApiResult<()> {
    sqlx::query(
        "delete from document_versions where tenant_id = $1 and document_id = $2 and number = $3",
    )
    .bind(tenant_id)
    .bind(document_id)
    .bind(number)
    .execute(&mut *conn)
    .await?;
    release_file(conn, tenant_id, file_id).await
}

async fn release_file(conn: &mut AnyConnection, tenant_id: &str, file_id: &str) -> ApiResult<()> {
    let users: i64 = sqlx::query_scalar(
        "select count(*) from document_versions where tenant_id = $1 and file_id = $2",
    )
    .bind(tenant_id)
    .bind(file_id)
    .fetch_one(&mut *conn)
    .await?;
    if users == 0 {
        files::service::purge(conn, tenant_id, file_id).await?;
    }
    Ok(())
}

/// Add version `number` on `file_id`, make it current, and keep at most the tenant's cap.
async fn add_version(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    d: &mut DocRow,
    file_id: &str,
    restored_from: Option<i64>,
) -> ApiResult<()> {
    let now = now_ms();
    d.version += 1;
    d.file_id = file_id.to_string();
    d.updated_at = now;
    d.updated_by = p.user_id.clone();
    sqlx::query(
        "insert into document_versions (tenant_id, document_id, number, file_id, author_id, created_at, restored_from)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&p.tenant_id)
    .bind(&d.id)
    .bind(d.version)
    .bind(file_id)
    .bind(&p.user_id)
    .bind(now)
    .bind(restored_from)
    .execute(&mut *conn)
    .await?;
    let keep = versions_kept(state, conn, &p.tenant_id).await?;
    let old: Vec<(i64, String)> = sqlx::query_as(
        "select number, file_id from document_versions where tenant_id = $1 and document_id = $2
         order by number desc limit 1000 offset $3",
    )
    .bind(&p.tenant_id)
    .bind(&d.id)
    .bind(keep)
    .fetch_all(&mut *conn)
    .await?;
    for (n, f) in old {
        drop_version(conn, &p.tenant_id, &d.id, n, &f).await?;
    }
    Ok(())
}

async fn save(conn: &mut AnyConnection, tenant_id: &str, d: &DocRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update documents set space_id = $1, folder_id = $2, name = $3, title = $4, description = $5,
            keywords = $6, latitude_e7 = $7, longitude_e7 = $8, file_id = $9, version = $10,
            updated_at = $11, updated_by = $12, trashed_at = $13, trashed_via = $14, trashed_by = $15
         where tenant_id = $16 and id = $17",
    )
    .bind(&d.space_id)
    .bind(&d.folder_id)
    .bind(&d.name)
    .bind(&d.title)
    .bind(&d.description)
    .bind(&d.keywords)
    .bind(d.latitude_e7)
    .bind(d.longitude_e7)
    .bind(&d.file_id)
    .bind(d.version)
    .bind(d.updated_at)
    .bind(&d.updated_by)
    .bind(d.trashed_at)
    .bind(&d.trashed_via)
    .bind(&d.trashed_by)
    .bind(tenant_id)
    .bind(&d.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Insert a document's row (its place, name and owner); callers then add its first version
/// and [`save`] the rest in the same transaction.
async fn insert(conn: &mut AnyConnection, tenant_id: &str, d: &DocRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into documents (tenant_id, id, space_id, folder_id, name, file_id, version, owner_id,
            created_at, updated_at, updated_by) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $8)",
    )
    .bind(tenant_id)
    .bind(&d.id)
    .bind(&d.space_id)
    .bind(&d.folder_id)
    .bind(&d.name)
    .bind(&d.file_id)
    .bind(d.version)
    .bind(&d.owner_id)
    .bind(d.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A write that hit the live-name unique index: 409 naming the field; other errors as they are.
fn name_clash(e: sqlx::Error) -> ApiError {
    if is_unique_violation(&e) {
        name_taken()
    } else {
        e.into()
    }
}

fn name_taken() -> ApiError {
    ApiError::conflict(
        Code::Conflict,
        "a document with this name already exists in this folder",
    )
    .with_field("name")
}

/// The live document named `name` in a folder, if any.
async fn by_name(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
    folder_id: Option<&str>,
    name: &str,
) -> ApiResult<Option<DocRow>> {
    Ok(sqlx::query_as(&format!(
        "select {DOC} from documents where tenant_id = $1 and space_id = $2
            and coalesce(folder_id, '') = $3 and name = $4 and trashed_at is null"
    ))
    .bind(tenant_id)
    .bind(space_id)
    .bind(folder_id.unwrap_or(""))
    .bind(name)
    .fetch_optional(conn)
    .await?)
}

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
    let id: Option<String> = sqlx::query_scalar(
        "select document_id from document_versions where tenant_id = $1 and file_id = $2
            and author_id = $3 order by created_at limit 1",
    )
    .bind(&p.tenant_id)
    .bind(&f.id)
    .bind(&p.user_id)
    .fetch_optional(&mut *conn)
    .await?;
    match id {
        Some(id) => Ok(document(state, conn, p, &id).await?.0),
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
        let (_, _, a) = place(state, &mut conn, p, space_id, folder_id, "folder_id").await?;
        need_editor(a.role)?;
    }
    let name = meta
        .name
        .clone()
        .unwrap_or_else(|| files::service::clean_name(&up.name));
    let name = service::clean_name("name", &name)?;
    let staged = match stage(state, p, up).await? {
        Ok(s) => s,
        Err(replay) => return Ok(replay),
    };
    let res = commit_upload(state, p, space_id, folder_id, &name, &meta, &staged).await;
    match res {
        Ok(u) => {
            state.outbox_wake.notify_one();
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
    let (s, folder, a) = place(state, &mut tx, p, space_id, folder_id, "folder_id").await?;
    need_editor(a.role)?;
    staged.record(&mut tx, p).await?;
    let existing = by_name(&mut tx, &p.tenant_id, &s.id, folder.as_deref(), name).await?;
    let out = match existing {
        Some(mut d) => {
            let (_, da) = doc_access(state, &mut tx, p, &d)
                .await?
                .ok_or_else(|| ApiError::not_found("document"))?;
            need_editor(da.role)?;
            meta.apply(&mut d);
            d.name = name.to_string();
            add_version(state, &mut tx, p, &mut d, &staged.row.id, None).await?;
            save(&mut tx, &p.tenant_id, &d).await?;
            audit_doc(&mut tx, p, "document.version_added", &d).await?;
            Uploaded::NewVersion(d)
        }
        None => {
            let now = now_ms();
            let mut d = DocRow {
                id: new_id(),
                space_id: s.id.clone(),
                folder_id: folder,
                name: name.to_string(),
                title: String::new(),
                description: String::new(),
                keywords: "[]".into(),
                latitude_e7: None,
                longitude_e7: None,
                file_id: staged.row.id.clone(),
                version: 0,
                owner_id: p.user_id.clone(),
                created_at: now,
                updated_at: now,
                updated_by: p.user_id.clone(),
                trashed_at: None,
                trashed_via: None,
                trashed_by: None,
            };
            meta.apply(&mut d);
            if let Err(e) = insert(&mut tx, &p.tenant_id, &d).await {
                return Err(name_clash(e));
            }
            add_version(state, &mut tx, p, &mut d, &staged.row.id, None).await?;
            save(&mut tx, &p.tenant_id, &d).await?;
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

async fn audit_doc(
    conn: &mut AnyConnection,
    p: &Principal,
    action: &'static str,
    d: &DocRow,
) -> Result<(), sqlx::Error> {
    audit::record(
        conn,
        p.audit(action)
            .target("document", &d.id)
            .details(serde_json::json!({
                "space_id": d.space_id, "folder_id": d.folder_id, "version": d.version,
                "name": d.name,
            })),
    )
    .await
}

/// Upload a new version of a document (its editors).
pub async fn upload_version(
    state: &AppState,
    p: &Principal,
    id: &str,
    up: files::service::Upload,
) -> ApiResult<Uploaded> {
    state.authz.require(p, perm::FILES_UPLOAD).await?;
    {
        let mut conn = state.db.conn().await?;
        let (_, a) = document(state, &mut conn, p, id).await?;
        need_editor(a.role)?;
    }
    let staged = match stage(state, p, up).await? {
        Ok(s) => s,
        Err(replay) => return Ok(replay),
    };
    let res: ApiResult<DocRow> = async {
        let mut tx = state.db.begin().await?;
        let (mut d, a) = document(state, &mut tx, p, id).await?;
        need_editor(a.role)?;
        staged.record(&mut tx, p).await?;
        add_version(state, &mut tx, p, &mut d, &staged.row.id, None).await?;
        save(&mut tx, &p.tenant_id, &d).await?;
        audit_doc(&mut tx, p, "document.version_added", &d).await?;
        search::enqueue_index(&mut tx, &p.tenant_id, KIND, &d.id).await?;
        tx.commit().await?;
        Ok(d)
    }
    .await;
    match res {
        Ok(d) => {
            state.outbox_wake.notify_one();
            Ok(Uploaded::NewVersion(d))
        }
        Err(e) => failed(state, p, &staged, e).await,
    }
}

/// Documents directly in a folder (or at the top of the space), by name, after the cursor's
/// `(name, id)` (the sort key of the last document the caller was shown).
pub async fn list(
    state: &AppState,
    p: &Principal,
    space_id: &str,
    folder_id: Option<&str>,
    after: Option<Vec<String>>,
    limit: i64,
) -> ApiResult<(Vec<DocRow>, Access)> {
    let mut conn = state.db.conn().await?;
    let (s, folder, a) = place(state, &mut conn, p, space_id, folder_id, "folder_id").await?;
    let (an, ai) = service::after_key(after);
    let rows = sqlx::query_as(&format!(
        "select {DOC} from documents where tenant_id = $1 and space_id = $2 and trashed_at is null
         and coalesce(folder_id, '') = $3
         and ($4 = '' or name > $4 or (name = $4 and id > $5))
         order by name, id limit $6"
    ))
    .bind(&p.tenant_id)
    .bind(&s.id)
    .bind(folder.unwrap_or_default())
    .bind(an)
    .bind(ai)
    .bind(limit + 1)
    .fetch_all(&mut *conn)
    .await?;
    Ok((rows, a))
}

/// Change metadata and/or move within the space (editors; the destination needs editing too).
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    meta: Meta,
    folder_id: Option<&str>,
) -> ApiResult<(DocRow, Access)> {
    let meta = meta.validate()?;
    let mut tx = state.db.begin().await?;
    let (mut d, a) = document(state, &mut tx, p, id).await?;
    need_editor(a.role)?;
    if let Some(fid) = folder_id {
        let (_, dest, da) = place(state, &mut tx, p, &d.space_id, Some(fid), "folder_id").await?;
        need_editor(da.role)?;
        d.folder_id = dest;
    }
    meta.apply(&mut d);
    d.updated_at = now_ms();
    d.updated_by = p.user_id.clone();
    if let Err(e) = save(&mut tx, &p.tenant_id, &d).await {
        return Err(name_clash(e));
    }
    audit_doc(&mut tx, p, "document.updated", &d).await?;
    search::enqueue_index(&mut tx, &p.tenant_id, KIND, &d.id).await?;
    tx.commit().await?;
    state.outbox_wake.notify_one();
    let a = {
        let mut conn = state.db.conn().await?;
        document(state, &mut conn, p, id)
            .await
            .map(|(_, a)| a)
            .unwrap_or(a)
    };
    Ok((d, a))
}

/// Copy a document (its current version) into a place the caller edits. The copy shares the
/// stored content: no bytes are written and no quota is used.
pub async fn copy(
    state: &AppState,
    p: &Principal,
    id: &str,
    space_id: Option<&str>,
    folder_id: Option<&str>,
    name: Option<&str>,
) -> ApiResult<DocRow> {
    let mut tx = state.db.begin().await?;
    let (src, _) = document(state, &mut tx, p, id).await?;
    let space_id = space_id.unwrap_or(&src.space_id).to_string();
    let folder_id = match folder_id {
        Some(f) => Some(f.to_string()),
        None if space_id == src.space_id => src.folder_id.clone(),
        None => None,
    };
    let (s, folder, a) = place(
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
    need_editor(a.role)?;
    let name = match name {
        Some(n) => service::clean_name("name", n)?,
        None if s.id == src.space_id && folder == src.folder_id => {
            format!("{} (copy)", src.name)
        }
        None => src.name.clone(),
    };
    let now = now_ms();
    let mut d = DocRow {
        id: new_id(),
        space_id: s.id.clone(),
        folder_id: folder,
        name,
        version: 0,
        owner_id: p.user_id.clone(),
        created_at: now,
        updated_at: now,
        updated_by: p.user_id.clone(),
        trashed_at: None,
        trashed_via: None,
        trashed_by: None,
        ..src.clone()
    };
    if let Err(e) = insert(&mut tx, &p.tenant_id, &d).await {
        return Err(name_clash(e));
    }
    add_version(state, &mut tx, p, &mut d, &src.file_id, None).await?;
    save(&mut tx, &p.tenant_id, &d).await?;
    audit::record(
        &mut tx,
        p.audit("document.copied")
            .target("document", &d.id)
            .details(serde_json::json!({ "from": src.id, "space_id": d.space_id })),
    )
    .await?;
    search::enqueue_index(&mut tx, &p.tenant_id, KIND, &d.id).await?;
    tx.commit().await?;
    state.outbox_wake.notify_one();
    Ok(d)
}

pub async fn versions(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<(DocRow, Vec<(VersionRow, Option<FileRow>)>)> {
    let mut conn = state.db.conn().await?;
    let (d, _) = document(state, &mut conn, p, id).await?;
    let rows: Vec<VersionRow> = sqlx::query_as(
        "select number, file_id, author_id, created_at, restored_from from document_versions
         where tenant_id = $1 and document_id = $2 order by number desc limit 1000",
    )
    .bind(&p.tenant_id)
    .bind(&d.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for v in rows {
        let f = files::store::get(&mut conn, &p.tenant_id, &v.file_id).await?;
        out.push((v, f));
    }
    Ok((d, out))
}

/// The file of a version (the current one when `version` is `None`) of a readable document,
/// and the document's name (what the download is called, whichever version it is).
pub async fn version_file(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: Option<i64>,
) -> ApiResult<(String, String)> {
    let mut conn = state.db.conn().await?;
    let (d, _) = document(state, &mut conn, p, id).await?;
    let file_id = match version {
        None => d.file_id,
        Some(n) => sqlx::query_scalar(
            "select file_id from document_versions where tenant_id = $1 and document_id = $2 and number = $3",
        )
        .bind(&p.tenant_id)
        .bind(&d.id)
        .bind(n)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApiError::not_found("version"))?,
    };
    Ok((file_id, d.name))
}

/// Make an earlier version current again: a new version with that content.
pub async fn restore_version(
    state: &AppState,
    p: &Principal,
    id: &str,
    number: i64,
) -> ApiResult<DocRow> {
    let mut tx = state.db.begin().await?;
    let (mut d, a) = document(state, &mut tx, p, id).await?;
    need_editor(a.role)?;
    let file_id: String = sqlx::query_scalar(
        "select file_id from document_versions where tenant_id = $1 and document_id = $2 and number = $3",
    )
    .bind(&p.tenant_id)
    .bind(&d.id)
    .bind(number)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("version"))?;
    add_version(state, &mut tx, p, &mut d, &file_id, Some(number)).await?;
    save(&mut tx, &p.tenant_id, &d).await?;
    audit_doc(&mut tx, p, "document.version_restored", &d).await?;
    search::enqueue_index(&mut tx, &p.tenant_id, KIND, &d.id).await?;
    tx.commit().await?;
    state.outbox_wake.notify_one();
    Ok(d)
}

/// Queue reindexing of every document in a folder's subtree (shares or place changed).
pub(crate) async fn reindex_subtree(
    conn: &mut AnyConnection,
    tenant_id: &str,
    folder_id: &str,
) -> ApiResult<()> {
    for f in subtree(conn, tenant_id, folder_id).await? {
        let ids: Vec<String> =
            sqlx::query_scalar("select id from documents where tenant_id = $1 and folder_id = $2")
                .bind(tenant_id)
                .bind(&f)
                .fetch_all(&mut *conn)
                .await?;
        for id in ids {
            search::enqueue_index(conn, tenant_id, KIND, &id).await?;
        }
    }
    Ok(())
}

/// A folder and every folder below it (breadth first).
async fn subtree(
    conn: &mut AnyConnection,
    tenant_id: &str,
    folder_id: &str,
) -> ApiResult<Vec<String>> {
    let mut all = vec![folder_id.to_string()];
    let mut seen: std::collections::HashSet<String> = all.iter().cloned().collect();
    let mut i = 0;
    while i < all.len() && all.len() < 100_000 {
        let kids: Vec<String> =
            sqlx::query_scalar("select id from folders where tenant_id = $1 and parent_id = $2")
                .bind(tenant_id)
                .bind(&all[i])
                .fetch_all(&mut *conn)
                .await?;
        for k in kids {
            if seen.insert(k.clone()) {
                all.push(k);
            }
        }
        i += 1;
    }
    Ok(all)
}

fn need_space_manager(a: &Access) -> ApiResult<()> {
    if a.space_role == Some(Role::Manager) {
        Ok(())
    } else {
        Err(ApiError::forbidden("manager role in this space"))
    }
}

/// Move a document to the trash (the space's editors).
pub async fn trash_document(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let (mut d, a) = document(state, &mut tx, p, id).await?;
    need_space_editor(&a)?;
    d.trashed_at = Some(now_ms());
    d.trashed_via = Some(d.id.clone());
    d.trashed_by = Some(p.user_id.clone());
    save(&mut tx, &p.tenant_id, &d).await?;
    audit_doc(&mut tx, p, "document.trashed", &d).await?;
    search::enqueue_delete(&mut tx, &p.tenant_id, KIND, &d.id).await?;
    tx.commit().await?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// Move a folder and everything below it to the trash (the space's editors).
pub async fn trash_folder(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let (f, a) = service::folder_access(state, &mut tx, p, id).await?;
    need_space_editor(&a)?;
    let now = now_ms();
    for sub in subtree(&mut tx, &p.tenant_id, &f.id).await? {
        sqlx::query(
            "update folders set trashed_at = $1, trashed_via = $2, trashed_by = $3
             where tenant_id = $4 and id = $5 and trashed_at is null",
        )
        .bind(now)
        .bind(&f.id)
        .bind(&p.user_id)
        .bind(&p.tenant_id)
        .bind(&sub)
        .execute(&mut *tx)
        .await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "select id from documents where tenant_id = $1 and folder_id = $2 and trashed_at is null",
        )
        .bind(&p.tenant_id)
        .bind(&sub)
        .fetch_all(&mut *tx)
        .await?;
        for d in ids {
            sqlx::query(
                "update documents set trashed_at = $1, trashed_via = $2, trashed_by = $3
                 where tenant_id = $4 and id = $5",
            )
            .bind(now)
            .bind(&f.id)
            .bind(&p.user_id)
            .bind(&p.tenant_id)
            .bind(&d)
            .execute(&mut *tx)
            .await?;
            search::enqueue_delete(&mut tx, &p.tenant_id, KIND, &d).await?;
        }
    }
    audit::record(&mut tx, p.audit("folder.trashed").target("folder", &f.id)).await?;
    tx.commit().await?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// One item in a space's trash: something a person trashed (what it took with it is restored
/// and purged with it).
#[derive(Debug, Clone)]
pub struct TrashItem {
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    pub trashed_at: i64,
    pub trashed_by: String,
    /// When the trash period ends and it is purged.
    pub purge_at: i64,
}

async fn trash_days(state: &AppState, conn: &mut AnyConnection, tenant_id: &str) -> ApiResult<i64> {
    let v: Option<i64> =
        sqlx::query_scalar("select trash_retention_days from tenants where id = $1")
            .bind(tenant_id)
            .fetch_optional(conn)
            .await?
            .flatten();
    Ok(v.unwrap_or(state.cfg.documents.trash_retention_days).max(0))
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// The trash of a space (its editors).
pub async fn trash_list(
    state: &AppState,
    p: &Principal,
    space_id: &str,
) -> ApiResult<Vec<TrashItem>> {
    let mut conn = state.db.conn().await?;
    let (s, role) = service::space(state, &mut conn, p, space_id).await?;
    need_editor(role)?;
    let days = trash_days(state, &mut conn, &p.tenant_id).await?;
    let mut out = Vec::new();
    for (kind, table) in [("folder", "folders"), ("document", "documents")] {
        let rows: Vec<(String, String, i64, String)> = sqlx::query_as(&format!(
            "select id, name, trashed_at, coalesce(trashed_by, '') from {table}
             where tenant_id = $1 and space_id = $2 and trashed_at is not null and trashed_via = id
             order by trashed_at desc limit 1000"
        ))
        .bind(&p.tenant_id)
        .bind(&s.id)
        .fetch_all(&mut *conn)
        .await?;
        out.extend(rows.into_iter().map(|(id, name, at, by)| TrashItem {
            kind,
            id,
            name,
            trashed_at: at,
            trashed_by: by,
            purge_at: at + days * DAY_MS,
        }));
    }
    out.sort_by_key(|t| std::cmp::Reverse(t.trashed_at));
    Ok(out)
}

/// A trashed root (a document or folder a person trashed) in a space the caller edits.
async fn trashed_root(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    kind: &str,
    id: &str,
) -> ApiResult<(SpaceRow, Access, Option<String>, String)> {
    let not_found = || ApiError::not_found("trash item");
    if !crate::db::is_id(id) {
        return Err(not_found());
    }
    let table = match kind {
        "documents" => "documents",
        "folders" => "folders",
        _ => return Err(not_found()),
    };
    let parent_col = if table == "documents" {
        "folder_id"
    } else {
        "parent_id"
    };
    let row: Option<(String, Option<String>, String)> = sqlx::query_as(&format!(
        "select space_id, {parent_col}, name from {table} where tenant_id = $1 and id = $2
         and trashed_at is not null and trashed_via = id"
    ))
    .bind(&p.tenant_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let (space_id, parent, name) = row.ok_or_else(not_found)?;
    let s = service::space_row(conn, &p.tenant_id, &space_id)
        .await?
        .ok_or_else(not_found)?;
    let a = service::access(state, conn, p, &s, None, None)
        .await?
        .ok_or_else(not_found)?;
    need_space_editor(&a)?;
    Ok((s, a, parent, name))
}

/// Restore a trashed document or folder (with what was trashed with it). A parent folder that
/// is gone or in the trash puts it at the top of the space.
pub async fn restore(state: &AppState, p: &Principal, kind: &str, id: &str) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let (s, _, parent, name) = trashed_root(state, &mut tx, p, kind, id).await?;
    let parent_live = match &parent {
        Some(pid) => service::folder_row(&mut tx, &p.tenant_id, pid)
            .await?
            .is_some(),
        None => true,
    };
    let parent = if parent_live { parent } else { None };
    if kind == "documents" {
        if by_name(&mut tx, &p.tenant_id, &s.id, parent.as_deref(), &name)
            .await?
            .is_some()
        {
            return Err(name_taken());
        }
        sqlx::query(
            "update documents set trashed_at = null, trashed_via = null, trashed_by = null, folder_id = $1
             where tenant_id = $2 and id = $3",
        )
        .bind(&parent)
        .bind(&p.tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        search::enqueue_index(&mut tx, &p.tenant_id, KIND, id).await?;
    } else {
        sqlx::query("update folders set parent_id = $1 where tenant_id = $2 and id = $3")
            .bind(&parent)
            .bind(&p.tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "select id from documents where tenant_id = $1 and trashed_via = $2",
        )
        .bind(&p.tenant_id)
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        for t in ["folders", "documents"] {
            sqlx::query(&format!(
                "update {t} set trashed_at = null, trashed_via = null, trashed_by = null
                 where tenant_id = $1 and trashed_via = $2"
            ))
            .bind(&p.tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        for d in ids {
            search::enqueue_index(&mut tx, &p.tenant_id, KIND, &d).await?;
        }
    }
    audit::record(
        &mut tx,
        p.audit("trash.restored").target(
            if kind == "documents" {
                "document"
            } else {
                "folder"
            },
            id,
        ),
    )
    .await?;
    tx.commit().await?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// Purge a trashed item now (the space's managers): every version's content leaves every
/// store.
pub async fn purge_now(state: &AppState, p: &Principal, kind: &str, id: &str) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let (_, a, _, _) = trashed_root(state, &mut tx, p, kind, id).await?;
    need_space_manager(&a)?;
    let n = purge_root(&mut tx, &p.tenant_id, id).await?;
    audit::record(
        &mut tx,
        p.audit("trash.purged")
            .target(
                if kind == "documents" {
                    "document"
                } else {
                    "folder"
                },
                id,
            )
            .details(serde_json::json!({ "documents": n })),
    )
    .await?;
    tx.commit().await?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// Remove a document for good: its versions, shares, row; files no one else uses are purged.
pub(crate) async fn purge_document(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> ApiResult<()> {
    let versions: Vec<(i64, String)> = sqlx::query_as(
        "select number, file_id from document_versions where tenant_id = $1 and document_id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query("delete from document_versions where tenant_id = $1 and document_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let mut files: Vec<String> = versions.into_iter().map(|(_, f)| f).collect();
    files.sort();
    files.dedup();
    for f in files {
        release_file(conn, tenant_id, &f).await?;
    }
    sqlx::query(
        "delete from shares where tenant_id = $1 and target_kind = 'document' and target_id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("delete from documents where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    search::enqueue_delete(conn, tenant_id, KIND, id).await?;
    Ok(())
}

/// Purge a trash root and everything trashed with it; the number of documents removed.
async fn purge_root(conn: &mut AnyConnection, tenant_id: &str, root: &str) -> ApiResult<u64> {
    let docs: Vec<String> =
        sqlx::query_scalar("select id from documents where tenant_id = $1 and trashed_via = $2")
            .bind(tenant_id)
            .bind(root)
            .fetch_all(&mut *conn)
            .await?;
    let n = docs.len() as u64;
    for d in docs {
        purge_document(conn, tenant_id, &d).await?;
    }
    let folders: Vec<String> =
        sqlx::query_scalar("select id from folders where tenant_id = $1 and trashed_via = $2")
            .bind(tenant_id)
            .bind(root)
            .fetch_all(&mut *conn)
            .await?;
    for f in folders {
        // Something restored into a purged folder since: it moves to the top of the space.
        sqlx::query(
            "update documents set folder_id = null where tenant_id = $1 and folder_id = $2",
        )
        .bind(tenant_id)
        .bind(&f)
        .execute(&mut *conn)
        .await?;
        sqlx::query("update folders set parent_id = null where tenant_id = $1 and parent_id = $2")
            .bind(tenant_id)
            .bind(&f)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "delete from shares where tenant_id = $1 and target_kind = 'folder' and target_id = $2",
        )
        .bind(tenant_id)
        .bind(&f)
        .execute(&mut *conn)
        .await?;
        sqlx::query("delete from folders where tenant_id = $1 and id = $2")
            .bind(tenant_id)
            .bind(&f)
            .execute(&mut *conn)
            .await?;
    }
    Ok(n)
}

/// Purge every trash root whose tenant's trash period has run out; the roots purged.
pub async fn purge_expired_trash(state: &AppState) -> ApiResult<u64> {
    let now = now_ms();
    let default_days = state.cfg.documents.trash_retention_days.max(0);
    let mut conn = state.db.conn().await?;
    let mut roots: Vec<(String, String)> = Vec::new();
    for table in ["documents", "folders"] {
        let rows: Vec<(String, String)> = sqlx::query_as(&format!(
            "select x.tenant_id, x.id from {table} x join tenants t on t.id = x.tenant_id
             where x.trashed_at is not null and x.trashed_via = x.id
               and x.trashed_at + coalesce(t.trash_retention_days, $1) * {DAY_MS} <= $2
             limit 500"
        ))
        .bind(default_days)
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
        roots.extend(rows);
    }
    drop(conn);
    let mut n = 0;
    for (tenant_id, id) in roots {
        let mut tx = state.db.begin().await?;
        let docs = purge_root(&mut tx, &tenant_id, &id).await?;
        audit::record(
            &mut tx,
            Entry::new(&tenant_id, "trash.expired")
                .actor(ActorKind::System, "trash")
                .target("trash", &id)
                .details(serde_json::json!({ "documents": docs })),
        )
        .await?;
        tx.commit().await?;
        n += 1;
    }
    if n > 0 {
        state.outbox_wake.notify_one();
    }
    Ok(n)
}

/// Search document of a document: its names, metadata and current content; readable by its
/// space's readers and everyone a share reaches.
pub async fn search_doc(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<search::Doc>, sqlx::Error> {
    let Some(d) = doc_row(conn, tenant_id, id).await? else {
        return Ok(None);
    };
    if d.trashed_at.is_some() {
        return Ok(None);
    }
    let Some(s) = service::space_row(conn, tenant_id, &d.space_id).await? else {
        return Ok(None);
    };
    let mut readers = match s.kind.as_str() {
        "personal" => vec![search::user_token(&s.created_by)],
        _ => vec![
            service::space_token(&s.id),
            service::MANAGE_TOKEN.to_string(),
        ],
    };
    let chain = service::folder_chain(conn, tenant_id, d.folder_id.as_deref()).await?;
    let mut targets: Vec<(String, String)> = chain
        .into_iter()
        .map(|f| ("folder".to_string(), f))
        .collect();
    targets.push(("document".into(), d.id.clone()));
    for (kind, target) in targets {
        let grantees: Vec<(String, String)> = sqlx::query_as(
            "select grantee_kind, grantee_id from shares where tenant_id = $1 and target_kind = $2 and target_id = $3",
        )
        .bind(tenant_id)
        .bind(&kind)
        .bind(&target)
        .fetch_all(&mut *conn)
        .await?;
        for (gk, gid) in grantees {
            let t = if gk == "role" {
                service::role_token(&gid)
            } else {
                search::user_token(&gid)
            };
            if !readers.contains(&t) {
                readers.push(t);
            }
        }
    }
    let f = files::store::get(conn, tenant_id, &d.file_id).await?;
    let content = files::store::text(conn, tenant_id, &d.file_id)
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
    sqlx::query_scalar(
        "select id from documents where tenant_id = $1 and id > $2 and trashed_at is null order by id limit $3",
    )
    .bind(tenant_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Live documents whose current content is `file_id` (to reindex when its text arrives).
pub async fn using_file(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from documents where tenant_id = $1 and file_id = $2 and trashed_at is null limit 10000",
    )
    .bind(tenant_id)
    .bind(file_id)
    .fetch_all(conn)
    .await
}

/// Whether `p` may read the document now (search's last word).
pub async fn can_read(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<bool> {
    match document(state, conn, p, id).await {
        Ok(_) => Ok(true),
        Err(e) if e.status() == poem::http::StatusCode::NOT_FOUND => Ok(false),
        Err(e) => Err(e),
    }
}
