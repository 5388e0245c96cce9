//! Creating, listing, suspending and resuming tenants. Used by the operator API, the CLI and
//! first-run setup.
//!
//! Every function that acts takes the proof of who acts for the install: an
//! [`OperatorProof`] (the operator's bearer check or the command line's credential check), or
//! for creation an [`InstallActor`] (the operator or first-run setup). The check no longer lives
//! only in the handler; the proofs cannot be built by hand (compile_fail doctests on them), so
//! this gap is closed by the compiler and has no black-box test.

use super::{store, store::TenantRow};
use crate::{
    approvals, audit,
    authn::{self, InstallActor, OperatorProof},
    authz::{self, bump_version, store::RoleRow},
    error::{ApiError, ApiResult, Code},
    http::validate,
    users::{self, invitations::Invitation, service::AccountCreator, store::UserRow},
    AppState,
};

#[derive(Debug, Clone, Default)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub admin_email: String,
    pub admin_name: String,
    /// Set a password now (CLI, setup); `None` invites the admin instead.
    pub admin_password: Option<String>,
}

#[derive(Debug)]
pub struct Created {
    pub tenant: TenantRow,
    pub admin: UserRow,
    pub invitation: Option<Invitation>,
}

pub fn validate_slug(slug: &str) -> ApiResult<String> {
    let s = slug.trim().to_lowercase();
    let ok = (2..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s)
    } else {
        Err(ApiError::validation(
            "slug",
            "2 to 63 lowercase letters, digits or dashes, not starting or ending with a dash",
        ))
    }
}

/// A page of the operator's tenant list: each tenant with its number of accounts, and the
/// cursor of the next page.
pub type TenantPage = (Vec<(TenantRow, i64)>, Option<String>);

/// Create a tenant with its built-in roles and first admin, in one transaction.
#[tracing::instrument(skip_all, fields(tenant_id = tracing::field::Empty))]
pub async fn create(
    state: &AppState,
    by: InstallActor<'_>,
    input: NewTenant,
) -> ApiResult<Created> {
    let slug = validate_slug(&input.slug)?;
    let name = validate::text("name", &input.name, 200)?;
    let admin_email = users::validate::email("admin_email", &input.admin_email)?;
    let admin_name = if input.admin_name.trim().is_empty() {
        "Administrator".to_string()
    } else {
        input.admin_name.clone()
    };
    let password_hash = match &input.admin_password {
        Some(pw) => {
            authn::password::validate("admin_password", pw)?;
            Some(authn::password::hash(pw).await?)
        }
        None => None,
    };
    let mut tx = state.db.begin().await?;
    if store::by_slug(&mut tx, &slug).await?.is_some() {
        return Err(
            ApiError::conflict(Code::SlugTaken, "a tenant with this slug exists")
                .with_field("slug"),
        );
    }
    let tenant = TenantRow::new(slug, name);
    tracing::Span::current().record("tenant_id", tenant.id.as_str());
    // A concurrent create with the same slug fails on `tenants_slug_key`, which
    // `ApiError::from` turns into the same `slug_taken` as the check above.
    store::insert(&mut tx, &tenant).await?;
    let mut admin_role_id = String::new();
    for (kind, label, description) in [
        ("admin", "Admin", "Every permission in the catalogue"),
        (
            "staff",
            "Staff",
            "Everyday features for every member of staff",
        ),
    ] {
        let row = RoleRow::new(label.into(), description.into(), kind);
        authz::store::insert(&mut tx, &tenant.id, &row).await?;
        if kind == "admin" {
            admin_role_id = row.id;
        }
    }
    let new_admin = users::service::NewUser {
        display_name: admin_name,
        email: Some(admin_email),
        role_ids: vec![admin_role_id],
        ..Default::default()
    };
    let admin = users::service::insert_user(
        &mut tx,
        AccountCreator::Install(by),
        &tenant.id,
        &new_admin,
        password_hash,
    )
    .await?;
    let invitation = if input.admin_password.is_none() {
        Some(users::invitations::issue_invitation(&mut tx, state, &tenant.id, &admin.id, "").await?)
    } else {
        None
    };
    // A new tenant has no session yet: nothing cached to drop.
    let _new_tenant = bump_version(&mut tx, &tenant.id).await?;
    // The starter approval templates, ready to use from the first sign-in.
    approvals::starters::seed(&mut tx, &tenant.id).await?;
    let entry = |action| by.audit(&tenant.id, action);
    audit::record(
        &mut tx,
        entry("tenant.created")
            .target("tenant", &tenant.id)
            .details(serde_json::json!({ "slug": tenant.slug })),
    )
    .await?;
    audit::record(
        &mut tx,
        entry("user.created")
            .target("user", &admin.id)
            .details(serde_json::json!({ "roles": ["admin"] })),
    )
    .await?;
    tx.commit().await?;
    Ok(Created {
        tenant,
        admin,
        invitation,
    })
}

