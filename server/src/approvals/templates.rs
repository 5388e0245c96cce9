//! Templates: the definitions people submit requests under — name, category, description,
//! icon, who may submit, a form, a flow and an optional attendance link — kept as immutable
//! versions. Creating a template makes version 1; every edit makes the next one (a request
//! keeps the version it was submitted under); archiving hides a template from submitters
//! without touching its versions.
//!
//! What the requests half calls: [`current`] (the active template's current version, 404
//! otherwise), [`version`] (any version of any of the tenant's templates) and [`may_submit`].

pub use super::version::{AttendanceKind, AttendanceLink, TemplateVersion, ACTIVE, ARCHIVED};
use super::{
    flow::{self, Flow},
    form::{FieldKind, Form},
    starters,
    store::{self, TemplateRow, VersionRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::catalogue::perm,
    db::{is_id, new_id, now_ms, Db},
    directory::audience::{self, Target},
    error::{ApiError, ApiResult, Code},
    AppState,
};
use serde_json::json;
use sqlx::AnyConnection;

/// The icons a template may name (or it may be an emoji).
pub const ICONS: &[&str] = &[
    "leave",
    "expense",
    "purchase",
    "trip",
    "overtime",
    "document",
    "contract",
    "payment",
    "equipment",
    "vehicle",
    "meeting",
    "hiring",
    "training",
    "general",
];
pub const MAX_NAME: usize = 100;
pub const MAX_CATEGORY: usize = 50;
pub const MAX_DESCRIPTION: usize = 1_000;
pub const MAX_SUBMITTERS: usize = 50;

fn not_found() -> ApiError {
    ApiError::not_found("approval template")
}

fn corrupt(what: &str, e: serde_json::Error) -> ApiError {
    ApiError::internal(format!("stored approval template {what}: {e}"))
}

/// A stored version as the service sees it.
pub fn from_rows(t: &TemplateRow, v: VersionRow) -> ApiResult<TemplateVersion> {
    let tokens: Vec<String> =
        serde_json::from_str(&v.submitters).map_err(|e| corrupt("submitters", e))?;
    Ok(TemplateVersion {
        template_id: v.template_id,
        version: v.version,
        state: t.state.clone(),
        starter: t.starter.clone(),
        name: v.name,
        category: v.category,
        description: v.description,
        icon: v.icon,
        submitters: tokens
            .iter()
            .filter_map(|t| Target::from_token(t))
            .collect(),
        form: serde_json::from_str(&v.form).map_err(|e| corrupt("form", e))?,
        flow: serde_json::from_str(&v.flow).map_err(|e| corrupt("flow", e))?,
        attendance: match &v.attendance {
            Some(a) => serde_json::from_str(a).map_err(|e| corrupt("attendance", e))?,
            None => None,
        },
        created_by: v.created_by,
        created_at: v.created_at,
        template_created_at: t.created_at,
    })
}

async fn load(
    conn: &mut AnyConnection,
    tenant_id: &str,
    template_id: &str,
    version: Option<i64>,
) -> ApiResult<TemplateVersion> {
    if !is_id(template_id) {
        return Err(not_found());
    }
    let t = store::template(&mut *conn, tenant_id, template_id)
        .await?
        .ok_or_else(not_found)?;
    let v = store::version(conn, tenant_id, template_id, version.unwrap_or(t.version))
        .await?
        .ok_or_else(not_found)?;
    from_rows(&t, v)
}

/// The current version of an active template of the tenant (404 when archived or unknown).
pub async fn current(
    conn: &mut AnyConnection,
    tenant_id: &str,
    template_id: &str,
) -> ApiResult<TemplateVersion> {
    let v = load(conn, tenant_id, template_id, None).await?;
    if v.state != ACTIVE {
        return Err(not_found());
    }
    Ok(v)
}

/// One version of one of the tenant's templates, active or archived (404 when unknown).
pub async fn version(
    conn: &mut AnyConnection,
    tenant_id: &str,
    template_id: &str,
    version: i64,
) -> ApiResult<TemplateVersion> {
    load(conn, tenant_id, template_id, Some(version)).await
}

/// Whether the person is among those the version lets submit (everyone, their departments
/// with sub-departments, their roles), on current membership. The `approvals.submit`
/// permission and the template being active are the caller's questions.
pub async fn may_submit(
    conn: &mut AnyConnection,
    tenant_id: &str,
    template: &TemplateVersion,
    user_id: &str,
) -> ApiResult<bool> {
    if template.submitters.contains(&Target::Everyone) {
        return Ok(true);
    }
    let mine = audience::tokens_of(conn, tenant_id, user_id).await?;
    Ok(template
        .submitters
        .iter()
        .any(|t| mine.contains(&t.token())))
}

/// Seed the tenant's starter templates if that never happened (tenants made before
/// approvals existed; new tenants get them when they are created).
pub async fn ensure_starters(db: &Db, tenant_id: &str) -> ApiResult<()> {
    {
        let mut conn = db.conn().await?;
        if store::seeded(&mut conn, tenant_id).await? {
            return Ok(());
        }
    }
    let mut tx = db.begin_unclaimed().await?;
    starters::seed(&mut tx, tenant_id).await?;
    tx.commit().await?;
    Ok(())
}

/// What an admin writes: everything a version holds.
#[derive(Debug, Clone)]
pub struct Definition {
    pub name: String,
    pub category: Option<String>,
    pub description: Option<String>,
    pub icon: Option<String>,
    pub submitters: Vec<Target>,
    pub form: Form,
    pub flow: Flow,
    pub attendance: Option<AttendanceLink>,
}

fn icon(raw: Option<&str>) -> ApiResult<String> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok("general".into());
    };
    if ICONS.contains(&s) {
        return Ok(s.into());
    }
    // An emoji: a few non-ASCII, non-control characters (a flag or a skin tone is several).
    let n = s.chars().count();
    if (1..=8).contains(&n) && s.chars().all(|c| !c.is_ascii() && !c.is_control()) {
        return Ok(s.into());
    }
    Err(ApiError::validation(
        "icon",
        format!("one of {} or an emoji", ICONS.join(", ")),
    ))
}

