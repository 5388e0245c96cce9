//! SQL for the bulletin board: posts and their photos (`bulletin_posts`, `bulletin_photos`).
//! Every function takes the tenant id, except the expiry pass's listing, which spans tenants.
//! Authors' names come from the users feature's [`ACTIVE_CARDS`] subquery, never its table.

use crate::{lifecycle::Source, users::service::ACTIVE_CARDS};
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostRow {
    pub tenant_id: String,
    pub id: String,
    pub author_id: String,
    pub kind: String,
    pub category: String,
    pub occurred_on: String,
    pub province: String,
    pub district: String,
    pub commune: String,
    pub place_detail: String,
    pub province_key: String,
    pub district_key: String,
    pub commune_key: String,
    pub title: String,
    pub description: String,
    pub contact_preference: String,
    pub contact_note: String,
    pub status: String,
    pub search_text: String,
    pub expires_at: i64,
    pub resolved_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "tenant_id, id, author_id, kind, category, occurred_on, province, district, \
                       commune, place_detail, province_key, district_key, commune_key, title, \
                       description, contact_preference, contact_note, status, search_text, \
                       expires_at, resolved_at, created_at, updated_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhotoRow {
    pub post_id: String,
    pub file_id: String,
    pub position: i64,
}

/// What the board lists: every condition optional (`None`: any).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub province_key: Option<String>,
    pub district_key: Option<String>,
    pub commune_key: Option<String>,
    /// A `like` pattern over the folded text, already escaped.
    pub pattern: Option<String>,
    pub author_id: Option<String>,
}

/// Posts as a data class: by when they expire (a period of 30 days purges posts 30 days after
/// they expired), belonging to their author.
pub static POSTS: Source = Source {
    from: "bulletin_posts p",
    tenant: "p.tenant_id",
    id: "p.id",
    time: "p.expires_at",
    container: None,
    people: &["p.author_id"],
    bytes: "0",
    only: "",
    pinned: None,
};

/// The condition "a bulletin post shows file `f`", for files' "uploads nothing uses".
pub const FILE_IN_USE: &str = "exists (select 1 from bulletin_photos x \
     where x.tenant_id = f.tenant_id and x.file_id = f.id)";

pub async fn insert(conn: &mut AnyConnection, p: &PostRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "insert into bulletin_posts ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
           $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
    ))
    .bind(&p.tenant_id)
    .bind(&p.id)
    .bind(&p.author_id)
    .bind(&p.kind)
    .bind(&p.category)
    .bind(&p.occurred_on)
    .bind(&p.province)
    .bind(&p.district)
    .bind(&p.commune)
    .bind(&p.place_detail)
    .bind(&p.province_key)
    .bind(&p.district_key)
    .bind(&p.commune_key)
    .bind(&p.title)
    .bind(&p.description)
    .bind(&p.contact_preference)
    .bind(&p.contact_note)
    .bind(&p.status)
    .bind(&p.search_text)
    .bind(p.expires_at)
    .bind(p.resolved_at)
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Write a post's editable fields and status back; a changed expiry is swept again.
pub async fn update(conn: &mut AnyConnection, p: &PostRow) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "update bulletin_posts set kind = $3, category = $4, occurred_on = $5, province = $6,
           district = $7, commune = $8, place_detail = $9, province_key = $10,
           district_key = $11, commune_key = $12, title = $13, description = $14,
           contact_preference = $15, contact_note = $16, status = $17, search_text = $18,
           expires_at = $19, resolved_at = $20, updated_at = $21, expiry_swept = 0
         where tenant_id = $1 and id = $2",
    )
    .bind(&p.tenant_id)
    .bind(&p.id)
    .bind(&p.kind)
    .bind(&p.category)
    .bind(&p.occurred_on)
    .bind(&p.province)
    .bind(&p.district)
    .bind(&p.commune)
    .bind(&p.place_detail)
    .bind(&p.province_key)
    .bind(&p.district_key)
    .bind(&p.commune_key)
    .bind(&p.title)
    .bind(&p.description)
    .bind(&p.contact_preference)
    .bind(&p.contact_note)
    .bind(&p.status)
    .bind(&p.search_text)
    .bind(p.expires_at)
    .bind(p.resolved_at)
    .bind(p.updated_at)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

