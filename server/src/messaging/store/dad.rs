//! SQL for delete-after-delivery settings (`room_dad`).

use sqlx::AnyConnection;

/// The room's setting: `None` when it keeps its messages, `Some(max lifetime)` otherwise.
pub async fn settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<Option<Option<i64>>, sqlx::Error> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(
        "select max_lifetime_secs from room_dad where tenant_id = $1 and room_id = $2",
    )
    .bind(tenant_id)
    .bind(room_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0))
}

pub async fn enable(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    max_lifetime_secs: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into room_dad (tenant_id, room_id, max_lifetime_secs) values ($1, $2, $3)")
        .bind(tenant_id)
        .bind(room_id)
        .bind(max_lifetime_secs)
        .execute(conn)
        .await?;
    Ok(())
}

/// (tenant id, room id) of every delete-after-delivery room.
pub async fn rooms(conn: &mut AnyConnection) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("select tenant_id, room_id from room_dad limit 100000")
        .fetch_all(conn)
        .await
}
