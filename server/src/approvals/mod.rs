//! Approvals: templates with typed forms and flows (who approves, node by node, with
//! conditional routing on the form's answers), requests that walk those flows, and every action
//! an OA suite offers on them (approve, reject, transfer, add a signer, send back, withdraw,
//! urge, comment), concurrency-safe.
//!
//! - [`model`]: the shapes shared by the two halves of the feature: the resolved chain of
//!   approvers a template's flow gives for one submitter and one set of answers.
//! - [`form`]: the typed form of a template and its answers, checked and normalised.
//! - [`expr`]: the small, safe condition language of flows; [`eval`] evaluates it.
//! - [`flow`]: a template's flow (nodes, modes, conditions, approver and CC rules).
//! - [`version`], [`templates`], [`starters`], [`store`]: templates as immutable versions,
//!   who may submit them, the four starter templates every tenant has.
//! - [`resolve`]: the chain of a version for one submitter and their answers, on the current
//!   directory and roles; the approval admins; who replaces a departed approver.
//! - [`api`], [`dto`], [`preview`]: the templates API and the preview of a request's chain.
//! - [`requests`]: requests walking their frozen chains, the actions on them, the lists.

pub mod api;
pub mod dto;
pub mod eval;
pub mod expr;
pub mod flow;
pub mod form;
pub mod model;
pub mod preview;
pub mod requests;
pub mod resolve;
pub mod starters;
pub mod store;
pub mod templates;
pub mod version;
