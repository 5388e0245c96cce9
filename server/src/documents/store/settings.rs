//! SQL for a tenant's document settings (`document_settings`, owned by documents) and the
//! storage figures per space.

use sqlx::AnyConnection;

/// The tenant's own versions kept; `None` follows the install default.
pub async fn get(conn: &mut AnyConnection, tenant_id: &str) -> Result<Option<i64>, sqlx::Error> {
    Ok(
        sqlx::query_scalar("select doc_versions_kept from document_settings where tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(conn)
            .await?
            .flatten(),
    )
}

/// Set the tenant's values (creating its row on first use).
pub async fn set(
    conn: &mut AnyConnection,
    tenant_id: &str,
    versions_kept: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into document_settings (tenant_id, doc_versions_kept)
         values ($1, $2)
         on conflict (tenant_id) do update set doc_versions_kept = excluded.doc_versions_kept",
    )
    .bind(tenant_id)
    .bind(versions_kept)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every space of a tenant with its live document count: (id, name, kind, documents).
pub async fn space_counts(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<(String, String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select s.id, s.name, s.kind,
            (select count(*) from documents d where d.tenant_id = s.tenant_id and d.space_id = s.id
                and d.trashed_at is null) as documents
         from spaces s where s.tenant_id = $1 limit 100000",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}

/// The distinct (space id, file id) pairs of every version kept (trashed documents included).
pub async fn space_files(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select distinct d.space_id, v.file_id from documents d
            join document_versions v on v.tenant_id = d.tenant_id and v.document_id = d.id
         where d.tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await
}
