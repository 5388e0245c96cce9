//! SQL for folders.

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FolderRow {
    pub id: String,
    pub space_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const FOLDER: &str = "id, space_id, parent_id, name, created_by, created_at, updated_at";

/// A live (not trashed) folder.
pub async fn get_live(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<FolderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {FOLDER} from folders where tenant_id = $1 and id = $2 and trashed_at is null"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A folder's parent (trashed or not): `None` when there is no such folder, `Some(None)` at
/// the top of its space.
pub async fn parent_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Option<String>>, sqlx::Error> {
    sqlx::query_scalar::<_, Option<String>>(
        "select parent_id from folders where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    f: &FolderRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "insert into folders (tenant_id, {FOLDER}) values ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(tenant_id)
    .bind(&f.id)
    .bind(&f.space_id)
    .bind(&f.parent_id)
    .bind(&f.name)
    .bind(&f.created_by)
    .bind(f.created_at)
    .bind(f.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Live child folders of `parent_id` (the top when `None`), by name, after `(after_name,
/// after_id)` (`""` for the first page).
pub async fn children(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
    parent_id: Option<String>,
    after: (String, String),
    limit: i64,
) -> Result<Vec<FolderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {FOLDER} from folders where tenant_id = $1 and space_id = $2 and trashed_at is null
         and (($3 is null and parent_id is null) or parent_id = $3)
         and ($4 = '' or name > $4 or (name = $4 and id > $5))
         order by name, id limit $6"
    ))
    .bind(tenant_id)
    .bind(space_id)
    .bind(parent_id)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Save a folder's name, parent and update time.
pub async fn update(
    conn: &mut AnyConnection,
    tenant_id: &str,
    f: &FolderRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update folders set name = $1, parent_id = $2, updated_at = $3 where tenant_id = $4 and id = $5",
    )
    .bind(&f.name)
    .bind(&f.parent_id)
    .bind(f.updated_at)
    .bind(tenant_id)
    .bind(&f.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ids of the folders directly under `parent_id` (trashed or not).
pub async fn child_ids(
    conn: &mut AnyConnection,
    tenant_id: &str,
    parent_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select id from folders where tenant_id = $1 and parent_id = $2")
        .bind(tenant_id)
        .bind(parent_id)
        .fetch_all(conn)
        .await
}

/// Mark a live folder trashed, as part of the trash root `via`.
pub async fn mark_trashed(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    at: i64,
    via: &str,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update folders set trashed_at = $1, trashed_via = $2, trashed_by = $3
         where tenant_id = $4 and id = $5 and trashed_at is null",
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

pub async fn set_parent(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    parent_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update folders set parent_id = $1 where tenant_id = $2 and id = $3")
        .bind(parent_id)
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Move every folder under `parent_id` to the top of its space.
pub async fn detach_children(
    conn: &mut AnyConnection,
    tenant_id: &str,
    parent_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update folders set parent_id = null where tenant_id = $1 and parent_id = $2")
        .bind(tenant_id)
        .bind(parent_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from folders where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
