//! First-run setup: on an install with no tenant, a one-time setup token (logged at start, or
//! fixed by `setup_token`) lets `POST /api/v1/setup` create the first tenant and its admin.
//! Refused once any tenant exists.

pub mod api;

use crate::{
    authn::tokens,
    db::{now_ms, Db},
    error::{ApiError, ApiResult, Code},
    tenants,
};

const KEY: &str = "setup_token_hash";

/// At start: if the install has no tenant, store the hash of a setup token and return the token
/// to log (`None` when setup is done or the token came from configuration).
pub async fn prepare(db: &Db, configured: &str) -> Result<Option<String>, sqlx::Error> {
    let mut tx = db.begin().await?;
    if tenants::store::count(&mut tx).await? > 0 {
        sqlx::query("delete from install_state where key = $1")
            .bind(KEY)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Ok(None);
    }
    let (token, show) = if configured.is_empty() {
        (tokens::generate("stoa_setup_"), true)
    } else {
        (configured.to_string(), false)
    };
    sqlx::query(
        "insert into install_state (key, value, updated_at) values ($1, $2, $3)
         on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(KEY)
    .bind(tokens::hash(&token))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(show.then_some(token))
}

pub async fn required(db: &Db) -> ApiResult<bool> {
    let mut conn = db.conn().await?;
    Ok(tenants::store::count(&mut conn).await? == 0)
}

/// Consume the setup token: true exactly once for the right token on an empty install.
pub async fn consume(db: &Db, token: &str) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    if tenants::store::count(&mut tx).await? > 0 {
        return Err(ApiError::conflict(
            Code::SetupDone,
            "this install is already set up",
        ));
    }
    let r = sqlx::query("delete from install_state where key = $1 and value = $2")
        .bind(KEY)
        .bind(tokens::hash(token))
        .execute(&mut *tx)
        .await?;
    if r.rows_affected() != 1 {
        return Err(ApiError::new(
            Code::InvalidCredentials,
            "the setup token is not correct; it is printed in the server log at start",
        ));
    }
    tx.commit().await?;
    Ok(())
}
