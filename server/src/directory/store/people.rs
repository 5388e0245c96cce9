//! People's directory records and memberships, the address book's query, a person's erasure.

use super::{
    departments::DEPT_COLUMNS, placeholders, CardRow, DepartmentRow, MembershipRow, PersonRow,
};
use crate::users::service::ACTIVE_CARDS;
use sqlx::AnyConnection;

const PERSON_COLUMNS: &str =
    "user_id, position_id, manager_id, work_email, work_phone, photo_file_id";

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

/// Set or clear a person's photo (their record is made when they have none).
pub async fn set_photo(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    file_id: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into directory_people (tenant_id, user_id, photo_file_id, updated_at)
         values ($1, $2, $3, $4)
         on conflict (tenant_id, user_id) do update set photo_file_id = excluded.photo_file_id,
           updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(file_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the file is the photo of one of the tenant's active people.
pub async fn is_active_photo(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, i64>(&format!(
        "select 1 from directory_people where tenant_id = $1 and photo_file_id = $2
           and user_id in (select id from ({ACTIVE_CARDS}) u) limit 1"
    ))
    .bind(tenant_id)
    .bind(file_id)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// True when the directory uses the file whose `files` row is aliased `f` (a person's photo).
pub const PHOTO_IN_USE: &str = "exists (select 1 from directory_people dp \
     where dp.tenant_id = f.tenant_id and dp.photo_file_id = f.id)";

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
