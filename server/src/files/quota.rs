//! Storage limits and usage: the tenant's quota and per-upload ceiling, per-person quotas, and
//! what is used, for the admins and for features that account for the content they keep.

use super::store;
use crate::{authn::Principal, authz::perm, error::ApiResult, AppState};
use sqlx::AnyConnection;

/// The effective per-upload limit and quota of a tenant.
pub(super) async fn limits(
    state: &AppState,
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> ApiResult<(u64, i64, i64)> {
    let (quota, max_upload, used) = store::storage_settings(conn, tenant_id).await?;
    let ceiling = state.cfg.storage.max_upload_bytes;
    let max_upload = max_upload
        .map(|m| (m.max(0) as u64).min(ceiling))
        .unwrap_or(ceiling);
    let quota = quota.unwrap_or(state.cfg.storage.default_tenant_quota_bytes as i64);
    Ok((max_upload, quota, used))
}

/// The tenant's (used, quota) bytes; quota 0 = unlimited.
pub async fn tenant_usage(
    state: &AppState,
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> ApiResult<(i64, i64)> {
    let (_, quota, used) = limits(state, conn, tenant_id).await?;
    Ok((used, quota))
}

/// The tenant's per-person quota (`None`: not set; no per-person limit).
pub async fn user_quota_default(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> ApiResult<Option<i64>> {
    Ok(store::user_quota_default(conn, tenant_id).await?)
}

/// Set (`None`: clear) the tenant's per-person quota, inside the caller's transaction (the
/// caller checked who may).
pub async fn set_user_quota_default(
    conn: &mut AnyConnection,
    tenant_id: &str,
    quota: Option<i64>,
) -> ApiResult<()> {
    Ok(store::set_user_quota_default(conn, tenant_id, quota).await?)
}

/// Set (`None`: clear) one person's own quota, inside the caller's transaction (the caller
/// checked who may, and that the person exists).
pub async fn set_user_quota(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    quota: Option<i64>,
) -> ApiResult<()> {
    Ok(store::set_user_quota(conn, tenant_id, user_id, quota).await?)
}

/// Each person's stored bytes and quota.
pub struct PeopleStorage {
    rows: std::collections::HashMap<String, (i64, Option<i64>)>,
    default_quota: Option<i64>,
}

impl PeopleStorage {
    /// A person's (used, quota) bytes; quota 0 = no per-person limit.
    pub fn of(&self, user_id: &str) -> (i64, i64) {
        let (used, own) = self.rows.get(user_id).copied().unwrap_or((0, None));
        (used, own.or(self.default_quota).unwrap_or(0))
    }
}

/// Stored bytes and quota of everyone in the tenant.
pub async fn people_storage(conn: &mut AnyConnection, tenant_id: &str) -> ApiResult<PeopleStorage> {
    let default_quota = store::user_quota_default(conn, tenant_id).await?;
    let rows = store::usage_rows(conn, tenant_id)
        .await?
        .into_iter()
        .map(|(u, used, q)| (u, (used, q)))
        .collect();
    Ok(PeopleStorage {
        rows,
        default_quota,
    })
}

/// Sizes of these files of the tenant (those that exist), by id; for features that account
/// for the content they use.
pub async fn sizes(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> ApiResult<std::collections::HashMap<String, i64>> {
    Ok(store::sizes(conn, tenant_id, ids)
        .await?
        .into_iter()
        .collect())
}

pub struct Usage {
    pub used: i64,
    pub quota: i64,
    pub max_upload: u64,
    pub by_user: Vec<(String, i64, i64)>,
}

/// The tenant's storage usage (needs `files.manage`).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, user_id = %p.user_id))]
pub async fn usage(state: &AppState, p: &Principal) -> ApiResult<Usage> {
    state.authz.require(p, perm::FILES_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    let (max_upload, quota, used) = limits(state, &mut conn, &p.tenant_id).await?;
    let by_user = store::usage_by_user(&mut conn, &p.tenant_id).await?;
    Ok(Usage {
        used,
        quota,
        max_upload,
        by_user,
    })
}
