//! `GET /health`: how the tenant's background work stands, for its admins (the console's
//! overview): the search backend's state, and the tenant's outbox messages not delivered yet —
//! backlog, lag and dead letters, per topic. `/readyz` tells the same of the whole node to
//! balancers; this is the tenant's own share, behind `settings.manage`.

use crate::{
    authn::Session,
    authz::perm,
    db::{self, now_ms, rfc3339},
    error::ApiResult,
    http::ApiTags,
    AppState,
};
use poem::web::Data;
use poem_openapi::{payload::Json, Object, OpenApi};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct TenantHealth {
    pub search: SearchHealth,
    pub outbox: OutboxHealth,
    pub checked_at: String,
}

#[derive(Debug, Object)]
pub struct SearchHealth {
    /// `embedded` or `meilisearch`.
    pub backend: String,
    /// `up`, or `unavailable` (writes go on; index work waits in the outbox and drains when
    /// the backend answers again).
    pub state: String,
    pub down_since: Option<String>,
}

#[derive(Debug, Object)]
pub struct OutboxHealth {
    /// Messages waiting for delivery (index updates, notifications, mail...).
    pub pending: i64,
    /// Messages given up on after their last attempt.
    pub dead: i64,
    /// Age of the oldest waiting message, in seconds (0 when none waits).
    pub lag_seconds: i64,
    /// Per topic, only topics with undelivered messages.
    pub topics: Vec<TopicHealth>,
}

#[derive(Debug, Object)]
pub struct TopicHealth {
    pub topic: String,
    pub pending: i64,
    pub dead: i64,
    pub oldest_pending_at: Option<String>,
}

#[derive(Default)]
pub struct HealthApi;

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// The tenant's background work: search backend state, outbox backlog, lag and dead
    /// letters. Needs `settings.manage`.
    #[oai(path = "/health", method = "get", operation_id = "health_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<TenantHealth>> {
        let p = &auth.0;
        state.authz.require(p, perm::SETTINGS_MANAGE).await?;
        let mut conn = state.db.conn().await?;
        let stats = db::outbox::tenant_stats(&mut conn, &p.tenant_id).await?;
        let now = now_ms();
        let oldest = stats.iter().filter_map(|t| t.oldest_pending_at).min();
        Ok(Json(TenantHealth {
            search: SearchHealth {
                backend: state.search.name().to_string(),
                state: if state.search_health.is_up() {
                    "up"
                } else {
                    "unavailable"
                }
                .into(),
                down_since: state.search_health.down_since().map(rfc3339),
            },
            outbox: OutboxHealth {
                pending: stats.iter().map(|t| t.pending).sum(),
                dead: stats.iter().map(|t| t.dead).sum(),
                lag_seconds: oldest.map(|o| ((now - o) / 1000).max(0)).unwrap_or(0),
                topics: stats
                    .into_iter()
                    .map(|t| TopicHealth {
                        topic: t.topic,
                        pending: t.pending,
                        dead: t.dead,
                        oldest_pending_at: t.oldest_pending_at.map(rfc3339),
                    })
                    .collect(),
            },
            checked_at: rfc3339(now),
        }))
    }
}
