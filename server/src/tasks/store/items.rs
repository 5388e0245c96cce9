//! A task's checklist items and attachment links.

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub id: String,
    pub task_id: String,
    pub position: i64,
    pub text: String,
    pub done: i64,
    pub done_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

// ── checklist ──

pub async fn items(
    conn: &mut AnyConnection,
    tenant_id: &str,
    task_id: &str,
) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, task_id, position, text, done, done_at, created_at, updated_at
         from task_checklist where tenant_id = $1 and task_id = $2 order by position, id",
    )
    .bind(tenant_id)
    .bind(task_id)
    .fetch_all(conn)
    .await
}

pub async fn insert_item(
    conn: &mut AnyConnection,
    tenant_id: &str,
    i: &ItemRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into task_checklist (tenant_id, id, task_id, position, text, done, done_at,
             created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant_id)
    .bind(&i.id)
    .bind(&i.task_id)
    .bind(i.position)
    .bind(&i.text)
    .bind(i.done)
    .bind(i.done_at)
    .bind(i.created_at)
    .bind(i.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update_item(
    conn: &mut AnyConnection,
    tenant_id: &str,
    i: &ItemRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update task_checklist set position = $1, text = $2, done = $3, done_at = $4,
             updated_at = $5
         where tenant_id = $6 and task_id = $7 and id = $8",
    )
    .bind(i.position)
    .bind(&i.text)
    .bind(i.done)
    .bind(i.done_at)
    .bind(i.updated_at)
    .bind(tenant_id)
    .bind(&i.task_id)
    .bind(&i.id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_item(
    conn: &mut AnyConnection,
    tenant_id: &str,
    task_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from task_checklist where tenant_id = $1 and task_id = $2 and id = $3")
            .bind(tenant_id)
            .bind(task_id)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

// ── attachments ──

pub async fn set_attachments(
    conn: &mut AnyConnection,
    tenant_id: &str,
    task_id: &str,
    files: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from task_attachments where tenant_id = $1 and task_id = $2")
        .bind(tenant_id)
        .bind(task_id)
        .execute(&mut *conn)
        .await?;
    for (i, f) in files.iter().enumerate() {
        sqlx::query(
            "insert into task_attachments (tenant_id, task_id, file_id, position)
             values ($1, $2, $3, $4)",
        )
        .bind(tenant_id)
        .bind(task_id)
        .bind(f)
        .bind(i as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn attachments(
    conn: &mut AnyConnection,
    tenant_id: &str,
    task_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select file_id from task_attachments where tenant_id = $1 and task_id = $2
         order by position",
    )
    .bind(tenant_id)
    .bind(task_id)
    .fetch_all(conn)
    .await
}

/// The files condition of the `FileConsumer` (`f` is the `files` row).
pub const FILE_IN_USE: &str = "exists (select 1 from task_attachments ta \
    where ta.tenant_id = f.tenant_id and ta.file_id = f.id)";

/// Whether the file is attached to a task this person owns or is assigned.
pub async fn file_readable_by(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let n: Option<String> = sqlx::query_scalar(
        "select t.id from task_attachments ta
         join tasks t on t.tenant_id = ta.tenant_id and t.id = ta.task_id
         where ta.tenant_id = $1 and ta.file_id = $2 and (t.owner_id = $3 or t.assignee_id = $3)
         limit 1",
    )
    .bind(tenant_id)
    .bind(file_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(n.is_some())
}
