//! SQL for the policy tables: roles, their permissions and their bindings to users (the casbin
//! policy storage, read by [`super::adapter`]), and each tenant's policy version
//! (`authz_versions`). The roles and users services change policies through these functions,
//! in their own transactions, and bump the version in the same transaction.

use crate::db::now_ms;
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub builtin: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, description, builtin, created_at, updated_at";

impl RoleRow {
    /// A new role with a fresh id; `builtin` is `admin`, `staff` or empty for a custom role.
    pub fn new(name: String, description: String, builtin: &str) -> RoleRow {
        let now = now_ms();
        RoleRow {
            id: crate::db::new_id(),
            name,
            description,
            builtin: builtin.to_string(),
            created_at: now,
            updated_at: now,
        }
    }
}

pub async fn list(conn: &mut AnyConnection, tenant_id: &str) -> Result<Vec<RoleRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from roles where tenant_id = $1 order by builtin desc, name"
    ))
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<RoleRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from roles where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn get_builtin(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: &str,
) -> Result<Option<RoleRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from roles where tenant_id = $1 and builtin = $2"
    ))
    .bind(tenant_id)
    .bind(kind)
    .fetch_optional(conn)
    .await
}

pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    r: &RoleRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into roles (tenant_id, id, name, description, builtin, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant_id)
    .bind(&r.id)
    .bind(&r.name)
    .bind(&r.description)
    .bind(&r.builtin)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(
    conn: &mut AnyConnection,
    tenant_id: &str,
    r: &RoleRow,
) -> Result<(), sqlx::Error> {
    sqlx::query("update roles set name = $1, description = $2, updated_at = $3 where tenant_id = $4 and id = $5")
        .bind(&r.name)
        .bind(&r.description)
        .bind(now_ms())
        .bind(tenant_id)
        .bind(&r.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Delete a role with its permissions and bindings.
pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    for sql in [
        "delete from role_bindings where tenant_id = $1 and role_id = $2",
        "delete from role_permissions where tenant_id = $1 and role_id = $2",
        "delete from roles where tenant_id = $1 and id = $2",
    ] {
        sqlx::query(sql)
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Stored permissions of a custom role (built-in roles take theirs from the catalogue).
pub async fn permissions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    role_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select permission from role_permissions where tenant_id = $1 and role_id = $2 order by permission",
    )
    .bind(tenant_id)
    .bind(role_id)
    .fetch_all(conn)
    .await
}

pub async fn set_permissions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    role_id: &str,
    perms: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from role_permissions where tenant_id = $1 and role_id = $2")
        .bind(tenant_id)
        .bind(role_id)
        .execute(&mut *conn)
        .await?;
    for p in perms {
        sqlx::query(
            "insert into role_permissions (tenant_id, role_id, permission) values ($1, $2, $3)",
        )
        .bind(tenant_id)
        .bind(role_id)
        .bind(p)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn roles_of_user(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<RoleRow>, sqlx::Error> {
    sqlx::query_as(
        "select r.id, r.name, r.description, r.builtin, r.created_at, r.updated_at
         from role_bindings b join roles r on r.tenant_id = b.tenant_id and r.id = b.role_id
         where b.tenant_id = $1 and b.user_id = $2 order by r.builtin desc, r.name",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

pub async fn set_user_roles(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    role_ids: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from role_bindings where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    let now = now_ms();
    for r in role_ids {
        sqlx::query("insert into role_bindings (tenant_id, user_id, role_id, created_at) values ($1, $2, $3, $4)")
            .bind(tenant_id)
            .bind(user_id)
            .bind(r)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn member_count(
    conn: &mut AnyConnection,
    tenant_id: &str,
    role_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from role_bindings where tenant_id = $1 and role_id = $2")
        .bind(tenant_id)
        .bind(role_id)
        .fetch_one(conn)
        .await
}

/// The policy rows of one tenant, or of every tenant when `tenant` is `None`.
pub struct PolicyRows {
    /// (tenant, role id, built-in kind) of the built-in roles.
    pub builtin: Vec<(String, String, String)>,
    /// (tenant, role id, permission) of the custom roles.
    pub custom: Vec<(String, String, String)>,
    /// (tenant, user id, role id).
    pub bindings: Vec<(String, String, String)>,
}

pub async fn policy_rows(
    conn: &mut AnyConnection,
    tenant: Option<&str>,
) -> Result<PolicyRows, sqlx::Error> {
    let tenant = tenant.map(str::to_string);
    let builtin = sqlx::query_as(
        "select tenant_id, id, builtin from roles where builtin <> '' and ($1 is null or tenant_id = $1)",
    )
    .bind(tenant.clone())
    .fetch_all(&mut *conn)
    .await?;
    let custom = sqlx::query_as(
        "select tenant_id, role_id, permission from role_permissions where ($1 is null or tenant_id = $1)",
    )
    .bind(tenant.clone())
    .fetch_all(&mut *conn)
    .await?;
    let bindings = sqlx::query_as(
        "select tenant_id, user_id, role_id from role_bindings where ($1 is null or tenant_id = $1)",
    )
    .bind(tenant)
    .fetch_all(&mut *conn)
    .await?;
    Ok(PolicyRows {
        builtin,
        custom,
        bindings,
    })
}

/// Users holding a tenant's built-in role of this kind (`admin`, `staff`).
pub async fn holders_of_builtin(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select distinct b.user_id from role_bindings b
         join roles r on r.tenant_id = b.tenant_id and r.id = b.role_id
         where b.tenant_id = $1 and r.builtin = $2 order by b.user_id",
    )
    .bind(tenant_id)
    .bind(kind)
    .fetch_all(conn)
    .await
}

/// Users bound to a role of the tenant, by id.
pub async fn holders_of_role(
    conn: &mut AnyConnection,
    tenant_id: &str,
    role_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select user_id from role_bindings where tenant_id = $1 and role_id = $2 order by user_id",
    )
    .bind(tenant_id)
    .bind(role_id)
    .fetch_all(conn)
    .await
}

/// Every tenant's policy version (tenants never changed have no row: version 1).
pub async fn versions(conn: &mut AnyConnection) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("select tenant_id, version from authz_versions")
        .fetch_all(conn)
        .await
}

/// One tenant's policy version (1 before its first change).
pub async fn version(conn: &mut AnyConnection, tenant_id: &str) -> Result<i64, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, i64>("select version from authz_versions where tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(conn)
            .await?
            .unwrap_or(1),
    )
}

/// A tenant's policies changed in a transaction: once it commits, hand this to
/// `AppState::policy_changed`, which drops every node's cached session lookups of the tenant
/// (they carry the old policy version). The compiler insists it is not forgotten.
#[must_use = "after the commit, pass it to AppState::policy_changed"]
#[derive(Debug)]
pub struct PolicyChange {
    pub tenant_id: String,
}

/// Bump a tenant's policy version inside the transaction that changes its policies. On
/// PostgreSQL the upsert locks the tenant's row, so concurrent changes serialise.
pub async fn bump_version(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<PolicyChange, sqlx::Error> {
    sqlx::query(
        "insert into authz_versions (tenant_id, version) values ($1, 2)
         on conflict (tenant_id) do update set version = authz_versions.version + 1",
    )
    .bind(tenant_id)
    .execute(conn)
    .await?;
    Ok(PolicyChange {
        tenant_id: tenant_id.to_string(),
    })
}

/// Users holding `permission` through any of their roles: the built-in admin role (every
/// permission), the built-in staff role when `staff_has_it`, custom roles granting it.
pub async fn holders_of_permission(
    conn: &mut AnyConnection,
    tenant_id: &str,
    permission: &str,
    staff_has_it: bool,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select distinct b.user_id from role_bindings b
         join roles r on r.tenant_id = b.tenant_id and r.id = b.role_id
         where b.tenant_id = $1
           and (r.builtin = 'admin' or (r.builtin = 'staff' and $3 = 1)
                or exists (select 1 from role_permissions rp where rp.tenant_id = r.tenant_id
                           and rp.role_id = r.id and rp.permission = $2))
         order by b.user_id",
    )
    .bind(tenant_id)
    .bind(permission)
    .bind(i64::from(staff_has_it))
    .fetch_all(conn)
    .await
}

/// Test fixtures: the tenant and user rows the policy tables' foreign keys need, so authz's own
/// tests need no feature.
#[cfg(test)]
pub mod fixtures {
    use sqlx::AnyConnection;

    /// A tenant with one active user; returns (tenant id, user id).
    pub async fn tenant_and_user(
        conn: &mut AnyConnection,
        slug: &str,
    ) -> Result<(String, String), sqlx::Error> {
        let (t, u, now) = (crate::db::new_id(), crate::db::new_id(), super::now_ms());
        sqlx::query(
            "insert into tenants (id, slug, name, status, created_at, updated_at)
             values ($1, $2, $2, 'active', $3, $3)",
        )
        .bind(&t)
        .bind(slug)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "insert into users (tenant_id, id, email, display_name, status, created_at, updated_at)
             values ($1, $2, $3, 'U', 'active', $4, $4)",
        )
        .bind(&t)
        .bind(&u)
        .bind(format!("u@{slug}.test"))
        .bind(now)
        .execute(conn)
        .await?;
        Ok((t, u))
    }
}
