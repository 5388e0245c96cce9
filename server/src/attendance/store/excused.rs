//! Excused days (leave, trips), set by hand or by another feature.

use super::*;
use sqlx::AnyConnection;

const EXCUSED: &str = "select id, user_id, first_date, last_date, kind, source, source_id, note,
    created_at from attendance_excused";

/// A person's excused spans that touch `first..=last`.
pub async fn excused(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    first: &str,
    last: &str,
) -> Result<Vec<ExcusedRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{EXCUSED} where tenant_id = $1 and user_id = $2 and first_date <= $4
           and last_date >= $3 order by first_date, id"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .bind(first)
    .bind(last)
    .fetch_all(conn)
    .await
}

/// A page of the tenant's excused spans, latest first day first (then id, descending),
/// optionally of one person and touching `from..=to`, after the cursor `(first_date, id)`.
#[allow(clippy::too_many_arguments)]
pub async fn list_excused(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<ExcusedRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{EXCUSED} where tenant_id = $1 and ($2 is null or user_id = $2)
           and ($3 is null or last_date >= $3) and ($4 is null or first_date <= $4)
           and ($5 is null or first_date < $5 or (first_date = $5 and id < $6))
         order by first_date desc, id desc limit $7"
    ))
    .bind(tenant_id)
    .bind(user_id.map(str::to_string))
    .bind(from.map(str::to_string))
    .bind(to.map(str::to_string))
    .bind(after.map(|a| a.0.to_string()))
    .bind(after.map(|a| a.1.to_string()).unwrap_or_default())
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn excused_by_id(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ExcusedRow>, sqlx::Error> {
    sqlx::query_as(&format!("{EXCUSED} where tenant_id = $1 and id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Insert, or replace the span a source already wrote under this id for this person.
pub async fn put_excused(
    conn: &mut AnyConnection,
    tenant_id: &str,
    e: &ExcusedRow,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into attendance_excused (tenant_id, id, user_id, first_date, last_date, kind,
           source, source_id, note, created_by, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (tenant_id, source, source_id, user_id) do update set
           first_date = excluded.first_date, last_date = excluded.last_date,
           kind = excluded.kind, note = excluded.note",
    )
    .bind(tenant_id)
    .bind(&e.id)
    .bind(&e.user_id)
    .bind(&e.first_date)
    .bind(&e.last_date)
    .bind(&e.kind)
    .bind(&e.source)
    .bind(&e.source_id)
    .bind(&e.note)
    .bind(by)
    .bind(e.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_excused(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from attendance_excused where tenant_id = $1 and id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Remove what a source wrote under its id (every person); rows removed.
pub async fn withdraw_excused(
    conn: &mut AnyConnection,
    tenant_id: &str,
    source: &str,
    source_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "delete from attendance_excused where tenant_id = $1 and source = $2 and source_id = $3",
    )
    .bind(tenant_id)
    .bind(source)
    .bind(source_id)
    .execute(conn)
    .await?
    .rows_affected())
}
