//! User accounts of a tenant: invite, list, search, edit, disable and enable; each person's own
//! profile and password.

pub mod api;
pub mod deletion;
pub mod export;
pub mod hooks;
pub mod invitations;
pub mod lifecycle;
pub mod mail;
pub mod roles;
pub mod service;
pub mod store;
pub mod validate;
