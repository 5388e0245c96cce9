//! A tenant's document settings (versions kept, trash period, per-person quota) and storage
//! usage per space and per person.

use crate::{
    audit,
    authn::Principal,
    authz::perm,
    error::{ApiError, ApiResult},
    AppState,
};

#[derive(Debug, Clone)]
pub struct Settings {
    pub versions_kept: i64,
    pub trash_retention_days: i64,
    /// 0 = no per-person limit.
    pub user_quota_bytes: i64,
    /// Which values are the install's defaults (not set by the tenant).
    pub defaults: Vec<&'static str>,
}

pub async fn get(state: &AppState, p: &Principal) -> ApiResult<Settings> {
    state.authz.require(p, perm::DOCUMENTS_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    let (v, t, q): (Option<i64>, Option<i64>, Option<i64>) = sqlx::query_as(
        "select doc_versions_kept, trash_retention_days, user_quota_bytes from tenants where id = $1",
    )
    .bind(&p.tenant_id)
    .fetch_one(&mut *conn)
    .await?;
    let cfg = &state.cfg.documents;
    let mut defaults = Vec::new();
    if v.is_none() {
        defaults.push("versions_kept");
    }
    if t.is_none() {
        defaults.push("trash_retention_days");
    }
    if q.is_none() {
        defaults.push("user_quota_bytes");
    }
    Ok(Settings {
        versions_kept: v.unwrap_or(cfg.versions_kept),
        trash_retention_days: t.unwrap_or(cfg.trash_retention_days),
        user_quota_bytes: q.unwrap_or(0),
        defaults,
    })
}

/// Set the tenant's values; `None` returns a value to the install's default.
pub async fn set(
    state: &AppState,
    p: &Principal,
    versions_kept: Option<i64>,
    trash_retention_days: Option<i64>,
    user_quota_bytes: Option<i64>,
) -> ApiResult<Settings> {
    state.authz.require(p, perm::DOCUMENTS_MANAGE).await?;
    if versions_kept.is_some_and(|v| !(1..=10_000).contains(&v)) {
        return Err(ApiError::validation("versions_kept", "1 to 10000"));
    }
    if trash_retention_days.is_some_and(|v| !(0..=3650).contains(&v)) {
        return Err(ApiError::validation(
            "trash_retention_days",
            "0 (purge at the next sweep) to 3650 days",
        ));
    }
    if user_quota_bytes.is_some_and(|v| v < 0) {
        return Err(ApiError::validation(
            "user_quota_bytes",
            "0 (no limit) or more bytes",
        ));
    }
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "update tenants set doc_versions_kept = $1, trash_retention_days = $2, user_quota_bytes = $3
         where id = $4",
    )
    .bind(versions_kept)
    .bind(trash_retention_days)
    .bind(user_quota_bytes)
    .bind(&p.tenant_id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        p.audit("documents.settings_changed")
            .target("tenant", &p.tenant_id)
            .details(serde_json::json!({
                "versions_kept": versions_kept, "trash_retention_days": trash_retention_days,
                "user_quota_bytes": user_quota_bytes,
            })),
    )
    .await?;
    tx.commit().await?;
    get(state, p).await
}

/// Set (or, with `None`, clear) one person's own quota.
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
    let n = if crate::db::is_id(user_id) {
        sqlx::query("update users set storage_quota_bytes = $1 where tenant_id = $2 and id = $3")
            .bind(quota)
            .bind(&p.tenant_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
    } else {
        0
    };
    if n == 0 {
        return Err(ApiError::not_found("user"));
    }
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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SpaceUsage {
    pub space_id: String,
    pub name: String,
    pub kind: String,
    pub documents: i64,
    /// Bytes of every version kept (content shared by copies counted once per space).
    pub bytes: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
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

/// Storage per space and per person. Those who manage documents see the whole tenant; others
/// see themselves and the spaces they can see.
pub async fn usage(state: &AppState, p: &Principal) -> ApiResult<Usage> {
    state.authz.require(p, perm::DOCUMENTS_USE).await?;
    let all = state
        .authz
        .permissions(p)
        .await?
        .contains(perm::DOCUMENTS_MANAGE);
    let visible: Vec<String> = super::service::list(state, p)
        .await?
        .into_iter()
        .map(|(s, _)| s.id)
        .collect();
    let mut conn = state.db.conn().await?;
    let (quota, _, used) = crate::files::store::storage_settings(&mut conn, &p.tenant_id).await?;
    let quota = quota.unwrap_or(state.cfg.storage.default_tenant_quota_bytes as i64);
    let spaces: Vec<SpaceUsage> = sqlx::query_as(
        "select s.id as space_id, s.name, s.kind,
            (select count(*) from documents d where d.tenant_id = s.tenant_id and d.space_id = s.id
                and d.trashed_at is null) as documents,
            (select cast(coalesce(sum(x.size), 0) as bigint) from (select distinct f.id, f.size
                from documents d join document_versions v on v.tenant_id = d.tenant_id and v.document_id = d.id
                join files f on f.tenant_id = v.tenant_id and f.id = v.file_id
                where d.tenant_id = s.tenant_id and d.space_id = s.id) x) as bytes
         from spaces s where s.tenant_id = $1 order by bytes desc, s.id limit 10000",
    )
    .bind(&p.tenant_id)
    .fetch_all(&mut *conn)
    .await?;
    let spaces = spaces
        .into_iter()
        .filter(|s| all || visible.contains(&s.space_id))
        .collect();
    let users: Vec<UserUsage> = sqlx::query_as(
        "select u.id as user_id, u.display_name, u.storage_used_bytes as used_bytes,
            coalesce(u.storage_quota_bytes, t.user_quota_bytes, 0) as quota_bytes
         from users u join tenants t on t.id = u.tenant_id
         where u.tenant_id = $1 and ($2 = 1 or u.id = $3)
         order by u.storage_used_bytes desc, u.id limit 10000",
    )
    .bind(&p.tenant_id)
    .bind(i64::from(all))
    .bind(&p.user_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Usage {
        used_bytes: used,
        quota_bytes: quota,
        spaces,
        users,
    })
}
