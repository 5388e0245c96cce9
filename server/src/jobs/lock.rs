//! Job leases are database infrastructure: they live in [`crate::db::lock`] (the `job_locks`
//! table's SQL); this path keeps working.

pub use crate::db::lock::{release, try_acquire};