/// Check a definition (every problem a 422 naming its field) and return its clean texts.
async fn check(
    conn: &mut AnyConnection,
    tenant_id: &str,
    d: &Definition,
) -> ApiResult<(String, String, String, String)> {
    let name = crate::http::validate::text("name", &d.name, MAX_NAME)?;
    let category =
        crate::http::validate::optional_text("category", d.category.as_deref(), MAX_CATEGORY)?
            .unwrap_or_else(|| "General".into());
    let description = d.description.as_deref().unwrap_or("").trim().to_string();
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(ApiError::validation(
            "description",
            format!("at most {MAX_DESCRIPTION} characters"),
        ));
    }
    let icon = icon(d.icon.as_deref())?;
    if d.submitters.iter().any(|t| matches!(t, Target::Person(_))) {
        return Err(ApiError::validation(
            "submitters",
            "everyone, departments or roles submit",
        ));
    }
    audience::validate(&mut *conn, tenant_id, "submitters", &d.submitters).await?;
    d.form.validate()?;
    d.flow.validate(&d.form)?;
    flow::check_refs(&mut *conn, tenant_id, &d.flow).await?;
    if let Some(a) = &d.attendance {
        match d.form.field(&a.field) {
            Some(f) if f.kind == FieldKind::DateRange && f.required => {}
            _ => {
                return Err(ApiError::validation(
                    "attendance.field",
                    "name a required date range field of the form",
                ))
            }
        }
    }
    Ok((name, category, description, icon))
}

fn version_row(
    template_id: &str,
    version: i64,
    texts: (String, String, String, String),
    d: &Definition,
    by: &str,
    now: i64,
) -> ApiResult<VersionRow> {
    let (name, category, description, icon) = texts;
    let tokens: Vec<String> = d.submitters.iter().map(Target::token).collect();
    let json = |v: serde_json::Result<String>| v.map_err(ApiError::internal);
    Ok(VersionRow {
        template_id: template_id.into(),
        version,
        name,
        category,
        description,
        icon,
        submitters: json(serde_json::to_string(&tokens))?,
        form: json(serde_json::to_string(&d.form))?,
        flow: json(serde_json::to_string(&d.flow))?,
        attendance: d
            .attendance
            .as_ref()
            .map(|a| json(serde_json::to_string(a)))
            .transpose()?,
        created_by: Some(by.into()),
        created_at: now,
    })
}

fn entry(p: &Principal, action: &'static str, id: &str) -> audit::Entry {
    p.audit(action).target("approval_template", id)
}

/// Create a template (version 1). Needs `approvals.templates.manage`.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn create(state: &AppState, p: &Principal, d: Definition) -> ApiResult<TemplateVersion> {
    state
        .authz
        .require(p, perm::APPROVALS_TEMPLATES_MANAGE)
        .await?;
    let mut tx = state.db.begin().await?;
    let texts = check(&mut tx, &p.tenant_id, &d).await?;
    let now = now_ms();
    let id = new_id();
    let v = version_row(&id, 1, texts, &d, &p.user_id, now)?;
    let t = TemplateRow {
        id: id.clone(),
        starter: None,
        state: ACTIVE.into(),
        version: 1,
        name: v.name.clone(),
        category: v.category.clone(),
        created_at: now,
        updated_at: now,
    };
    store::insert_template(&mut tx, &p.tenant_id, &t).await?;
    store::insert_version(&mut tx, &p.tenant_id, &v).await?;
    audit::record(
        &mut tx,
        entry(p, "approval_template.created", &id).details(json!({ "version": 1, "name": v.name })),
    )
    .await?;
    tx.commit().await?;
    from_rows(&t, v)
}

