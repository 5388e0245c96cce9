//! SQL for legal holds (`legal_holds`, `legal_hold_scopes`).

use super::super::holds::Hold;
use sqlx::AnyConnection;

type HoldRow = (
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

const COLUMNS: &str = "id, name, reason, from_at, until_at, created_by, created_at, updated_at, \
                       released_at, released_by";

async fn with_scopes(
    conn: &mut AnyConnection,
    tenant_id: &str,
    rows: Vec<HoldRow>,
) -> Result<Vec<Hold>, sqlx::Error> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut h = Hold {
            id: r.0,
            name: r.1,
            reason: r.2,
            from_at: r.3,
            until_at: r.4,
            created_by: r.5,
            created_at: r.6,
            updated_at: r.7,
            released_at: r.8,
            released_by: r.9,
            ..Hold::default()
        };
        let scopes: Vec<(String, String)> = sqlx::query_as(
            "select kind, target_id from legal_hold_scopes where tenant_id = $1 and hold_id = $2
             order by kind, target_id",
        )
        .bind(tenant_id)
        .bind(&h.id)
        .fetch_all(&mut *conn)
        .await?;
        for (kind, target) in scopes {
            match kind.as_str() {
                "person" => h.people.push(target),
                "room" => h.rooms.push(target),
                _ => h.spaces.push(target),
            }
        }
        out.push(h);
    }
    Ok(out)
}

/// The tenant's active holds.
pub async fn active(conn: &mut AnyConnection, tenant_id: &str) -> Result<Vec<Hold>, sqlx::Error> {
    let rows: Vec<HoldRow> = sqlx::query_as(&format!(
        "select {COLUMNS} from legal_holds where tenant_id = $1 and released_at is null
         order by created_at, id"
    ))
    .bind(tenant_id)
    .fetch_all(&mut *conn)
    .await?;
    with_scopes(conn, tenant_id, rows).await
}

/// Every hold of the tenant, released ones too, newest first.
pub async fn all(conn: &mut AnyConnection, tenant_id: &str) -> Result<Vec<Hold>, sqlx::Error> {
    let rows: Vec<HoldRow> = sqlx::query_as(&format!(
        "select {COLUMNS} from legal_holds where tenant_id = $1 order by created_at desc, id"
    ))
    .bind(tenant_id)
    .fetch_all(&mut *conn)
    .await?;
    with_scopes(conn, tenant_id, rows).await
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Hold>, sqlx::Error> {
    let rows: Vec<HoldRow> = sqlx::query_as(&format!(
        "select {COLUMNS} from legal_holds where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(with_scopes(conn, tenant_id, rows).await?.into_iter().next())
}

async fn write_scopes(
    conn: &mut AnyConnection,
    tenant_id: &str,
    h: &Hold,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from legal_hold_scopes where tenant_id = $1 and hold_id = $2")
        .bind(tenant_id)
        .bind(&h.id)
        .execute(&mut *conn)
        .await?;
    for (kind, ids) in [
        ("person", &h.people),
        ("room", &h.rooms),
        ("space", &h.spaces),
    ] {
        for t in ids {
            sqlx::query(
                "insert into legal_hold_scopes (tenant_id, hold_id, kind, target_id)
                 values ($1, $2, $3, $4) on conflict do nothing",
            )
            .bind(tenant_id)
            .bind(&h.id)
            .bind(kind)
            .bind(t)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    h: &Hold,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into legal_holds (tenant_id, id, name, reason, from_at, until_at, created_by,
             created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant_id)
    .bind(&h.id)
    .bind(&h.name)
    .bind(&h.reason)
    .bind(h.from_at)
    .bind(h.until_at)
    .bind(&h.created_by)
    .bind(h.created_at)
    .bind(h.updated_at)
    .execute(&mut *conn)
    .await?;
    write_scopes(conn, tenant_id, h).await
}

/// Change an active hold's name, reason, range and scope.
pub async fn update(
    conn: &mut AnyConnection,
    tenant_id: &str,
    h: &Hold,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update legal_holds set name = $3, reason = $4, from_at = $5, until_at = $6,
             updated_at = $7
         where tenant_id = $1 and id = $2 and released_at is null",
    )
    .bind(tenant_id)
    .bind(&h.id)
    .bind(&h.name)
    .bind(&h.reason)
    .bind(h.from_at)
    .bind(h.until_at)
    .bind(h.updated_at)
    .execute(&mut *conn)
    .await?;
    write_scopes(conn, tenant_id, h).await
}

/// Release an active hold; false when it was not active.
pub async fn release(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    by: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "update legal_holds set released_at = $3, released_by = $4, updated_at = $3
         where tenant_id = $1 and id = $2 and released_at is null",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(at)
    .bind(by)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}
