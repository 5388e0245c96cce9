//! The organisation directory: departments as a tree (each with an optional head), the
//! tenant's positions, and each person's place in it — one primary department and optionally
//! others, a position, a manager — with the address book built on it.
//!
//! - [`service`]: departments (create, rename, set the head, move without cycles, merge,
//!   delete only when empty), the org chart; [`positions`]: the tenant's positions.
//! - [`people`]: the address book (search by name ignoring case and accents, browse by
//!   department, the tenant's per-field visibility rules) and a person's placement (manager
//!   links without cycles).
//! - [`bulk`]: the org as CSV, imported row by row with a report of rejected rows.
//! - [`vcard`]: vCard 4.0 of a department's members, as the reader may see them.
//! - [`lifecycle`], [`export`]: a person's part, erased and exported.
//! - [`lines`]: reporting lines other features follow (approvals): a person's managers up
//!   the chain, a department and its ancestors, their heads.
//!
//! `directory.read` browses (staff hold it), `directory.manage` edits and always sees every
//! field. Changes of the tree and of manager links take the tenant's directory lock
//! ([`store::lock`]) first, so a cycle check never reads a tree that another change is
//! altering meanwhile, on SQLite or PostgreSQL. People's names and identifiers come from the
//! users feature (its active-people subquery); only active people are listed.

pub mod api;
pub mod audience;
pub mod bulk;
pub mod chart;
pub mod export;
pub mod hooks;
pub mod lifecycle;
pub mod lines;
pub mod people;
pub mod people_api;
pub mod photos;
pub mod positions;
pub mod service;
pub mod store;
pub mod vcard;
