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
//! - The key is claimed **in the change's own transaction** ([`crate::db::idempotency`]): the
//!   first write transaction of the request writes the key, and commits it with the change and
//!   — when the service supplies it, as sending a message does — with the answer. A retried-safe
//!   send costs no transaction of its own; other operations record their answer in one small
//!   transaction after the change. A crash can never leave a change without its key.
//! - A person held at the privacy-policy consent gate gets no replay and claims no key: the
//!   gate answers first (403 `consent_required`), so a stored answer never goes around it.
//! - The same key with a different request (method, path or body) is refused (422).
//! - While the first request is still running, a repeat answers 409 and may be retried.
//! - Refusals (4xx) that changed nothing are kept and replayed too; server errors that changed
//!   nothing are not, so a retry runs again.
//! - Answers that carry a secret minted for the caller (a session token, an invitation link,
//!   a WebSocket ticket, a sign-in challenge, a second factor's secret or recovery codes, an
//!   export's download link: [`SECRET_BEARING`]) are never stored. Storing them would keep a
//!   usable secret in plaintext in the database for a day; encrypting them under a key derived
//!   from the caller's session token would work for the same session only and still keep
//!   the secret around. Such an operation simply runs again on a retry, where its own rules
//!   refuse a duplicate (the email is taken) or mint a fresh secret (a new ticket). Its
//!   refusals (4xx) carry no secret and are stored as usual.
//! - Keys live for 24 hours.

use crate::{
    authn,
    db::{
        idempotency::{self as keys, Answer, Claim, Found, Phase},
        now_ms, Db,
    },
    error::{ApiError, Code},
    ops::ctx::RequestCtx,
    AppState,
};
use poem::{http::Method, Endpoint, IntoResponse, Request, Response};
use sha2::{Digest, Sha256};
use std::sync::Arc;

const TTL_MS: i64 = 24 * 3600 * 1000;
/// A key whose change committed but whose answer is still missing after this long lost its
/// answer in a crash.
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
    "auth_login_second_factor",
    "auth_login_enrol",
    "auth_login_enrol_confirm",
    "me_two_factor_enrol",
    "me_two_factor_confirm",
    "exports_link",
    "auth_sso_exchange",
    // The console's sign-in: a session cookie and its CSRF token.
    "auth_browser_login",
    "auth_browser_login_second_factor",
    "auth_browser_login_enrol_confirm",
    "auth_browser_sso_exchange",
    "auth_browser_session",
    // The provider URL carries the link flow's `state`: whoever opens it links their identity.
    "me_sso_link_start",
    "auth_register",
    "auth_login_code",
    // The calendar feed's address is its own credential: whoever holds it reads the calendar.
    "calendar_feed_create",
];

/// Delete keys past their lifetime.
pub async fn prune(db: &Db) -> Result<u64, sqlx::Error> {
    keys::prune(db, now_ms() - TTL_MS).await
}

/// The scope of a person's keys.
fn person_scope(tenant_id: &str, user_id: &str) -> String {
    digest(&[b"user", tenant_id.as_bytes(), user_id.as_bytes()])
}

/// Idempotency records in the lifecycle registry (`app::lifecycle`): a person's stored
/// answers go when their account is erased (they hold what the person sent).
pub struct Records;

