//! What the directory plugs into the registries ([`register`]): the readers of people's
//! photos. (Its `directory.changed` topic is consumed by documents and messaging, wired in
//! `app.rs`.)

use crate::Registries;

/// The directory in the registries.
pub fn register(r: &mut Registries) {
    r.file_readers.register(super::photos::Photos);
}
