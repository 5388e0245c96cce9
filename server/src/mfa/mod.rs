//! Two-factor sign-in with TOTP (RFC 6238): each person may set up an authenticator app
//! (`/me/two-factor`), the tenant may require it for admins or for everyone
//! (`/settings/two-factor`), sign-in asks for a code after a correct password, and an admin
//! resets a lost factor. See [`service`] for the rules.

pub mod api;
pub mod lifecycle;
pub mod service;
pub mod store;
