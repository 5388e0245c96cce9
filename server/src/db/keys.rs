//! Keys that every node of an install must share: the first node to start pins each key's
//! fingerprint; a node that starts with a different key refuses to start, naming the setting.
//! (Several nodes on one PostgreSQL database, each with its own data directory: without this,
//! a node whose key file was generated locally would start and then fail on every blob or audit
//! anchor another node wrote.)

use super::{now_ms, Db};

/// Pin `fingerprint` for `purpose` if nothing is pinned yet; `Err` naming `setting` when another
/// fingerprint is.
pub async fn agree(
    db: &Db,
    purpose: &str,
    fingerprint: &str,
    setting: &str,
) -> Result<(), crate::BoxError> {
    let mut conn = db.conn().await?;
    sqlx::query(
        "insert into install_keys (purpose, fingerprint, pinned_at) values ($1, $2, $3)
         on conflict (purpose) do nothing",
    )
    .bind(purpose)
    .bind(fingerprint)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    let pinned: String =
        sqlx::query_scalar("select fingerprint from install_keys where purpose = $1")
            .bind(purpose)
            .fetch_one(&mut *conn)
            .await?;
    if pinned == fingerprint {
        Ok(())
    } else {
        Err(format!(
            "this node's {purpose} (fingerprint {fingerprint}) is not the one this install uses \
             (fingerprint {pinned}): give every node the same key ({setting}); a key file generated \
             on this node's data directory does not match the other nodes'"
        )
        .into())
    }
}
