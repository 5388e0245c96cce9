//! Operations: request context and middleware, metrics, health and readiness, backups.

pub mod backup;
pub mod ctx;
pub mod health;
pub mod idempotency;
pub mod metrics;
pub mod net;
pub mod outbound;
