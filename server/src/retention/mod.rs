//! Data retention: per-tenant periods for every data class the lifecycle registry knows, with
//! overrides per room and team space, legal holds, a preview of what a policy removes before
//! it is saved, and purge runs (scheduled, asked for, or from the command line) that reach
//! every store and leave a report.
//!
//! - [`service`]: the policy, switches and overrides; the effective period of a class; the
//!   [`Selection`](crate::lifecycle::Selection) a run or a preview applies; previews.
//! - [`holds`]: creating, changing and releasing legal holds (the holds themselves, and the
//!   check every hand deletion makes, are the lifecycle's).
//! - [`runs`]: one tenant's run (bounded batches, throttled, one node at a time, resumable),
//!   its report, the schedule.
//! - [`lifecycle`]: run reports are a data class too, kept by their own period.
//!
//! Precedence: legal hold > room/space override > tenant policy > the class's default.

pub mod api;
pub mod holds;
pub mod hooks;
pub mod lifecycle;
pub mod overrides;
pub mod runs;
pub mod service;
pub mod store;
