//! `Idempotency-Key` for retried writes (docs/architecture.md): a client on a flaky network that repeats a
//! POST, PUT, PATCH or DELETE with the same key gets the first answer replayed (marked
//! `Idempotent-Replayed: true`) instead of the change running twice.
//!
//! - Keys belong to whoever sent them, authenticated first: a person (tenant and user, from a
//!   session that is valid *now*) or the platform operator. A request without a valid
//!   credential is not looked up at all and goes to the endpoint, which answers 401 — so a
//!   replay never reaches a revoked session, a disabled account or a suspended tenant, and
//!   never an anonymous caller (who could otherwise collect another client's answer, a sign-in
//!   token say, by guessing the key).
//! - The same key with a different request (method, path or body) is refused (422).
//! - While the first request is still running, a repeat answers 409 and may be retried.
//! - Server errors (5xx) are not stored, so a retry runs again; a claim left behind by a crash
//!   is taken over after a minute.
//! - Answers that carry a secret minted for the caller (a session token, an invitation link,
//!   a WebSocket ticket: [`SECRET_BEARING`]) are never stored. Storing them would keep a
//!   usable secret in plaintext in the database for a day; encrypting them under a key derived
//!   from the caller's session token would work for the same session only and still keep
//!   the secret around. Such an operation simply runs again on a retry, where its own rules
//!   refuse a duplicate (the email is taken) or mint a fresh secret (a new ticket). Its
//!   refusals (4xx) carry no secret and are stored as usual.
//! - Keys live for 24 hours.

mod store;

use crate::{
    authn,
    db::{now_ms, Db},
    error::{ApiError, Code},
    ops::ctx::RequestCtx,
    AppState,
};
use poem::{http::Method, Endpoint, IntoResponse, Request, Response};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use store::Claim;

const TTL_MS: i64 = 24 * 3600 * 1000;
const STALE_PENDING_MS: i64 = 60_000;

/// Operations whose successful answer carries a secret minted for the caller; never stored.
/// A unit test derives this list from the API spec (every answer with a `token` or `ticket`),
/// so a new operation of that kind cannot be forgotten here.
pub const SECRET_BEARING: &[&str] = &[
    "setup_create",
    "auth_login",
    "auth_accept_invitation",
    "users_create",
    "users_invite",
    "events_ticket",
    "operator_tenants_create",
];

/// Delete keys past their lifetime.
pub async fn prune(db: &Db) -> Result<u64, sqlx::Error> {
    store::prune(db, now_ms() - TTL_MS).await
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

/// The bearer token of a request, if it sent one.
fn bearer(req: &Request) -> Option<String> {
    let v = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Whose keys a request uses, authenticated on current state: `(tenant, user)` of a valid
/// session, or the operator. `None` when the request has no valid credential.
async fn scope_of(
    state: &AppState,
    req: &Request,
    ctx: RequestCtx,
) -> Result<Option<String>, ApiError> {
    let Some(token) = bearer(req) else {
        return Ok(None);
    };
    match authn::resolve(state, &token, ctx).await {
        Ok(p) => {
            return Ok(Some(digest(&[
                b"user",
                p.tenant_id.as_bytes(),
                p.user_id.as_bytes(),
            ])))
        }
        Err(e) if e.code == Code::Unauthenticated => {}
        Err(e) => return Err(e),
    }
    let operator =
        authn::tokens::digests_equal(&authn::tokens::hash(&token), &state.operator_token_hash);
    Ok(operator.then(|| digest(&[b"operator"])))
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
    let state = req.data::<Arc<AppState>>().cloned();
    let ctx = req.data::<RequestCtx>().cloned().unwrap_or_default();
    let request_id = Some(ctx.request_id.clone()).filter(|r| !r.is_empty());
    // Uploads are not buffered to be fingerprinted: the files service keeps the key with the
    // file it stored and answers a retry with that file.
    let streamed = super::ctx::is_upload_path(req.uri().path());
    let (Some(key), Some(state), true) = (key, state, is_write && !streamed) else {
        return ep.call(req).await.map(IntoResponse::into_response);
    };
    let problem = |e: ApiError| Ok(e.into_response_with(request_id.clone()));
    let scope = match scope_of(&state, &req, ctx).await {
        Ok(Some(scope)) => scope,
        // No valid credential: nothing to replay; the endpoint answers (401, or an anonymous
        // operation that keeps no key).
        Ok(None) => return ep.call(req).await.map(IntoResponse::into_response),
        Err(e) => return problem(e),
    };
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
    req.set_body(body);
    match store::claim(
        &state.db,
        &scope,
        &key,
        &request_hash,
        TTL_MS,
        STALE_PENDING_MS,
    )
    .await
    {
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
        Err(e) => {
            let op = e.data::<poem_openapi::OperationId>().copied();
            let mut resp = ApiError::from_poem(&e).into_response_with(request_id.clone());
            if let Some(op) = op {
                // Keep the operation's name for the request log and metrics outside.
                resp.set_data(op);
            }
            resp
        }
    };
    let status = resp.status().as_u16();
    let secret = resp
        .data::<poem_openapi::OperationId>()
        .is_some_and(|op| SECRET_BEARING.contains(&op.0));
    if status >= 500 || (secret && status < 300) {
        if let Err(e) = store::release(&state.db, &scope, &key).await {
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
    if let Err(e) = store::finish(
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

#[cfg(test)]
mod tests {
    use super::SECRET_BEARING;
    use serde_json::Value;

    /// Whether a schema (following `$ref`s) has a property that carries a secret.
    fn carries_secret(spec: &Value, schema: &Value, depth: usize) -> bool {
        if depth > 20 {
            return false;
        }
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap_or_default();
            return carries_secret(spec, &spec["components"]["schemas"][name], depth + 1);
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, p) in props {
                if name == "token" || name == "ticket" || carries_secret(spec, p, depth + 1) {
                    return true;
                }
            }
        }
        ["items", "allOf", "oneOf", "anyOf"]
            .iter()
            .any(|k| match schema.get(*k) {
                Some(Value::Array(list)) => list.iter().any(|s| carries_secret(spec, s, depth + 1)),
                Some(s) => carries_secret(spec, s, depth + 1),
                None => false,
            })
    }

    #[test]
    fn every_secret_bearing_operation_is_listed() {
        let spec: Value = serde_json::from_str(&crate::api::service().spec()).unwrap();
        let mut found = Vec::new();
        for (_, ops) in spec["paths"].as_object().unwrap() {
            for (_, op) in ops.as_object().unwrap() {
                let Some(responses) = op.get("responses").and_then(Value::as_object) else {
                    continue;
                };
                let secret = responses
                    .iter()
                    .filter(|(status, _)| status.starts_with('2'))
                    .flat_map(|(_, r)| r["content"].as_object().into_iter().flatten())
                    .any(|(_, c)| carries_secret(&spec, &c["schema"], 0));
                if secret {
                    found.push(op["operationId"].as_str().unwrap().to_string());
                }
            }
        }
        found.sort();
        let mut listed: Vec<String> = SECRET_BEARING.iter().map(|s| s.to_string()).collect();
        listed.sort();
        assert_eq!(found, listed);
    }
}
