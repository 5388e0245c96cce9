//! Whom a verified callback signs in when no account is linked yet: the account matched by a
//! verified email (never an unverified one), or one created just in time when the tenant allows
//! it, with roles mapped from the provider's groups; and what a callback comes to (signed in,
//! linked, or a failure with its reason).

use super::{
    settings::{RoleMapping, Settings},
    store::{self, FlowRow, LinkRow},
};
use crate::{
    audit::{self, ActorKind, Entry},
    authn::oidc::Verified,
    db::{new_id, now_ms},
    error::ApiError,
    tenants,
    users::{self, service::AccountCreator},
};
use sqlx::AnyConnection;

/// Why a callback did not sign anyone in: the reason recorded and handed back.
pub(super) struct Failure {
    pub(super) reason: &'static str,
    pub(super) user_id: Option<String>,
}

pub(super) fn fail(reason: &'static str) -> Failure {
    Failure {
        reason,
        user_id: None,
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        tracing::warn!(error = %e, "single sign-on callback failed");
        fail("internal")
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Failure {
        ApiError::from(e).into()
    }
}

pub(super) enum Done {
    SignedIn {
        user_id: String,
        created: bool,
        link_id: String,
    },
    Linked {
        user_id: String,
        link_id: String,
    },
}

pub(super) async fn active_user(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<(), Failure> {
    let tenant_active = tenants::service::by_id(&mut *conn, tenant_id)
        .await?
        .is_some_and(|t| t.status == "active");
    let user = users::service::find(&mut *conn, tenant_id, user_id).await?;
    match user {
        Some(u) if u.status == "active" && tenant_active => Ok(()),
        _ => Err(Failure {
            reason: "account_not_active",
            user_id: Some(user_id.to_string()),
        }),
    }
}

/// The email the provider vouches for, or `None`: an email whose `email_verified` is not true
/// is not used for anything (unless the tenant said its provider never sends the claim).
fn verified_email(s: &Settings, v: &Verified) -> Option<String> {
    let email = v.text(&s.email_claim)?;
    let flag = match v.claim("email_verified") {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(t)) => t == "true",
        _ => false,
    };
    (flag || s.assume_email_verified)
        .then(|| users::validate::email("email", &email).ok())
        .flatten()
}

fn groups(s: &Settings, v: &Verified) -> Vec<String> {
    match v.claim(&s.groups_claim) {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|g| g.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(g)) => vec![g.clone()],
        _ => Vec::new(),
    }
}

fn roles_for(mapping: &[RoleMapping], groups: &[String], default: Option<&String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in mapping {
        if groups.contains(&m.group) && !out.contains(&m.role_id) {
            out.push(m.role_id.clone());
        }
    }
    if out.is_empty() {
        out.extend(default.cloned());
    }
    out
}

pub(super) async fn sign_in(
    conn: &mut AnyConnection,
    flow: &FlowRow,
    s: &Settings,
    v: &Verified,
    existing: Option<LinkRow>,
) -> Result<Done, Failure> {
    if let Some(l) = existing {
        active_user(&mut *conn, &flow.tenant_id, &l.user_id).await?;
        return Ok(Done::SignedIn {
            user_id: l.user_id,
            created: false,
            link_id: l.id,
        });
    }
    if !s.jit {
        return Err(fail("not_linked"));
    }
    let email = verified_email(s, v).ok_or_else(|| fail("email_unverified"))?;
    let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    if !s.allowed_domains.is_empty() && !s.allowed_domains.iter().any(|d| d == domain) {
        return Err(fail("domain_not_allowed"));
    }
    // Never linked by email: someone holding this address already is not this identity's
    // account until they link it themselves, signed in.
    if users::service::find_by_login(&mut *conn, &flow.tenant_id, &email)
        .await?
        .is_some()
    {
        return Err(fail("email_in_use"));
    }
    let name = v
        .text(&s.name_claim)
        .map(|n| n.chars().take(200).collect::<String>())
        .unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string());
    let phone_verified = matches!(
        v.claim("phone_number_verified"),
        Some(serde_json::Value::Bool(true))
    );
    let phone = v
        .text(&s.phone_claim)
        .filter(|_| phone_verified)
        .and_then(|p| users::validate::phone("phone", &p).ok())
        .filter(|_| !s.phone_claim.is_empty());
    let phone = match phone {
        Some(p)
            if users::service::find_by_login(&mut *conn, &flow.tenant_id, &p)
                .await?
                .is_none() =>
        {
            Some(p)
        }
        _ => None,
    };
    let input = users::service::NewUser {
        display_name: name,
        email: Some(email),
        phone,
        role_ids: roles_for(&s.role_mapping, &groups(s, v), s.default_role_id.as_ref()),
        ..Default::default()
    };
    let user = users::service::insert_user(
        &mut *conn,
        AccountCreator::Federated(v),
        &flow.tenant_id,
        &input,
        None,
    )
    .await
    .map_err(|e| {
        tracing::info!(error = %e, "single sign-on: the account could not be created");
        fail("account_not_created")
    })?;
    let l = LinkRow {
        id: new_id(),
        issuer: v.issuer().to_string(),
        subject: v.subject().to_string(),
        user_id: user.id.clone(),
        created_at: now_ms(),
        last_used_at: None,
    };
    store::insert_link(&mut *conn, &flow.tenant_id, &l).await?;
    audit::record(
        &mut *conn,
        Entry::new(&flow.tenant_id, "user.created")
            .actor(ActorKind::System, "")
            .target("user", &user.id)
            .details(serde_json::json!({ "via": "sso", "roles": input.role_ids })),
    )
    .await?;
    Ok(Done::SignedIn {
        user_id: user.id,
        created: true,
        link_id: l.id,
    })
}