/// A tenant by id or slug, for the operator.
pub async fn get(state: &AppState, _op: &OperatorProof, id_or_slug: &str) -> ApiResult<TenantRow> {
    let mut conn = state.db.conn().await?;
    let found = if crate::db::is_id(id_or_slug) {
        store::by_id(&mut conn, id_or_slug).await?
    } else {
        store::by_slug(&mut conn, id_or_slug).await?
    };
    found.ok_or_else(|| ApiError::not_found("tenant"))
}

#[tracing::instrument(skip_all)]
pub async fn list(
    state: &AppState,
    _op: &OperatorProof,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<TenantPage> {
    let limit = crate::pagination::limit(limit)?;
    let after = crate::pagination::decode(cursor)?;
    let mut conn = state.db.conn().await?;
    let rows = store::list(&mut conn, after.as_deref(), limit + 1).await?;
    let (rows, next) = crate::pagination::page(rows, limit, |t| t.id.clone());
    let mut out = Vec::with_capacity(rows.len());
    for t in rows {
        let n = users::service::count(&mut conn, &t.id).await?;
        out.push((t, n));
    }
    Ok((out, next))
}

/// Suspend (every session ends, nobody can sign in) or resume a tenant.
#[tracing::instrument(skip_all, fields(tenant_id = tracing::field::Empty))]
pub async fn set_suspended(
    state: &AppState,
    op: &OperatorProof,
    id_or_slug: &str,
    suspended: bool,
) -> ApiResult<TenantRow> {
    let mut t = get(state, op, id_or_slug).await?;
    tracing::Span::current().record("tenant_id", t.id.as_str());
    let mut tx = state.db.begin().await?;
    let status = if suspended { "suspended" } else { "active" };
    store::set_status(&mut tx, &t.id, status).await?;
    let revoked = if suspended {
        authn::service::revoke_tenant_sessions(&mut tx, &t.id).await?
    } else {
        0
    };
    let action = if suspended {
        "tenant.suspended"
    } else {
        "tenant.resumed"
    };
    audit::record(
        &mut tx,
        op.audit(&t.id, action)
            .target("tenant", &t.id)
            .details(serde_json::json!({ "sessions_revoked": revoked })),
    )
    .await?;
    tx.commit().await?;
    if suspended {
        // Every socket of the tenant closes now, on every node.
        state
            .hub
            .kick_everywhere(&state.db, crate::realtime::Kick::tenant(&t.id))
            .await;
    }
    t.status = status.into();
    Ok(t)
}

/// Every tenant's id, in order (for install-wide passes such as a search rebuild).
pub async fn ids(conn: &mut sqlx::AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    store::ids(conn).await
}

/// A tenant by slug (sign-in).
pub async fn by_slug(conn: &mut sqlx::AnyConnection, slug: &str) -> ApiResult<Option<TenantRow>> {
    Ok(store::by_slug(conn, slug).await?)
}

/// A tenant by id (accepting an invitation).
pub async fn by_id(conn: &mut sqlx::AnyConnection, id: &str) -> ApiResult<Option<TenantRow>> {
    Ok(store::by_id(conn, id).await?)
}

/// A bare tenant row (no roles, no first admin), for other features' unit tests whose tables'
/// foreign keys need a tenant.
#[cfg(test)]
pub async fn insert_bare(conn: &mut sqlx::AnyConnection, t: &TenantRow) -> Result<(), sqlx::Error> {
    store::insert(conn, t).await
}

/// How many tenants the install has (first-run setup runs while there are none).
pub async fn count(conn: &mut sqlx::AnyConnection) -> Result<i64, sqlx::Error> {
    store::count(conn).await
}
