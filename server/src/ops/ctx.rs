//! Per-request context (request id, client address, user agent) and the middleware that sets
//! it, traces and measures every request, and turns every error into problem+json.

use crate::{error::ApiError, AppState};
use poem::{http::HeaderValue, Endpoint, IntoResponse, Request, Response};
use std::{sync::Arc, time::Instant};
use tracing::Instrument;

/// What the audit log and the session list need to know about a request.
#[derive(Clone, Debug, Default)]
pub struct RequestCtx {
    pub request_id: String,
    pub ip: String,
    pub user_agent: String,
    /// The `Accept-Language` header (capped): the language of messages sent on behalf of
    /// someone not yet known (a sign-up code).
    pub accept_language: String,
}

fn valid_request_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The route label of a request: its operation id, one of a few fixed paths, or `unmatched` —
/// never the raw path, which a client could vary without end.
fn route_label(req_path: &str, op: Option<&poem_openapi::OperationId>) -> String {
    if let Some(op) = op {
        return op.0.to_string();
    }
    match req_path {
        "/healthz"
        | "/readyz"
        | "/metrics"
        | "/api/v1/openapi.yaml"
        | "/api/v1/openapi.json"
        | "/api/v1/events"
        | "/invite"
        | "/reset"
        | "/invite.js"
        | "/invite.css" => req_path.to_string(),
        p if p.starts_with("/docs") => "/docs".to_string(),
        _ => "unmatched".to_string(),
    }
}

/// Routes whose bodies are file content, streamed rather than buffered.
pub fn is_upload_path(path: &str) -> bool {
    if path == "/api/v1/files" {
        return true;
    }
    // `/api/v1/spaces/{id}/documents` and `/api/v1/documents/{id}/versions`.
    let segments: Vec<&str> = path.split('/').collect();
    matches!(
        segments.as_slice(),
        ["", "api", "v1", "spaces", _, "documents"] | ["", "api", "v1", "documents", _, "versions"]
    )
}

/// Refuse bodies over `max` bytes: at once when `Content-Length` says so, and while streaming
/// when the body is chunked.
fn limit_body(req: &mut Request, max: usize) -> Result<(), ApiError> {
    let too_large = || {
        ApiError::new(
            crate::error::Code::PayloadTooLarge,
            format!("the request body exceeds {max} bytes"),
        )
    };
    if let Some(len) = req.headers().get("content-length") {
        let len: u64 = len
            .to_str()
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| ApiError::bad_request("invalid Content-Length header"))?;
        if len > max as u64 {
            return Err(too_large());
        }
        return Ok(());
    }
    if req.headers().contains_key("transfer-encoding") {
        use futures_util::StreamExt;
        let mut seen = 0usize;
        let stream = req.take_body().into_bytes_stream().map(move |chunk| {
            let chunk = chunk?;
            seen += chunk.len();
            if seen > max {
                return Err(std::io::Error::other("request body too large"));
            }
            Ok(chunk)
        });
        req.set_body(poem::Body::from_bytes_stream(stream));
    }
    Ok(())
}

/// The outermost middleware of the API (inside the state): see the module doc.
pub async fn around<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let start = Instant::now();
    let state = req.data::<Arc<AppState>>().cloned();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| valid_request_id(s))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    let xff = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let trusted = state
        .as_ref()
        .map(|s| s.trusted_proxies.as_slice())
        .unwrap_or(&[]);
    let ip = super::net::client_ip(peer, xff, trusted)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    let accept_language = req
        .headers()
        .get("accept-language")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    let upload = req.method() == poem::http::Method::POST && is_upload_path(req.uri().path());
    if let Some(max) = state.as_ref().map(|s| {
        if upload {
            // Uploads stream to the blob store; the files service applies the tenant's limit.
            // The ceiling here leaves room for multipart framing.
            (s.cfg.storage.max_upload_bytes as usize).saturating_add(64 * 1024)
        } else {
            s.cfg.max_body_bytes
        }
    }) {
        if let Err(e) = limit_body(&mut req, max) {
            return Ok(e.into_response_with(Some(request_id)));
        }
    }
    req.set_data(RequestCtx {
        request_id: request_id.clone(),
        ip,
        user_agent,
        accept_language,
    });
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let span = tracing::info_span!(
        "request",
        %method,
        route = tracing::field::Empty,
        status = tracing::field::Empty,
        %request_id,
        tenant_id = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );
    // The request's commits wake the relay for the topics they enqueued work for; what is left
    // noted when it answers is woken here.
    let (result, noted) = crate::db::outbox::noting(async {
        let result = ep.call(req).instrument(span.clone()).await;
        (result, crate::db::outbox::take_noted().unwrap_or_default())
    })
    .await;
    let mut resp = match result {
        Ok(r) => r.into_response(),
        Err(err) => {
            let op = err.data::<poem_openapi::OperationId>().copied();
            let mut resp = ApiError::from_poem(&err).into_response_with(Some(request_id.clone()));
            if let Some(op) = op {
                resp.set_data(op);
            }
            resp
        }
    };
    let route = route_label(&path, resp.data::<poem_openapi::OperationId>());
    let status = resp.status().as_u16();
    let elapsed = start.elapsed();
    span.record("route", route.as_str());
    span.record("status", status);
    span.record("latency_ms", elapsed.as_secs_f64() * 1000.0);
    if let Some(state) = &state {
        state
            .metrics
            .observe_request(&method, &route, status, elapsed);
        state.outbox_wake.topics(noted);
    }
    span.in_scope(|| {
        if route == "/healthz" || route == "/readyz" || route == "/metrics" {
            tracing::debug!("request");
        } else if status >= 500 {
            tracing::error!("request");
        } else {
            tracing::info!("request");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    let headers = resp.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if path.starts_with("/api/") && !headers.contains_key("cache-control") {
        // API answers carry personal data and tokens: no shared or browser cache keeps them.
        headers.insert("cache-control", HeaderValue::from_static("no-store"));
    }
    Ok(resp)
}

#[cfg(test)]
mod upload_path_tests {
    use super::is_upload_path;

    #[test]
    fn upload_paths() {
        assert!(is_upload_path("/api/v1/files"));
        assert!(is_upload_path("/api/v1/spaces/x/documents"));
        assert!(is_upload_path("/api/v1/documents/x/versions"));
        assert!(!is_upload_path("/api/v1/documents/x/copy"));
        assert!(!is_upload_path("/api/v1/spaces/x/folders"));
        assert!(!is_upload_path("/api/v1/files/x"));
    }
}
