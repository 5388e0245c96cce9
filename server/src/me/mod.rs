//! The signed-in person's own account: profile, password, sessions.

pub mod api;
