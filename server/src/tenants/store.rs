//! SQL for tenants. The tenants table is the root of tenancy: it carries no tenant id.

use crate::db::now_ms;
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenantRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, slug, name, status, created_at, updated_at";

impl TenantRow {
    /// A new, active tenant with a fresh id (inputs already validated).
    pub fn new(slug: String, name: String) -> TenantRow {
        let now = crate::db::now_ms();
        TenantRow {
            id: crate::db::new_id(),
            slug,
            name,
            status: "active".into(),
            created_at: now,
            updated_at: now,
        }
    }
}

pub async fn insert(conn: &mut AnyConnection, t: &TenantRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into tenants (id, slug, name, status, created_at, updated_at) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&t.id)
    .bind(&t.slug)
    .bind(&t.name)
    .bind(&t.status)
    .bind(t.created_at)
    .bind(t.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_slug(
    conn: &mut AnyConnection,
    slug: &str,
) -> Result<Option<TenantRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from tenants where slug = $1"))
        .bind(slug)
        .fetch_optional(conn)
        .await
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<TenantRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from tenants where id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn list(
    conn: &mut AnyConnection,
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<TenantRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from tenants where ($1 is null or id > $1) order by id limit $2"
    ))
    .bind(after_id.map(str::to_string))
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from tenants")
        .fetch_one(conn)
        .await
}

pub async fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update tenants set status = $1, updated_at = $2 where id = $3")
        .bind(status)
        .bind(now_ms())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every tenant's id, in order.
pub async fn ids(conn: &mut AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select id from tenants order by id")
        .fetch_all(conn)
        .await
}
