//! The notices' SQL.

use sqlx::AnyConnection;

/// Rows per insert statement: 10 parameters a row keeps a statement far below SQLite's 32,766
/// and PostgreSQL's 65,535 parameters, and 10,000 recipients take ten statements.
const ROWS_PER_INSERT: usize = 1000;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoticeRow {
    pub id: String,
    pub user_id: String,
    pub source: String,
    pub kind: String,
    pub subject_id: String,
    pub actor_id: String,
    pub title: String,
    pub batch_id: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// What every row of a batch shares.
pub struct BatchRow<'a> {
    pub tenant_id: &'a str,
    pub batch_id: &'a str,
    pub source: &'a str,
    pub kind: &'a str,
    pub subject_id: &'a str,
    pub actor_id: &'a str,
    pub title: &'a str,
    pub created_at: i64,
}

/// One notice per `(id, user)`, in multi-row inserts.
pub async fn insert_batch(
    conn: &mut AnyConnection,
    b: &BatchRow<'_>,
    rows: &[(String, String)],
) -> Result<u64, sqlx::Error> {
    let mut n = 0;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "insert into notices (tenant_id, id, user_id, source, kind, subject_id, actor_id, \
             title, batch_id, created_at) values ",
        );
        for i in 0..chunk.len() {
            let k = i * 10;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                k + 1,
                k + 2,
                k + 3,
                k + 4,
                k + 5,
                k + 6,
                k + 7,
                k + 8,
                k + 9,
                k + 10
            ));
        }
        let mut q = sqlx::query(&sql);
        for (id, user) in chunk {
            q = q
                .bind(b.tenant_id)
                .bind(id.as_str())
                .bind(user.as_str())
                .bind(b.source)
                .bind(b.kind)
                .bind(b.subject_id)
                .bind(b.actor_id)
                .bind(b.title)
                .bind(b.batch_id)
                .bind(b.created_at);
        }
        n += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(n)
}

const COLUMNS: &str =
    "id, user_id, source, kind, subject_id, actor_id, title, batch_id, created_at, read_at";

/// A person's notices, newest first, before the id `before`.
pub async fn list(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    unread_only: bool,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<NoticeRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from notices
         where tenant_id = $1 and user_id = $2 and ($3 = 0 or read_at is null)
           and ($4 is null or id < $4)
         order by id desc limit $5"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .bind(i64::from(unread_only))
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn unread(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from notices where tenant_id = $1 and user_id = $2 and read_at is null",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_one(conn)
    .await
}

/// Mark every unread notice of a person read; how many were.
pub async fn mark_all_read(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    at: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update notices set read_at = $1
         where tenant_id = $2 and user_id = $3 and read_at is null",
    )
    .bind(at)
    .bind(tenant_id)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Mark one of a person's notices read (another person's id changes nothing).
pub async fn mark_read(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    id: &str,
    at: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update notices set read_at = $1
         where tenant_id = $2 and user_id = $3 and id = $4 and read_at is null",
    )
    .bind(at)
    .bind(tenant_id)
    .bind(user_id)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Mark a person's notices about one subject read.
pub async fn mark_subject_read(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    source: &str,
    subject_id: &str,
    at: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update notices set read_at = $1
         where tenant_id = $2 and user_id = $3 and source = $4 and subject_id = $5
           and read_at is null",
    )
    .bind(at)
    .bind(tenant_id)
    .bind(user_id)
    .bind(source)
    .bind(subject_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Remove every notice about a subject (it was deleted).
pub async fn delete_subject(
    conn: &mut AnyConnection,
    tenant_id: &str,
    source: &str,
    subject_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from notices where tenant_id = $1 and source = $2 and subject_id = $3")
            .bind(tenant_id)
            .bind(source)
            .bind(subject_id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// The people of a batch and one of its rows (what they share), for another node's delivery.
pub async fn batch(
    conn: &mut AnyConnection,
    tenant_id: &str,
    batch_id: &str,
) -> Result<(Vec<String>, Option<NoticeRow>), sqlx::Error> {
    let users =
        sqlx::query_scalar("select user_id from notices where tenant_id = $1 and batch_id = $2")
            .bind(tenant_id)
            .bind(batch_id)
            .fetch_all(&mut *conn)
            .await?;
    let row = sqlx::query_as(&format!(
        "select {COLUMNS} from notices where tenant_id = $1 and batch_id = $2 limit 1"
    ))
    .bind(tenant_id)
    .bind(batch_id)
    .fetch_optional(conn)
    .await?;
    Ok((users, row))
}

/// Every notice of a person (erasure).
pub async fn delete_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from notices where tenant_id = $1 and user_id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// One notice (retention).
pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from notices where tenant_id = $1 and id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// The `notices` data class: every notice, by age, belonging to its person.
pub static NOTICES: crate::lifecycle::Source = crate::lifecycle::Source {
    from: "notices n",
    tenant: "n.tenant_id",
    id: "n.id",
    time: "n.created_at",
    container: None,
    people: &["n.user_id"],
    bytes: "length(n.title)",
    only: "",
    pinned: None,
};
