//! Rules for the bulletin board: who may (`bulletin.post` posts and reads the tenant's board,
//! `bulletin.moderate` removes anyone's post), what a post holds (the fixed kinds, categories
//! and contact preferences; the date; the place, compared folded; photos: the author's own
//! image uploads, at most [`MAX_PHOTOS`], each on one post), expiry (a post past it is gone from
//! the board, its photos and search at once, and purged by retention later), and removal from
//! every store (rows, photos' files, thumbnails and blobs, the index entry).

use super::{
    input::{day, expiry, one_of, optional, place_key, DAY_MS},
    store::{self, Filter, PostRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::{perm, Granted, Proof},
    db::{is_id, new_id, now_ms},
    error::{ApiError, ApiResult, Code},
    files,
    http::{pagination, validate},
    lifecycle::{holds, Purged},
    search,
    users::validate::fold,
    AppState,
};
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// The search kind of a post.
pub const KIND: &str = "bulletin_post";
/// The reader token every holder of `bulletin.post` holds: the board is the tenant's.
pub const READER_TOKEN: &str = "bulletin";
pub const KINDS: &[&str] = &["lost", "found"];
pub const CATEGORIES: &[&str] = &[
    "documents",
    "wallet",
    "keys",
    "phone",
    "electronics",
    "bag",
    "clothing",
    "jewelry",
    "pet",
    "vehicle",
    "other",
];
pub const CONTACTS: &[&str] = &["message", "phone", "email"];
pub const STATUSES: &[&str] = &["open", "resolved"];
pub const MAX_PHOTOS: usize = 6;
/// Image types a photo may have (those that get a thumbnail).
pub const PHOTO_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];
pub use super::input::{DEFAULT_DAYS, MAX_DAYS};
const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 4000;
const MAX_PLACE: usize = 100;
const MAX_DETAIL: usize = 300;
const MAX_NOTE: usize = 200;
const MAX_REASON: usize = 500;

/// A post as a reader sees it.
#[derive(Debug, Clone)]
pub struct Post {
    pub row: PostRow,
    /// The author's name while they are an active person.
    pub author_name: Option<String>,
    /// Its photos' files, in order (a file deleted by its uploader is left out).
    pub photos: Vec<files::store::FileRow>,
    /// Whether the reader wrote it.
    pub mine: bool,
}

/// A new post.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub kind: String,
    pub category: String,
    pub occurred_on: String,
    pub province: String,
    pub district: Option<String>,
    pub commune: Option<String>,
    pub place_detail: Option<String>,
    pub title: String,
    pub description: String,
    pub contact_preference: String,
    pub contact_note: Option<String>,
    pub photo_ids: Vec<String>,
    pub expires_at: Option<i64>,
}

/// A change to a post: `None` leaves a field; an empty optional text clears it.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub kind: Option<String>,
    pub category: Option<String>,
    pub occurred_on: Option<String>,
    pub province: Option<String>,
    pub district: Option<String>,
    pub commune: Option<String>,
    pub place_detail: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub contact_preference: Option<String>,
    pub contact_note: Option<String>,
    pub photo_ids: Option<Vec<String>>,
    pub expires_at: Option<i64>,
}

