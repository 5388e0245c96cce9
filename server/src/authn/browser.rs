//! Browser sessions: the admin console's session cookie. A cookie is only another carrier of
//! the same session a bearer token names — the same row, the same idle and absolute expiry,
//! revocation and sign-out — so this middleware turns a valid session cookie into the
//! `Authorization: Bearer` header every endpoint already reads, after the checks a cookie
//! needs and a bearer header does not (browsers send cookies on their own; they never add an
//! `Authorization` header to a cross-site request):
//!
//! - a state-changing request (anything but GET, HEAD, OPTIONS) carried by the cookie must
//!   send the session's CSRF token in `X-CSRF-Token` (compared in constant time), and
//! - must not come from another site: `Origin` (when sent) names this install — `public_url`
//!   or the address the request was sent to — and `Sec-Fetch-Site` (when sent) says
//!   `same-origin`; a WebSocket upgrade carried by the cookie must send a matching `Origin`.
//!
//! Otherwise 403 `csrf_failed`. A request with an `Authorization` header is left exactly as it
//! is (the cookie is ignored). A cookie whose session has ended is ignored and cleared, so
//! public endpoints still work and protected ones answer 401. The sign-in steps of the browser
//! flow (`/api/v1/auth/browser/login…`, `…/sso/exchange`) ignore any cookie but get the origin
//! check (no sign-in forced on a browser from another site).
//!
//! The CSRF token is derived from the session's token (SHA-256 with its own label), so it is
//! per session, needs no storage, dies with the session and does not reveal the token or the
//! digest the database keeps. docs/admin-console.md is the integrator's account of all this.

use super::{remember, tokens};
use crate::{
    error::{ApiError, Code},
    ops::ctx::RequestCtx,
    AppState,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use poem::{
    http::{header, HeaderValue, Method},
    Endpoint, IntoResponse, Request, Response,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The header a cookie-carried state-changing request must send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session's CSRF token: what the console sends in [`CSRF_HEADER`].
pub fn csrf_token(session_token: &str) -> String {
    let d = Sha256::new()
        .chain_update(b"stoa console csrf v1\0")
        .chain_update(session_token.as_bytes())
        .finalize();
    URL_SAFE_NO_PAD.encode(d)
}

/// The session token the request's cookie carries, if any.
pub fn cookie_token(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 200)
}

/// Whether the cookie gets `Secure` (see `console.secure_cookie`).
fn secure(state: &AppState, req: &Request) -> bool {
    match state.cfg.console.secure_cookie.as_str() {
        "always" => true,
        "never" => false,
        _ => {
            state.cfg.public_url.starts_with("https://") || state.cfg.tls.enabled() || {
                let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
                let proto = req
                    .headers()
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                peer.is_some_and(|ip| state.trusted_proxies.iter().any(|c| c.contains(ip)))
                    && proto.eq_ignore_ascii_case("https")
            }
        }
    }
}

fn cookie_header(state: &AppState, req: &Request, value: &str, max_age_secs: i64) -> String {
    let mut c = cookie::Cookie::build((state.cfg.console.cookie_name.clone(), value.to_string()))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .max_age(cookie::time::Duration::seconds(max_age_secs.max(0)));
    if secure(state, req) || state.cfg.console.cookie_name.starts_with("__Host-") {
        c = c.secure(true);
    }
    c.build().to_string()
}

/// `Set-Cookie` for a session that lasts `max_age_secs` (its absolute expiry).
pub fn set_cookie(state: &AppState, req: &Request, token: &str, max_age_secs: i64) -> String {
    cookie_header(state, req, token, max_age_secs)
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(state: &AppState, req: &Request) -> String {
    cookie_header(state, req, "", 0)
}

fn is_websocket(req: &Request) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The origin of the address the request was sent to, by its `Host` header.
fn host_origin(req: &Request, scheme: &str) -> Option<url::Origin> {
    let host = req.headers().get(header::HOST)?.to_str().ok()?;
    url::Url::parse(&format!("{scheme}://{host}"))
        .ok()
        .map(|u| u.origin())
}

/// Whether `Origin` names this install: `public_url`, or the address the request was sent to.
fn origin_is_ours(state: &AppState, req: &Request, origin: &str) -> bool {
    let Ok(o) = url::Url::parse(origin) else {
        return false;
    };
    let o = o.origin();
    if !o.is_tuple() {
        return false;
    }
    if url::Url::parse(&state.cfg.public_url).is_ok_and(|p| p.origin() == o) {
        return true;
    }
    let scheme = match &o {
        url::Origin::Tuple(s, _, _) => s.as_str(),
        url::Origin::Opaque(_) => return false,
    };
    host_origin(req, scheme).is_some_and(|h| h == o)
}

/// Why a request must be refused as coming from another site, if it must.
fn cross_site(state: &AppState, req: &Request, need_origin: bool) -> Option<&'static str> {
    let h = req.headers();
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" {
            return Some("a cross-site request cannot use the console's session");
        }
    }
    match h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) if !origin_is_ours(state, req, origin) => {
            Some("the request's Origin is not this server")
        }
        None if need_origin => Some("the request carries no Origin"),
        _ => None,
    }
}

