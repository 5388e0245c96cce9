//! Approval requests: a person submits answers under a template's current version; the chain
//! of approvers is resolved on the current organisation and frozen with the request; the
//! request walks it node by node.
//!
//! - [`machine`]: the pure state machine (request and node states, any-one / all / in-sequence
//!   nodes, who may decide now), property-tested.
//! - [`store`]: the requests, their append-only actions, who they wait for and copy.
//! - [`service`]: submit (idempotent), read, and the lists (mine, waiting, handled, copied,
//!   all).
//! - [`act`]: every action on a request (approve, reject, transfer, add a signer, send back,
//!   resubmit, withdraw, urge, comment, with files) — row lock and revision compare-and-set,
//!   the action record, audit and notices in one transaction.
//! - [`departed`]: replacing an approver who was disabled or erased.
//! - [`hooks`]: the `approval` search kind, request attachments' readers, departures.
//! - [`lifecycle`], [`export`]: retention of finished requests, erasure (the record kept under
//!   a pseudonymous id), the personal data export.
//! - [`reach`]: what a step sends beyond the request — mail to the people it reaches (when mail
//!   is set up) and approved absences to the absence seam ([`crate::absences`]).
//! - [`api`], [`dto`]: `/approvals/requests`.

pub mod act;
pub mod api;
pub mod departed;
pub mod dto;
pub mod export;
pub mod hooks;
pub mod lifecycle;
pub mod machine;
mod mail;
pub mod reach;
pub mod service;
pub mod store;
pub mod who;