/// What the board lists.
#[derive(Debug, Clone, Default)]
pub struct Browse {
    pub kind: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub province: Option<String>,
    pub district: Option<String>,
    pub commune: Option<String>,
    pub q: Option<String>,
    pub mine: bool,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The folded text a board search matches.
fn search_text(r: &PostRow) -> String {
    fold(
        &[
            r.title.as_str(),
            &r.description,
            &r.category,
            &r.province,
            &r.district,
            &r.commune,
            &r.place_detail,
        ]
        .join(" "),
    )
}

/// Fill in the derived columns (place keys, search text).
fn derive(r: &mut PostRow) {
    r.province_key = place_key(&r.province);
    r.district_key = place_key(&r.district);
    r.commune_key = place_key(&r.commune);
    r.search_text = search_text(r);
}

/// Check photo ids: at most [`MAX_PHOTOS`], each an image the caller uploaded, not on another
/// post than `post_id`. Another person's file answers as a file that does not exist.
async fn photos(
    conn: &mut AnyConnection,
    p: &Principal,
    ids: &[String],
    post_id: Option<&str>,
) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    if out.len() > MAX_PHOTOS {
        return Err(ApiError::validation(
            "photo_ids",
            format!("at most {MAX_PHOTOS} photos"),
        ));
    }
    for id in &out {
        let f = if is_id(id) {
            files::service::stored(conn, &p.tenant_id, id).await?
        } else {
            None
        };
        let Some(f) =
            f.filter(|f| f.uploader_id == p.user_id && f.scope == files::store::SCOPE_USER)
        else {
            return Err(ApiError::validation(
                "photo_ids",
                format!("{id} is not a file you uploaded"),
            ));
        };
        if !PHOTO_TYPES.contains(&f.content_type.as_str()) {
            return Err(ApiError::validation(
                "photo_ids",
                format!(
                    "{id} is not an image ({}): photos are JPEG, PNG, GIF or WebP",
                    f.content_type
                ),
            ));
        }
        if let Some(other) = store::post_of_photo(conn, &p.tenant_id, id).await? {
            if Some(other.as_str()) != post_id {
                return Err(ApiError::validation(
                    "photo_ids",
                    format!("{id} is a photo of another post"),
                ));
            }
        }
    }
    Ok(out)
}

fn holder<'a>(g: &Granted<'a>, permission: &'static str) -> ApiResult<&'a Principal> {
    if g.permission() == permission {
        Ok(g.principal())
    } else {
        Err(ApiError::forbidden(permission))
    }
}

/// Posts with their authors' names and photos, for `reader`.
async fn views(conn: &mut AnyConnection, reader: &str, rows: Vec<PostRow>) -> ApiResult<Vec<Post>> {
    let Some(tenant_id) = rows.first().map(|r| r.tenant_id.clone()) else {
        return Ok(Vec::new());
    };
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut authors: Vec<String> = rows.iter().map(|r| r.author_id.clone()).collect();
    authors.sort();
    authors.dedup();
    let names: HashMap<String, String> = store::names(conn, &tenant_id, &authors)
        .await?
        .into_iter()
        .collect();
    let mut photos: HashMap<String, Vec<files::store::FileRow>> = HashMap::new();
    for ph in store::photos_of(conn, &tenant_id, &ids).await? {
        if let Some(f) = files::service::stored(conn, &tenant_id, &ph.file_id).await? {
            photos.entry(ph.post_id).or_default().push(f);
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| Post {
            author_name: names.get(&r.author_id).cloned(),
            photos: photos.remove(&r.id).unwrap_or_default(),
            mine: r.author_id == reader,
            row: r,
        })
        .collect())
}

async fn view(conn: &mut AnyConnection, reader: &str, row: PostRow) -> ApiResult<Post> {
    views(conn, reader, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("post"))
}

/// A post on the board (not expired) of the caller's tenant; 404 otherwise.
async fn live(conn: &mut AnyConnection, tenant_id: &str, id: &str, now: i64) -> ApiResult<PostRow> {
    let not_found = || ApiError::not_found("post");
    if !is_id(id) {
        return Err(not_found());
    }
    store::get(conn, tenant_id, id)
        .await?
        .filter(|r| r.expires_at > now)
        .ok_or_else(not_found)
}

fn not_author() -> ApiError {
    ApiError::new(
        Code::Forbidden,
        "only the post's author may change it (a moderator may remove it)",
    )
}

