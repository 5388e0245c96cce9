//! Stoa's black-box suite: one test binary, every test against SQLite and PostgreSQL.

// Tests assert by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod accounts;
mod announcements;
mod approvals_actions;
mod approvals_fixtures;
mod approvals_reach;
mod approvals_requests;
mod approvals_routing;
mod approvals_templates;
mod attendance;
mod attendance_excused;
mod audiences;
mod audit;
mod auth;
mod backup;
mod bulletin;
mod calendar;
mod console;
mod contract;
mod deploy;
mod directory;
mod docfiles;
mod documents;
mod e2e;
mod exports;
mod files;
mod hostile;
mod identity;
mod invite_page;
mod meetings;
mod messaging;
mod messaging_authz;
mod migrations;
mod multinode;
mod notes;
mod ops;
mod privacy;
mod realtime;
mod retention;
mod roles;
mod search;
mod security;
mod session_cache;
mod sinks;
mod spec;
mod sso;
mod tasks;
mod tenants;
mod tls;
mod two_factor;
mod users;
