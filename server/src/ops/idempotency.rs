//! `Idempotency-Key` for retried writes (DESIGN.md §4): a client on a flaky network that repeats a
//! POST, PUT, PATCH or DELETE with the same key and the same credential gets the first answer
//! replayed (marked `Idempotent-Replayed: true`) instead of the change running twice.
//!
//! - The same key with a different request (method, path or body) is refused (422).
//! - While the first request is still running, a repeat answers 409 and may be retried.
//! - Server errors (5xx) are not stored, so a retry runs again; a claim left behind by a crash
//!   is taken over after a minute.
//! - Only authenticated requests are replayed: replaying an anonymous request could hand one
//!   client's answer (a sign-in token, say) to another that guessed the key.
//! - Keys live for 24 hours.

use crate::{
    db::{now_ms, Db},
    error::{ApiError, Code},
    ops::ctx::RequestCtx,
    AppState,
};
use poem::{http::Method, Endpoint, IntoResponse, Request, Response};
use sha2::{Digest, Sha256};
use std::sync::Arc;

const TTL_MS: i64 = 24 * 3600 * 1000;
const STALE_PENDING_MS: i64 = 60_000;

enum Claim {
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

async fn claim(db: &Db, scope: &str, key: &str, request_hash: &str) -> Result<Claim, sqlx::Error> {
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
    let expired = stored.created_at + TTL_MS < now;
    let abandoned = stored.state == "pending" && stored.created_at + STALE_PENDING_MS < now;
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

async fn finish(
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

async fn release(db: &Db, scope: &str, key: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("delete from idempotency_keys where scope = $1 and key = $2 and state = 'pending'")
        .bind(scope)
        .bind(key)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Delete keys past their lifetime.
pub async fn prune(db: &Db) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let n = sqlx::query("delete from idempotency_keys where created_at < $1")
        .bind(now_ms() - TTL_MS)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}

fn digest(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// A well-formed `Idempotency-Key` (also checked by the upload path, which keeps keys itself).
pub fn valid_key(k: &str) -> bool {
    (1..=200).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
}

/// The middleware; sits inside [`super::ctx::around`].
pub async fn around<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let is_write = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let key = req
        .headers()
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_string));
    let auth = req
        .headers()
        .get("authorization")
        .map(|v| v.as_bytes().to_vec());
    let state = req.data::<Arc<AppState>>().cloned();
    let request_id = req.data::<RequestCtx>().map(|c| c.request_id.clone());
    // Uploads are not buffered to be fingerprinted: the files service keeps the key with the
    // file it stored and answers a retry with that file.
    let streamed = super::ctx::is_upload_path(req.uri().path());
    let (Some(key), Some(auth), Some(state), true) = (key, auth, state, is_write && !streamed)
    else {
        return ep.call(req).await.map(IntoResponse::into_response);
    };
    let problem = |e: ApiError| Ok(e.into_response_with(request_id.clone()));
    let key = match key {
        Ok(k) if valid_key(&k) => k,
        _ => {
            return problem(
                ApiError::validation("Idempotency-Key", "1 to 200 visible ASCII characters")
                    .with_code(Code::BadRequest),
            )
        }
    };
    let body = match req.take_body().into_bytes().await {
        Ok(b) => b,
        Err(e) => return problem(ApiError::from_poem(&poem::Error::from(e))),
    };
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let request_hash = digest(&[req.method().as_str().as_bytes(), path.as_bytes(), &body]);
    let scope = digest(&[&auth]);
    req.set_body(body);
    match claim(&state.db, &scope, &key, &request_hash).await {
        Ok(Claim::New) => {}
        Ok(Claim::Replay {
            status,
            content_type,
            body,
        }) => {
            let mut resp = Response::builder()
                .status(poem::http::StatusCode::from_u16(status).unwrap_or_default());
            if let Some(ct) = content_type {
                resp = resp.content_type(ct);
            }
            let mut resp = resp.body(body);
            resp.headers_mut().insert(
                "idempotent-replayed",
                poem::http::HeaderValue::from_static("true"),
            );
            return Ok(resp);
        }
        Ok(Claim::Mismatch) => {
            return problem(ApiError::new(
                Code::IdempotencyKeyReused,
                "this Idempotency-Key was used for a different request",
            ))
        }
        Ok(Claim::InProgress) => {
            return problem(ApiError::new(
                Code::IdempotencyInProgress,
                "a request with this Idempotency-Key is still running; retry shortly",
            ))
        }
        Err(e) => return problem(ApiError::internal(e)),
    }
    let mut resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => ApiError::from_poem(&e).into_response_with(request_id.clone()),
    };
    let status = resp.status().as_u16();
    if status >= 500 {
        if let Err(e) = release(&state.db, &scope, &key).await {
            tracing::warn!(error = %e, "could not release an idempotency key");
        }
        return Ok(resp);
    }
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match resp.take_body().into_bytes().await {
        Ok(b) => b,
        Err(e) => return problem(ApiError::internal(e)),
    };
    if let Err(e) = finish(
        &state.db,
        &scope,
        &key,
        status,
        content_type.as_deref(),
        &body,
    )
    .await
    {
        // The change itself committed; a retry will find the key pending, then stale, and run
        // again, where the service's own uniqueness rules refuse a duplicate.
        tracing::warn!(error = %e, "could not store an idempotent response");
    }
    resp.set_body(body);
    Ok(resp)
}
