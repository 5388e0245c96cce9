//! SQL for users. Every function takes the tenant id.

use crate::db::now_ms;
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub tenant_id: String,
    pub id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub display_name: String,
    pub title: Option<String>,
    pub department: Option<String>,
    pub status: String,
    pub password_hash: Option<String>,
    /// `en`, `vi` or `zh`: the language of mail and text messages sent to the person.
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    /// When a code proved the email (phone) reaches this person; cleared when it changes.
    pub email_verified_at: Option<i64>,
    pub phone_verified_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The ids of a tenant's active people as an SQL subquery, the tenant id bound as `$1`.
pub const ACTIVE_PEOPLE: &str = "select id from users where tenant_id = $1 and status = 'active'";

/// A tenant's active people as an SQL subquery with what an address book shows of them (`id`,
/// `display_name`, `email`, `phone`, `search_text`: name and identifiers folded), the tenant
/// id bound as `$1`. Disabled, pending-erasure and erased people are not in it.
pub const ACTIVE_CARDS: &str = "select id, display_name, email, phone, search_text from users \
                                where tenant_id = $1 and status = 'active'";

/// The status people see: a disabled account with a deletion request is `pending_erasure`
/// until it is erased, then `erased` (the stored status stays `disabled`: see migration 0014).
macro_rules! shown_status {
    () => {
        "(case when status = 'disabled' then coalesce((select case d.status \
         when 'erased' then 'erased' else 'pending_erasure' end from account_deletions d \
         where d.tenant_id = users.tenant_id and d.user_id = users.id \
         and d.status in ('pending', 'erasing', 'erased')), status) else status end)"
    };
}
macro_rules! status_sql {
    () => {
        concat!(shown_status!(), " as status")
    };
}
const COLUMNS: &str = concat!(
    "tenant_id, id, email, phone, display_name, title, department, ",
    status_sql!(),
    ", password_hash, locale, time_zone, email_verified_at, phone_verified_at, created_at, updated_at"
);
const LIST_COLUMNS: &str = concat!(
    "tenant_id, id, email, phone, display_name, title, department, ",
    status_sql!(),
    ", cast(null as text) as password_hash, locale, time_zone, email_verified_at, \
     phone_verified_at, created_at, updated_at"
);

/// The status people see, for filtering.
const SHOWN_STATUS: &str = shown_status!();

/// The status as stored: the deletion workflow's states are `disabled` in the table.
fn stored_status(status: &str) -> &str {
    match status {
        "pending_erasure" | "erased" => "disabled",
        s => s,
    }
}

