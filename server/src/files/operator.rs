//! Install-level storage tasks for the operator (command line): a tenant's limits, its keys.
//!
//! Both take the operator's proof ([`OperatorProof`]): only the operator (the command line's
//! credential check) reaches them.

use crate::{
    audit,
    authn::OperatorProof,
    error::{ApiError, ApiResult},
    tenants, AppState,
};

/// Set a tenant's storage quota and per-file limit (`Some(None)` clears one back to the
/// install default).
pub async fn set_limits(
    state: &AppState,
    op: &OperatorProof,
    slug: &str,
    quota: Option<Option<i64>>,
    max_upload: Option<Option<i64>>,
) -> ApiResult<(Option<i64>, Option<i64>, i64)> {
    for v in [quota, max_upload].into_iter().flatten().flatten() {
        if v < 0 {
            return Err(ApiError::bad_request("limits are byte counts: 0 or more"));
        }
    }
    let t = tenants::service::get(state, op, slug).await?;
    let mut tx = state.db.begin().await?;
    if let Some(q) = quota {
        super::store::set_quota(&mut tx, &t.id, q).await?;
    }
    if let Some(m) = max_upload {
        super::store::set_max_upload(&mut tx, &t.id, m).await?;
    }
    let now = super::store::storage_settings(&mut tx, &t.id).await?;
    audit::record(
        &mut tx,
        op.audit(&t.id, "tenant.storage_limits_set")
            .target("tenant", &t.id)
            .details(serde_json::json!({ "quota_bytes": now.0, "max_upload_bytes": now.1 })),
    )
    .await?;
    tx.commit().await?;
    Ok(now)
}

/// Crypto-shred a tenant: destroy its data keys, so no stored blob of it can be decrypted
/// again, whatever copies of the store exist. Returns how many keys were destroyed.
pub async fn shred_keys(state: &AppState, op: &OperatorProof, slug: &str) -> ApiResult<u64> {
    let t = tenants::service::get(state, op, slug).await?;
    let mut tx = state.db.begin().await?;
    let n = crate::blobs::crypto::destroy_tenant_keys(&mut tx, &t.id).await?;
    audit::record(
        &mut tx,
        op.audit(&t.id, "tenant.keys_destroyed")
            .target("tenant", &t.id)
            .details(serde_json::json!({ "keys": n })),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}
