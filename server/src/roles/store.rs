//! SQL for roles, their permissions and their bindings to users.

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
