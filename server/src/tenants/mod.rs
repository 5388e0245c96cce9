//! Tenants (companies): created by the platform operator, the CLI or first-run setup; suspended
//! and resumed by the operator.

pub mod api;
pub mod hooks;
pub mod service;
pub mod store;

#[cfg(test)]
mod tests;
