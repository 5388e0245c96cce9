//! An account's credentials and sessions: setting a password, activating an invited account,
//! and an admin listing or ending a person's sessions.

use super::lookup::load;
use crate::{
    authn::{self, Principal},
    authz::{contain_account, perm, Contained},
    error::ApiResult,
    users::store::{self, UserRow},
    AppState,
};
use sqlx::AnyConnection;

/// Set an account's password hash (the caller checked the old password or a credential).
pub async fn set_password(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    hash: &str,
) -> ApiResult<()> {
    Ok(store::set_password(conn, tenant_id, user_id, hash).await?)
}

/// An invitation was accepted: the account gets its password and becomes active.
pub async fn activate_with_password(
    conn: &mut AnyConnection,
    mut user: UserRow,
    hash: &str,
) -> ApiResult<UserRow> {
    store::set_password(&mut *conn, &user.tenant_id, &user.id, hash).await?;
    user.status = "active".into();
    store::update(conn, &user).await?;
    Ok(user)
}
/// A person's live sessions (`users.manage`; only of someone whose permissions are within the
/// caller's, like every act on an account).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn sessions(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<Vec<authn::store::SessionRow>> {
    within_reach(state, p, id).await?;
    authn::service::sessions_of(state, p, id).await
}

/// Ends one of a person's sessions (`users.manage`, containment as for [`sessions`]): that app
/// or browser is signed out at once.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn revoke_session(
    state: &AppState,
    p: &Principal,
    id: &str,
    session_id: &str,
) -> ApiResult<()> {
    within_reach(state, p, id).await?;
    authn::service::revoke_session_of(state, p, id, session_id).await
}

/// `users.manage`, and the account `id` of the caller's tenant holds no permission the caller
/// lacks: the check before touching someone's sessions.
async fn within_reach(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    state.authz.require(p, perm::USERS_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    let u = load(&mut conn, &p.tenant_id, id).await?;
    let _: Contained = contain_account(&mut conn, p, &u.id).await?;
    Ok(())
}
