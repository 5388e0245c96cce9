//! Operations: request context and middleware, metrics, health and readiness, draining on
//! shutdown, built-in TLS, backups.

pub mod backup;
pub mod ctx;
pub mod drain;
pub mod health;
pub mod idempotency;
pub mod metrics;
pub mod net;
pub mod outbound;
pub mod status;
pub mod tls;
