//! The absence seam: how a feature that **grants** absences (approved leave and business-trip
//! requests, in approvals) tells a feature that **keeps days** (attendance, which marks them
//! excused) — without either naming the other.
//!
//! The granting feature calls [`publish`] inside the transaction that grants the absence (so
//! the grant and its message commit together); the outbox relay hands the message to the
//! handler `app.rs` registers for [`TOPIC`] (attendance's). Delivery is at least once: the
//! consumer writes the same absence again with the same (`source`, `source_id`, person), which
//! replaces what it wrote the first time, so a retried message marks nothing twice. An install
//! without a consumer keeps the messages until one registers.
//!
//! Only grants travel: a request that is rejected or withdrawn publishes nothing.
//!
//! Infrastructure: names no feature.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// The outbox topic of granted absences.
pub const TOPIC: &str = "absences.granted";

/// The kinds of absence a grant may carry.
pub const KINDS: &[&str] = &["leave", "trip"];

/// One person away on whole days, `first_date` to `last_date` inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absence {
    pub user_id: String,
    /// `YYYY-MM-DD`.
    pub first_date: String,
    pub last_date: String,
    /// One of [`KINDS`].
    pub kind: String,
    /// The granting feature (`approvals`).
    pub source: String,
    /// What granted it in that feature (a request's id): the key a retry writes under again.
    pub source_id: String,
    /// A short note for the people who read the days (the request's title).
    pub note: String,
    /// The person who granted it last (the final approver), for the consumer's record.
    pub granted_by: String,
}

/// Queue a granted absence inside the caller's transaction.
pub async fn publish(
    conn: &mut AnyConnection,
    tenant_id: &str,
    a: &Absence,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::to_value(a).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    crate::db::outbox::enqueue(conn, tenant_id, TOPIC, &payload).await
}

/// Read a message of [`TOPIC`].
pub fn parse(payload: &str) -> Result<Absence, serde_json::Error> {
    serde_json::from_str(payload)
}