/// Edit a template: its next version. With `expected_version`, only if the template is still
/// at that version (409 `conflict` otherwise). Needs `approvals.templates.manage`.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, template_id = %id))]
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    d: Definition,
    expected_version: Option<i64>,
) -> ApiResult<TemplateVersion> {
    state
        .authz
        .require(p, perm::APPROVALS_TEMPLATES_MANAGE)
        .await?;
    let mut tx = state.db.begin().await?;
    let t = match is_id(id) {
        true => store::template(&mut tx, &p.tenant_id, id).await?,
        false => None,
    }
    .ok_or_else(not_found)?;
    let stale = || {
        ApiError::conflict(
            Code::Conflict,
            "the template was edited meanwhile: reload it and edit its current version",
        )
        .with_field("expected_version")
    };
    if expected_version.is_some_and(|e| e != t.version) {
        return Err(stale());
    }
    let texts = check(&mut tx, &p.tenant_id, &d).await?;
    let now = now_ms();
    let v = version_row(id, t.version + 1, texts, &d, &p.user_id, now)?;
    if !store::advance(&mut tx, &p.tenant_id, id, t.version, &v).await? {
        return Err(stale());
    }
    store::insert_version(&mut tx, &p.tenant_id, &v).await?;
    audit::record(
        &mut tx,
        entry(p, "approval_template.updated", id)
            .details(json!({ "version": v.version, "name": v.name })),
    )
    .await?;
    tx.commit().await?;
    let t = TemplateRow {
        version: v.version,
        name: v.name.clone(),
        category: v.category.clone(),
        updated_at: now,
        ..t
    };
    from_rows(&t, v)
}

/// Archive (`archived`) or restore (`active`) a template. Needs
/// `approvals.templates.manage`; setting the state it has already is a no-op.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, template_id = %id))]
pub async fn set_state(
    state: &AppState,
    p: &Principal,
    id: &str,
    to: &'static str,
) -> ApiResult<TemplateVersion> {
    state
        .authz
        .require(p, perm::APPROVALS_TEMPLATES_MANAGE)
        .await?;
    let mut tx = state.db.begin().await?;
    let mut v = load(&mut tx, &p.tenant_id, id, None).await?;
    if v.state != to {
        store::set_state(&mut tx, &p.tenant_id, id, to, now_ms()).await?;
        let action = if to == ARCHIVED {
            "approval_template.archived"
        } else {
            "approval_template.restored"
        };
        audit::record(&mut tx, entry(p, action, id)).await?;
        v.state = to.into();
    }
    tx.commit().await?;
    Ok(v)
}

/// The active templates the caller may submit, by category and name (`approvals.submit`).
pub async fn list_for_submitter(
    state: &AppState,
    p: &Principal,
) -> ApiResult<Vec<TemplateVersion>> {
    state.authz.require(p, perm::APPROVALS_SUBMIT).await?;
    ensure_starters(&state.db, &p.tenant_id).await?;
    let mut conn = state.db.conn().await?;
    let mut out = Vec::new();
    for (t, v) in store::current_versions(&mut conn, &p.tenant_id, Some(ACTIVE)).await? {
        let v = from_rows(&t, v)?;
        if may_submit(&mut conn, &p.tenant_id, &v, &p.user_id).await? {
            out.push(v);
        }
    }
    Ok(out)
}

/// Every template of the tenant (optionally in one state), current versions
/// (`approvals.templates.manage`).
pub async fn list_all(
    state: &AppState,
    p: &Principal,
    only: Option<&'static str>,
) -> ApiResult<Vec<TemplateVersion>> {
    state
        .authz
        .require(p, perm::APPROVALS_TEMPLATES_MANAGE)
        .await?;
    ensure_starters(&state.db, &p.tenant_id).await?;
    let mut conn = state.db.conn().await?;
    store::current_versions(&mut conn, &p.tenant_id, only)
        .await?
        .into_iter()
        .map(|(t, v)| from_rows(&t, v))
        .collect()
}

/// A template, its current version or `version`: for managers any template; for others an
/// active template they may submit (404 otherwise).
pub async fn get(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: Option<i64>,
) -> ApiResult<TemplateVersion> {
    state.authz.require(p, perm::APPROVALS_SUBMIT).await?;
    let manages = state
        .authz
        .permissions(p)
        .await?
        .contains(perm::APPROVALS_TEMPLATES_MANAGE);
    let mut conn = state.db.conn().await?;
    if !manages {
        let now = current(&mut conn, &p.tenant_id, id).await?;
        if !may_submit(&mut conn, &p.tenant_id, &now, &p.user_id).await? {
            return Err(not_found());
        }
    }
    load(&mut conn, &p.tenant_id, id, version).await
}

/// Every version of a template, newest first (`approvals.templates.manage`).
pub async fn versions(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<Vec<TemplateVersion>> {
    state
        .authz
        .require(p, perm::APPROVALS_TEMPLATES_MANAGE)
        .await?;
    let mut conn = state.db.conn().await?;
    let t = match is_id(id) {
        true => store::template(&mut conn, &p.tenant_id, id).await?,
        false => None,
    }
    .ok_or_else(not_found)?;
    store::versions(&mut conn, &p.tenant_id, id)
        .await?
        .into_iter()
        .map(|v| from_rows(&t, v))
        .collect()
}
