//! Creating accounts: who may create one (the [`AccountCreator`] proof), the checks a new
//! account passes, and an admin's invitation of a person.

use super::{
    audit_user,
    identifiers::{ensure_unique, identifiers},
    lookup::load,
};
use crate::{
    audit,
    authn::{self, InstallActor, Principal},
    authz::{
        self, bump_version, contain, contain_account, perm, user_permissions, Contained, Granted,
        Subject,
    },
    db::rfc3339,
    error::{ApiError, ApiResult, Code},
    roles,
    users::{
        invitations::{invitation_sealer, issue_invitation, mail_invitation, Invitation},
        store::{self, UserRow},
        validate,
    },
    AppState,
};
use sqlx::AnyConnection;

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

/// A fresh invitation link (also how an admin lets someone reset a forgotten password).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn reissue_invitation(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<Invitation> {
    let g = state.authz.require(p, perm::USERS_MANAGE).await?;
    let email = {
        let mut conn = state.db.conn().await?;
        load(&mut conn, &p.tenant_id, id).await?.email
    };
    let sealer = invitation_sealer(state, &p.tenant_id, email.as_deref()).await?;
    let mut tx = state.db.begin().await?;
    let u = load(&mut tx, &p.tenant_id, id).await?;
    // A fresh link is a password reset: whoever holds it becomes this account.
    let _: Contained = contain_account(&mut tx, p, &u.id).await?;
    if u.status == "disabled" {
        return Err(ApiError::conflict(
            Code::Conflict,
            "enable the account before inviting it",
        ));
    }
    let mut inv = issue_invitation(&mut tx, state, &p.tenant_id, &u.id, &p.user_id).await?;
    mail_invitation(&mut tx, sealer.as_ref(), p, &u, &mut inv).await?;
    audit::record(
        &mut tx,
        audit_user(&g, "user.invitation_issued", &u.id)
            .details(serde_json::json!({ "mailed": inv.mailed })),
    )
    .await?;
    tx.commit().await?;
    Ok(inv)
}
