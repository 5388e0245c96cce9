//! `/healthz` (the process answers), `/readyz` (the database answers and is migrated) and
//! `/metrics`.

use crate::AppState;
use poem::{handler, http::StatusCode, web::Data, IntoResponse, Response};
use std::sync::Arc;

#[handler]
pub async fn healthz() -> &'static str {
    "ok"
}

#[handler]
pub async fn readyz(Data(state): Data<&Arc<AppState>>) -> Response {
    match state.db.is_migrated().await {
        Ok(true) => "ready".into_response(),
        Ok(false) => (StatusCode::SERVICE_UNAVAILABLE, "database not migrated").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

#[handler]
pub async fn metrics(Data(state): Data<&Arc<AppState>>) -> Response {
    let size = i64::from(state.db.pool.size());
    let idle = state.db.pool.num_idle() as i64;
    state.metrics.pool.with_label_values(&["idle"]).set(idle);
    state
        .metrics
        .pool
        .with_label_values(&["in_use"])
        .set((size - idle).max(0));
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
