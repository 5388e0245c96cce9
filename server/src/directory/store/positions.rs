//! The tenant's positions.

use super::PositionRow;
use sqlx::AnyConnection;

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
