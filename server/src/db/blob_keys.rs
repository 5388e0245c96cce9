//! The blob keys a feature's table names in its `blob_key` column, for the stores of features
//! that keep blobs (the orphan sweep, backups, `stoa backup --verify`). Storage-layer SQL over
//! a table name the calling store fixes; it names no feature.

use sqlx::AnyConnection;

/// Which of these blob keys a row of `table` names in its `blob_key` column: for the stores of
/// features that keep blobs, answering the orphan sweep. `table` is a fixed name from the
/// calling store, never input.
pub async fn named_in(
    conn: &mut AnyConnection,
    table: &'static str,
    keys: &[String],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let placeholders: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "select blob_key from {table} where blob_key in ({})",
        placeholders.join(", ")
    );
    let mut q = sqlx::query_scalar::<_, String>(&sql);
    for k in keys {
        q = q.bind(k);
    }
    Ok(q.fetch_all(conn).await?.into_iter().collect())
}

/// A page of the blob keys rows of `table` name in `blob_key`, in key order after `after`: for
/// the stores of features that keep blobs, answering backups and `stoa backup --verify`.
/// `table` is a fixed name from the calling store, never input.
pub async fn named_after(
    conn: &mut AnyConnection,
    table: &'static str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let sql = format!(
        "select blob_key from {table} where blob_key is not null and blob_key > $1
         order by blob_key limit $2"
    );
    sqlx::query_scalar::<_, String>(&sql)
        .bind(after)
        .bind(limit)
        .fetch_all(conn)
        .await
}
