//! SQL for erasing one person from documents (account deletion): moving a personal space's
//! content to a successor, and what is left to remove.

use sqlx::AnyConnection;

/// A document of a space: id, owner, when made, whether trashed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SpaceDoc {
    pub id: String,
    pub owner_id: String,
    pub created_at: i64,
    /// 1 when it is in the trash.
    pub trashed: i64,
}

/// Move the live folders and documents of space `from` into space `to`: top-level folders and
/// documents go under `folder`, documents get `owner` when given; shares on them follow.
/// Returns the ids of the documents moved and the number of folders moved.
pub async fn move_live(
    conn: &mut AnyConnection,
    tenant_id: &str,
    from: &str,
    to: &str,
    folder: &str,
    owner: Option<&str>,
) -> Result<(Vec<String>, u64), sqlx::Error> {
    let docs: Vec<String> = sqlx::query_scalar(
        "select id from documents where tenant_id = $1 and space_id = $2 and trashed_at is null
         order by id",
    )
    .bind(tenant_id)
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    let folders = sqlx::query(
        "update folders set space_id = $3, parent_id = coalesce(parent_id, $4)
         where tenant_id = $1 and space_id = $2 and trashed_at is null",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(to)
    .bind(folder)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query(
        "update documents set space_id = $3, folder_id = coalesce(folder_id, $4),
                owner_id = coalesce($5, owner_id)
         where tenant_id = $1 and space_id = $2 and trashed_at is null",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(to)
    .bind(folder)
    .bind(owner)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "update shares set space_id = $3
         where tenant_id = $1 and space_id = $2 and (
           (target_kind = 'document' and exists (select 1 from documents d
              where d.tenant_id = shares.tenant_id and d.id = shares.target_id and d.space_id = $3))
           or (target_kind = 'folder' and exists (select 1 from folders f
              where f.tenant_id = shares.tenant_id and f.id = shares.target_id and f.space_id = $3)))",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    Ok((docs, folders))
}

/// Every document of a space, trashed or not.
pub async fn docs_in(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
) -> Result<Vec<SpaceDoc>, sqlx::Error> {
    sqlx::query_as(
        "select id, owner_id, created_at,
                case when trashed_at is null then 0 else 1 end as trashed
         from documents where tenant_id = $1 and space_id = $2 order by id",
    )
    .bind(tenant_id)
    .bind(space_id)
    .fetch_all(conn)
    .await
}

/// Every folder of a space, trashed or not.
pub async fn folders_in(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select id from folders where tenant_id = $1 and space_id = $2 order by id")
        .bind(tenant_id)
        .bind(space_id)
        .fetch_all(conn)
        .await
}

/// Documents the person owns outside their personal space (kept: they belong to the space).
pub async fn owned_elsewhere(
    conn: &mut AnyConnection,
    tenant_id: &str,
    person: &str,
    personal: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from documents where tenant_id = $1 and owner_id = $2 and space_id <> $3",
    )
    .bind(tenant_id)
    .bind(person)
    .bind(personal)
    .fetch_one(conn)
    .await
}

/// The person's memberships of team spaces and the shares made to them; rows deleted.
pub async fn delete_access(
    conn: &mut AnyConnection,
    tenant_id: &str,
    person: &str,
) -> Result<(u64, u64), sqlx::Error> {
    let members = sqlx::query("delete from space_members where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(person)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let shares = sqlx::query(
        "delete from shares where tenant_id = $1 and grantee_kind = 'user' and grantee_id = $2",
    )
    .bind(tenant_id)
    .bind(person)
    .execute(conn)
    .await?
    .rows_affected();
    Ok((members, shares))
}

/// Remove a space that holds nothing any more; rows deleted.
pub async fn delete_empty_space(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "delete from spaces where tenant_id = $1 and id = $2
           and not exists (select 1 from documents d where d.tenant_id = $1 and d.space_id = $2)
           and not exists (select 1 from folders f where f.tenant_id = $1 and f.space_id = $2)",
    )
    .bind(tenant_id)
    .bind(space_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Live documents and folders of a space.
pub async fn live_count(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select (select count(*) from documents where tenant_id = $1 and space_id = $2 and trashed_at is null)
              + (select count(*) from folders where tenant_id = $1 and space_id = $2 and trashed_at is null)",
    )
    .bind(tenant_id)
    .bind(space_id)
    .fetch_one(conn)
    .await
}
