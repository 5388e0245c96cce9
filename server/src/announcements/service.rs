//! Publishing, editing, deleting and reading announcements: who may (publishing needs
//! `announcements.publish`; reading needs being in the audience **now**, or holding
//! `announcements.publish` or `announcements.receipts.read`), the kinds (`policy` and `breach`
//! notices always go to everyone and always ask for an acknowledgement), versions (an edit of
//! the title or text keeps the previous version and marks the announcement edited), and the
//! notices and realtime frames a publication sends.

use super::{
    markdown,
    store::{self, AnnouncementRow, ListRow, VersionRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::{perm, Granted},
    db::{is_id, new_id, now_ms},
    directory::audience::{self, AudienceTarget, Target},
    error::{ApiError, ApiResult, Code},
    files, notices, users, AppState,
};
use poem_openapi::Enum;
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap};

/// The notices' source for announcements.
pub const SOURCE: &str = "announcement";
pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 20_000;
pub const MAX_TARGETS: usize = 100;
pub const MAX_ATTACHMENTS: usize = 10;

/// What an announcement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "AnnouncementKind", rename_all = "snake_case")]
pub enum Kind {
    /// An ordinary announcement to the audience it names.
    Normal,
    /// A change of policy: to everyone, acknowledgement required, kept in the audit log.
    Policy,
    /// A notice of a personal-data breach: as `policy`.
    Breach,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Normal => "normal",
            Kind::Policy => "policy",
            Kind::Breach => "breach",
        }
    }

    pub fn parse(s: &str) -> Kind {
        match s {
            "policy" => Kind::Policy,
            "breach" => Kind::Breach,
            _ => Kind::Normal,
        }
    }

    /// Policy and breach notices: to everyone, acknowledged, audited in full.
    pub fn is_notice(self) -> bool {
        self != Kind::Normal
    }
}

/// An announcement as a reader sees it.
#[derive(Debug, Clone)]
pub struct View {
    pub row: ListRow,
    pub body_html: String,
    pub audience: Vec<Target>,
    pub author_name: Option<String>,
    pub attachments: Vec<files::store::FileRow>,
}

impl View {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.row.a.kind)
    }

    /// Acknowledged in its current version.
    pub fn acknowledged(&self) -> bool {
        self.row.acked_version == Some(self.row.a.version)
    }
}

fn not_found() -> ApiError {
    ApiError::not_found("announcement")
}

/// Markdown text: 1..=20,000 characters; line breaks and tabs allowed, other control
/// characters not.
fn body(raw: &str) -> ApiResult<String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(ApiError::validation("body", "must not be empty"));
    }
    if t.chars().count() > MAX_BODY {
        return Err(ApiError::validation(
            "body",
            format!("must be at most {MAX_BODY} characters"),
        ));
    }
    if t.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::validation(
            "body",
            "must not contain control characters other than line breaks and tabs",
        ));
    }
    Ok(t.to_string())
}

fn future(field: &str, at: Option<i64>, now: i64) -> ApiResult<()> {
    match at {
        Some(t) if t <= now => Err(ApiError::validation(field, "must be in the future")),
        _ => Ok(()),
    }
}

/// The acknowledgement due date needs an acknowledgement and comes before the expiry.
fn dates(ack_required: bool, due: Option<i64>, expires: Option<i64>) -> ApiResult<()> {
    if due.is_some() && !ack_required {
        return Err(ApiError::validation(
            "ack_due_at",
            "a due date needs `ack_required`",
        ));
    }
    if let (Some(d), Some(e)) = (due, expires) {
        if d > e {
            return Err(ApiError::validation(
                "ack_due_at",
                "must not be after the expiry",
            ));
        }
    }
    Ok(())
}

/// Files the publisher may attach: their own (or readable) plain uploads, at most 10.
async fn attachments(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    raw: &[String],
) -> ApiResult<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    for f in raw {
        if !ids.contains(f) {
            ids.push(f.clone());
        }
    }
    if ids.len() > MAX_ATTACHMENTS {
        return Err(ApiError::validation(
            "attachment_ids",
            format!("at most {MAX_ATTACHMENTS} attachments"),
        ));
    }
    for f in &ids {
        let ok = files::service::attachable(state, conn, p, f).await;
        if !ok {
            return Err(ApiError::validation(
                "attachment_ids",
                "only files you uploaded (or can read) can be attached",
            ));
        }
    }
    Ok(ids)
}

