//! The notes' SQL, over their own tables only (`notes`, `note_tags`, `note_attachments`).
//! Every function takes the tenant id.

use crate::db::Backend;
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoteRow {
    pub id: String,
    pub owner_id: String,
    pub title: String,
    pub body: String,
    pub pinned: i64,
    pub latitude_e7: Option<i64>,
    pub longitude_e7: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "n.id, n.owner_id, n.title, n.body, n.pinned, n.latitude_e7, \
    n.longitude_e7, n.created_at, n.updated_at";

pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    n: &NoteRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into notes (tenant_id, id, owner_id, title, body, pinned, latitude_e7,
             longitude_e7, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant_id)
    .bind(&n.id)
    .bind(&n.owner_id)
    .bind(&n.title)
    .bind(&n.body)
    .bind(n.pinned)
    .bind(n.latitude_e7)
    .bind(n.longitude_e7)
    .bind(n.created_at)
    .bind(n.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(
    conn: &mut AnyConnection,
    tenant_id: &str,
    n: &NoteRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update notes set title = $1, body = $2, pinned = $3, latitude_e7 = $4,
             longitude_e7 = $5, updated_at = $6
         where tenant_id = $7 and id = $8",
    )
    .bind(&n.title)
    .bind(&n.body)
    .bind(n.pinned)
    .bind(n.latitude_e7)
    .bind(n.longitude_e7)
    .bind(n.updated_at)
    .bind(tenant_id)
    .bind(&n.id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<NoteRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from notes n where n.tenant_id = $1 and n.id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn get_for_update(
    conn: &mut AnyConnection,
    backend: Backend,
    tenant_id: &str,
    id: &str,
) -> Result<Option<NoteRow>, sqlx::Error> {
    let lock = if backend == Backend::Postgres {
        " for update"
    } else {
        ""
    };
    sqlx::query_as(&format!(
        "select {COLUMNS} from notes n where n.tenant_id = $1 and n.id = $2{lock}"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Remove a note with its tags and attachment links; rows removed.
pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    let mut n = 0;
    for table in ["note_tags", "note_attachments"] {
        n += sqlx::query(&format!(
            "delete from {table} where tenant_id = $1 and note_id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    n += sqlx::query("delete from notes where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n)
}

pub async fn set_tags(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    tags: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from note_tags where tenant_id = $1 and note_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for t in tags {
        sqlx::query("insert into note_tags (tenant_id, note_id, tag) values ($1, $2, $3)")
            .bind(tenant_id)
            .bind(id)
            .bind(t)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn tags(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select tag from note_tags where tenant_id = $1 and note_id = $2 order by tag",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(conn)
    .await
}

pub async fn set_attachments(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    files: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from note_attachments where tenant_id = $1 and note_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (i, f) in files.iter().enumerate() {
        sqlx::query(
            "insert into note_attachments (tenant_id, note_id, file_id, position)
             values ($1, $2, $3, $4)",
        )
        .bind(tenant_id)
        .bind(id)
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
    id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select file_id from note_attachments where tenant_id = $1 and note_id = $2
         order by position",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(conn)
    .await
}

/// The files condition of the `FileConsumer` (`f` is the `files` row).
pub const FILE_IN_USE: &str = "exists (select 1 from note_attachments na \
    where na.tenant_id = f.tenant_id and na.file_id = f.id)";

/// Whether the file is attached to a note of this person.
pub async fn file_readable_by(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let n: Option<String> = sqlx::query_scalar(
        "select n.id from note_attachments na
         join notes n on n.tenant_id = na.tenant_id and n.id = na.note_id
         where na.tenant_id = $1 and na.file_id = $2 and n.owner_id = $3 limit 1",
    )
    .bind(tenant_id)
    .bind(file_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(n.is_some())
}

#[derive(Debug, Clone)]
pub struct PageQuery<'a> {
    pub owner_id: &'a str,
    pub tag: Option<&'a str>,
    pub pinned: Option<bool>,
    /// A `like` pattern over the lower-cased title and text, escaped.
    pub text: Option<String>,
    /// (pinned, updated_at, id) of the last row of the previous page.
    pub after: Option<(i64, i64, String)>,
    pub limit: i64,
}

enum Arg {
    I(i64),
    S(String),
}

/// A page of a person's notes: pinned first, then most recently changed.
pub async fn page(
    conn: &mut AnyConnection,
    tenant_id: &str,
    q: &PageQuery<'_>,
) -> Result<Vec<NoteRow>, sqlx::Error> {
    let mut args = vec![Arg::S(tenant_id.into()), Arg::S(q.owner_id.into())];
    let mut sql =
        format!("select {COLUMNS} from notes n where n.tenant_id = $1 and n.owner_id = $2");
    if let Some(t) = q.tag {
        args.push(Arg::S(t.into()));
        sql.push_str(&format!(
            " and exists (select 1 from note_tags g where g.tenant_id = n.tenant_id
                 and g.note_id = n.id and g.tag = ${})",
            args.len()
        ));
    }
    if let Some(p) = q.pinned {
        args.push(Arg::I(i64::from(p)));
        sql.push_str(&format!(" and n.pinned = ${}", args.len()));
    }
    if let Some(x) = &q.text {
        args.push(Arg::S(x.clone()));
        let k = args.len();
        sql.push_str(&format!(
            " and (lower(n.title) like ${k} escape '\\' or lower(n.body) like ${k} escape '\\')"
        ));
    }
    if let Some((p, u, id)) = &q.after {
        args.push(Arg::I(*p));
        let a = args.len();
        args.push(Arg::I(*u));
        let b = args.len();
        args.push(Arg::S(id.clone()));
        let c = args.len();
        sql.push_str(&format!(
            " and (n.pinned < ${a} or (n.pinned = ${a} and (n.updated_at < ${b}
                 or (n.updated_at = ${b} and n.id < ${c}))))"
        ));
    }
    args.push(Arg::I(q.limit));
    sql.push_str(&format!(
        " order by n.pinned desc, n.updated_at desc, n.id desc limit ${}",
        args.len()
    ));
    let mut query = sqlx::query_as::<_, NoteRow>(&sql);
    for a in args {
        query = match a {
            Arg::I(i) => query.bind(i),
            Arg::S(s) => query.bind(s),
        };
    }
    query.fetch_all(conn).await
}

pub async fn ids_after(
    conn: &mut AnyConnection,
    tenant_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select id from notes where tenant_id = $1 and id > $2 order by id limit $3")
        .bind(tenant_id)
        .bind(after)
        .bind(limit)
        .fetch_all(conn)
        .await
}

/// A person's notes (erasure, export).
pub async fn of_owner(
    conn: &mut AnyConnection,
    tenant_id: &str,
    owner_id: &str,
) -> Result<Vec<NoteRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from notes n where n.tenant_id = $1 and n.owner_id = $2 order by n.id"
    ))
    .bind(tenant_id)
    .bind(owner_id)
    .fetch_all(conn)
    .await
}

/// Notes by when they were last changed: the `notes` data class.
pub static NOTES: crate::lifecycle::Source = crate::lifecycle::Source {
    from: "notes n",
    tenant: "n.tenant_id",
    id: "n.id",
    time: "n.updated_at",
    container: None,
    people: &["n.owner_id"],
    bytes: "length(n.title) + length(n.body)",
    only: "",
    pinned: Some("n.pinned = 1"),
};
