//! Changed and cancelled occurrences of a series (RECURRENCE-ID).

use super::{placeholders, ExceptionRow};
use sqlx::AnyConnection;

pub async fn exceptions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<ExceptionRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select meeting_id, original_start, cancelled, start_at, end_at, title, location,
             description, updated_at
         from meeting_exceptions where tenant_id = $1 and meeting_id in ({})
         order by meeting_id, original_start",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query_as(&sql).bind(tenant_id);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(conn).await
}

pub async fn upsert_exception(
    conn: &mut AnyConnection,
    tenant_id: &str,
    x: &ExceptionRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into meeting_exceptions (tenant_id, meeting_id, original_start, cancelled,
             start_at, end_at, title, location, description, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (tenant_id, meeting_id, original_start) do update
         set cancelled = excluded.cancelled, start_at = excluded.start_at,
             end_at = excluded.end_at, title = excluded.title, location = excluded.location,
             description = excluded.description, updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(&x.meeting_id)
    .bind(x.original_start)
    .bind(x.cancelled)
    .bind(x.start_at)
    .bind(x.end_at)
    .bind(&x.title)
    .bind(&x.location)
    .bind(&x.description)
    .bind(x.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Drop exceptions from `from` on (a series cut short keeps those before).
pub async fn delete_exceptions_from(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
    from: i64,
) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "delete from meeting_exceptions
         where tenant_id = $1 and meeting_id = $2 and original_start >= $3",
    )
    .bind(tenant_id)
    .bind(meeting_id)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}
