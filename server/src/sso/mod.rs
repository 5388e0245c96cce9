//! Single sign-on per tenant with OpenID Connect: admins point the tenant at its identity
//! provider (`/settings/sso`), people sign in through it (`/auth/sso/...`) and link or unlink
//! identities to their account (`/me/sso`). The protocol itself — discovery, PKCE, the ID
//! token's checks — is `authn::oidc`; every request to the provider goes through
//! `ops::outbound`. See [`flow`] for the rules of a sign-in.

pub mod api;
pub mod export;
pub mod flow;
pub mod lifecycle;
pub mod page;
mod provision;
pub mod settings;
pub mod store;