/// A post, expired or not.
pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<PostRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from bulletin_posts where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A page of the board: posts not expired at `now` that match `f`, newest first (by id, which
/// is time-ordered), after the post `before` (exclusive).
pub async fn page(
    conn: &mut AnyConnection,
    tenant_id: &str,
    f: &Filter,
    now: i64,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<PostRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from bulletin_posts
         where tenant_id = $1 and expires_at > $2
           and ($3 is null or kind = $3)
           and ($4 is null or category = $4)
           and ($5 is null or status = $5)
           and ($6 is null or province_key = $6)
           and ($7 is null or district_key = $7)
           and ($8 is null or commune_key = $8)
           and ($9 is null or search_text like $9 escape '\\')
           and ($10 is null or author_id = $10)
           and ($11 is null or id < $11)
         order by id desc limit $12"
    ))
    .bind(tenant_id)
    .bind(now)
    .bind(f.kind.clone())
    .bind(f.category.clone())
    .bind(f.status.clone())
    .bind(f.province_key.clone())
    .bind(f.district_key.clone())
    .bind(f.commune_key.clone())
    .bind(f.pattern.clone())
    .bind(f.author_id.clone())
    .bind(before.map(str::to_string))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// The photos of `post_ids`, in their order.
pub async fn photos_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    post_ids: &[String],
) -> Result<Vec<PhotoRow>, sqlx::Error> {
    if post_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select post_id, file_id, position from bulletin_photos
         where tenant_id = $1 and post_id in ({}) order by post_id, position",
        placeholders(2, post_ids.len())
    );
    let mut q = sqlx::query_as(&sql).bind(tenant_id);
    for id in post_ids {
        q = q.bind(id);
    }
    q.fetch_all(conn).await
}

/// The post a file is a photo of, if any.
pub async fn post_of_photo(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select post_id from bulletin_photos where tenant_id = $1 and file_id = $2")
        .bind(tenant_id)
        .bind(file_id)
        .fetch_optional(conn)
        .await
}

/// Replace a post's photos with `file_ids`, in that order; the files no longer shown.
pub async fn set_photos(
    conn: &mut AnyConnection,
    tenant_id: &str,
    post_id: &str,
    file_ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let before: Vec<String> = sqlx::query_scalar(
        "select file_id from bulletin_photos where tenant_id = $1 and post_id = $2",
    )
    .bind(tenant_id)
    .bind(post_id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query("delete from bulletin_photos where tenant_id = $1 and post_id = $2")
        .bind(tenant_id)
        .bind(post_id)
        .execute(&mut *conn)
        .await?;
    for (i, f) in file_ids.iter().enumerate() {
        sqlx::query(
            "insert into bulletin_photos (tenant_id, post_id, file_id, position)
             values ($1, $2, $3, $4)",
        )
        .bind(tenant_id)
        .bind(post_id)
        .bind(f)
        .bind(i as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(before
        .into_iter()
        .filter(|f| !file_ids.contains(f))
        .collect())
}

/// Delete a post and its photo rows; (rows deleted, the photos' file ids).
pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<(u64, Vec<String>), sqlx::Error> {
    let files: Vec<String> = sqlx::query_scalar(
        "select file_id from bulletin_photos where tenant_id = $1 and post_id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let photos = sqlx::query("delete from bulletin_photos where tenant_id = $1 and post_id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let post = sqlx::query("delete from bulletin_posts where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok((photos + post, files))
}

/// Whether `file_id` is a photo of a post not expired at `now`.
pub async fn photo_on_board(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from bulletin_photos x join bulletin_posts p
           on p.tenant_id = x.tenant_id and p.id = x.post_id
         where x.tenant_id = $1 and x.file_id = $2 and p.expires_at > $3",
    )
    .bind(tenant_id)
    .bind(file_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// A page of a tenant's post ids after `after`, in id order (for reindexing).
pub async fn ids_after(
    conn: &mut AnyConnection,
    tenant_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from bulletin_posts where tenant_id = $1 and id > $2 order by id limit $3",
    )
    .bind(tenant_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Every post a person wrote, expired or not, oldest first.
pub async fn by_author(
    conn: &mut AnyConnection,
    tenant_id: &str,
    author_id: &str,
) -> Result<Vec<PostRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from bulletin_posts where tenant_id = $1 and author_id = $2 order by id"
    ))
    .bind(tenant_id)
    .bind(author_id)
    .fetch_all(conn)
    .await
}

/// Display names of the active people among `ids`: (id, name).
pub async fn names(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "select id, display_name from ({ACTIVE_CARDS}) u where id in ({})",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query_as(&sql).bind(tenant_id);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(conn).await
}

/// Posts that expired by `now` whose index entry was not yet queued for removal, across
/// tenants: (tenant id, post id), at most `limit`.
pub async fn expired_unswept(
    conn: &mut AnyConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select tenant_id, id from bulletin_posts where expiry_swept = 0 and expires_at <= $1
         order by expires_at limit $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Mark an expired post as swept (its index entry queued for removal).
pub async fn mark_swept(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "update bulletin_posts set expiry_swept = 1
         where tenant_id = $1 and id = $2 and expires_at <= $3",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(now)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

/// `$first, $first+1, …` for `n` bound values (the count is ours, the values are bound).
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
