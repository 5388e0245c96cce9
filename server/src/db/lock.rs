//! Install-wide job leases in the `job_locks` table (the store of `jobs` leases, kept with the
//! database infrastructure): one node at a time runs a given job. A
//! lease that its holder failed to release expires after its time-to-live.

use super::{now_ms, Db};

/// Take the lease `name` for `ttl_ms`; false when another holder has it.
pub async fn try_acquire(
    db: &Db,
    name: &str,
    holder: &str,
    ttl_ms: i64,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let taken = sqlx::query(
        "insert into job_locks (name, holder, expires_at) values ($1, $2, $3)
         on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
         where job_locks.expires_at < $4 or job_locks.holder = excluded.holder",
    )
    .bind(name)
    .bind(holder)
    .bind(now + ttl_ms)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(taken == 1)
}

pub async fn release(db: &Db, name: &str, holder: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("delete from job_locks where name = $1 and holder = $2")
        .bind(name)
        .bind(holder)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
