//! SQL for spaces and team space members.

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SpaceRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub created_by: String,
    pub created_at: i64,
}

const SPACE: &str = "id, kind, name, created_by, created_at";

/// The id of the space with this unique key (`p:<user>` for personal spaces, `company`).
pub async fn by_key(
    conn: &mut AnyConnection,
    tenant_id: &str,
    key: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select id from spaces where tenant_id = $1 and unique_key = $2")
        .bind(tenant_id)
        .bind(key)
        .fetch_optional(conn)
        .await
}

/// Insert a space (`key`: its unique key, `None` for team spaces).
pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    s: &SpaceRow,
    key: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into spaces (tenant_id, id, kind, name, unique_key, created_by, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(tenant_id)
    .bind(&s.id)
    .bind(&s.kind)
    .bind(&s.name)
    .bind(key)
    .bind(&s.created_by)
    .bind(s.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<SpaceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {SPACE} from spaces where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The spaces a person may see: their personal space, the company space, the team spaces they
/// belong to (every team space when `all_teams`).
pub async fn visible(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    all_teams: bool,
) -> Result<Vec<SpaceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {SPACE} from spaces s where tenant_id = $1 and (
            (kind = 'personal' and created_by = $2) or kind = 'company'
            or (kind = 'team' and ($3 = 1 or exists (select 1 from space_members m
                where m.tenant_id = s.tenant_id and m.space_id = s.id and m.user_id = $2))))
         order by case kind when 'personal' then 0 when 'company' then 1 else 2 end, name, id
         limit 1000"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .bind(i64::from(all_teams))
    .fetch_all(conn)
    .await
}

/// The company space and the team spaces a person belongs to (their reader tokens).
pub async fn member_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from spaces s where tenant_id = $1 and (kind = 'company' or (kind = 'team'
            and exists (select 1 from space_members m where m.tenant_id = s.tenant_id
                and m.space_id = s.id and m.user_id = $2)))",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// A person's role in a team space, as stored.
pub async fn member_role(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
    user_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select role from space_members where tenant_id = $1 and space_id = $2 and user_id = $3",
    )
    .bind(tenant_id)
    .bind(space_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

/// Members of a team space: (user id, role).
pub async fn members(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select user_id, role from space_members where tenant_id = $1 and space_id = $2
         order by added_at, user_id limit 10000",
    )
    .bind(tenant_id)
    .bind(space_id)
    .fetch_all(conn)
    .await
}

pub async fn add_member(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
    user_id: &str,
    role: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into space_members (tenant_id, space_id, user_id, role, added_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant_id)
    .bind(space_id)
    .bind(user_id)
    .bind(role)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove_member(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "delete from space_members where tenant_id = $1 and space_id = $2 and user_id = $3",
    )
    .bind(tenant_id)
    .bind(space_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn manager_count(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from space_members where tenant_id = $1 and space_id = $2 and role = 'manager'",
    )
    .bind(tenant_id)
    .bind(space_id)
    .fetch_one(conn)
    .await
}

/// Spaces by name for the retention pickers, with their unique key (`p:<user id>` for a
/// personal space): these ids, or a page of every space by id.
pub async fn named(
    conn: &mut AnyConnection,
    tenant_id: &str,
    find: crate::lifecycle::Find<'_>,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    use crate::lifecycle::Find;
    match find {
        Find::Ids(ids) => {
            let mut out = Vec::new();
            for id in ids {
                let row: Option<(String, String, String)> = sqlx::query_as(
                    "select id, name, coalesce(unique_key, '') from spaces
                     where tenant_id = $1 and id = $2",
                )
                .bind(tenant_id)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
                out.extend(row);
            }
            Ok(out)
        }
        Find::Page { after, limit } => {
            sqlx::query_as(
                "select id, name, coalesce(unique_key, '') from spaces
                 where tenant_id = $1 and id > $2 order by id limit $3",
            )
            .bind(tenant_id)
            .bind(after)
            .bind(limit)
            .fetch_all(conn)
            .await
        }
    }
}
