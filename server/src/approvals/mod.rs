//! Approvals: templates with typed forms and flows (who approves, node by node, with
//! conditional routing on the form's answers), requests that walk those flows, and every action
//! an OA suite offers on them (approve, reject, transfer, add a signer, send back, withdraw,
//! urge, comment), concurrency-safe.
//!
//! - [`model`]: the shapes shared by the two halves of the feature: the resolved chain of
//!   approvers a template's flow gives for one submitter and one set of answers.

pub mod model;
