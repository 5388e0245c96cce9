//! What accounts plug into the registries ([`register`]): the pass that erases accounts whose
//! grace period ended. (Their data classes and export section are listed in `app.rs`, where
//! the order across features is kept.)

use crate::Registries;
use std::time::Duration;

/// Accounts in the registries.
pub fn register(r: &mut Registries) {
    r.periodic.register(
        "account_erasure",
        // Grace periods ending, and erasures a stopped node left behind.
        |_| Some(Duration::from_secs(60)),
        |s| Box::pin(super::deletion::runner::erase_due(s)),
    );
}
