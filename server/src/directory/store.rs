//! SQL for the directory: departments, positions, people's directory records, memberships and
//! the tenant's settings. Every function takes the tenant id. People's names and contact
//! identifiers come from the users feature's [`ACTIVE_CARDS`] subquery, never its table.

use crate::users::service::ACTIVE_CARDS;
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DepartmentRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub head_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PositionRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A person's directory record.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct PersonRow {
    pub user_id: String,
    pub position_id: Option<String>,
    pub manager_id: Option<String>,
    pub work_email: Option<String>,
    pub work_phone: Option<String>,
}

/// An active person as the address book starts from (the users feature's card).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CardRow {
    pub id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub search_text: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MembershipRow {
    pub user_id: String,
    pub department_id: String,
    pub is_primary: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SettingsRow {
    pub email_visibility: String,
    pub phone_visibility: String,
}

/// `$first, $first+1, …` for `n` bound values (the count is ours, the values are bound).
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ── settings and the tenant's directory lock ──────────────────────────────────────────────

/// Take the tenant's directory lock for the rest of the transaction: an upsert of the settings
/// row, which PostgreSQL row-locks until commit (SQLite's single writer holds it anyway). Tree
/// and manager changes take it first, so their cycle checks read a state nobody changes.
pub async fn lock(conn: &mut AnyConnection, tenant_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into directory_settings (tenant_id, lock_seq) values ($1, 1)
         on conflict (tenant_id) do update set lock_seq = directory_settings.lock_seq + 1",
    )
    .bind(tenant_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<SettingsRow, sqlx::Error> {
    Ok(sqlx::query_as(
        "select email_visibility, phone_visibility from directory_settings where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(conn)
    .await?
    .unwrap_or_else(|| SettingsRow {
        email_visibility: "everyone".into(),
        phone_visibility: "same_department".into(),
    }))
}

pub async fn set_settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
    s: &SettingsRow,
    by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into directory_settings
           (tenant_id, email_visibility, phone_visibility, updated_by, updated_at)
         values ($1, $2, $3, $4, $5)
         on conflict (tenant_id) do update set email_visibility = excluded.email_visibility,
           phone_visibility = excluded.phone_visibility, updated_by = excluded.updated_by,
           updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(&s.email_visibility)
    .bind(&s.phone_visibility)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

// ── departments ───────────────────────────────────────────────────────────────────────────

const DEPT_COLUMNS: &str = "id, parent_id, name, head_id, created_at, updated_at";

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

// ── positions ─────────────────────────────────────────────────────────────────────────────

const POS_COLUMNS: &str = "id, name, created_at, updated_at";

pub async fn positions(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<PositionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {POS_COLUMNS} from positions where tenant_id = $1 order by name, id"
    ))
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

pub async fn position_page(
    conn: &mut AnyConnection,
    tenant_id: &str,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<PositionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {POS_COLUMNS} from positions
         where tenant_id = $1 and ($2 is null or name > $2 or (name = $2 and id > $3))
         order by name, id limit $4"
    ))
    .bind(tenant_id)
    .bind(after.map(|a| a.0.to_string()))
    .bind(after.map_or(String::new(), |a| a.1.to_string()))
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn position(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<PositionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {POS_COLUMNS} from positions where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn position_by_name(
    conn: &mut AnyConnection,
    tenant_id: &str,
    name_key: &str,
) -> Result<Option<PositionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {POS_COLUMNS} from positions where tenant_id = $1 and name_key = $2"
    ))
    .bind(tenant_id)
    .bind(name_key)
    .fetch_optional(conn)
    .await
}

