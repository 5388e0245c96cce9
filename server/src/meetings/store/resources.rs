//! Rooms and resources, which meetings book them, and the booked slots the
//! no-double-booking check reads under the resource's lock.

use crate::db::Backend;
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResourceRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub capacity: Option<i64>,
    pub location: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SlotRow {
    pub resource_id: String,
    pub meeting_id: String,
    pub start_at: i64,
    pub end_at: i64,
}

const COLUMNS: &str = "id, name, kind, capacity, location, created_at, updated_at";

pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    r: &ResourceRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into meeting_resources (tenant_id, id, name, kind, capacity, location,
             created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant_id)
    .bind(&r.id)
    .bind(&r.name)
    .bind(&r.kind)
    .bind(r.capacity)
    .bind(&r.location)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(
    conn: &mut AnyConnection,
    tenant_id: &str,
    r: &ResourceRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update meeting_resources set name = $1, kind = $2, capacity = $3, location = $4,
             updated_at = $5
         where tenant_id = $6 and id = $7",
    )
    .bind(&r.name)
    .bind(&r.kind)
    .bind(r.capacity)
    .bind(&r.location)
    .bind(r.updated_at)
    .bind(tenant_id)
    .bind(&r.id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ResourceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from meeting_resources where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Lock the resource for the rest of the transaction: bookings of one resource are
/// serialised by this row lock on PostgreSQL (SQLite's single writer serialises them anyway).
pub async fn lock(
    conn: &mut AnyConnection,
    backend: Backend,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ResourceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from meeting_resources where tenant_id = $1 and id = $2{}",
        backend.for_update()
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn list(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<ResourceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from meeting_resources where tenant_id = $1 order by name, id"
    ))
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

/// Whether any booking of the resource ends after `now`.
pub async fn booked_after(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from meeting_slots where tenant_id = $1 and resource_id = $2
             and end_at > $3",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Remove a resource with its past bookings.
pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    for sql in [
        "delete from meeting_slots where tenant_id = $1 and resource_id = $2",
        "delete from meeting_bookings where tenant_id = $1 and resource_id = $2",
        "delete from meeting_resources where tenant_id = $1 and id = $2",
    ] {
        sqlx::query(sql)
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The resources a meeting books.
pub async fn booked_by(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select resource_id from meeting_bookings where tenant_id = $1 and meeting_id = $2
         order by resource_id",
    )
    .bind(tenant_id)
    .bind(meeting_id)
    .fetch_all(conn)
    .await
}

/// Replace a meeting's bookings and slots.
pub async fn set_bookings(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
    resources: &[String],
    slots: &[(i64, i64)],
) -> Result<(), sqlx::Error> {
    for sql in [
        "delete from meeting_slots where tenant_id = $1 and meeting_id = $2",
        "delete from meeting_bookings where tenant_id = $1 and meeting_id = $2",
    ] {
        sqlx::query(sql)
            .bind(tenant_id)
            .bind(meeting_id)
            .execute(&mut *conn)
            .await?;
    }
    for r in resources {
        sqlx::query(
            "insert into meeting_bookings (tenant_id, meeting_id, resource_id) values ($1, $2, $3)",
        )
        .bind(tenant_id)
        .bind(meeting_id)
        .bind(r)
        .execute(&mut *conn)
        .await?;
        // Multi-row inserts: a long series is a few statements.
        for chunk in slots.chunks(200) {
            let mut sql = String::from(
                "insert into meeting_slots (tenant_id, resource_id, meeting_id, start_at, end_at)
                 values ",
            );
            for (i, _) in chunk.iter().enumerate() {
                let b = 4 + i * 2;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("($1, $2, $3, ${b}, ${})", b + 1));
            }
            let mut q = sqlx::query(&sql).bind(tenant_id).bind(r).bind(meeting_id);
            for (s, e) in chunk {
                q = q.bind(*s).bind(*e);
            }
            q.execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Slots of the resource that overlap `[from, to)`, other meetings' only.
pub async fn overlapping(
    conn: &mut AnyConnection,
    tenant_id: &str,
    resource_id: &str,
    except_meeting: &str,
    from: i64,
    to: i64,
) -> Result<Vec<SlotRow>, sqlx::Error> {
    sqlx::query_as(
        "select resource_id, meeting_id, start_at, end_at from meeting_slots
         where tenant_id = $1 and resource_id = $2 and meeting_id <> $3
           and start_at < $4 and end_at > $5
         order by start_at",
    )
    .bind(tenant_id)
    .bind(resource_id)
    .bind(except_meeting)
    .bind(to)
    .bind(from)
    .fetch_all(conn)
    .await
}
