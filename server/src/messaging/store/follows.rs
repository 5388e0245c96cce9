//! SQL for rooms that follow a department (`room_follows`).

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowRow {
    pub room_id: String,
    pub department_id: String,
    pub subtree: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "room_id, department_id, subtree, updated_at";

/// The department a room follows, if any.
pub async fn of_room(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<Option<FollowRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from room_follows where tenant_id = $1 and room_id = $2"
    ))
    .bind(tenant_id)
    .bind(room_id)
    .fetch_optional(conn)
    .await
}

/// Every room of the tenant that follows a department (not archived ones).
pub async fn of_tenant(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<FollowRow>, sqlx::Error> {
    sqlx::query_as(
        "select f.room_id, f.department_id, f.subtree, f.updated_at from room_follows f
         join rooms r on r.tenant_id = f.tenant_id and r.id = f.room_id
         where f.tenant_id = $1 and r.archived_at is null order by f.room_id",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

/// Tenants with at least one room following a department.
pub async fn tenants(conn: &mut AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select distinct tenant_id from room_follows order by tenant_id")
        .fetch_all(conn)
        .await
}

pub async fn set(
    conn: &mut AnyConnection,
    tenant_id: &str,
    f: &FollowRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into room_follows (tenant_id, room_id, department_id, subtree, updated_at)
         values ($1, $2, $3, $4, $5)
         on conflict (tenant_id, room_id) do update
         set department_id = excluded.department_id, subtree = excluded.subtree,
             updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(&f.room_id)
    .bind(&f.department_id)
    .bind(f.subtree)
    .bind(f.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stop following; whether the room followed a department.
pub async fn clear(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("delete from room_follows where tenant_id = $1 and room_id = $2")
            .bind(tenant_id)
            .bind(room_id)
            .execute(conn)
            .await?
            .rows_affected()
            > 0,
    )
}

/// A merged department's followers follow the department it went into.
pub async fn retarget(
    conn: &mut AnyConnection,
    tenant_id: &str,
    from: &str,
    into: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update room_follows set department_id = $3, updated_at = $4
         where tenant_id = $1 and department_id = $2",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(into)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}