fn refused(req: &Request, detail: &'static str) -> Response {
    let request_id = req.data::<RequestCtx>().map(|c| c.request_id.clone());
    ApiError::new(Code::CsrfFailed, detail).into_response_with(request_id)
}

/// The sign-in steps of the browser flow: they ignore any cookie.
fn is_sign_in_step(path: &str) -> bool {
    path.starts_with("/api/v1/auth/browser/login") || path == "/api/v1/auth/browser/sso/exchange"
}

async fn pass<E: Endpoint>(ep: &E, req: Request) -> poem::Result<Response> {
    ep.call(req).await.map(IntoResponse::into_response)
}

/// The middleware (module doc). Runs inside `ops::ctx` (request id, client address) and
/// outside idempotency (which then sees the bearer header like any other).
pub async fn around<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let path = req.uri().path().to_string();
    if !path.starts_with("/api/v1/") {
        return pass(&*ep, req).await;
    }
    let Some(state) = req.data::<Arc<AppState>>().cloned() else {
        return pass(&*ep, req).await;
    };
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if is_sign_in_step(&path) {
        if writes {
            if let Some(why) = cross_site(&state, &req, false) {
                return Ok(refused(&req, why));
            }
        }
        return pass(&*ep, req).await;
    }
    if req.headers().contains_key(header::AUTHORIZATION) {
        return pass(&*ep, req).await;
    }
    let Some(token) = cookie_token(&req, &state.cfg.console.cookie_name) else {
        return pass(&*ep, req).await;
    };
    let ctx = req.data::<RequestCtx>().cloned().unwrap_or_default();
    let principal = match super::resolve(&state, &token, ctx).await {
        Ok(p) => p,
        Err(e) if e.code == Code::Unauthenticated => {
            // An ended session: the request goes on without it, and the browser forgets it.
            let clear = clear_cookie(&state, &req);
            let request_id = req.data::<RequestCtx>().map(|c| c.request_id.clone());
            let mut resp = match ep.call(req).await {
                Ok(r) => r.into_response(),
                Err(err) => {
                    // As `ops::ctx` turns errors into problems (and keeps the operation for
                    // its route label).
                    let op = err.data::<poem_openapi::OperationId>().copied();
                    let mut resp = ApiError::from_poem(&err).into_response_with(request_id);
                    if let Some(op) = op {
                        resp.set_data(op);
                    }
                    resp
                }
            };
            if let Ok(v) = HeaderValue::from_str(&clear) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            return Ok(resp);
        }
        Err(e) => return Err(e.into()),
    };
    let websocket = is_websocket(&req);
    if writes || websocket {
        if let Some(why) = cross_site(&state, &req, websocket) {
            return Ok(refused(&req, why));
        }
    }
    if writes {
        let given = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !tokens::digests_equal(given, &csrf_token(&token)) {
            return Ok(refused(
                &req,
                "a request signed in by the session cookie must send the session's X-CSRF-Token header",
            ));
        }
    }
    let Ok(bearer) = HeaderValue::from_str(&format!("Bearer {token}")) else {
        return pass(&*ep, req).await;
    };
    req.headers_mut().insert(header::AUTHORIZATION, bearer);
    remember(&mut req, &token, principal);
    pass(&*ep, req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_per_session_and_reveal_nothing() {
        let a = tokens::generate("stoa_s_");
        let b = tokens::generate("stoa_s_");
        assert_eq!(csrf_token(&a), csrf_token(&a));
        assert_ne!(csrf_token(&a), csrf_token(&b));
        assert!(!csrf_token(&a).contains(&a[7..]));
        // Not the digest the sessions table keeps either.
        assert_ne!(csrf_token(&a), tokens::hash(&a));
        assert_eq!(csrf_token(&a).len(), 43);
    }

    #[test]
    fn sign_in_steps() {
        assert!(is_sign_in_step("/api/v1/auth/browser/login"));
        assert!(is_sign_in_step("/api/v1/auth/browser/login/second-factor"));
        assert!(is_sign_in_step("/api/v1/auth/browser/sso/exchange"));
        assert!(!is_sign_in_step("/api/v1/auth/browser/logout"));
        assert!(!is_sign_in_step("/api/v1/auth/browser/session"));
    }
}