/// The board: posts not expired, newest first, filtered and searched (place names and text
/// compared ignoring case and accents).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn list(
    state: &AppState,
    p: &Principal,
    b: Browse,
) -> ApiResult<(Vec<Post>, Option<String>)> {
    state.authz.require(p, perm::BULLETIN_POST).await?;
    let limit = pagination::limit(b.limit)?;
    let before = pagination::decode(b.cursor.as_deref())?;
    if before.as_deref().is_some_and(|c| !is_id(c)) {
        return Err(ApiError::validation(
            "cursor",
            "the cursor is not one this server issued",
        ));
    }
    let nonempty = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let pick = |field: &str, v: Option<String>, allowed: &[&str]| -> ApiResult<Option<String>> {
        nonempty(v).map(|v| one_of(field, &v, allowed)).transpose()
    };
    let place = |field: &str, v: Option<String>| -> ApiResult<Option<String>> {
        match nonempty(v) {
            Some(v) if v.chars().count() > MAX_PLACE => Err(ApiError::validation(
                field,
                format!("at most {MAX_PLACE} characters"),
            )),
            v => Ok(v.map(|v| place_key(&v))),
        }
    };
    let q = match nonempty(b.q) {
        Some(q) if q.chars().count() > 100 => {
            return Err(ApiError::validation("q", "at most 100 characters"))
        }
        q => q.map(|q| format!("%{}%", crate::db::like_escape(&fold(&q)))),
    };
    let filter = Filter {
        kind: pick("kind", b.kind, KINDS)?,
        category: pick("category", b.category, CATEGORIES)?,
        status: pick("status", b.status, STATUSES)?,
        province_key: place("province", b.province)?,
        district_key: place("district", b.district)?,
        commune_key: place("commune", b.commune)?,
        pattern: q,
        author_id: b.mine.then(|| p.user_id.clone()),
    };
    let mut conn = state.db.conn().await?;
    let rows = store::page(
        &mut conn,
        &p.tenant_id,
        &filter,
        now_ms(),
        before.as_deref(),
        limit + 1,
    )
    .await?;
    let (rows, next) = pagination::page(rows, limit, |r| r.id.clone());
    Ok((views(&mut conn, &p.user_id, rows).await?, next))
}

/// One post of the board.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, post_id = %id))]
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<Post> {
    state.authz.require(p, perm::BULLETIN_POST).await?;
    let mut conn = state.db.conn().await?;
    let row = live(&mut conn, &p.tenant_id, id, now_ms()).await?;
    view(&mut conn, &p.user_id, row).await
}

/// Post on the board (needs `bulletin.post`).
#[tracing::instrument(skip_all, fields(tenant_id = %g.principal().tenant_id))]
pub async fn create(state: &AppState, g: &Granted<'_>, d: Draft) -> ApiResult<Post> {
    let p = holder(g, perm::BULLETIN_POST)?;
    let now = now_ms();
    let mut row = PostRow {
        tenant_id: p.tenant_id.clone(),
        id: new_id(),
        author_id: p.user_id.clone(),
        kind: one_of("kind", &d.kind, KINDS)?,
        category: one_of("category", &d.category, CATEGORIES)?,
        occurred_on: day("occurred_on", &d.occurred_on, now)?,
        province: validate::text("province", &d.province, MAX_PLACE)?,
        district: optional("district", d.district.as_deref(), MAX_PLACE)?,
        commune: optional("commune", d.commune.as_deref(), MAX_PLACE)?,
        place_detail: optional("place_detail", d.place_detail.as_deref(), MAX_DETAIL)?,
        province_key: String::new(),
        district_key: String::new(),
        commune_key: String::new(),
        title: validate::text("title", &d.title, MAX_TITLE)?,
        description: validate::text("description", &d.description, MAX_DESCRIPTION)?,
        contact_preference: one_of("contact_preference", &d.contact_preference, CONTACTS)?,
        contact_note: optional("contact_note", d.contact_note.as_deref(), MAX_NOTE)?,
        status: "open".into(),
        search_text: String::new(),
        expires_at: match d.expires_at {
            Some(e) => expiry(e, now)?,
            None => now + DEFAULT_DAYS * DAY_MS,
        },
        resolved_at: None,
        created_at: now,
        updated_at: now,
    };
    derive(&mut row);
    let mut tx = state.db.begin().await?;
    let photo_ids = photos(&mut tx, p, &d.photo_ids, None).await?;
    store::insert(&mut tx, &row).await?;
    store::set_photos(&mut tx, &p.tenant_id, &row.id, &photo_ids).await?;
    audit::record(
        &mut tx,
        p.audit("bulletin.post_created")
            .target("bulletin_post", &row.id)
            .details(json!({ "kind": row.kind, "category": row.category,
                             "photos": photo_ids.len(), "expires_at": row.expires_at })),
    )
    .await?;
    search::enqueue_index(&mut tx, &p.tenant_id, KIND, &row.id).await?;
    let post = view(&mut tx, &p.user_id, row).await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(post)
}

