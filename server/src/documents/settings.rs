//! A tenant's document settings (versions kept, in `document_settings`; the per-person quota
//! is files' setting, set here through `files::service`) and storage usage per space and per
//! person. The trash period is the retention policy of the `trash` data class.

use super::{spaces, store};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    error::{ApiError, ApiResult},
    files, users, AppState,
};
use sqlx::AnyConnection;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Settings {
    pub versions_kept: i64,
    /// 0 = no per-person limit.
    pub user_quota_bytes: i64,
    /// Which values are the install's defaults (not set by the tenant).
    pub defaults: Vec<&'static str>,
}

/// The versions a tenant keeps per document.
pub(super) async fn versions_kept(
    state: &AppState,
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> ApiResult<i64> {
    let v = store::settings::get(conn, tenant_id).await?;
    Ok(v.unwrap_or(state.cfg.documents.versions_kept).max(1))
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn get(state: &AppState, p: &Principal) -> ApiResult<Settings> {
    state.authz.require(p, perm::DOCUMENTS_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    let v = store::settings::get(&mut conn, &p.tenant_id).await?;
    let q = files::service::user_quota_default(&mut conn, &p.tenant_id).await?;
    let cfg = &state.cfg.documents;
    let mut defaults = Vec::new();
    if v.is_none() {
        defaults.push("versions_kept");
    }
    if q.is_none() {
        defaults.push("user_quota_bytes");
    }
    Ok(Settings {
        versions_kept: v.unwrap_or(cfg.versions_kept),
        user_quota_bytes: q.unwrap_or(0),
        defaults,
    })
}

/// Set the tenant's values; `None` returns a value to the install's default.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn set(
    state: &AppState,
    p: &Principal,
    versions_kept: Option<i64>,
    user_quota_bytes: Option<i64>,
) -> ApiResult<Settings> {
    state.authz.require(p, perm::DOCUMENTS_MANAGE).await?;
    if versions_kept.is_some_and(|v| !(1..=10_000).contains(&v)) {
        return Err(ApiError::validation("versions_kept", "1 to 10000"));
    }
    if user_quota_bytes.is_some_and(|v| v < 0) {
        return Err(ApiError::validation(
            "user_quota_bytes",
            "0 (no limit) or more bytes",
        ));
    }
    let mut tx = state.db.begin().await?;
    store::settings::set(&mut tx, &p.tenant_id, versions_kept).await?;
    files::service::set_user_quota_default(&mut tx, &p.tenant_id, user_quota_bytes).await?;
    audit::record(
        &mut tx,
        p.audit("documents.settings_changed")
            .target("tenant", &p.tenant_id)
            .details(serde_json::json!({
                "versions_kept": versions_kept,
                "user_quota_bytes": user_quota_bytes,
            })),
    )
    .await?;
    tx.commit().await?;
    get(state, p).await
}

/// Set (or, with `None`, clear) one person's own quota.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, user_id = %user_id))]
pub async fn set_user_quota(
    state: &AppState,
    p: &Principal,
    user_id: &str,
    quota: Option<i64>,
) -> ApiResult<()> {
    state.authz.require(p, perm::DOCUMENTS_MANAGE).await?;
    if quota.is_some_and(|q| q < 0) {
        return Err(ApiError::validation(
            "quota_bytes",
            "0 (no limit) or more bytes",
        ));
    }
    let mut tx = state.db.begin().await?;
    let u = users::service::load(&mut tx, &p.tenant_id, user_id).await?;
    files::service::set_user_quota(&mut tx, &p.tenant_id, &u.id, quota).await?;
    audit::record(
        &mut tx,
        p.audit("user.storage_quota_set")
            .target("user", user_id)
            .details(serde_json::json!({ "quota_bytes": quota })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct SpaceUsage {
    pub space_id: String,
    pub name: String,
    pub kind: String,
    pub documents: i64,
    /// Bytes of every version kept (content shared by copies counted once per space).
    pub bytes: i64,
}

#[derive(Debug, Clone)]
pub struct UserUsage {
    pub user_id: String,
    pub display_name: String,
    pub used_bytes: i64,
    /// 0 = no per-person limit.
    pub quota_bytes: i64,
}

pub struct Usage {
    pub used_bytes: i64,
    pub quota_bytes: i64,
    pub spaces: Vec<SpaceUsage>,
    pub users: Vec<UserUsage>,
}

/// At most this many spaces and people in an overview.
const MAX_ROWS: usize = 10_000;

/// Storage of every space of a tenant, largest first.
async fn space_usage(conn: &mut AnyConnection, tenant_id: &str) -> ApiResult<Vec<SpaceUsage>> {
    let pairs = store::settings::space_files(conn, tenant_id).await?;
    let mut ids: Vec<String> = pairs.iter().map(|(_, f)| f.clone()).collect();
    ids.sort();
    ids.dedup();
    let sizes = files::service::sizes(conn, tenant_id, &ids).await?;
    let mut bytes: HashMap<String, i64> = HashMap::new();
    for (s, f) in pairs {
        *bytes.entry(s).or_default() += sizes.get(&f).copied().unwrap_or(0);
    }
    let mut out: Vec<SpaceUsage> = store::settings::space_counts(conn, tenant_id)
        .await?
        .into_iter()
        .map(|(space_id, name, kind, documents)| SpaceUsage {
            bytes: bytes.get(&space_id).copied().unwrap_or(0),
            space_id,
            name,
            kind,
            documents,
        })
        .collect();
    out.sort_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then_with(|| a.space_id.cmp(&b.space_id))
    });
    out.truncate(MAX_ROWS);
    Ok(out)
}

/// Storage per space and per person. Those who manage documents see the whole tenant; others
/// see themselves and the spaces they can see.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn usage(state: &AppState, p: &Principal) -> ApiResult<Usage> {
    state.authz.require(p, perm::DOCUMENTS_USE).await?;
    let all = state
        .authz
        .permissions(p)
        .await?
        .contains(perm::DOCUMENTS_MANAGE);
    let visible: Vec<String> = spaces::list(state, p)
        .await?
        .into_iter()
        .map(|(s, _)| s.id)
        .collect();
    let mut conn = state.db.conn().await?;
    let (used, quota) = files::service::tenant_usage(state, &mut conn, &p.tenant_id).await?;
    let spaces = space_usage(&mut conn, &p.tenant_id)
        .await?
        .into_iter()
        .filter(|s| all || visible.contains(&s.space_id))
        .collect();
    let people: Vec<(String, String)> = if all {
        users::service::display_names(&mut conn, &p.tenant_id).await?
    } else {
        match users::service::load(&mut conn, &p.tenant_id, &p.user_id).await {
            Ok(u) => vec![(u.id, u.display_name)],
            Err(e) if e.status() == poem::http::StatusCode::NOT_FOUND => Vec::new(),
            Err(e) => return Err(e),
        }
    };
    let storage = files::service::people_storage(&mut conn, &p.tenant_id).await?;
    let mut users: Vec<UserUsage> = people
        .into_iter()
        .map(|(user_id, display_name)| {
            let (used_bytes, quota_bytes) = storage.of(&user_id);
            UserUsage {
                user_id,
                display_name,
                used_bytes,
                quota_bytes,
            }
        })
        .collect();
    users.sort_by(|a, b| {
        b.used_bytes
            .cmp(&a.used_bytes)
            .then_with(|| a.user_id.cmp(&b.user_id))
    });
    users.truncate(MAX_ROWS);
    Ok(Usage {
        used_bytes: used,
        quota_bytes: quota,
        spaces,
        users,
    })
}
