//! Rules for user accounts: who may do what, validation, transactions with their audit entry.

use super::{
    invitations::{invitation_sealer, issue_invitation, mail_invitation, Invitation},
    store,
    store::UserRow,
    validate,
};
use crate::{
    audit::{self, Entry},
    authn::{self, InstallActor, Principal},
    authz::{
        self, bump_version, contain, contain_account, perm, user_permissions, Contained, Granted,
        Subject,
    },
    db::rfc3339,
    error::{ApiError, ApiResult, Code},
    roles, AppState,
};
use sqlx::AnyConnection;

/// The ids of a tenant's active people as an SQL subquery (tenant bound as `$1`), for features
/// that count over people in their own queries (privacy's acceptance counts).
pub use super::store::ACTIVE_PEOPLE;

/// The active people with their name and contact identifiers as an SQL subquery (tenant bound
/// as `$1`), for the directory's address book.
pub use super::store::ACTIVE_CARDS;

/// Who creates an account: a person holding `users.manage` (the proof of the check), or the
/// install itself (the operator or first-run setup creating a tenant's first admin).
///
/// [`insert_user`] takes one, so no code path creates an account without having checked one
/// of them; `Granted` and the install proofs have private fields, so only the checks make them
/// (shown by the compiler only: the doctests on [`crate::authz::Granted`] and
/// [`crate::authn::OperatorProof`] check that they cannot be built by hand).
#[derive(Debug, Clone, Copy)]
pub enum AccountCreator<'a> {
    Admin(Granted<'a>),
    Install(InstallActor<'a>),
    /// The tenant's identity provider vouched for the person (a verified ID token) and the
    /// tenant lets such people create their account on first sign-in (the `sso` feature
    /// decides that). The account is active at once and has no password.
    Federated(&'a authn::oidc::Verified),
    /// The person registers themselves: a code sent to the address they register with came
    /// back (`authn::codes` alone makes the proof). The account must carry that address.
    Registered(&'a authn::codes::CodeProof),
}

#[derive(Debug, Default, Clone)]
pub struct NewUser {
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub locale: Option<String>,
    /// Role ids; empty means the built-in `staff` role.
    pub role_ids: Vec<String>,
}

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

pub fn audit_user(g: &Granted<'_>, action: &'static str, target_id: &str) -> Entry {
    g.principal().audit(action).target("user", target_id)
}

/// Normalise optional email and phone; at least one is required to sign in.
fn identifiers(
    email: Option<&str>,
    phone: Option<&str>,
) -> ApiResult<(Option<String>, Option<String>)> {
    let email = match email.map(str::trim).filter(|s| !s.is_empty()) {
        Some(e) => Some(validate::email("email", e)?),
        None => None,
    };
    let phone = match phone.map(str::trim).filter(|s| !s.is_empty()) {
        Some(p) => Some(validate::phone("phone", p)?),
        None => None,
    };
    if email.is_none() && phone.is_none() {
        return Err(ApiError::validation(
            "email",
            "an email address or a phone number is required",
        ));
    }
    Ok((email, phone))
}

/// Refuse an email or phone already used by another account of the tenant.
async fn ensure_unique(conn: &mut AnyConnection, u: &UserRow) -> ApiResult<()> {
    if let Some(e) = &u.email {
        if let Some(other) = store::find_by_login(&mut *conn, &u.tenant_id, e).await? {
            if other.id != u.id {
                return Err(ApiError::conflict(
                    Code::EmailTaken,
                    "another account uses this email",
                )
                .with_field("email"));
            }
        }
    }
    if let Some(ph) = &u.phone {
        if let Some(other) = store::find_by_login(&mut *conn, &u.tenant_id, ph).await? {
            if other.id != u.id {
                return Err(ApiError::conflict(
                    Code::PhoneTaken,
                    "another account uses this phone number",
                )
                .with_field("phone"));
            }
        }
    }
    Ok(())
}

/// Insert a user row (with roles) inside the caller's transaction. Shared by admin invitations,
/// tenant creation and setup; `by` is the proof that whoever creates it may.
pub async fn insert_user(
    conn: &mut AnyConnection,
    by: AccountCreator<'_>,
    tenant_id: &str,
    input: &NewUser,
    password_hash: Option<String>,
) -> ApiResult<UserRow> {
    if let AccountCreator::Registered(proof) = by {
        let matches = match proof.destination() {
            authn::codes::Destination::Email(e) => input.email.as_deref() == Some(e.as_str()),
            authn::codes::Destination::Phone(ph) => input.phone.as_deref() == Some(ph.as_str()),
        };
        if proof.tenant_id() != tenant_id || !matches {
            return Err(authn::codes::invalid_code());
        }
    }
    if let AccountCreator::Admin(g) = by {
        if g.permission() != perm::USERS_MANAGE {
            return Err(ApiError::forbidden(perm::USERS_MANAGE));
        }
        if g.principal().tenant_id != tenant_id {
            return Err(ApiError::not_found("tenant"));
        }
    }
    if let AccountCreator::Federated(v) = by {
        if v.tenant_id() != tenant_id || password_hash.is_some() {
            return Err(ApiError::not_found("tenant"));
        }
    }
    let display_name = validate::text("display_name", &input.display_name, 200)?;
    let (email, phone) = identifiers(input.email.as_deref(), input.phone.as_deref())?;
    let mut row = UserRow {
        title: validate::optional_text("title", input.title.as_deref(), 200)?,
        department: validate::optional_text("department", input.department.as_deref(), 200)?,
        locale: validate::locale(input.locale.as_deref())?,
        ..UserRow::new(tenant_id, display_name, email, phone, password_hash)
    };
    if let AccountCreator::Federated(_) = by {
        // The provider vouched for the email (`sso` creates accounts only with a verified one).
        row.status = "active".into();
        if row.email.is_some() {
            row.email_verified_at = Some(row.created_at);
        }
    }
    if let AccountCreator::Registered(proof) = by {
        // Registered with a proven address; active at once (someone who registered by phone
        // may sign in with phone codes and have no password).
        row.status = "active".into();
        match proof.destination() {
            authn::codes::Destination::Email(_) => row.email_verified_at = Some(row.created_at),
            authn::codes::Destination::Phone(_) => row.phone_verified_at = Some(row.created_at),
        }
    }
    ensure_unique(&mut *conn, &row).await?;
    // A concurrent insert of the same email or phone fails on its unique constraint, which
    // `ApiError::from` names (`email_taken`, `phone_taken`) like `ensure_unique` does.
    store::insert(&mut *conn, &row).await?;
    let role_ids = if input.role_ids.is_empty() {
        let staff = authz::store::get_builtin(&mut *conn, tenant_id, "staff")
            .await?
            .ok_or_else(|| ApiError::internal("tenant has no staff role"))?;
        vec![staff.id]
    } else {
        roles::service::check_role_ids(&mut *conn, tenant_id, &input.role_ids).await?
    };
    authz::store::set_user_roles(&mut *conn, tenant_id, &row.id, &role_ids).await?;
    // A new person has no session anywhere: no cached lookup carries the old version.
    let _new_person: authz::PolicyChange = bump_version(&mut *conn, tenant_id).await?;
    Ok(row)
}

/// An admin adds a person and gets the invitation link to hand over.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn create(
    state: &AppState,
    p: &Principal,
    input: NewUser,
) -> ApiResult<(UserRow, Invitation)> {
    let g = state.authz.require(p, perm::USERS_MANAGE).await?;
    if !input.role_ids.is_empty() {
        state.authz.require(p, perm::ROLES_MANAGE).await?;
    }
    let sealer = invitation_sealer(state, &p.tenant_id, input.email.as_deref()).await?;
    let mut tx = state.db.begin().await?;
    let user = insert_user(
        &mut tx,
        AccountCreator::Admin(g),
        &p.tenant_id,
        &input,
        None,
    )
    .await?;
    // The new account's roles (the default `staff` included) must be within the inviter's own
    // permissions: whoever holds the invitation link holds the account.
    let mine = user_permissions(&mut tx, &p.tenant_id, &p.user_id).await?;
    let granted = user_permissions(&mut tx, &p.tenant_id, &user.id).await?;
    let _: Contained = contain(&mine, &granted, Subject::Grant)?;
    let mut invitation =
        issue_invitation(&mut tx, state, &p.tenant_id, &user.id, &p.user_id).await?;
    mail_invitation(&mut tx, sealer.as_ref(), p, &user, &mut invitation).await?;
    audit::record(
        &mut tx,
        audit_user(&g, "user.created", &user.id).details(serde_json::json!({
            "roles": input.role_ids,
            "invitation_expires_at": rfc3339(invitation.expires_at),
            "invitation_mailed": invitation.mailed,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok((user, invitation))
}

/// What a listing of people keeps: a search, a status, the holders of a role.
#[derive(Debug, Default, Clone, Copy)]
pub struct ListFilter<'a> {
    pub q: Option<&'a str>,
    pub status: Option<&'a str>,
    pub role_id: Option<&'a str>,
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn list(
    state: &AppState,
    p: &Principal,
    f: ListFilter<'_>,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<(Vec<UserRow>, Option<String>)> {
    state.authz.require(p, perm::USERS_READ).await?;
    let limit = crate::pagination::limit(limit)?;
    let after = crate::pagination::decode(cursor)?;
    if let Some(s) = f.status {
        if !matches!(
            s,
            "invited" | "active" | "disabled" | "pending_erasure" | "erased"
        ) {
            return Err(ApiError::validation(
                "status",
                "status is one of invited, active, disabled, pending_erasure, erased",
            ));
        }
    }
    if f.q.is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::validation("q", "the search text is too long"));
    }
    if f.role_id.is_some_and(|r| !crate::db::is_id(r)) {
        return Err(ApiError::validation("role_id", "role_id is a role's id"));
    }
    let mut conn = state.db.conn().await?;
    let rows = store::list(
        &mut conn,
        &p.tenant_id,
        store::Filter {
            q: f.q.filter(|q| !q.trim().is_empty()).map(str::trim),
            status: f.status,
            role_id: f.role_id,
        },
        after.as_deref(),
        limit + 1,
    )
    .await?;
    Ok(crate::pagination::page(rows, limit, |u| u.id.clone()))
}

/// A user of the tenant, if there is one (sign-in and invitations).
pub async fn find(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> ApiResult<Option<UserRow>> {
    Ok(store::get(conn, tenant_id, id).await?)
}

/// The account a login (normalised email or phone) names in a tenant.
pub async fn find_by_login(
    conn: &mut AnyConnection,
    tenant_id: &str,
    login: &str,
) -> ApiResult<Option<UserRow>> {
    Ok(store::find_by_login(conn, tenant_id, login).await?)
}

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

/// Load a user of the caller's tenant; unknown or foreign ids are 404.
pub async fn load(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> ApiResult<UserRow> {
    if !crate::db::is_id(id) {
        return Err(ApiError::not_found("user"));
    }
    store::get(conn, tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<UserRow> {
    state.authz.require(p, perm::USERS_READ).await?;
    let mut conn = state.db.conn().await?;
    load(&mut conn, &p.tenant_id, id).await
}

/// A person's live sessions (`users.manage`; only of someone whose permissions are within the
/// caller's, like every act on an account).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn sessions(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<Vec<authn::store::SessionRow>> {
    state.authz.require(p, perm::USERS_MANAGE).await?;
    {
        let mut conn = state.db.conn().await?;
        let u = load(&mut conn, &p.tenant_id, id).await?;
        let _: Contained = contain_account(&mut conn, p, &u.id).await?;
    }
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
    state.authz.require(p, perm::USERS_MANAGE).await?;
    {
        let mut conn = state.db.conn().await?;
        let u = load(&mut conn, &p.tenant_id, id).await?;
        let _: Contained = contain_account(&mut conn, p, &u.id).await?;
    }
    authn::service::revoke_session_of(state, p, id, session_id).await
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
/// a person (approval decisions) hand it on; they register for it in `app.rs`.
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

/// Every user of a tenant as (id, display name), by id: for features that show people beside
/// their own data (storage per person); the caller checked who may see it.
pub async fn display_names(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> ApiResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store::list(
            conn,
            tenant_id,
            store::Filter::default(),
            after.as_deref(),
            1000,
        )
        .await?;
        let done = page.len() < 1000;
        after = page.last().map(|u| u.id.clone());
        out.extend(page.into_iter().map(|u| (u.id, u.display_name)));
        if done || after.is_none() {
            return Ok(out);
        }
    }
}

/// How many accounts a tenant has (the operator's tenant list).
pub async fn count(conn: &mut AnyConnection, tenant_id: &str) -> ApiResult<i64> {
    Ok(store::count(conn, tenant_id).await?)
}
