//! Erasing one person from every store, through the same registry as retention.
//!
//! A feature implements [`Lifecycle::transfer`](super::Lifecycle::transfer) (hand what the
//! person owns to a successor: documents, rooms, …) and [`Lifecycle::erase`](super::Lifecycle::erase)
//! (remove the person's data from its stores) and says what it did, per store. The registry
//! runs every transfer first, then every erasure, in registration order, and collects the
//! [`Report`]. Each step is idempotent: an erasure interrupted by a crash is run again from
//! the start and removes what is left (its report then counts what the second run removed).
//!
//! [`Erasure`] is both the request and the proof: only this module makes one (from
//! [`Registry::erase`](super::Registry::erase)), so a feature's erase cannot be called from
//! anywhere else.

use super::holds::{Hold, Item};
use serde::{Deserialize, Serialize};

/// What happens to messages the person wrote (a tenant setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthoredMessages {
    /// Deleted from every store, as a retention purge deletes them.
    Delete,
    /// Kept, shown as written by the pseudonym; their attachments removed.
    Pseudonymise,
}

impl AuthoredMessages {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthoredMessages::Delete => "delete",
            AuthoredMessages::Pseudonymise => "pseudonymise",
        }
    }

    pub fn parse(s: &str) -> Option<AuthoredMessages> {
        match s {
            "delete" => Some(AuthoredMessages::Delete),
            "pseudonymise" => Some(AuthoredMessages::Pseudonymise),
            _ => None,
        }
    }
}

/// Where the person's documents go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum DocumentsTo {
    /// Into the successor's personal space.
    Person(String),
    /// Into the company space.
    Company,
}

/// The choices made with a deletion request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfers {
    /// Documents in the personal space (`None`: erased with it).
    pub documents_to: Option<DocumentsTo>,
    /// Rooms the person owns get this owner (`None`: another member becomes owner when there
    /// is one, as when an owner leaves).
    pub rooms_to: Option<String>,
}

/// One erasure: whose, how, and the legal holds that win over it. Made only by the registry.
#[derive(Debug, Clone)]
pub struct Erasure {
    tenant_id: String,
    /// The person (their id stays, as a pseudonymous id, where records must keep one).
    pub person: String,
    /// The name shown instead of theirs from now on ("Deleted user 7F3A").
    pub pseudonym: String,
    pub messages: AuthoredMessages,
    pub transfers: Transfers,
    /// Active holds of the tenant when the erasure started.
    pub holds: Vec<Hold>,
}

impl Erasure {
    pub(super) fn new(
        tenant_id: &str,
        person: &str,
        messages: AuthoredMessages,
        transfers: Transfers,
        holds: Vec<Hold>,
    ) -> Erasure {
        Erasure {
            tenant_id: tenant_id.to_string(),
            person: person.to_string(),
            pseudonym: pseudonym(person),
            messages,
            transfers,
            holds,
        }
    }

    /// The first hold that keeps this item, if any.
    pub fn held_by(&self, item: &Item<'_>) -> Option<&Hold> {
        self.holds.iter().find(|h| h.covers(item))
    }

    /// Whether a hold names the person (everything they authored or own is then kept).
    pub fn person_held(&self) -> bool {
        self.holds
            .iter()
            .any(|h| h.people.iter().any(|p| p == &self.person))
    }
}

impl crate::authz::proof::Proof for Erasure {
    fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
}

/// The name an erased person is shown by: stable for the id, not derived from anything they
/// told us ("Deleted user 7F3A").
pub fn pseudonym(person: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(person.as_bytes());
    format!("Deleted user {}", hex::encode_upper(&d[..2]))
}

/// What a feature removed from one of its stores.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erased {
    pub feature: String,
    /// What it was: `profile`, `sessions`, `messages`, `attachments`, `documents`, …
    pub what: String,
    /// Items removed (or scrubbed, for what is kept under a pseudonym).
    pub items: u64,
    /// Database rows deleted or scrubbed.
    pub rows: u64,
    /// Files whose blob (and thumbnail) was deleted.
    pub blobs: u64,
    pub bytes: u64,
    /// Search index entries removed or rewritten.
    pub index_entries: u64,
    /// Items kept because a legal hold covers them.
    pub held: u64,
    /// Items kept on purpose (pseudonymised messages, records that keep a pseudonymous id).
    pub kept: u64,
}

impl Erased {
    pub fn of(feature: &str, what: &str) -> Erased {
        Erased {
            feature: feature.to_string(),
            what: what.to_string(),
            ..Erased::default()
        }
    }

    /// Add what a purge removed.
    pub fn add(&mut self, p: super::Purged) {
        self.items += p.items;
        self.rows += p.rows;
        self.blobs += p.blobs;
        self.bytes += p.bytes;
        self.index_entries += p.index_entries;
    }

    /// Rows deleted, each an item.
    pub fn rows(feature: &str, what: &str, n: u64) -> Erased {
        Erased {
            items: n,
            rows: n,
            ..Erased::of(feature, what)
        }
    }
}

/// What a feature handed to a successor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transferred {
    pub feature: String,
    pub what: String,
    pub items: u64,
    /// `person:<id>` or `company`.
    pub to: String,
}

/// What an erasure would do to one kind of data, counted before it runs (nothing changes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Foreseen {
    pub feature: String,
    /// What it is: `messages`, `documents`, `uploads`, …
    pub what: String,
    /// Items that would be removed.
    pub items: u64,
    /// Bytes those items hold, where the feature knows them.
    pub bytes: u64,
    /// Items a legal hold would keep.
    pub held: u64,
    /// Items kept on purpose (messages under the pseudonym, records that keep a pseudonymous id).
    pub kept: u64,
}

impl Foreseen {
    pub fn of(feature: &str, what: &str) -> Foreseen {
        Foreseen {
            feature: feature.to_string(),
            what: what.to_string(),
            ..Foreseen::default()
        }
    }

    /// `n` items that would be removed.
    pub fn removed(feature: &str, what: &str, n: u64) -> Foreseen {
        Foreseen {
            items: n,
            ..Foreseen::of(feature, what)
        }
    }

    /// `n` items, all removed unless a hold on the person keeps them.
    pub fn unless_held(e: &Erasure, feature: &str, what: &str, n: u64) -> Foreseen {
        if e.person_held() {
            Foreseen {
                held: n,
                ..Foreseen::of(feature, what)
            }
        } else {
            Foreseen::removed(feature, what, n)
        }
    }
}

/// What an erasure would do, feature by feature: the deletion preview.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Forecast {
    pub transferred: Vec<Transferred>,
    pub erased: Vec<Foreseen>,
    /// The active legal holds that name the person (everything they authored is then kept).
    #[serde(default)]
    pub holds: Vec<String>,
}

impl Forecast {
    pub fn erased(erased: Vec<Foreseen>) -> Forecast {
        Forecast {
            erased,
            ..Forecast::default()
        }
    }

    pub fn extend(&mut self, o: Forecast) {
        self.transferred.extend(o.transferred);
        self.erased.extend(o.erased);
        self.holds.extend(o.holds);
    }
}

/// What one erasure did, store by store.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    pub transferred: Vec<Transferred>,
    pub erased: Vec<Erased>,
}

impl Report {
    /// Totals over every store.
    pub fn totals(&self) -> Erased {
        let mut t = Erased::of("all", "all");
        for e in &self.erased {
            t.items += e.items;
            t.rows += e.rows;
            t.blobs += e.blobs;
            t.bytes += e.bytes;
            t.index_entries += e.index_entries;
            t.held += e.held;
            t.kept += e.kept;
        }
        t
    }
}