/// Whether the caller may see every announcement of the tenant (publishers, receipt readers).
pub async fn oversees(state: &AppState, p: &Principal) -> ApiResult<bool> {
    let held = state.authz.permissions(p).await?;
    Ok(held.contains(perm::ANNOUNCEMENTS_PUBLISH)
        || held.contains(perm::ANNOUNCEMENTS_READ_RECEIPTS))
}

/// An announcement of the tenant, or 404.
pub async fn load(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> ApiResult<AnnouncementRow> {
    if !is_id(id) {
        return Err(not_found());
    }
    store::get(conn, tenant_id, id).await?.ok_or_else(not_found)
}

/// Whether the person is in the announcement's audience now and it has not expired.
pub async fn addressed(
    conn: &mut AnyConnection,
    p: &Principal,
    a: &AnnouncementRow,
) -> ApiResult<bool> {
    if a.expires_at.is_some_and(|e| e <= now_ms()) {
        return Ok(false);
    }
    let tokens = audience::tokens_of(conn, &p.tenant_id, &p.user_id).await?;
    Ok(store::addressed_to(conn, &p.tenant_id, &a.id, &tokens).await?)
}

/// An announcement the caller may read now (in its audience, or overseeing), or 404.
pub async fn visible(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<AnnouncementRow> {
    let a = load(conn, &p.tenant_id, id).await?;
    if addressed(conn, p, &a).await? || oversees(state, p).await? {
        Ok(a)
    } else {
        Err(not_found())
    }
}

/// The stored audience of an announcement.
pub async fn audience_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> ApiResult<Vec<Target>> {
    Ok(store::tokens(conn, tenant_id, &[id.to_string()])
        .await?
        .iter()
        .filter_map(|(_, t)| Target::from_token(t))
        .collect())
}

/// Rows as readers see them: audience, attachments (files still there), author's name.
pub async fn describe(
    conn: &mut AnyConnection,
    tenant_id: &str,
    rows: Vec<ListRow>,
) -> ApiResult<Vec<View>> {
    let ids: Vec<String> = rows.iter().map(|r| r.a.id.clone()).collect();
    let mut tokens: HashMap<String, Vec<Target>> = HashMap::new();
    for (a, t) in store::tokens(conn, tenant_id, &ids).await? {
        if let Some(t) = Target::from_token(&t) {
            tokens.entry(a).or_default().push(t);
        }
    }
    let mut files_of: HashMap<String, Vec<files::store::FileRow>> = HashMap::new();
    for (a, f) in store::attachments(conn, tenant_id, &ids).await? {
        if let Some(f) = files::service::stored(conn, tenant_id, &f).await? {
            files_of.entry(a).or_default().push(f);
        }
    }
    let mut names: BTreeMap<String, Option<String>> = BTreeMap::new();
    for r in &rows {
        if !names.contains_key(&r.a.author_id) {
            let name = users::service::find(conn, tenant_id, &r.a.author_id)
                .await?
                .map(|u| u.display_name);
            names.insert(r.a.author_id.clone(), name);
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| View {
            body_html: markdown::render(&row.a.body),
            audience: tokens.remove(&row.a.id).unwrap_or_default(),
            author_name: names.get(&row.a.author_id).cloned().flatten(),
            attachments: files_of.remove(&row.a.id).unwrap_or_default(),
            row,
        })
        .collect())
}

/// One announcement with the caller's receipt.
pub async fn view(conn: &mut AnyConnection, p: &Principal, a: AnnouncementRow) -> ApiResult<View> {
    let r = store::receipt(conn, &p.tenant_id, &a.id, &p.user_id).await?;
    let row = ListRow {
        read_at: r.as_ref().and_then(|r| r.read_at),
        acked_at: r.as_ref().and_then(|r| r.acked_at),
        acked_version: r.as_ref().and_then(|r| r.acked_version),
        dismissed_at: r.as_ref().and_then(|r| r.dismissed_at),
        a,
    };
    let mut v = describe(conn, &p.tenant_id, vec![row]).await?;
    v.pop().ok_or_else(not_found)
}

/// An announcement to publish.
#[derive(Debug, Clone)]
pub struct NewAnnouncement {
    pub kind: Kind,
    pub title: String,
    pub body: String,
    /// Ignored for policy and breach notices (everyone).
    pub audience: Vec<AudienceTarget>,
    pub attachment_ids: Vec<String>,
    pub pinned: bool,
    /// Forced for policy and breach notices.
    pub ack_required: bool,
    pub ack_due_at: Option<i64>,
    pub expires_at: Option<i64>,
}

fn entry(g: &Granted<'_>, action: &'static str, id: &str) -> audit::Entry {
    g.principal().audit(action).target("announcement", id)
}

/// What the audit log keeps of an announcement: policy and breach notices in full (their text
/// is the record that people were told), others by title.
fn audit_details(a: &AnnouncementRow, tokens: &[String]) -> serde_json::Value {
    let mut d = json!({
        "kind": a.kind, "title": a.title, "version": a.version, "audience": tokens,
        "ack_required": a.ack_required == 1,
    });
    if Kind::parse(&a.kind).is_notice() {
        d["body"] = json!(a.body);
    }
    d
}

/// Publish: the announcement, its audience and first version, the audit entry and a notice to
/// everyone it is for (but its author) in one transaction; then the realtime frame.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn publish(state: &AppState, p: &Principal, n: NewAnnouncement) -> ApiResult<View> {
    let g = state.authz.require(p, perm::ANNOUNCEMENTS_PUBLISH).await?;
    let now = now_ms();
    let title = crate::http::validate::text("title", &n.title, MAX_TITLE)?;
    let body = body(&n.body)?;
    let targets = if n.kind.is_notice() {
        vec![Target::Everyone]
    } else {
        audience::parse("audience", &n.audience, MAX_TARGETS)?
    };
    let ack_required = n.ack_required || n.kind.is_notice();
    future("expires_at", n.expires_at, now)?;
    future("ack_due_at", n.ack_due_at, now)?;
    dates(ack_required, n.ack_due_at, n.expires_at)?;
    let mut tx = state.db.begin().await?;
    audience::validate(&mut tx, &p.tenant_id, "audience", &targets).await?;
    let files = attachments(state, &mut tx, p, &n.attachment_ids).await?;
    let a = AnnouncementRow {
        id: new_id(),
        kind: n.kind.as_str().into(),
        title,
        body,
        author_id: p.user_id.clone(),
        pinned: i64::from(n.pinned),
        ack_required: i64::from(ack_required),
        ack_due_at: n.ack_due_at,
        expires_at: n.expires_at,
        version: 1,
        published_at: now,
        edited_at: None,
        reminded_at: None,
        updated_at: now,
    };
    store::insert(&mut tx, &p.tenant_id, &a).await?;
    let tokens: Vec<String> = targets.iter().map(Target::token).collect();
    store::insert_tokens(&mut tx, &p.tenant_id, &a.id, &tokens).await?;
    store::insert_version(
        &mut tx,
        &p.tenant_id,
        &a.id,
        &VersionRow {
            version: 1,
            title: a.title.clone(),
            body: a.body.clone(),
            editor_id: p.user_id.clone(),
            created_at: now,
        },
    )
    .await?;
    store::set_attachments(&mut tx, &p.tenant_id, &a.id, &files).await?;
    audit::record(
        &mut tx,
        entry(&g, "announcement.published", &a.id).details(audit_details(&a, &tokens)),
    )
    .await?;
    let people: Vec<String> = audience::people(&mut tx, &p.tenant_id, &targets)
        .await?
        .into_iter()
        .filter(|u| *u != p.user_id)
        .collect();
    let written = notify(state, &mut tx, p, &a, "published", &people).await?;
    tx.commit().await?;
    written.deliver(&state.hub);
    let mut conn = state.db.conn().await?;
    view(&mut conn, p, a).await
}

/// Inside the transaction: a notice about `a` to these people.
pub async fn notify(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    a: &AnnouncementRow,
    kind: &'static str,
    people: &[String],
) -> ApiResult<notices::Written> {
    Ok(notices::write(
        conn,
        state.db.backend,
        &state.hub,
        &notices::Batch {
            tenant_id: p.tenant_id.clone(),
            source: SOURCE,
            kind,
            subject_id: a.id.clone(),
            actor_id: p.user_id.clone(),
            title: a.title.clone(),
        },
        people,
    )
    .await?)
}

/// What an edit changes (`None`: unchanged; `Some(None)`: cleared).
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub title: Option<String>,
    pub body: Option<String>,
    pub pinned: Option<bool>,
    pub ack_required: Option<bool>,
    pub ack_due_at: Option<Option<i64>>,
    pub expires_at: Option<Option<i64>>,
    pub attachment_ids: Option<Vec<String>>,
}

