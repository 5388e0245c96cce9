//! SQL for the directory: the tenant's settings and lock (here), departments
//! ([`departments`]), positions ([`positions`]), people's records and memberships ([`people`]). Every function takes the tenant id. People's names and contact
//! identifiers come from the users feature's [`ACTIVE_CARDS`] subquery, never its table.

mod departments;
mod people;
mod positions;

pub use departments::*;
pub use people::*;
pub use positions::*;

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
    pub photo_file_id: Option<String>,
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
pub(super) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

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
