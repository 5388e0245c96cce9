//! An account's status: disabling (every session ends at once, the `user.disabled` topic tells
//! features holding work for the person) and re-enabling, guarded so a tenant keeps an active
//! admin.

use super::{audit_user, lookup::load};
use crate::{
    audit,
    authn::{self, Principal},
    authz::{self, contain_account, perm, Contained},
    error::{ApiError, ApiResult, Code},
    users::store::{self, UserRow},
    AppState,
};
use sqlx::AnyConnection;

/// Refuse a change that would leave the tenant without an active admin: the guard of the
/// accounts (their status) against the roles they hold, so it lives with the accounts.
pub async fn ensure_other_admin(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<()> {
    let admins = authz::store::holders_of_builtin(&mut *conn, tenant_id, "admin").await?;
    let holds_admin = admins.iter().any(|id| id == user_id);
    if holds_admin && store::count_active_among(conn, tenant_id, &admins, user_id).await? == 0 {
        return Err(ApiError::conflict(
            Code::LastAdmin,
            "this is the tenant's last active admin",
        ));
    }
    Ok(())
}

/// The outbox topic of a disabled account (payload `{"user_id"}`): features that hold work for
/// a person (approval decisions) hand it on; they register for it in their `hooks::register`.
pub const TOPIC_DISABLED: &str = "user.disabled";

/// Disable (ending every session at once) or re-enable an account.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn set_disabled(
    state: &AppState,
    p: &Principal,
    id: &str,
    disabled: bool,
) -> ApiResult<UserRow> {
    let g = state.authz.require(p, perm::USERS_MANAGE).await?;
    let mut tx = state.db.begin().await?;
    let mut u = load(&mut tx, &p.tenant_id, id).await?;
    let _: Contained = contain_account(&mut tx, p, &u.id).await?;
    if matches!(u.status.as_str(), "pending_erasure" | "erased") {
        return Err(ApiError::conflict(
            Code::Conflict,
            "the account is being deleted: cancel the deletion instead",
        ));
    }
    let revoked;
    if disabled {
        if u.id == p.user_id {
            return Err(ApiError::conflict(
                Code::Conflict,
                "you cannot disable your own account",
            ));
        }
        ensure_other_admin(&mut tx, &p.tenant_id, &u.id).await?;
        u.status = "disabled".into();
        revoked = authn::service::revoke_user_sessions(&mut tx, &p.tenant_id, &u.id, "").await?;
    } else {
        u.status = if u.password_hash.is_some() {
            "active"
        } else {
            "invited"
        }
        .into();
        revoked = 0;
    }
    store::update(&mut tx, &u).await?;
    let action = if disabled {
        "user.disabled"
    } else {
        "user.enabled"
    };
    audit::record(
        &mut tx,
        audit_user(&g, action, &u.id).details(serde_json::json!({ "sessions_revoked": revoked })),
    )
    .await?;
    if disabled {
        crate::db::outbox::enqueue(
            &mut tx,
            &p.tenant_id,
            TOPIC_DISABLED,
            &serde_json::json!({ "user_id": u.id }),
        )
        .await?;
    }
    tx.commit().await?;
    if disabled {
        // Open WebSockets of the account close now, not at their next session check.
        state
            .hub
            .kick_everywhere(&state.db, crate::realtime::Kick::user(&p.tenant_id, id))
            .await;
    }
    Ok(u)
}
