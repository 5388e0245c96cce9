//! Creating, listing, suspending and resuming tenants. Used by the operator API, the CLI and
//! first-run setup.

use super::{store, store::TenantRow};
use crate::{
    audit::{self, ActorKind, Entry},
    authn,
    authz::bump_version,
    error::{ApiError, ApiResult, Code},
    ops::ctx::RequestCtx,
    roles::{self, store::RoleRow},
    users::{self, service::Invitation, store::UserRow},
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

/// Create a tenant with its built-in roles and first admin, in one transaction.
pub async fn create(
    state: &AppState,
    actor: ActorKind,
    ctx: &RequestCtx,
    input: NewTenant,
) -> ApiResult<Created> {
    let slug = validate_slug(&input.slug)?;
    let name = users::validate::text("name", &input.name, 200)?;
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
    store::insert(&mut tx, &tenant).await.map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            ApiError::conflict(Code::SlugTaken, "a tenant with this slug exists").with_field("slug")
        } else {
            e.into()
        }
    })?;
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
        roles::store::insert(&mut tx, &tenant.id, &row).await?;
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
    let admin = users::service::insert_user(&mut tx, &tenant.id, &new_admin, password_hash).await?;
    let invitation = if input.admin_password.is_none() {
        Some(users::service::issue_invitation(&mut tx, state, &tenant.id, &admin.id, "").await?)
    } else {
        None
    };
    bump_version(&mut tx, &tenant.id).await?;
    let entry = |action| Entry::new(&tenant.id, action).actor(actor, "").ctx(ctx);
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

pub async fn get(state: &AppState, id_or_slug: &str) -> ApiResult<TenantRow> {
    let mut conn = state.db.conn().await?;
    let found = if crate::db::is_id(id_or_slug) {
        store::by_id(&mut conn, id_or_slug).await?
    } else {
        store::by_slug(&mut conn, id_or_slug).await?
    };
    found.ok_or_else(|| ApiError::not_found("tenant"))
}

pub async fn list(
    state: &AppState,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<(Vec<(TenantRow, i64)>, Option<String>)> {
    let limit = crate::pagination::limit(limit)?;
    let after = crate::pagination::decode(cursor)?;
    let mut conn = state.db.conn().await?;
    let rows = store::list(&mut conn, after.as_deref(), limit + 1).await?;
    let (rows, next) = crate::pagination::page(rows, limit, |t| t.id.clone());
    let mut out = Vec::with_capacity(rows.len());
    for t in rows {
        let n = store::user_count(&mut conn, &t.id).await?;
        out.push((t, n));
    }
    Ok((out, next))
}

/// Suspend (every session ends, nobody can sign in) or resume a tenant.
pub async fn set_suspended(
    state: &AppState,
    actor: ActorKind,
    ctx: &RequestCtx,
    id_or_slug: &str,
    suspended: bool,
) -> ApiResult<TenantRow> {
    let mut t = get(state, id_or_slug).await?;
    let mut tx = state.db.begin().await?;
    let status = if suspended { "suspended" } else { "active" };
    store::set_status(&mut tx, &t.id, status).await?;
    let revoked = if suspended {
        authn::store::revoke_all_for_tenant(&mut tx, &t.id).await?
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
        Entry::new(&t.id, action)
            .actor(actor, "")
            .target("tenant", &t.id)
            .ctx(ctx)
            .details(serde_json::json!({ "sessions_revoked": revoked })),
    )
    .await?;
    tx.commit().await?;
    t.status = status.into();
    Ok(t)
}

/// Every tenant's id, in order (for install-wide passes such as a search rebuild).
pub async fn ids(conn: &mut sqlx::AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    store::ids(conn).await
}
