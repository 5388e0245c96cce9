//! `/healthz` (the process answers), `/readyz` (the database answers and is migrated; with the
//! search backend's state and backlog) and
//! `/metrics`.

use crate::{authn::tokens, error::ApiError, AppState};
use poem::{handler, http::StatusCode, web::Data, IntoResponse, Request, Response};
use std::sync::Arc;

#[handler]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and is migrated and the node is not shutting down (503
/// `draining` after `SIGTERM`, so balancers stop sending it work). The JSON body also says how
/// the search backend stands: a backend that is down does not make the node unready — writes
/// go on and index work waits in the outbox — but deployers see it, with the backlog.
#[handler]
pub async fn readyz(Data(state): Data<&Arc<AppState>>) -> Response {
    let database = match state.db.is_migrated().await {
        Ok(true) => "ok",
        Ok(false) => "not migrated",
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            "unreachable"
        }
    };
    let backlog = if database == "ok" {
        search_backlog(state).await.ok()
    } else {
        None
    };
    let draining = state.drain.is_draining();
    let status = match (draining, database) {
        (true, _) => "draining",
        (false, "ok") => "ready",
        _ => "unavailable",
    };
    let body = serde_json::json!({
        "status": status,
        "database": database,
        "search": {
            "backend": state.search.name(),
            "state": if state.search_health.is_up() { "up" } else { "unavailable" },
            "down_since": state.search_health.down_since().map(crate::db::rfc3339),
            "backlog": backlog,
        },
    });
    let status = if database == "ok" && !draining {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, poem::web::Json(body)).into_response()
}

async fn search_backlog(state: &AppState) -> Result<i64, sqlx::Error> {
    let mut conn = state.db.conn().await?;
    let mut n = 0;
    for topic in state.search_health.topics() {
        n += crate::db::outbox::pending(&mut conn, topic).await?;
    }
    Ok(n)
}

/// Prometheus scrape. Mounted on the API listener only when `metrics_token` is set (and then
/// only with that bearer token), or on the separate `metrics_listen` address; see `crate::app`.
#[handler]
pub async fn metrics(req: &Request, Data(state): Data<&Arc<AppState>>) -> poem::Result<Response> {
    let expected = state.cfg.metrics_token.expose();
    if !expected.is_empty() {
        let presented = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Digests of equal length, compared in constant time: the answer's timing says nothing
        // about how much of a guess was right.
        if !tokens::digests_equal(&tokens::hash(presented), &tokens::hash(expected)) {
            return Err(ApiError::unauthenticated().into());
        }
    }
    let size = i64::from(state.db.pool.size());
    let idle = state.db.pool.num_idle() as i64;
    state.metrics.pool.with_label_values(&["idle"]).set(idle);
    state
        .metrics
        .pool
        .with_label_values(&["in_use"])
        .set((size - idle).max(0));
    Ok(Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render()))
}

/// The URL of `path` on this node's own `listen` address: an unspecified address (`0.0.0.0`,
/// `[::]`) is asked on the loopback address of its family.
pub fn local_url(listen: &str, path: &str) -> String {
    match listen.parse::<std::net::SocketAddr>() {
        Ok(mut addr) => {
            if addr.ip().is_unspecified() {
                addr.set_ip(match addr.ip() {
                    std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            format!("http://{addr}{path}")
        }
        Err(_) => format!("http://{listen}{path}"),
    }
}

/// `stoa healthcheck`: ask `url` and succeed on a 2xx answer within `timeout`. It is the
/// container image's health check (the image has no shell and no curl).
pub async fn probe(url: &str, timeout: std::time::Duration) -> Result<(), crate::BoxError> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()?;
    let answer = client.get(url).send().await?;
    if answer.status().is_success() {
        Ok(())
    } else {
        Err(format!("{url} answered {}", answer.status()).into())
    }
}
