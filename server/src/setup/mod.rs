//! First-run setup: on an install with no tenant, a one-time setup token (logged at start, or
//! fixed by `setup_token`) lets `POST /api/v1/setup` create the first tenant and its admin.
//! Refused once any tenant exists.
//!
//! The token is a credential, so `authn::setup_token` keeps it (and its SQL); this module
//! holds the rule "only while the install has no tenant" and the endpoint.

pub mod api;

use crate::{
    authn::{self, SetupProof},
    db::Db,
    error::{ApiError, ApiResult, Code},
    ops::ctx::RequestCtx,
    tenants,
};

/// At start: if the install has no tenant, store the hash of a setup token and return the token
/// to log (`None` when setup is done or the token came from configuration).
pub async fn prepare(db: &Db, configured: &str) -> Result<Option<String>, sqlx::Error> {
    let mut tx = db.begin().await?;
    if tenants::service::count(&mut tx).await? > 0 {
        authn::setup_token::clear(&mut tx).await?;
        tx.commit().await?;
        return Ok(None);
    }
    let token = authn::setup_token::install(&mut tx, configured).await?;
    tx.commit().await?;
    Ok(token)
}

pub async fn required(db: &Db) -> ApiResult<bool> {
    let mut conn = db.conn().await?;
    Ok(tenants::service::count(&mut conn).await? == 0)
}

/// Consume the setup token: a [`SetupProof`] exactly once, for the right token, on an empty
/// install.
pub async fn consume(db: &Db, token: &str, ctx: RequestCtx) -> ApiResult<SetupProof> {
    let mut tx = db.begin().await?;
    if tenants::service::count(&mut tx).await? > 0 {
        return Err(ApiError::conflict(
            Code::SetupDone,
            "this install is already set up",
        ));
    }
    let proof = authn::setup_token::consume(&mut tx, token, ctx).await?;
    tx.commit().await?;
    Ok(proof)
}
