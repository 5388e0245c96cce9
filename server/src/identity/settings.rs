//! Each tenant's registration settings: who may join, how, with which role, and whether phone
//! sign-in is on.

use super::{store, store::RegistrationRow};
use crate::{
    audit,
    authn::Principal,
    authz::{
        catalogue::CATALOGUE, contain, perm, permissions_of_roles, user_permissions, Contained,
        Subject,
    },
    db::now_ms,
    error::{ApiError, ApiResult, Code},
    AppState,
};

/// The answer when the sender a setting or a request needs is not configured on this server.
pub(super) fn not_configured(what: &str) -> ApiError {
    ApiError::new(
        Code::DeliveryNotConfigured,
        format!("this server does not send {what}: ask its operator to configure it"),
    )
}

/// A tenant's registration settings.
#[derive(Debug, Clone)]
pub struct Registration {
    /// `invitation` or `open`.
    pub mode: String,
    pub by_email: bool,
    pub by_phone: bool,
    pub email_domains: Vec<String>,
    pub default_role_id: Option<String>,
    pub phone_sign_in: bool,
    pub updated_at: i64,
}

impl From<RegistrationRow> for Registration {
    fn from(r: RegistrationRow) -> Self {
        Registration {
            mode: r.mode,
            by_email: r.by_email != 0,
            by_phone: r.by_phone != 0,
            email_domains: r
                .email_domains
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            default_role_id: r.default_role_id,
            phone_sign_in: r.phone_sign_in != 0,
            updated_at: r.updated_at,
        }
    }
}

/// A tenant's registration settings as a sign-in page may show them (no permission: what a
/// tenant offers anyone who signs in there). Phone sign-in counts only when this server sends
/// text messages.
pub async fn offered(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
) -> ApiResult<Registration> {
    let mut r: Registration = store::registration(conn, tenant_id).await?.into();
    r.phone_sign_in = r.phone_sign_in && state.cfg.sms.sender != "none";
    Ok(r)
}

pub async fn registration(state: &AppState, p: &Principal) -> ApiResult<Registration> {
    state.authz.require(p, perm::SETTINGS_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    Ok(store::registration(&mut conn, &p.tenant_id).await?.into())
}

fn domain(raw: &str) -> ApiResult<String> {
    let d = raw.trim().trim_start_matches('@').to_lowercase();
    let ok = d.len() <= 253
        && d.contains('.')
        && !d.starts_with('.')
        && !d.ends_with('.')
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
    if ok {
        Ok(d)
    } else {
        Err(ApiError::validation(
            "email_domains",
            format!("`{raw}` is not a domain name such as example.com"),
        ))
    }
}

/// Change the registration settings (`settings.manage`). Turning a channel on needs its sender
/// configured; the default role must be within the admin's own permissions and hold no admin
/// permission (whoever registers gets it).
pub async fn set_registration(
    state: &AppState,
    p: &Principal,
    r: Registration,
) -> ApiResult<Registration> {
    let g = state.authz.require(p, perm::SETTINGS_MANAGE).await?;
    if !matches!(r.mode.as_str(), "invitation" | "open") {
        return Err(ApiError::validation("mode", "one of invitation, open"));
    }
    if r.email_domains.len() > 50 {
        return Err(ApiError::validation("email_domains", "at most 50 domains"));
    }
    let mut domains = Vec::new();
    for d in &r.email_domains {
        let d = domain(d)?;
        if !domains.contains(&d) {
            domains.push(d);
        }
    }
    let open = r.mode == "open";
    if open && !r.by_email && !r.by_phone {
        return Err(ApiError::validation(
            "mode",
            "open registration needs by_email or by_phone",
        ));
    }
    if open && r.by_email && !state.senders.mail_enabled() {
        return Err(not_configured("mail (mail.transport)"));
    }
    if ((open && r.by_phone) || r.phone_sign_in) && !state.senders.sms_enabled() {
        return Err(not_configured("text messages (sms.sender)"));
    }
    let mut tx = state.db.begin().await?;
    if let Some(role) = &r.default_role_id {
        let ids = crate::roles::service::check_role_ids(
            &mut tx,
            &p.tenant_id,
            std::slice::from_ref(role),
        )
        .await?;
        let granted = permissions_of_roles(&mut tx, &p.tenant_id, &ids).await?;
        let mine = user_permissions(&mut tx, &p.tenant_id, &p.user_id).await?;
        let _: Contained = contain(&mine, &granted, Subject::Grant)?;
        if CATALOGUE
            .iter()
            .any(|c| !c.staff && granted.contains(c.key))
        {
            return Err(ApiError::validation(
                "default_role_id",
                "the role for people who register themselves may not hold admin permissions",
            ));
        }
    }
    let row = RegistrationRow {
        mode: r.mode.clone(),
        by_email: i64::from(r.by_email),
        by_phone: i64::from(r.by_phone),
        email_domains: domains.join(" "),
        default_role_id: r.default_role_id.clone(),
        phone_sign_in: i64::from(r.phone_sign_in),
        updated_by: p.user_id.clone(),
        updated_at: now_ms(),
    };
    store::put_registration(&mut tx, &p.tenant_id, &row).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("registration_settings.updated")
            .details(serde_json::json!({
                "mode": row.mode,
                "by_email": r.by_email,
                "by_phone": r.by_phone,
                "email_domains": domains,
                "default_role_id": row.default_role_id,
                "phone_sign_in": r.phone_sign_in,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(row.into())
}
