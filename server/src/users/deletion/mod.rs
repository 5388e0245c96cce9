//! Account deletion, a workflow and not a DELETE (DESIGN §4): `active → disabled (at once) →
//! pending erasure (the tenant's grace period; can be cancelled) → erased`.
//!
//! - **Request** (an admin holding `users.delete` for an account within their reach, or the
//!   person for themselves): in one transaction the account is disabled, every session is
//!   revoked and every invitation link withdrawn, the request is stored with the offboarding
//!   transfers it names, and the audit entry is written; then the person's sockets close on
//!   every node. The last active admin cannot be deleted.
//! - **Grace period**: an admin cancels (back to active or left disabled); signing in cancels
//!   a request the person made themselves when the tenant allows it.
//! - **Erasure** ([`runner`]): when the grace period ends (at once for 0 days) one node claims
//!   the request and runs the lifecycle registry's erasure (every feature's transfer, then
//!   every feature's erasure, the account's profile, then the audit log's personal fields),
//!   writes the [`report`](store::ReportRow) and puts the person on the erasure ledger (in the
//!   database and in the blob store, which a database restore does not roll back), so that
//!   [`runner::replay`] can erase them again after an older backup is restored.

pub mod api;
pub mod runner;
pub mod service;
pub mod store;

pub use service::*;
