//! Editing a profile: an admin's edit (sign-in identifiers included), a person's own edit, and
//! a contact address proven by a code.

use super::{
    audit_user,
    identifiers::{ensure_unique, identifiers},
    lookup::load,
};
use crate::{
    audit,
    authn::{self, Principal},
    authz::{contain_account, perm, Contained},
    error::{ApiError, ApiResult, Code},
    users::{
        store::{self, UserRow},
        validate,
    },
    AppState,
};
use sqlx::AnyConnection;

#[derive(Debug, Default, Clone)]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub locale: Option<String>,
    /// An IANA zone; `""` clears it.
    pub time_zone: Option<String>,
}
fn apply_patch(
    u: &mut UserRow,
    patch: &ProfilePatch,
    identity: bool,
) -> ApiResult<serde_json::Value> {
    let mut changed = serde_json::Map::new();
    if let Some(n) = &patch.display_name {
        u.display_name = validate::text("display_name", n, 200)?;
        changed.insert("display_name".into(), true.into());
    }
    if let Some(t) = &patch.title {
        u.title = validate::optional_text("title", Some(t), 200)?;
        changed.insert("title".into(), true.into());
    }
    if let Some(d) = &patch.department {
        u.department = validate::optional_text("department", Some(d), 200)?;
        changed.insert("department".into(), true.into());
    }
    if let Some(l) = &patch.locale {
        u.locale = validate::locale(Some(l))?;
        changed.insert("locale".into(), true.into());
    }
    if let Some(z) = &patch.time_zone {
        u.time_zone = validate::time_zone(Some(z))?;
        changed.insert("time_zone".into(), true.into());
    }
    // A person may remove their own email or phone (one sign-in identifier must remain), but
    // not set a new one: that would redirect sign-in without proof of owning it (verification
    // by code arrives with the identity work; until then an admin changes them).
    let removes_only = [&patch.email, &patch.phone]
        .iter()
        .all(|v| v.as_deref().is_none_or(|s| s.trim().is_empty()));
    if (identity || removes_only) && (patch.email.is_some() || patch.phone.is_some()) {
        let email = patch
            .email
            .as_deref()
            .or(u.email.as_deref())
            .map(str::to_string);
        let phone = patch
            .phone
            .as_deref()
            .or(u.phone.as_deref())
            .map(str::to_string);
        let (e, ph) = identifiers(email.as_deref(), phone.as_deref())?;
        // A new address is unproven until a code sent to it comes back.
        if e != u.email {
            changed.insert("email".into(), true.into());
            u.email_verified_at = None;
        }
        if ph != u.phone {
            changed.insert("phone".into(), true.into());
            u.phone_verified_at = None;
        }
        u.email = e;
        u.phone = ph;
    } else if !identity && (patch.email.is_some() || patch.phone.is_some()) {
        return Err(ApiError::validation(
            if patch.email.is_some() {
                "email"
            } else {
                "phone"
            },
            "you may remove your email or phone here; to set a new one, confirm a code sent to it \
             (POST /api/v1/me/contact/code)",
        ));
    }
    Ok(serde_json::Value::Object(changed))
}

/// Set (or confirm) a person's email or phone to the address a code just proved, inside the
/// caller's transaction: the address is marked verified. Another account holding it answers
/// `email_taken` / `phone_taken`.
pub async fn set_proven_contact(
    conn: &mut AnyConnection,
    proof: &authn::codes::CodeProof,
    user_id: &str,
) -> ApiResult<UserRow> {
    let mut u = load(&mut *conn, proof.tenant_id(), user_id).await?;
    let now = crate::db::now_ms();
    match proof.destination() {
        authn::codes::Destination::Email(e) => {
            u.email = Some(e.clone());
            u.email_verified_at = Some(now);
        }
        authn::codes::Destination::Phone(p) => {
            u.phone = Some(p.clone());
            u.phone_verified_at = Some(now);
        }
    }
    ensure_unique(&mut *conn, &u).await?;
    store::update(&mut *conn, &u).await?;
    Ok(u)
}

/// An admin edits a profile, including the sign-in identifiers.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    patch: ProfilePatch,
) -> ApiResult<UserRow> {
    let g = state.authz.require(p, perm::USERS_MANAGE).await?;
    let mut tx = state.db.begin().await?;
    let mut u = load(&mut tx, &p.tenant_id, id).await?;
    // Changing an account's email or phone redirects its sign-in: only within one's own reach.
    let _: Contained = contain_account(&mut tx, p, &u.id).await?;
    if u.status == "erased" {
        return Err(ApiError::conflict(Code::Conflict, "the account is erased"));
    }
    let changed = apply_patch(&mut u, &patch, true)?;
    ensure_unique(&mut tx, &u).await?;
    store::update(&mut tx, &u).await?;
    audit::record(
        &mut tx,
        audit_user(&g, "user.updated", &u.id).details(serde_json::json!({ "changed": changed })),
    )
    .await?;
    tx.commit().await?;
    Ok(u)
}

/// A person edits their own profile (not their sign-in identifiers).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn update_self(
    state: &AppState,
    p: &Principal,
    patch: ProfilePatch,
) -> ApiResult<UserRow> {
    let mut tx = state.db.begin().await?;
    let mut u = load(&mut tx, &p.tenant_id, &p.user_id).await?;
    let changed = apply_patch(&mut u, &patch, false)?;
    store::update(&mut tx, &u).await?;
    audit::record(
        &mut tx,
        p.audit("user.profile_updated")
            .target("user", &p.user_id)
            .details(serde_json::json!({ "changed": changed })),
    )
    .await?;
    tx.commit().await?;
    Ok(u)
}
