//! SQL for the trash: its roots (what a person trashed) across folders and documents.

use sqlx::AnyConnection;

/// Which table a trash root lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Documents,
    Folders,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Documents => "documents",
            Kind::Folders => "folders",
        }
    }

    fn parent_column(self) -> &'static str {
        match self {
            Kind::Documents => "folder_id",
            Kind::Folders => "parent_id",
        }
    }
}

/// The trash roots of a space of one kind, newest first: (id, name, trashed at, trashed by).
pub async fn roots_in_space(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
    kind: Kind,
) -> Result<Vec<(String, String, i64, String)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select id, name, trashed_at, coalesce(trashed_by, '') from {}
         where tenant_id = $1 and space_id = $2 and trashed_at is not null and trashed_via = id
         order by trashed_at desc limit 1000",
        kind.table()
    ))
    .bind(tenant_id)
    .bind(space_id)
    .fetch_all(conn)
    .await
}

/// A trash root: (space id, parent folder id, name).
pub async fn root(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: Kind,
    id: &str,
) -> Result<Option<(String, Option<String>, String)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select space_id, {}, name from {} where tenant_id = $1 and id = $2
         and trashed_at is not null and trashed_via = id",
        kind.parent_column(),
        kind.table()
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Ids of what was trashed with the root `via` (the root included), of one kind.
pub async fn ids_via(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: Kind,
    via: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select id from {} where tenant_id = $1 and trashed_via = $2",
        kind.table()
    ))
    .bind(tenant_id)
    .bind(via)
    .fetch_all(conn)
    .await
}

/// Take everything trashed with the root `via` out of the trash, of one kind.
pub async fn untrash_via(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: Kind,
    via: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "update {} set trashed_at = null, trashed_via = null, trashed_by = null
         where tenant_id = $1 and trashed_via = $2",
        kind.table()
    ))
    .bind(tenant_id)
    .bind(via)
    .execute(conn)
    .await?;
    Ok(())
}
