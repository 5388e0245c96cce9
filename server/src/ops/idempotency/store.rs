//! SQL for idempotency keys. `scope` is a digest naming whose key it is (see
//! [`super::scope_of`]); the table's column comment predates that and says "credential".

use crate::db::{now_ms, Db};

pub enum Claim {
    New,
    Replay {
        status: u16,
        content_type: Option<String>,
        body: Vec<u8>,
    },
    Mismatch,
    InProgress,
}

#[derive(sqlx::FromRow)]
struct Stored {
    request_hash: String,
    state: String,
    response_status: Option<i64>,
    content_type: Option<String>,
    body: Option<Vec<u8>>,
    created_at: i64,
}

/// Claim `key` for a request, or find what an earlier request with it left.
pub async fn claim(
    db: &Db,
    scope: &str,
    key: &str,
    request_hash: &str,
    ttl_ms: i64,
    stale_pending_ms: i64,
) -> Result<Claim, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "insert into idempotency_keys (scope, key, request_hash, state, created_at)
         values ($1, $2, $3, 'pending', $4) on conflict (scope, key) do nothing",
    )
    .bind(scope)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        tx.commit().await?;
        return Ok(Claim::New);
    }
    let sql = format!(
        "select request_hash, state, response_status, content_type, body, created_at
         from idempotency_keys where scope = $1 and key = $2{}",
        db.backend.for_update()
    );
    let stored: Stored = sqlx::query_as(&sql)
        .bind(scope)
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
    let expired = stored.created_at + ttl_ms < now;
    let abandoned = stored.state == "pending" && stored.created_at + stale_pending_ms < now;
    if expired || abandoned {
        sqlx::query(
            "update idempotency_keys set request_hash = $1, state = 'pending', response_status = null,
                    content_type = null, body = null, created_at = $2
             where scope = $3 and key = $4",
        )
        .bind(request_hash)
        .bind(now)
        .bind(scope)
        .bind(key)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok(Claim::New);
    }
    tx.commit().await?;
    if stored.request_hash != request_hash {
        return Ok(Claim::Mismatch);
    }
    match (stored.state.as_str(), stored.response_status) {
        ("done", Some(status)) => Ok(Claim::Replay {
            status: u16::try_from(status).unwrap_or(200),
            content_type: stored.content_type,
            body: stored.body.unwrap_or_default(),
        }),
        _ => Ok(Claim::InProgress),
    }
}

/// Keep the answer to replay it.
pub async fn finish(
    db: &Db,
    scope: &str,
    key: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "update idempotency_keys set state = 'done', response_status = $1, content_type = $2, body = $3
         where scope = $4 and key = $5",
    )
    .bind(i64::from(status))
    .bind(content_type.map(str::to_string))
    .bind(body.to_vec())
    .bind(scope)
    .bind(key)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Give a claim up: the next request with the key runs afresh.
pub async fn release(db: &Db, scope: &str, key: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("delete from idempotency_keys where scope = $1 and key = $2 and state = 'pending'")
        .bind(scope)
        .bind(key)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Delete keys created before `before`.
pub async fn prune(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let n = sqlx::query("delete from idempotency_keys where created_at < $1")
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}