/// Edit after publishing. A new title or text is a new version (the previous one is kept) and
/// marks the announcement edited; where an acknowledgement is asked, it is of the current
/// version, so the audience is told again and asked anew.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn edit(state: &AppState, p: &Principal, id: &str, e: Edit) -> ApiResult<View> {
    let g = state.authz.require(p, perm::ANNOUNCEMENTS_PUBLISH).await?;
    let now = now_ms();
    let title = match &e.title {
        Some(t) => Some(crate::http::validate::text("title", t, MAX_TITLE)?),
        None => None,
    };
    let new_body = match &e.body {
        Some(b) => Some(body(b)?),
        None => None,
    };
    if let Some(Some(t)) = e.expires_at {
        future("expires_at", Some(t), now)?;
    }
    if let Some(Some(t)) = e.ack_due_at {
        future("ack_due_at", Some(t), now)?;
    }
    let mut tx = state.db.begin().await?;
    if !is_id(id) {
        return Err(not_found());
    }
    let mut a = store::get_for_update(&mut tx, state.db.backend, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    let kind = Kind::parse(&a.kind);
    if kind.is_notice() && e.ack_required == Some(false) {
        return Err(ApiError::validation(
            "ack_required",
            "policy and breach notices always ask for an acknowledgement",
        ));
    }
    let mut changed: Vec<&str> = Vec::new();
    let mut text_changed = false;
    if let Some(t) = title.filter(|t| *t != a.title) {
        a.title = t;
        text_changed = true;
        changed.push("title");
    }
    if let Some(b) = new_body.filter(|b| *b != a.body) {
        a.body = b;
        text_changed = true;
        changed.push("body");
    }
    if let Some(pinned) = e.pinned {
        a.pinned = i64::from(pinned);
        changed.push("pinned");
    }
    if let Some(r) = e.ack_required {
        a.ack_required = i64::from(r);
        changed.push("ack_required");
    }
    if let Some(d) = e.ack_due_at {
        a.ack_due_at = d;
        changed.push("ack_due_at");
    }
    if let Some(x) = e.expires_at {
        a.expires_at = x;
        changed.push("expires_at");
    }
    dates(a.ack_required == 1, a.ack_due_at, a.expires_at)?;
    if let Some(raw) = &e.attachment_ids {
        let files = attachments(state, &mut tx, p, raw).await?;
        store::set_attachments(&mut tx, &p.tenant_id, &a.id, &files).await?;
        changed.push("attachment_ids");
    }
    if text_changed {
        a.version += 1;
        a.edited_at = Some(now);
        store::insert_version(
            &mut tx,
            &p.tenant_id,
            &a.id,
            &VersionRow {
                version: a.version,
                title: a.title.clone(),
                body: a.body.clone(),
                editor_id: p.user_id.clone(),
                created_at: now,
            },
        )
        .await?;
    }
    a.updated_at = now;
    store::update(&mut tx, &p.tenant_id, &a).await?;
    let targets = audience_of(&mut tx, &p.tenant_id, &a.id).await?;
    let tokens: Vec<String> = targets.iter().map(Target::token).collect();
    let mut details = audit_details(&a, &tokens);
    details["changed"] = json!(changed);
    audit::record(
        &mut tx,
        entry(&g, "announcement.edited", &a.id).details(details),
    )
    .await?;
    let live = a.expires_at.is_none_or(|x| x > now);
    let written = if text_changed && a.ack_required == 1 && live {
        let people: Vec<String> = audience::people(&mut tx, &p.tenant_id, &targets)
            .await?
            .into_iter()
            .filter(|u| *u != p.user_id)
            .collect();
        notify(state, &mut tx, p, &a, "edited", &people).await?
    } else {
        notices::Written::none()
    };
    tx.commit().await?;
    written.deliver(&state.hub);
    let mut conn = state.db.conn().await?;
    view(&mut conn, p, a).await
}

/// Delete an ordinary announcement, with its receipts, versions and notices. Its attachments
/// stay their uploader's files. Policy and breach notices are the record that people were
/// told: they cannot be deleted (set an expiry to take them off the lists).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn delete(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let g = state.authz.require(p, perm::ANNOUNCEMENTS_PUBLISH).await?;
    let mut tx = state.db.begin().await?;
    let a = load(&mut tx, &p.tenant_id, id).await?;
    if Kind::parse(&a.kind).is_notice() {
        return Err(ApiError::conflict(
            Code::Conflict,
            "policy and breach notices are kept; set an expiry to take one off the lists",
        ));
    }
    crate::lifecycle::holds::refuse(
        &mut tx,
        &p.tenant_id,
        &crate::lifecycle::holds::Item {
            people: &[a.author_id.as_str()],
            room: None,
            space: None,
            at: a.published_at,
        },
    )
    .await?;
    store::delete(&mut tx, &p.tenant_id, &a.id).await?;
    notices::delete_subject(&mut tx, &p.tenant_id, SOURCE, &a.id).await?;
    audit::record(
        &mut tx,
        entry(&g, "announcement.deleted", &a.id)
            .details(json!({ "kind": a.kind, "title": a.title, "version": a.version })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