impl UserRow {
    /// A new account with a fresh id (inputs already validated): `active` when it has a password,
    /// `invited` until the person sets one.
    pub fn new(
        tenant_id: &str,
        display_name: String,
        email: Option<String>,
        phone: Option<String>,
        password_hash: Option<String>,
    ) -> UserRow {
        let now = now_ms();
        UserRow {
            tenant_id: tenant_id.to_string(),
            id: crate::db::new_id(),
            email,
            phone,
            display_name,
            title: None,
            department: None,
            status: if password_hash.is_some() {
                "active"
            } else {
                "invited"
            }
            .to_string(),
            password_hash,
            locale: None,
            time_zone: None,
            email_verified_at: None,
            phone_verified_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Name, identifiers, title and department, folded for search (see [`super::validate::fold`]).
fn search_text(u: &UserRow) -> String {
    let mut s = super::validate::fold(&u.display_name);
    for part in [&u.email, &u.phone, &u.title, &u.department]
        .into_iter()
        .flatten()
    {
        s.push(' ');
        s.push_str(&super::validate::fold(part));
    }
    s
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from users where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Find by normalised email or E.164 phone.
pub async fn find_by_login(
    conn: &mut AnyConnection,
    tenant_id: &str,
    login: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from users where tenant_id = $1 and (email = $2 or phone = $2)"
    ))
    .bind(tenant_id)
    .bind(login)
    .fetch_optional(conn)
    .await
}

pub async fn insert(conn: &mut AnyConnection, u: &UserRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into users (tenant_id, id, email, phone, display_name, title, department, status,
                            password_hash, search_text, locale, email_verified_at,
                            phone_verified_at, created_at, updated_at, time_zone)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(&u.tenant_id)
    .bind(&u.id)
    .bind(u.email.clone())
    .bind(u.phone.clone())
    .bind(&u.display_name)
    .bind(u.title.clone())
    .bind(u.department.clone())
    .bind(&u.status)
    .bind(u.password_hash.clone())
    .bind(search_text(u))
    .bind(u.locale.clone())
    .bind(u.email_verified_at)
    .bind(u.phone_verified_at)
    .bind(u.created_at)
    .bind(u.updated_at)
    .bind(u.time_zone.clone())
    .execute(conn)
    .await?;
    Ok(())
}

/// Write back profile fields and status of a loaded, modified row.
pub async fn update(conn: &mut AnyConnection, u: &UserRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update users set email = $1, phone = $2, display_name = $3, title = $4, department = $5,
                status = $6, search_text = $7, updated_at = $8, locale = $9,
                email_verified_at = $10, phone_verified_at = $11, time_zone = $12
         where tenant_id = $13 and id = $14",
    )
    .bind(u.email.clone())
    .bind(u.phone.clone())
    .bind(&u.display_name)
    .bind(u.title.clone())
    .bind(u.department.clone())
    .bind(stored_status(&u.status))
    .bind(search_text(u))
    .bind(now_ms())
    .bind(u.locale.clone())
    .bind(u.email_verified_at)
    .bind(u.phone_verified_at)
    .bind(u.time_zone.clone())
    .bind(&u.tenant_id)
    .bind(&u.id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_password(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update users set password_hash = $1, updated_at = $2 where tenant_id = $3 and id = $4",
    )
    .bind(hash)
    .bind(now_ms())
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a page of users keeps: a search, a status, the holders of a role.
#[derive(Debug, Default, Clone, Copy)]
pub struct Filter<'a> {
    pub q: Option<&'a str>,
    pub status: Option<&'a str>,
    pub role_id: Option<&'a str>,
}

/// A page of users in id (creation) order after `after_id`, optionally filtered.
pub async fn list(
    conn: &mut AnyConnection,
    tenant_id: &str,
    f: Filter<'_>,
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<UserRow>, sqlx::Error> {
    let pattern =
        f.q.map(|q| format!("%{}%", crate::db::like_escape(&super::validate::fold(q))));
    // Lists never need the password hash: leave it in the database. A role's holders are its
    // bindings (the authorisation tables, read only here).
    sqlx::query_as(&format!(
        "select {LIST_COLUMNS} from users
         where tenant_id = $1
           and ($2 is null or search_text like $2 escape '\\')
           and ($3 is null or {SHOWN_STATUS} = $3)
           and ($4 is null or id > $4)
           and ($6 is null or id in (select b.user_id from role_bindings b
                                      where b.tenant_id = $1 and b.role_id = $6))
         order by id limit $5"
    ))
    .bind(tenant_id)
    .bind(pattern)
    .bind(f.status.map(str::to_string))
    .bind(after_id.map(str::to_string))
    .bind(limit)
    .bind(f.role_id.map(str::to_string))
    .fetch_all(conn)
    .await
}

/// How many accounts the tenant has per status shown (`pending_erasure`, `erased` included).
pub async fn count_by_status(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select s, count(*) from (select {SHOWN_STATUS} as s from users where tenant_id = $1) x
         group by s order by s"
    ))
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

/// The display names of these accounts of the tenant (those that exist), by id.
pub async fn names_among(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "select id, display_name from users where tenant_id = $1 and id in ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query_as::<_, (String, String)>(&sql).bind(tenant_id);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// How many of `ids` are active users of the tenant, `except` left out.
pub async fn count_active_among(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
    except: &str,
) -> Result<i64, sqlx::Error> {
    let ids: Vec<&String> = ids.iter().filter(|id| id.as_str() != except).collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let placeholders: Vec<String> = (2..ids.len() + 2).map(|i| format!("${i}")).collect();
    let sql = format!(
        "select count(*) from users where tenant_id = $1 and status = 'active' and id in ({})",
        placeholders.join(", ")
    );
    let mut q = sqlx::query_scalar(&sql).bind(tenant_id);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_one(conn).await
}

/// How many accounts a tenant has.
pub async fn count(conn: &mut AnyConnection, tenant_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from users where tenant_id = $1")
        .bind(tenant_id)
        .fetch_one(conn)
        .await
}

/// Remove an account's password (account erasure: nobody signs in to it again).
pub async fn clear_password(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update users set password_hash = null, updated_at = $1 where tenant_id = $2 and id = $3",
    )
    .bind(now_ms())
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}