pub async fn insert_position(
    conn: &mut AnyConnection,
    tenant_id: &str,
    p: &PositionRow,
    name_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into positions (tenant_id, id, name, name_key, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant_id)
    .bind(&p.id)
    .bind(&p.name)
    .bind(name_key)
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn rename_position(
    conn: &mut AnyConnection,
    tenant_id: &str,
    p: &PositionRow,
    name_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update positions set name = $3, name_key = $4, updated_at = $5
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(&p.id)
    .bind(&p.name)
    .bind(name_key)
    .bind(p.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Delete a position; the people holding it hold none afterwards. Returns how many held it.
pub async fn delete_position(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    let n = sqlx::query(
        "update directory_people set position_id = null where tenant_id = $1 and position_id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query("delete from positions where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(n)
}

// ── people ────────────────────────────────────────────────────────────────────────────────

const PERSON_COLUMNS: &str = "user_id, position_id, manager_id, work_email, work_phone";

pub async fn person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Option<PersonRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {PERSON_COLUMNS} from directory_people where tenant_id = $1 and user_id = $2"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

/// The directory records of `ids`.
pub async fn people(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<PersonRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select {PERSON_COLUMNS} from directory_people where tenant_id = $1 and user_id in ({})",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query_as(&sql).bind(tenant_id);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(conn).await
}

/// Every directory record of the tenant (the CSV export).
pub async fn all_people(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<PersonRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {PERSON_COLUMNS} from directory_people where tenant_id = $1 order by user_id"
    ))
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

pub async fn upsert_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    p: &PersonRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into directory_people (tenant_id, user_id, position_id, manager_id, work_email,
                                       work_phone, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (tenant_id, user_id) do update set position_id = excluded.position_id,
           manager_id = excluded.manager_id, work_email = excluded.work_email,
           work_phone = excluded.work_phone, updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(&p.user_id)
    .bind(&p.position_id)
    .bind(&p.manager_id)
    .bind(&p.work_email)
    .bind(&p.work_phone)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The manager of a person, whatever the person's status (cycle checks walk every link).
pub async fn manager_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "select manager_id from directory_people where tenant_id = $1 and user_id = $2",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// The memberships of `ids`.
pub async fn memberships_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<MembershipRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select user_id, department_id, is_primary from department_members
         where tenant_id = $1 and user_id in ({}) order by is_primary desc, department_id",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query_as(&sql).bind(tenant_id);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(conn).await
}

/// Every membership of the tenant (the CSV export).
pub async fn all_memberships(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<MembershipRow>, sqlx::Error> {
    sqlx::query_as(
        "select user_id, department_id, is_primary from department_members
         where tenant_id = $1 order by user_id, is_primary desc, department_id",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

/// Replace a person's memberships: `primary` (if any) and `others`.
pub async fn set_memberships(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    primary: Option<&str>,
    others: &[String],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from department_members where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    let all = primary
        .map(|p| (p, 1_i64))
        .into_iter()
        .chain(others.iter().map(|d| (d.as_str(), 0_i64)));
    for (dept, is_primary) in all {
        sqlx::query(
            "insert into department_members (tenant_id, department_id, user_id, is_primary,
                                             created_at)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(tenant_id)
        .bind(dept)
        .bind(user_id)
        .bind(is_primary)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The active people among `ids`, with their cards.
pub async fn cards(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<CardRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select id, display_name, email, phone, search_text from ({ACTIVE_CARDS}) u
         where id in ({})",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query_as(&sql).bind(tenant_id);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(conn).await
}

/// What the address book lists: active people by (name, id) after `after`, whose folded text
/// matches `pattern` (a `like` pattern, already escaped), optionally only members of
/// `department_id` (and, with `subtree`, of its sub-departments).
pub async fn card_page(
    conn: &mut AnyConnection,
    tenant_id: &str,
    pattern: Option<&str>,
    department_id: Option<&str>,
    subtree: bool,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<CardRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "with recursive sub (id) as (
           select id from departments where tenant_id = $1 and id = $3
           union all
           select d.id from departments d join sub on d.parent_id = sub.id
           where d.tenant_id = $1 and $4 = 1
         )
         select id, display_name, email, phone, search_text from ({ACTIVE_CARDS}) u
         where ($2 is null or u.search_text like $2 escape '\\')
           and ($3 is null or exists (select 1 from department_members m
                where m.tenant_id = $1 and m.user_id = u.id
                  and m.department_id in (select id from sub)))
           and ($5 is null or u.display_name > $5 or (u.display_name = $5 and u.id > $6))
         order by u.display_name, u.id limit $7"
    ))
    .bind(tenant_id)
    .bind(pattern.map(str::to_string))
    .bind(department_id.map(str::to_string))
    .bind(i64::from(subtree))
    .bind(after.map(|a| a.0.to_string()))
    .bind(after.map_or(String::new(), |a| a.1.to_string()))
    .bind(limit)
    .fetch_all(conn)
    .await
}

// ── a person's erasure ────────────────────────────────────────────────────────────────────

/// Remove a person from the directory: their memberships and record go, the people they
/// managed lose the link, the departments they headed lose their head. Returns (memberships,
/// records, manager links, headships).
pub async fn erase_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    now: i64,
) -> Result<(u64, u64, u64, u64), sqlx::Error> {
    let members =
        sqlx::query("delete from department_members where tenant_id = $1 and user_id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    let managed = sqlx::query(
        "update directory_people set manager_id = null, updated_at = $3
         where tenant_id = $1 and manager_id = $2",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let record = sqlx::query("delete from directory_people where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let headed = sqlx::query(
        "update departments set head_id = null, updated_at = $3
         where tenant_id = $1 and head_id = $2",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok((members, record, managed, headed))
}

/// The departments a person heads.
pub async fn headed_by(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<DepartmentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DEPT_COLUMNS} from departments where tenant_id = $1 and head_id = $2
         order by name, id"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// The people a person manages (ids).
pub async fn reports_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select user_id from directory_people where tenant_id = $1 and manager_id = $2
         order by user_id",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}
