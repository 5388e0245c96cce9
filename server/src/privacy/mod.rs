//! Privacy-policy versions and recorded consent.
//!
//! Admins (`settings.manage`) publish versions of their tenant's privacy policy: a label, the
//! text in Markdown, the instant it takes effect and whether everyone must accept it again. A
//! version is current from its effective instant until a later one takes effect, and is never
//! edited. A person whose consent to the current version is missing is held at the **consent
//! gate**: every operation answers 403 `consent_required` except those that take
//! [`crate::authn::SessionPendingConsent`] (reading and accepting the policy, signing out,
//! exporting one's data, asking for one's deletion), and the WebSocket refuses them.
//!
//! - [`service`]: publishing, which version stands where, accepting, history, counts.
//! - [`store`]: the SQL, including [`store::pending_condition`], the gate as one SQL condition.
//!   authn's session lookup embeds it (registered in `app.rs` through [`consent_gate`]), so
//!   finding out whether a person's consent is missing costs no query of its own.
//!
//! Consent counts when it is to a version in effect that is no older than the latest version in
//! effect that asked for re-consent; while a tenant has no version in effect, nobody is held.

pub mod api;
pub mod export;
pub mod lifecycle;
pub mod service;
pub mod store;

/// The consent gate for authn's session lookup: true when the session's person (`s.user_id`
/// of tenant `s.tenant_id`) must consent at the instant `$2`.
pub fn consent_gate() -> crate::authn::Gate {
    crate::authn::Gate {
        pending: store::pending_condition("s.tenant_id", "s.user_id", "$2"),
        changes_at: store::changes_at("s.tenant_id", "$2"),
    }
}
