//! SQL for the data lifecycle: where documents' data classes are (the sources the lifecycle
//! registry counts and lists from).

use crate::lifecycle::Source;
use sqlx::AnyConnection;

/// Versions other than a document's current one, by when they were made. The item id is
/// `<document id>:<version number>`.
pub static OLD_VERSIONS: Source = Source {
    from: "document_versions v join documents d on d.tenant_id = v.tenant_id \
           and d.id = v.document_id",
    tenant: "v.tenant_id",
    id: "v.document_id || ':' || cast(v.number as text)",
    time: "v.created_at",
    container: Some("d.space_id"),
    people: &["v.author_id", "d.owner_id"],
    // File sizes are files' data: a run reports the bytes it released.
    bytes: "0",
    only: "v.number < d.version",
    pinned: None,
};

/// Trashed documents and folders, by when they were trashed. The item id is
/// `document:<id>` or `folder:<id>` (documents sort first, so a folder goes after what it
/// held).
pub static TRASH: Source = Source {
    from: "(select tenant_id, 'document:' || id as id, trashed_at, space_id, owner_id as person
              from documents where trashed_at is not null
            union all
            select tenant_id, 'folder:' || id as id, trashed_at, space_id, created_by as person
              from folders where trashed_at is not null) t",
    tenant: "t.tenant_id",
    id: "t.id",
    time: "t.trashed_at",
    container: Some("t.space_id"),
    people: &["t.person"],
    bytes: "0",
    only: "",
    pinned: None,
};

/// A folder in the trash: whether it is there.
pub async fn folder_trashed(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from folders where tenant_id = $1 and id = $2 and trashed_at is not null",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}
