//! Notes: a person's own Markdown notes (`notes.use`). Only their owner sees them — anyone
//! else gets 404, admins included. Markdown is kept as written and returned with its
//! sanitised HTML (the announcements' renderer: `pulldown-cmark` + `ammonia`).

use super::store::{self, NoteRow};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{is_id, new_id, now_ms},
    error::{ApiError, ApiResult},
    files, search,
    tasks::service::{attachments, location, markdown_text},
    AppState,
};
use serde_json::json;
use sqlx::AnyConnection;

pub const KIND: &str = "note";
pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 50_000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG: usize = 50;

fn not_found() -> ApiError {
    ApiError::not_found("note")
}

/// A tag as stored: trimmed, without a leading `#`, lower case, inner white space collapsed
/// to one space; 1 to 50 characters, no control characters.
pub fn tag(raw: &str) -> ApiResult<String> {
    let t = raw.trim().trim_start_matches('#');
    let t: String = t
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if t.is_empty() || t.chars().count() > MAX_TAG || t.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "tags",
            format!("each tag has 1 to {MAX_TAG} characters"),
        ));
    }
    Ok(t)
}

fn tags(raw: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for r in raw {
        let t = tag(r)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(ApiError::validation(
            "tags",
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    out.sort();
    Ok(out)
}

/// A note as its owner sees it.
#[derive(Debug, Clone)]
pub struct View {
    pub row: NoteRow,
    pub body_html: String,
    pub tags: Vec<String>,
    pub attachments: Vec<files::store::FileRow>,
}

async fn view(conn: &mut AnyConnection, tenant_id: &str, row: NoteRow) -> ApiResult<View> {
    let tags = store::tags(conn, tenant_id, &row.id).await?;
    let mut shown = Vec::new();
    for f in store::attachments(conn, tenant_id, &row.id).await? {
        if let Some(f) = files::service::stored(conn, tenant_id, &f).await? {
            shown.push(f);
        }
    }
    Ok(View {
        body_html: crate::announcements::markdown::render(&row.body),
        row,
        tags,
        attachments: shown,
    })
}

/// The caller's own note, or 404.
async fn own(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
    lock: bool,
) -> ApiResult<NoteRow> {
    if !is_id(id) {
        return Err(not_found());
    }
    let row = if lock {
        store::get_for_update(conn, state.db.backend, &p.tenant_id, id).await?
    } else {
        store::get(conn, &p.tenant_id, id).await?
    };
    row.filter(|n| n.owner_id == p.user_id)
        .ok_or_else(not_found)
}

#[derive(Debug, Clone, Default)]
pub struct NewNote {
    pub title: String,
    pub body: String,
    pub pinned: bool,
    pub tags: Vec<String>,
    pub location: Option<(f64, f64)>,
    pub attachment_ids: Vec<String>,
}

fn title(raw: &str) -> ApiResult<String> {
    Ok(crate::http::validate::optional_text("title", Some(raw), MAX_TITLE)?.unwrap_or_default())
}

fn body(raw: &str) -> ApiResult<String> {
    let b = markdown_text("body", raw, MAX_BODY)?;
    if b.is_empty() {
        return Err(ApiError::validation("body", "must not be empty"));
    }
    Ok(b)
}

/// Write a note.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn create(state: &AppState, p: &Principal, n: NewNote) -> ApiResult<View> {
    state.authz.require(p, perm::NOTES_USE).await?;
    let now = now_ms();
    let title = title(&n.title)?;
    let body = body(&n.body)?;
    let tags = tags(&n.tags)?;
    let loc = n.location.map(|(a, b)| location(a, b)).transpose()?;
    let mut tx = state.db.begin().await?;
    let files = attachments(state, &mut tx, p, &n.attachment_ids).await?;
    let row = NoteRow {
        id: new_id(),
        owner_id: p.user_id.clone(),
        title,
        body,
        pinned: i64::from(n.pinned),
        latitude_e7: loc.map(|l| l.0),
        longitude_e7: loc.map(|l| l.1),
        created_at: now,
        updated_at: now,
    };
    store::insert(&mut tx, &p.tenant_id, &row).await?;
    store::set_tags(&mut tx, &p.tenant_id, &row.id, &tags).await?;
    store::set_attachments(&mut tx, &p.tenant_id, &row.id, &files).await?;
    // Notes are private: the audit log keeps that one was written, not what it says.
    audit::record(&mut tx, p.audit("note.created").target("note", &row.id)).await?;
    search::enqueue_index(&mut tx, &p.tenant_id, KIND, &row.id).await?;
    tx.commit().await?;
    let mut conn = state.db.conn().await?;
    view(&mut conn, &p.tenant_id, row).await
}

/// One of the caller's notes.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<View> {
    state.authz.require(p, perm::NOTES_USE).await?;
    let mut conn = state.db.conn().await?;
    let row = own(state, &mut conn, p, id, false).await?;
    view(&mut conn, &p.tenant_id, row).await
}

/// What an edit changes (`None`: unchanged; `Some(None)`: cleared).
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub title: Option<String>,
    pub body: Option<String>,
    pub pinned: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub location: Option<Option<(f64, f64)>>,
    pub attachment_ids: Option<Vec<String>>,
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn update(state: &AppState, p: &Principal, id: &str, e: Edit) -> ApiResult<View> {
    state.authz.require(p, perm::NOTES_USE).await?;
    let new_title = e.title.as_deref().map(title).transpose()?;
    let new_body = e.body.as_deref().map(body).transpose()?;
    let new_tags = e.tags.as_deref().map(tags).transpose()?;
    let loc = match e.location {
        Some(Some((a, b))) => Some(Some(location(a, b)?)),
        Some(None) => Some(None),
        None => None,
    };
    let mut tx = state.db.begin().await?;
    let mut row = own(state, &mut tx, p, id, true).await?;
    let mut changed: Vec<&str> = Vec::new();
    if let Some(t) = new_title {
        row.title = t;
        changed.push("title");
    }
    if let Some(b) = new_body {
        row.body = b;
        changed.push("body");
    }
    if let Some(x) = e.pinned {
        row.pinned = i64::from(x);
        changed.push("pinned");
    }
    if let Some(l) = loc {
        row.latitude_e7 = l.map(|l| l.0);
        row.longitude_e7 = l.map(|l| l.1);
        changed.push("location");
    }
    if let Some(t) = &new_tags {
        store::set_tags(&mut tx, &p.tenant_id, &row.id, t).await?;
        changed.push("tags");
    }
    if let Some(raw) = &e.attachment_ids {
        let files = attachments(state, &mut tx, p, raw).await?;
        store::set_attachments(&mut tx, &p.tenant_id, &row.id, &files).await?;
        changed.push("attachment_ids");
    }
    row.updated_at = now_ms();
    store::update(&mut tx, &p.tenant_id, &row).await?;
    audit::record(
        &mut tx,
        p.audit("note.updated")
            .target("note", &row.id)
            .details(json!({ "changed": changed })),
    )
    .await?;
    search::enqueue_index(&mut tx, &p.tenant_id, KIND, &row.id).await?;
    tx.commit().await?;
    let mut conn = state.db.conn().await?;
    view(&mut conn, &p.tenant_id, row).await
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn delete(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    state.authz.require(p, perm::NOTES_USE).await?;
    let mut tx = state.db.begin().await?;
    let row = own(state, &mut tx, p, id, true).await?;
    crate::lifecycle::holds::refuse(
        &mut tx,
        &p.tenant_id,
        &crate::lifecycle::holds::Item {
            people: &[row.owner_id.as_str()],
            room: None,
            space: None,
            at: row.created_at,
        },
    )
    .await?;
    store::delete(&mut tx, &p.tenant_id, &row.id).await?;
    search::enqueue_delete(&mut tx, &p.tenant_id, KIND, &row.id).await?;
    audit::record(&mut tx, p.audit("note.deleted").target("note", &row.id)).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub tag: Option<String>,
    pub pinned: Option<bool>,
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A page of the caller's notes: pinned first, then most recently changed.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn list(
    state: &AppState,
    p: &Principal,
    f: Filter,
) -> ApiResult<(Vec<View>, Option<String>)> {
    state.authz.require(p, perm::NOTES_USE).await?;
    let limit = crate::http::pagination::limit(f.limit)?;
    let tag = f.tag.as_deref().map(tag).transpose()?;
    let text = match f.q.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(q) if q.chars().count() > 200 => {
            return Err(ApiError::validation("q", "at most 200 characters"))
        }
        Some(q) => Some(format!("%{}%", crate::db::like_escape(&q.to_lowercase()))),
    };
    let bad = || ApiError::bad_request("the cursor is not one this server issued");
    let after = match crate::http::pagination::decode_key(f.cursor.as_deref(), 3)? {
        Some(k) => Some((
            k[0].parse::<i64>().map_err(|_| bad())?,
            k[1].parse::<i64>().map_err(|_| bad())?,
            k[2].clone(),
        )),
        None => None,
    };
    let mut conn = state.db.conn().await?;
    let rows = store::page(
        &mut conn,
        &p.tenant_id,
        &store::PageQuery {
            owner_id: &p.user_id,
            tag: tag.as_deref(),
            pinned: f.pinned,
            text,
            after,
            limit: limit + 1,
        },
    )
    .await?;
    let (rows, next) = crate::http::pagination::page_key(rows, limit, |n| {
        vec![n.pinned.to_string(), n.updated_at.to_string(), n.id.clone()]
    });
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(&mut conn, &p.tenant_id, r).await?);
    }
    Ok((out, next))
}

/// The search document of a note: its owner alone reads it.
pub async fn search_doc(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<search::Doc>, sqlx::Error> {
    let Some(n) = store::get(conn, tenant_id, id).await? else {
        return Ok(None);
    };
    let tags = store::tags(conn, tenant_id, id).await?;
    Ok(Some(search::Doc {
        tenant_id: tenant_id.to_string(),
        kind: KIND.into(),
        id: n.id,
        readers: vec![search::user_token(&n.owner_id)],
        owner_id: n.owner_id,
        tags: tags.iter().map(|t| format!("tag:{t}")).collect(),
        title: n.title,
        body: format!("{}\n{}", n.body, tags.join(" ")),
        created_at: n.created_at,
    }))
}

pub async fn can_read(conn: &mut AnyConnection, p: &Principal, id: &str) -> ApiResult<bool> {
    if !is_id(id) {
        return Ok(false);
    }
    Ok(store::get(conn, &p.tenant_id, id)
        .await?
        .is_some_and(|n| n.owner_id == p.user_id))
}
