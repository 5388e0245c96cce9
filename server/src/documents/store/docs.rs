//! SQL for documents (the entity: place, name, metadata, current version, trash marks).

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocRow {
    pub id: String,
    pub space_id: String,
    pub folder_id: Option<String>,
    pub name: String,
    pub title: String,
    pub description: String,
    /// JSON array of strings.
    pub keywords: String,
    /// Degrees × 10⁷.
    pub latitude_e7: Option<i64>,
    pub longitude_e7: Option<i64>,
    pub file_id: String,
    pub version: i64,
    pub owner_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub updated_by: String,
    pub trashed_at: Option<i64>,
    pub trashed_via: Option<String>,
    pub trashed_by: Option<String>,
}

/// Degrees are stored as integers of 10⁻⁷ degree.
pub const E7: f64 = 10_000_000.0;

impl DocRow {
    pub fn keyword_list(&self) -> Vec<String> {
        serde_json::from_str(&self.keywords).unwrap_or_default()
    }

    /// (latitude, longitude) in degrees.
    pub fn location(&self) -> Option<(f64, f64)> {
        Some((
            self.latitude_e7? as f64 / E7,
            self.longitude_e7? as f64 / E7,
        ))
    }
}

const DOC: &str =
    "id, space_id, folder_id, name, title, description, keywords, latitude_e7, longitude_e7, \
                   file_id, version, owner_id, created_at, updated_at, updated_by, trashed_at, \
                   trashed_via, trashed_by";

/// The documents a person owns, live or in the trash, oldest first (for their data export).
pub async fn owned_by(
    conn: &mut AnyConnection,
    tenant_id: &str,
    owner_id: &str,
) -> Result<Vec<DocRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DOC} from documents where tenant_id = $1 and owner_id = $2
         order by created_at, id"
    ))
    .bind(tenant_id)
    .bind(owner_id)
    .fetch_all(conn)
    .await
}

/// A document, live or in the trash.
pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<DocRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DOC} from documents where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Insert a document's row (its place, name and owner); the caller then adds its first version
/// and [`save`]s the rest in the same transaction.
pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    d: &DocRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into documents (tenant_id, id, space_id, folder_id, name, file_id, version, owner_id,
            created_at, updated_at, updated_by) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $8)",
    )
    .bind(tenant_id)
    .bind(&d.id)
    .bind(&d.space_id)
    .bind(&d.folder_id)
    .bind(&d.name)
    .bind(&d.file_id)
    .bind(d.version)
    .bind(&d.owner_id)
    .bind(d.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Save every field of a document.
pub async fn save(
    conn: &mut AnyConnection,
    tenant_id: &str,
    d: &DocRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update documents set space_id = $1, folder_id = $2, name = $3, title = $4, description = $5,
            keywords = $6, latitude_e7 = $7, longitude_e7 = $8, file_id = $9, version = $10,
            updated_at = $11, updated_by = $12, trashed_at = $13, trashed_via = $14, trashed_by = $15
         where tenant_id = $16 and id = $17",
    )
    .bind(&d.space_id)
    .bind(&d.folder_id)
    .bind(&d.name)
    .bind(&d.title)
    .bind(&d.description)
    .bind(&d.keywords)
    .bind(d.latitude_e7)
    .bind(d.longitude_e7)
    .bind(&d.file_id)
    .bind(d.version)
    .bind(d.updated_at)
    .bind(&d.updated_by)
    .bind(d.trashed_at)
    .bind(&d.trashed_via)
    .bind(&d.trashed_by)
    .bind(tenant_id)
    .bind(&d.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The live document named `name` in a folder (`None`: the top of the space).
pub async fn by_name(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
    folder_id: Option<&str>,
    name: &str,
) -> Result<Option<DocRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DOC} from documents where tenant_id = $1 and space_id = $2
            and coalesce(folder_id, '') = $3 and name = $4 and trashed_at is null"
    ))
    .bind(tenant_id)
    .bind(space_id)
    .bind(folder_id.unwrap_or(""))
    .bind(name)
    .fetch_optional(conn)
    .await
}

/// Live documents directly in a folder (`None`: the top), by name, after `(after_name,
/// after_id)` (`""` for the first page).
pub async fn list(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
    folder_id: Option<String>,
    after: (String, String),
    limit: i64,
) -> Result<Vec<DocRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DOC} from documents where tenant_id = $1 and space_id = $2 and trashed_at is null
         and coalesce(folder_id, '') = $3
         and ($4 = '' or name > $4 or (name = $4 and id > $5))
         order by name, id limit $6"
    ))
    .bind(tenant_id)
    .bind(space_id)
    .bind(folder_id.unwrap_or_default())
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Live documents with a version on `file_id` (at most 100).
pub async fn live_with_version_on(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select distinct d.id from document_versions v join documents d
            on d.tenant_id = v.tenant_id and d.id = v.document_id
         where v.tenant_id = $1 and v.file_id = $2 and d.trashed_at is null limit 100",
    )
    .bind(tenant_id)
    .bind(file_id)
    .fetch_all(conn)
    .await
}

/// Ids of the documents in a folder (live or trashed).
pub async fn ids_in_folder(
    conn: &mut AnyConnection,
    tenant_id: &str,
    folder_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select id from documents where tenant_id = $1 and folder_id = $2")
        .bind(tenant_id)
        .bind(folder_id)
        .fetch_all(conn)
        .await
}

/// Ids of the live documents in a folder.
pub async fn live_ids_in_folder(
    conn: &mut AnyConnection,
    tenant_id: &str,
    folder_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from documents where tenant_id = $1 and folder_id = $2 and trashed_at is null",
    )
    .bind(tenant_id)
    .bind(folder_id)
    .fetch_all(conn)
    .await
}

/// Mark a document trashed, as part of the trash root `via`.
pub async fn mark_trashed(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    at: i64,
    via: &str,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update documents set trashed_at = $1, trashed_via = $2, trashed_by = $3
         where tenant_id = $4 and id = $5",
    )
    .bind(at)
    .bind(via)
    .bind(by)
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Take a document out of the trash into `folder_id` (`None`: the top of its space).
pub async fn untrash(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    folder_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update documents set trashed_at = null, trashed_via = null, trashed_by = null, folder_id = $1
         where tenant_id = $2 and id = $3",
    )
    .bind(folder_id)
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Move every document of a folder to the top of its space.
pub async fn detach_from_folder(
    conn: &mut AnyConnection,
    tenant_id: &str,
    folder_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update documents set folder_id = null where tenant_id = $1 and folder_id = $2")
        .bind(tenant_id)
        .bind(folder_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from documents where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ids of a tenant's live documents after `after`, in id order.
pub async fn ids_after(
    conn: &mut AnyConnection,
    tenant_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from documents where tenant_id = $1 and id > $2 and trashed_at is null order by id limit $3",
    )
    .bind(tenant_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Live documents whose current content is `file_id`.
pub async fn using_file(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from documents where tenant_id = $1 and file_id = $2 and trashed_at is null limit 10000",
    )
    .bind(tenant_id)
    .bind(file_id)
    .fetch_all(conn)
    .await
}
