//! Rules for user accounts: who may do what, validation, transactions with their audit entry.
//!
//! One file per concern, re-exported here so callers name `users::service::…` only:
//! `create` (new accounts, their invitations and fresh links), `lookup` (reading accounts), `profile` (editing
//! one), `credentials` (passwords and sessions), `status` (disable, enable, the last-admin
//! guard); `identifiers` checks email and phone for the first and the third.

mod create;
mod credentials;
mod identifiers;
mod lookup;
mod profile;
mod status;

pub use create::{create, insert_user, reissue_invitation, AccountCreator, NewUser};
pub use credentials::{activate_with_password, revoke_session, sessions, set_password};
pub use lookup::{
    count, counts, display_names, find, find_by_login, get, list, load, names_among, ListFilter,
};
pub use profile::{set_proven_contact, update, update_self, ProfilePatch};
pub use status::{ensure_other_admin, set_disabled, TOPIC_DISABLED};

use crate::{audit::Entry, authz::Granted};

/// The ids of a tenant's active people as an SQL subquery (tenant bound as `$1`), for features
/// that count over people in their own queries (privacy's acceptance counts).
pub use super::store::ACTIVE_PEOPLE;

/// The active people with their name and contact identifiers as an SQL subquery (tenant bound
/// as `$1`), for the directory's address book.
pub use super::store::ACTIVE_CARDS;

pub fn audit_user(g: &Granted<'_>, action: &'static str, target_id: &str) -> Entry {
    g.principal().audit(action).target("user", target_id)
}
