//! Self-service identity: signing up with a code sent by mail or text message (when the tenant
//! opens registration), signing in with a phone code, resetting a forgotten password by an
//! email link, and proving a new email or phone number before it is used. Codes and their
//! limits are `authn::codes`; messages go out through `delivery`, in the person's language.

pub mod api;
pub mod lifecycle;
pub mod mail;
pub mod recovery;
pub mod service;
pub mod settings;
pub mod store;