/// Edit one's own post: its fields, photos and expiry. Photos taken off the post are removed
/// from every store (they were uploaded for it).
#[tracing::instrument(skip_all, fields(tenant_id = %g.principal().tenant_id, post_id = %id))]
pub async fn update(state: &AppState, g: &Granted<'_>, id: &str, c: Patch) -> ApiResult<Post> {
    let p = holder(g, perm::BULLETIN_POST)?;
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let mut row = live(&mut tx, &p.tenant_id, id, now).await?;
    if row.author_id != p.user_id {
        return Err(not_author());
    }
    if let Some(v) = c.kind {
        row.kind = one_of("kind", &v, KINDS)?;
    }
    if let Some(v) = c.category {
        row.category = one_of("category", &v, CATEGORIES)?;
    }
    if let Some(v) = c.occurred_on {
        row.occurred_on = day("occurred_on", &v, now)?;
    }
    if let Some(v) = c.province {
        row.province = validate::text("province", &v, MAX_PLACE)?;
    }
    if let Some(v) = c.district {
        row.district = optional("district", Some(&v), MAX_PLACE)?;
    }
    if let Some(v) = c.commune {
        row.commune = optional("commune", Some(&v), MAX_PLACE)?;
    }
    if let Some(v) = c.place_detail {
        row.place_detail = optional("place_detail", Some(&v), MAX_DETAIL)?;
    }
    if let Some(v) = c.title {
        row.title = validate::text("title", &v, MAX_TITLE)?;
    }
    if let Some(v) = c.description {
        row.description = validate::text("description", &v, MAX_DESCRIPTION)?;
    }
    if let Some(v) = c.contact_preference {
        row.contact_preference = one_of("contact_preference", &v, CONTACTS)?;
    }
    if let Some(v) = c.contact_note {
        row.contact_note = optional("contact_note", Some(&v), MAX_NOTE)?;
    }
    if let Some(v) = c.expires_at {
        row.expires_at = expiry(v, now)?;
    }
    row.updated_at = now;
    derive(&mut row);
    let mut dropped = Vec::new();
    if let Some(ids) = &c.photo_ids {
        let ids = photos(&mut tx, p, ids, Some(&row.id)).await?;
        dropped = store::set_photos(&mut tx, &p.tenant_id, &row.id, &ids).await?;
    }
    for f in &dropped {
        files::service::purge(g, &mut tx, f).await?;
    }
    store::update(&mut tx, &row).await?;
    audit::record(
        &mut tx,
        p.audit("bulletin.post_updated")
            .target("bulletin_post", &row.id)
            .details(json!({ "photos_removed": dropped.len(), "expires_at": row.expires_at })),
    )
    .await?;
    search::enqueue_index(&mut tx, &p.tenant_id, KIND, &row.id).await?;
    let post = view(&mut tx, &p.user_id, row).await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(post)
}

