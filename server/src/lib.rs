//! Stoa: an on-prem, multi-tenant collaboration server.
//!
//! This file only declares the modules. [`app`] builds the [`AppState`] (`state`) from a
//! [`config::Config`], registers the features with the infrastructure and serves the HTTP
//! surface with the background workers; `docs/architecture.md` draws the whole picture.

#![forbid(unsafe_code)]

pub mod absences;
pub mod announcements;
pub mod api;
pub mod app;
pub mod approvals;
#[cfg(test)]
mod architecture;
pub mod attendance;
pub mod audit;
pub mod authn;
pub mod authz;
pub mod blobs;
pub mod bulletin;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod delivery;
pub mod directory;
pub mod documents;
pub mod error;
pub mod exports;
pub mod files;
pub mod http;
pub mod identity;
pub mod jobs;
pub mod lifecycle;
pub mod me;
pub mod meetings;
pub mod messaging;
pub mod mfa;
pub mod notes;
pub mod notices;
pub mod ops;

pub mod privacy;
pub mod private_fs;
pub mod realtime;
pub mod retention;
pub mod roles;
pub mod search;
pub mod setup;
pub mod signin;
pub mod sso;
pub mod state;
pub mod tasks;
pub mod tenants;
pub mod users;

pub use app::{
    app, build_cli_state, build_state, converters, init_tracing, outbox_topics, serve,
    write_secret_file,
};
pub use state::{AppState, BoxError, Registries};
// Old path, for code that still says `crate::pagination` (use `crate::http::pagination`).
pub use http::pagination;
