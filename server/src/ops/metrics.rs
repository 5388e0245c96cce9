//! Prometheus metrics: requests by route template (operation id) and status, latency, pool use,
//! outbox backlog.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use std::time::Duration;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pub pool: IntGaugeVec,
    pub outbox_pending: IntGauge,
    pub outbox_dead: IntGauge,
    pub outbox_lag_ms: IntGauge,
    pub outbox_processed: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new_custom(Some("stoa".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route template and status",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ],
            ),
            &["method", "route"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections by state"),
            &["state"],
        )?;
        let outbox_pending = IntGauge::new("outbox_pending", "Outbox messages not yet delivered")?;
        let outbox_dead = IntGauge::new("outbox_dead", "Dead-lettered outbox messages")?;
        let outbox_lag_ms = IntGauge::new(
            "outbox_lag_milliseconds",
            "Age of the oldest undelivered outbox message",
        )?;
        let outbox_processed = IntCounterVec::new(
            Opts::new(
                "outbox_processed_total",
                "Outbox deliveries by topic and result",
            ),
            &["topic", "result"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(outbox_pending.clone()))?;
        registry.register(Box::new(outbox_dead.clone()))?;
        registry.register(Box::new(outbox_lag_ms.clone()))?;
        registry.register(Box::new(outbox_processed.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            pool,
            outbox_pending,
            outbox_dead,
            outbox_lag_ms,
            outbox_processed,
        })
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(elapsed.as_secs_f64());
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}
