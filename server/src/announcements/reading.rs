//! Reading announcements: the caller's page (their audience now, unexpired, pinned first; or
//! every one for publishers and receipt readers), one announcement, its versions.

use super::{
    service::{describe, oversees, view, visible, View},
    store::{self, VersionRow},
};
use crate::{
    authn::Principal,
    authz::perm,
    db::now_ms,
    directory::audience,
    error::{ApiError, ApiResult},
    AppState,
};

/// A page of announcements for the caller: those whose audience includes them now and that
/// have not expired, pinned first, then newest first. With `all` (publishers and receipt
/// readers only), every announcement of the tenant, expired ones included.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn list(
    state: &AppState,
    p: &Principal,
    all: bool,
    include_dismissed: bool,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> ApiResult<(Vec<View>, Option<String>)> {
    if all && !oversees(state, p).await? {
        return Err(ApiError::forbidden(perm::ANNOUNCEMENTS_PUBLISH));
    }
    let limit = crate::http::pagination::limit(limit)?;
    let after = match crate::http::pagination::decode_key(cursor, 3)? {
        Some(k) => {
            let n = |s: &str| {
                s.parse::<i64>()
                    .map_err(|_| ApiError::bad_request("the cursor is not one this server issued"))
            };
            Some((n(&k[0])?, n(&k[1])?, k[2].clone()))
        }
        None => None,
    };
    let mut conn = state.db.conn().await?;
    let tokens = if all {
        None
    } else {
        Some(audience::tokens_of(&mut conn, &p.tenant_id, &p.user_id).await?)
    };
    let rows = store::page(
        &mut conn,
        &p.tenant_id,
        &store::PageQuery {
            user_id: &p.user_id,
            tokens: tokens.as_deref(),
            now: (!all).then(now_ms),
            include_dismissed: include_dismissed || all,
            after,
            limit: limit + 1,
        },
    )
    .await?;
    let (rows, next) = crate::http::pagination::page_key(rows, limit, |r| {
        vec![
            r.a.pinned.to_string(),
            r.a.published_at.to_string(),
            r.a.id.clone(),
        ]
    });
    Ok((describe(&mut conn, &p.tenant_id, rows).await?, next))
}

/// One announcement the caller may read.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<View> {
    let mut conn = state.db.conn().await?;
    let a = visible(state, &mut conn, p, id).await?;
    view(&mut conn, p, a).await
}

/// Every version of an announcement the caller may read, newest first.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn versions(state: &AppState, p: &Principal, id: &str) -> ApiResult<Vec<VersionRow>> {
    let mut conn = state.db.conn().await?;
    let a = visible(state, &mut conn, p, id).await?;
    Ok(store::versions(&mut conn, &p.tenant_id, &a.id).await?)
}