/// Mark one's own post resolved (the thing was returned or found). Resolving a resolved post
/// changes nothing.
#[tracing::instrument(skip_all, fields(tenant_id = %g.principal().tenant_id, post_id = %id))]
pub async fn resolve(state: &AppState, g: &Granted<'_>, id: &str) -> ApiResult<Post> {
    let p = holder(g, perm::BULLETIN_POST)?;
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let mut row = live(&mut tx, &p.tenant_id, id, now).await?;
    if row.author_id != p.user_id {
        return Err(not_author());
    }
    if row.status != "resolved" {
        row.status = "resolved".into();
        row.resolved_at = Some(now);
        row.updated_at = now;
        store::update(&mut tx, &row).await?;
        audit::record(
            &mut tx,
            p.audit("bulletin.post_resolved")
                .target("bulletin_post", &row.id),
        )
        .await?;
        search::enqueue_index(&mut tx, &p.tenant_id, KIND, &row.id).await?;
    }
    let post = view(&mut tx, &p.user_id, row).await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(post)
}

/// Remove a post from every store, inside the caller's transaction: its photos' files (row,
/// quota, thumbnail, extracted text now; blob and index entry through the outbox), its photo
/// rows, the post, and its index entry (through the outbox). A post already gone removes
/// nothing. Destructive, so it takes the proof of its caller's check and acts in its tenant.
pub(super) async fn purge_post(
    proof: &dyn Proof,
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Purged, sqlx::Error> {
    let tenant_id = proof.tenant_id().to_string();
    let (rows, photo_files) = store::delete(conn, &tenant_id, id).await?;
    let mut out = Purged::default();
    if rows == 0 {
        return Ok(out);
    }
    for f in &photo_files {
        out += files::service::purge(proof, conn, f).await?;
    }
    out.items += 1;
    out.rows += rows;
    search::enqueue_delete(conn, &tenant_id, KIND, id).await?;
    out.index_entries += 1;
    Ok(out)
}

/// The hold item of a post.
fn hold_item<'a>(row: &'a PostRow, people: &'a [&'a str]) -> holds::Item<'a> {
    holds::Item {
        people,
        room: None,
        space: None,
        at: row.created_at,
    }
}

/// Withdraw one's own post: it goes from every store (refused while a legal hold covers it).
#[tracing::instrument(skip_all, fields(tenant_id = %g.principal().tenant_id, post_id = %id))]
pub async fn delete(state: &AppState, g: &Granted<'_>, id: &str) -> ApiResult<()> {
    let p = holder(g, perm::BULLETIN_POST)?;
    let mut tx = state.db.begin().await?;
    let row = live(&mut tx, &p.tenant_id, id, now_ms()).await?;
    if row.author_id != p.user_id {
        return Err(not_author());
    }
    let people = [row.author_id.as_str()];
    holds::refuse(&mut tx, &p.tenant_id, &hold_item(&row, &people)).await?;
    let purged = purge_post(g, &mut tx, id).await?;
    audit::record(
        &mut tx,
        p.audit("bulletin.post_deleted")
            .target("bulletin_post", id)
            .details(json!({ "photos": purged.blobs })),
    )
    .await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(())
}

/// Remove anyone's post as a moderator (needs `bulletin.moderate`), with a reason the audit
/// log keeps; it goes from every store (refused while a legal hold covers it).
#[tracing::instrument(skip_all, fields(tenant_id = %g.principal().tenant_id, post_id = %id))]
pub async fn remove(state: &AppState, g: &Granted<'_>, id: &str, reason: &str) -> ApiResult<()> {
    let p = holder(g, perm::BULLETIN_MODERATE)?;
    let reason = validate::text("reason", reason, MAX_REASON)?;
    let mut tx = state.db.begin().await?;
    let not_found = || ApiError::not_found("post");
    if !is_id(id) {
        return Err(not_found());
    }
    // Moderators may remove an expired post too (it is still stored until retention purges it).
    let row = store::get(&mut tx, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    let people = [row.author_id.as_str()];
    holds::refuse(&mut tx, &p.tenant_id, &hold_item(&row, &people)).await?;
    let purged = purge_post(g, &mut tx, id).await?;
    audit::record(
        &mut tx,
        p.audit("bulletin.post_removed")
            .target("bulletin_post", id)
            .details(json!({ "reason": reason, "author_id": row.author_id,
                             "photos": purged.blobs })),
    )
    .await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(())
}