#[async_trait::async_trait]
impl crate::lifecycle::Lifecycle for Records {
    async fn foresee(
        &self,
        e: &crate::lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<crate::lifecycle::erase::Forecast, crate::BoxError> {
        use crate::authz::Proof;
        use crate::lifecycle::erase::{Forecast, Foreseen};
        let scope = person_scope(e.tenant_id(), &e.person);
        let n = crate::db::idempotency::count_scope(&state.db, &scope).await?;
        Ok(Forecast::erased(vec![Foreseen::removed(
            "ops",
            "idempotency records",
            n,
        )]))
    }

    async fn erase(
        &self,
        e: &crate::lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<Vec<crate::lifecycle::erase::Erased>, crate::BoxError> {
        use crate::authz::Proof;
        let scope = person_scope(e.tenant_id(), &e.person);
        let n = crate::db::idempotency::delete_scope(&state.db, &scope).await?;
        Ok(vec![crate::lifecycle::erase::Erased::rows(
            "ops",
            "idempotency records",
            n,
        )])
    }
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
/// session, or the operator. `None` when the request has no valid credential. The resolved
/// session is kept with the request, so the endpoint does not look it up a second time.
async fn scope_of(
    state: &AppState,
    req: &mut Request,
    ctx: RequestCtx,
) -> Result<Option<String>, ApiError> {
    let Some(token) = bearer(req) else {
        return Ok(None);
    };
    match authn::resolve(state, &token, ctx).await {
        Ok(p) if p.consent_pending => {
            // Held at the consent gate: no earlier answer is replayed and no key is claimed.
            // The endpoint answers 403 `consent_required`, or runs one of the few operations
            // allowed meanwhile (accepting the policy, signing out …), which are idempotent by
            // their own rules.
            authn::remember(req, &token, p);
            return Ok(None);
        }
        Ok(p) => {
            let scope = person_scope(&p.tenant_id, &p.user_id);
            authn::remember(req, &token, p);
            return Ok(Some(scope));
        }
        Err(e) if e.code == Code::Unauthenticated => {}
        Err(e) => return Err(e),
    }
    let operator =
        authn::tokens::digests_equal(&authn::tokens::hash(&token), &state.operator_token_hash);
    Ok(operator.then(|| digest(&[b"operator"])))
}

fn replay(a: Answer) -> Response {
    let mut resp =
        Response::builder().status(poem::http::StatusCode::from_u16(a.status).unwrap_or_default());
    if let Some(ct) = a.content_type {
        resp = resp.content_type(ct);
    }
    let mut resp = resp.body(a.body);
    resp.headers_mut().insert(
        "idempotent-replayed",
        poem::http::HeaderValue::from_static("true"),
    );
    resp
}

/// The answer to a request whose key an earlier request holds; `None` when the key is free.
fn earlier(found: Found, request_hash: &str) -> Option<Result<Response, ApiError>> {
    let in_progress = || {
        ApiError::new(
            Code::IdempotencyInProgress,
            "a request with this Idempotency-Key is still running; retry shortly",
        )
    };
    let mismatch = || {
        ApiError::new(
            Code::IdempotencyKeyReused,
            "this Idempotency-Key was used for a different request",
        )
    };
    match found {
        Found::Nothing { .. } => None,
        Found::Done {
            request_hash: h, ..
        }
        | Found::Pending {
            request_hash: h, ..
        } if h != request_hash => Some(Err(mismatch())),
        Found::Done { answer, .. } => Some(Ok(replay(answer))),
        Found::Pending { created_at, .. } if created_at + STALE_PENDING_MS < now_ms() => {
            Some(Err(ApiError::new(
                Code::IdempotencyInProgress,
                "a request with this Idempotency-Key was applied but its answer was lost; \
                 read the current state instead of retrying",
            )))
        }
        Found::Pending { .. } => Some(Err(in_progress())),
    }
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
    let scope = match scope_of(&state, &mut req, ctx).await {
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
    let found = match keys::find(&state.db, &scope, &key, TTL_MS).await {
        Ok(f) => f,
        Err(e) => return problem(ApiError::internal(e)),
    };
    let expired = match found {
        Found::Nothing { expired } => expired,
        other => {
            return match earlier(other, &request_hash) {
                Some(Ok(resp)) => Ok(resp),
                Some(Err(e)) => problem(e),
                None => ep.call(req).await.map(IntoResponse::into_response),
            };
        }
    };
    let claim = Arc::new(Claim::new(scope, key, request_hash, expired));
    let result = keys::scope(claim.clone(), ep.call(req)).await;
    let mut resp = match result {
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
    let phase = claim.phase();
    if phase == Phase::Lost {
        // A concurrent request with the same key got there first: this one changed nothing and
        // answers from what that one left.
        let found = match keys::find(&state.db, &claim.scope, &claim.key, TTL_MS).await {
            Ok(f) => f,
            Err(e) => return problem(ApiError::internal(e)),
        };
        return match earlier(found, &claim.request_hash) {
            Some(Ok(resp)) => Ok(resp),
            Some(Err(e)) => problem(e),
            None => problem(ApiError::new(
                Code::IdempotencyInProgress,
                "a request with this Idempotency-Key is still running; retry shortly",
            )),
        };
    }
    if phase == (Phase::Committed { answered: true }) {
        return Ok(resp);
    }
    let committed = phase == (Phase::Committed { answered: false });
    let status = resp.status().as_u16();
    let secret = resp
        .data::<poem_openapi::OperationId>()
        .is_some_and(|op| SECRET_BEARING.contains(&op.0));
    if secret && status < 300 {
        if committed {
            if let Err(e) = keys::release(&state.db, &claim).await {
                tracing::warn!(error = %e, "could not release an idempotency key");
            }
        }
        return Ok(resp);
    }
    if status >= 500 && !committed {
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
    let answer = Answer {
        status,
        content_type,
        body: body.to_vec(),
    };
    let kept = if committed {
        keys::finish(&state.db, &claim, &answer).await
    } else {
        keys::store(&state.db, &claim, &answer).await
    };
    if let Err(e) = kept {
        // The change itself committed with its key; a retry finds the key without an answer
        // and is told so, never runs the change twice.
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
    /// Fields that hold a usable secret: a session token, a WebSocket ticket, a sign-in
    /// challenge, a second factor's secret and recovery codes, a download link with its token,
    /// a provider URL that carries a link flow's state.
    const SECRET_FIELDS: &[&str] = &[
        "token",
        // A browser session's CSRF token: with the cookie, it lets requests write.
        "csrf_token",
        "ticket",
        "challenge",
        "secret",
        "otpauth_uri",
        "recovery_codes",
        "url",
        // A single sign-on link flow's provider URL: its `state` links whoever uses it.
        "authorization_url",
    ];

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
                if SECRET_FIELDS.contains(&name.as_str()) || carries_secret(spec, p, depth + 1) {
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
