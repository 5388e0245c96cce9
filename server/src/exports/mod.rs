//! Personal data exports (the right of access and portability): a person asks for an archive
//! of everything the server keeps that they own or authored, or an admin asks on their behalf;
//! it is built in the background, fetched by a short-lived link, and purged when it expires.
//!
//! - [`service`]: who may ask, see and fetch; one export in the making per person; links;
//!   the background pass (take over stalled builds, purge expired archives).
//! - [`build`]: one build, leased to one node, crash-safe and retried.
//! - What goes into the archive is not decided here: every feature writes its own part
//!   through the lifecycle's export registry (`lifecycle::export`, registered in
//!   `app::exporters`); the archive's layout and manifest are the lifecycle's too.

pub mod api;
pub mod build;
pub mod hooks;
pub mod lifecycle;
pub mod service;
pub mod store;
