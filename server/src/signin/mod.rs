//! Signing in: the `/auth` API (sign in with a password, sign out, accept an invitation) and
//! changing one's password. A feature over `authn` (sessions, tokens, throttling, password
//! hashing: infrastructure that names no feature) and the accounts of `users` and `tenants`,
//! which it reads through their services.

pub mod api;
pub mod service;
