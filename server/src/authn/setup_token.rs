//! The one-time setup token: the credential of whoever installs Stoa, valid while the install
//! has no tenant. Its digest is kept in `install_state`; consuming it makes a [`SetupProof`].

use super::{store, tokens, SetupProof};
use crate::{
    db::now_ms,
    error::{ApiError, ApiResult},
    ops::ctx::RequestCtx,
};
use sqlx::AnyConnection;

/// Store the digest of a setup token (a fresh one unless `configured`); returns the token to
/// log (`None` when it came from configuration).
pub async fn install(
    conn: &mut AnyConnection,
    configured: &str,
) -> Result<Option<String>, sqlx::Error> {
    let (token, show) = if configured.is_empty() {
        (tokens::generate("stoa_setup_"), true)
    } else {
        (configured.to_string(), false)
    };
    store::setup_token_put(conn, &tokens::hash(&token), now_ms()).await?;
    Ok(show.then_some(token))
}

/// Forget the setup token (setup is done).
pub async fn clear(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    store::setup_token_clear(conn).await
}

/// Consume the setup token: succeeds once, for the right token, inside the caller's transaction
/// (which also checks that the install is still empty).
pub async fn consume(
    conn: &mut AnyConnection,
    token: &str,
    ctx: RequestCtx,
) -> ApiResult<SetupProof> {
    if store::setup_token_take(conn, &tokens::hash(token)).await? {
        Ok(SetupProof::consumed(ctx))
    } else {
        Err(ApiError::new(
            crate::error::Code::InvalidCredentials,
            "the setup token is not correct; it is printed in the server log at start",
        ))
    }
}
