//! Departments and their memberships as a whole (merge, counts).

use super::{placeholders, DepartmentRow, MembershipRow};
use crate::users::service::ACTIVE_CARDS;
use sqlx::AnyConnection;

pub(super) const DEPT_COLUMNS: &str = "id, parent_id, name, head_id, created_at, updated_at";

/// Every department of the tenant (the tree is read whole: cycle checks, paths, the chart).
pub async fn departments(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<DepartmentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DEPT_COLUMNS} from departments where tenant_id = $1 order by name, id"
    ))
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

pub async fn department(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<DepartmentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DEPT_COLUMNS} from departments where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A page of departments by (name, id), optionally only the children of `parent_id` (`""`:
/// the top level).
pub async fn department_page(
    conn: &mut AnyConnection,
    tenant_id: &str,
    parent_key: Option<&str>,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<DepartmentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DEPT_COLUMNS} from departments
         where tenant_id = $1 and ($2 is null or parent_key = $2)
           and ($3 is null or name > $3 or (name = $3 and id > $4))
         order by name, id limit $5"
    ))
    .bind(tenant_id)
    .bind(parent_key.map(str::to_string))
    .bind(after.map(|a| a.0.to_string()))
    .bind(after.map_or(String::new(), |a| a.1.to_string()))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The department named `name_key` (folded) under `parent_key` (`""`: the top level).
pub async fn department_by_name(
    conn: &mut AnyConnection,
    tenant_id: &str,
    parent_key: &str,
    name_key: &str,
) -> Result<Option<DepartmentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DEPT_COLUMNS} from departments
         where tenant_id = $1 and parent_key = $2 and name_key = $3"
    ))
    .bind(tenant_id)
    .bind(parent_key)
    .bind(name_key)
    .fetch_optional(conn)
    .await
}

pub async fn insert_department(
    conn: &mut AnyConnection,
    tenant_id: &str,
    d: &DepartmentRow,
    name_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into departments (tenant_id, id, parent_id, parent_key, name, name_key, head_id,
                                  created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant_id)
    .bind(&d.id)
    .bind(&d.parent_id)
    .bind(d.parent_id.clone().unwrap_or_default())
    .bind(&d.name)
    .bind(name_key)
    .bind(&d.head_id)
    .bind(d.created_at)
    .bind(d.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Write a department's name, parent and head.
pub async fn update_department(
    conn: &mut AnyConnection,
    tenant_id: &str,
    d: &DepartmentRow,
    name_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update departments set parent_id = $3, parent_key = $4, name = $5, name_key = $6,
           head_id = $7, updated_at = $8
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(&d.id)
    .bind(&d.parent_id)
    .bind(d.parent_id.clone().unwrap_or_default())
    .bind(&d.name)
    .bind(name_key)
    .bind(&d.head_id)
    .bind(d.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Move every child of `from` under `to` (a merge).
pub async fn move_children(
    conn: &mut AnyConnection,
    tenant_id: &str,
    from: &str,
    to: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update departments set parent_id = $3, parent_key = $3, updated_at = $4
         where tenant_id = $1 and parent_id = $2",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(to)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Move the memberships of `from` to `to` (a merge): a person in both keeps one membership,
/// primary when either was.
pub async fn move_members(
    conn: &mut AnyConnection,
    tenant_id: &str,
    from: &str,
    to: &str,
) -> Result<u64, sqlx::Error> {
    // Marked 2 first: the partial unique index allows one row with 1 per person.
    sqlx::query(
        "update department_members set is_primary = 2
         where tenant_id = $1 and department_id = $3 and user_id in
           (select user_id from department_members
            where tenant_id = $1 and department_id = $2 and is_primary = 1)",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "delete from department_members
         where tenant_id = $1 and department_id = $2 and user_id in
           (select user_id from department_members where tenant_id = $1 and department_id = $3)",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "update department_members set is_primary = 1
         where tenant_id = $1 and department_id = $2 and is_primary = 2",
    )
    .bind(tenant_id)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query(
        "update department_members set department_id = $3
         where tenant_id = $1 and department_id = $2",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(to)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Delete a department with its memberships (the caller checked it holds no active member and
/// no child).
pub async fn delete_department(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from department_members where tenant_id = $1 and department_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from departments where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every membership of the tenant's active people (member counts of the chart).
pub async fn active_memberships(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<MembershipRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select m.user_id, m.department_id, m.is_primary from department_members m
         where m.tenant_id = $1 and m.user_id in (select id from ({ACTIVE_CARDS}) u)"
    ))
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

/// Active members per department (departments without any are absent).
pub async fn active_member_counts(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<std::collections::HashMap<String, i64>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
        "select m.department_id, count(*) from department_members m
         where m.tenant_id = $1 and m.user_id in (select id from ({ACTIVE_CARDS}) u)
         group by m.department_id"
    ))
    .bind(tenant_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Active members of one department.
pub async fn active_member_count(
    conn: &mut AnyConnection,
    tenant_id: &str,
    department_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select count(*) from department_members m
         where m.tenant_id = $1 and m.department_id = $2
           and m.user_id in (select id from ({ACTIVE_CARDS}) u)"
    ))
    .bind(tenant_id)
    .bind(department_id)
    .fetch_one(conn)
    .await
}

/// The active members of any of `department_ids` (each person once, by id).
pub async fn active_members_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    department_ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    if department_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select distinct m.user_id from department_members m
         where m.tenant_id = $1 and m.department_id in ({})
           and m.user_id in (select id from ({ACTIVE_CARDS}) u)
         order by m.user_id",
        placeholders(2, department_ids.len())
    );
    let mut q = sqlx::query_scalar(&sql).bind(tenant_id);
    for id in department_ids {
        q = q.bind(id);
    }
    q.fetch_all(conn).await
}

/// Every active person of the tenant, by id.
pub async fn active_people(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(&format!("select id from ({ACTIVE_CARDS}) u order by id"))
        .bind(tenant_id)
        .fetch_all(conn)
        .await
}
