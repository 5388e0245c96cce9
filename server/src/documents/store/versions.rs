//! SQL for document versions.

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub number: i64,
    pub file_id: String,
    pub author_id: String,
    pub created_at: i64,
    pub restored_from: Option<i64>,
}

pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    document_id: &str,
    v: &VersionRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into document_versions (tenant_id, document_id, number, file_id, author_id, created_at, restored_from)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant_id)
    .bind(document_id)
    .bind(v.number)
    .bind(&v.file_id)
    .bind(&v.author_id)
    .bind(v.created_at)
    .bind(v.restored_from)
    .execute(conn)
    .await?;
    Ok(())
}

/// A document's versions beyond the newest `keep`.
pub async fn beyond(
    conn: &mut AnyConnection,
    tenant_id: &str,
    document_id: &str,
    keep: i64,
) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as(
        "select number, file_id, author_id, created_at, restored_from from document_versions
         where tenant_id = $1 and document_id = $2
         order by number desc limit 1000 offset $3",
    )
    .bind(tenant_id)
    .bind(document_id)
    .bind(keep)
    .fetch_all(conn)
    .await
}

/// (number, file id) of every version of a document.
pub async fn all(
    conn: &mut AnyConnection,
    tenant_id: &str,
    document_id: &str,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "select number, file_id from document_versions where tenant_id = $1 and document_id = $2",
    )
    .bind(tenant_id)
    .bind(document_id)
    .fetch_all(conn)
    .await
}

/// A document's versions, newest first.
pub async fn list(
    conn: &mut AnyConnection,
    tenant_id: &str,
    document_id: &str,
) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as(
        "select number, file_id, author_id, created_at, restored_from from document_versions
         where tenant_id = $1 and document_id = $2 order by number desc limit 1000",
    )
    .bind(tenant_id)
    .bind(document_id)
    .fetch_all(conn)
    .await
}

/// The file of version `number` of a document.
pub async fn file_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    document_id: &str,
    number: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select file_id from document_versions where tenant_id = $1 and document_id = $2 and number = $3",
    )
    .bind(tenant_id)
    .bind(document_id)
    .bind(number)
    .fetch_optional(conn)
    .await
}

pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    document_id: &str,
    number: i64,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "delete from document_versions where tenant_id = $1 and document_id = $2 and number = $3",
    )
    .bind(tenant_id)
    .bind(document_id)
    .bind(number)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

pub async fn delete_all(
    conn: &mut AnyConnection,
    tenant_id: &str,
    document_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from document_versions where tenant_id = $1 and document_id = $2")
        .bind(tenant_id)
        .bind(document_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many versions (of any document) use `file_id`.
pub async fn users_of_file(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from document_versions where tenant_id = $1 and file_id = $2",
    )
    .bind(tenant_id)
    .bind(file_id)
    .fetch_one(conn)
    .await
}

/// The document whose first version by `author_id` is `file_id` (an upload's idempotent retry).
pub async fn first_document_on(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
    author_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select document_id from document_versions where tenant_id = $1 and file_id = $2
            and author_id = $3 order by created_at limit 1",
    )
    .bind(tenant_id)
    .bind(file_id)
    .bind(author_id)
    .fetch_optional(conn)
    .await
}
