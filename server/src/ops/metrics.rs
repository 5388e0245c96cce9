//! Prometheus metrics: requests by route template (operation id) and status, latency, pool use,
//! outbox backlog. Served only where configured (`metrics_listen`, or the API listener with
//! `metrics_token`): see `ops::health::metrics`.

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
    /// 1 while the search backend answers, 0 while index writes wait for it.
    pub search_up: IntGauge,
    /// Index writes not yet applied (the search topics' undelivered outbox messages).
    pub search_backlog: IntGauge,
    /// Session lookups answered from this node's cache or from the database.
    pub session_lookups: IntCounterVec,
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
        let search_up = IntGauge::new(
            "search_backend_up",
            "1 while the search backend answers, 0 while index writes wait for it",
        )?;
        search_up.set(1);
        let search_backlog = IntGauge::new(
            "search_backlog",
            "Index writes not yet applied to the search backend",
        )?;
        let session_lookups = IntCounterVec::new(
            Opts::new(
                "session_lookups_total",
                "Session lookups by where they were answered (cache, database)",
            ),
            &["from"],
        )?;
        registry.register(Box::new(session_lookups.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(outbox_pending.clone()))?;
        registry.register(Box::new(outbox_dead.clone()))?;
        registry.register(Box::new(outbox_lag_ms.clone()))?;
        registry.register(Box::new(outbox_processed.clone()))?;
        registry.register(Box::new(search_up.clone()))?;
        registry.register(Box::new(search_backlog.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            pool,
            outbox_pending,
            outbox_dead,
            outbox_lag_ms,
            outbox_processed,
            search_up,
            search_backlog,
            session_lookups,
        })
    }

    /// Count one request. Every label comes from a fixed set — `route` is an operation id or one
    /// of the fixed paths (see `ops::ctx::route_label`), and method and status are normalised
    /// here — so clients cannot create series: each new label value costs a counter and a
    /// 15-bucket histogram for as long as the process lives.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = method_label(method);
        self.requests
            .with_label_values(&[method, route, status_label(status)])
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

/// The method label: the methods Stoa serves, everything else `other`.
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// Status codes Stoa answers with, each its own label value.
const STATUSES: &[&str] = &[
    "101", "200", "201", "202", "204", "206", "301", "302", "303", "304", "307", "308", "400",
    "401", "403", "404", "405", "406", "409", "410", "411", "412", "413", "415", "416", "422",
    "429", "431", "500", "501", "502", "503", "504",
];

/// The status label: the codes Stoa answers with, otherwise the class (`2xx` … `5xx`).
pub fn status_label(status: u16) -> &'static str {
    let code = status.to_string();
    if let Some(known) = STATUSES.iter().find(|s| **s == code) {
        return known;
    }
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_a_fixed_set() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("get"), "other");
        assert_eq!(method_label("FROBNICATE"), "other");
        assert_eq!(status_label(404), "404");
        assert_eq!(status_label(418), "4xx");
        assert_eq!(status_label(999), "other");
        let m = Metrics::new().unwrap();
        let series = |m: &Metrics| {
            m.render()
                .lines()
                .filter(|l| l.starts_with("stoa_http_requests_total{"))
                .count()
        };
        for i in 0..500u16 {
            m.observe_request(&format!("X{i}"), "unmatched", 405, Duration::from_millis(1));
        }
        assert_eq!(series(&m), 1, "invented methods share one series");
        for status in 0..1000u16 {
            m.observe_request("GET", "unmatched", status, Duration::from_millis(1));
        }
        // The codes Stoa answers with, five classes and `other`: a fixed ceiling.
        assert!(series(&m) <= 1 + 40, "{} series", series(&m));
    }
}
