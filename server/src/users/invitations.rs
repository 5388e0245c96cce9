//! Invitations: a one-time link that lets an invited person set their password (also how an
//! admin lets someone reset a forgotten one), issued inside the caller's transaction and mailed
//! when mail is configured. An admin's fresh link is `service::reissue_invitation`.

use super::store::{self, UserRow};
use crate::{
    authn::{self, Principal},
    db::rfc3339,
    delivery,
    error::ApiResult,
    AppState,
};
use sqlx::AnyConnection;

/// A one-time link that lets an invited person set a password.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub token: String,
    pub url: String,
    pub expires_at: i64,
    /// The link was also queued as mail to the person's email.
    pub mailed: bool,
}

/// Create an invitation inside the caller's transaction.
pub async fn issue_invitation(
    conn: &mut AnyConnection,
    state: &AppState,
    tenant_id: &str,
    user_id: &str,
    created_by: &str,
) -> ApiResult<Invitation> {
    let (token, expires_at) =
        authn::service::issue_invitation_token(conn, state, tenant_id, user_id, created_by).await?;
    let url = format!(
        "{}/invite#token={token}",
        state.cfg.public_url.trim_end_matches('/')
    );
    Ok(Invitation {
        token,
        url,
        expires_at,
        mailed: false,
    })
}

/// A sealer for the invitation mail of someone with `email`, when mail is configured (taken
/// before the transaction opens).
pub(super) async fn invitation_sealer(
    state: &AppState,
    tenant_id: &str,
    email: Option<&str>,
) -> ApiResult<Option<delivery::Sealer>> {
    if email.is_some() && state.senders.mail_enabled() {
        Ok(Some(delivery::sealer(state, tenant_id).await?))
    } else {
        Ok(None)
    }
}

/// Queue the invitation mail inside the caller's transaction (when there is a sealer).
pub(super) async fn mail_invitation(
    conn: &mut AnyConnection,
    sealer: Option<&delivery::Sealer>,
    p: &Principal,
    user: &UserRow,
    inv: &mut Invitation,
) -> ApiResult<()> {
    let (Some(sealer), Some(email)) = (sealer, user.email.as_deref()) else {
        return Ok(());
    };
    let inviter = store::get(&mut *conn, &p.tenant_id, &p.user_id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    let locale = delivery::Locale::choose(user.locale.as_deref(), Some(&p.ctx.accept_language));
    let expires = rfc3339(inv.expires_at);
    let mail = super::mail::invitation(
        locale,
        &super::mail::Invite {
            to: email,
            name: &user.display_name,
            inviter: &inviter,
            tenant: &p.tenant_slug,
            url: &inv.url,
            expires: expires.get(..16).unwrap_or(&expires),
        },
    );
    delivery::queue(conn, &p.tenant_id, &sealer.mail(&mail)?).await?;
    inv.mailed = true;
    Ok(())
}
