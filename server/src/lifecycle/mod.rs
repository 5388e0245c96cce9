//! The data lifecycle registry: one place that knows every kind of tenant data and how to find,
//! count and purge it from **every** store (rows, blobs, thumbnails, index entries, event
//! payloads). Retention policies, account erasure and export are built on it; a feature plugs
//! in by declaring its [`DataClass`]es next to its own code (with a [`Source`] its store
//! writes: where the class's items are, their age, container, people and size) and
//! implementing [`Lifecycle::purge`]; `app.rs` registers it. Lifecycle names no feature.
//!
//! What a run removes is a [`Selection`]: a cut-off per class, overrides per room or space,
//! and the legal holds ([`holds`]) whose items stay whatever the cut-off says. Counting
//! ([`Registry::measure`]) and purging ([`Registry::purge_batch`]) read the same SQL
//! predicate, so a preview counts exactly what the next run removes.

pub mod erase;
pub mod export;
pub mod holds;
mod store;

use store::select;
pub use store::select::{Due, Measure, Selection, Source};

use crate::{config::Config, AppState, BoxError};
use async_trait::async_trait;
use serde::Serialize;
use std::sync::Arc;

/// What a class's items live in, where a tenant may set a different period per container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    Room,
    Space,
}

impl Container {
    pub fn as_str(self) -> &'static str {
        match self {
            Container::Room => "room",
            Container::Space => "space",
        }
    }

    pub fn parse(s: &str) -> Option<Container> {
        match s {
            "room" => Some(Container::Room),
            "space" => Some(Container::Space),
            _ => None,
        }
    }
}

/// A room or space by name, for pickers and previews.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// Which rooms or spaces to name.
#[derive(Debug, Clone, Copy)]
pub enum Find<'a> {
    /// These (unknown ids are left out).
    Ids(&'a [String]),
    /// Every one, by id after `after`, at most `limit`.
    Page { after: &'a str, limit: i64 },
}

/// One kind of data a feature keeps, such as `messages_direct` or `document_versions`.
#[derive(Debug, Clone, Copy)]
pub struct DataClass {
    /// Stable name, unique across features (policies refer to it).
    pub name: &'static str,
    /// The feature that owns it.
    pub feature: &'static str,
    pub description: &'static str,
    /// The tables whose rows belong to this class (and are purged with it).
    pub tables: &'static [&'static str],
    /// Where its items are (written by the feature's store).
    pub source: &'static Source,
    /// The container a per-room or per-space override applies to; `None`: tenant-wide only.
    pub container: Option<Container>,
    /// Days kept when the tenant sets nothing (`None`: forever).
    pub default_days: fn(&Config) -> Option<i64>,
    /// The shortest period a tenant may set.
    pub min_days: fn(&Config) -> i64,
}

/// Keep forever unless the tenant says otherwise.
pub fn forever(_: &Config) -> Option<i64> {
    None
}

/// At least one day.
pub fn one_day(_: &Config) -> i64 {
    1
}

/// Permission to purge, handed to a feature only by this registry: a feature's purge cannot be
/// called from anywhere else.
pub struct Purge {
    tenant_id: String,
}

impl crate::authz::proof::Proof for Purge {
    fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
}

/// What one purge removed, per store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// Items of the class (messages, versions, …).
    pub items: u64,
    /// Database rows deleted (the items and what hangs off them), and rows scrubbed.
    pub rows: u64,
    /// Files whose blob (and thumbnail) was released for deletion.
    pub blobs: u64,
    /// Bytes those items held (content, file sizes).
    pub bytes: u64,
    /// Search index entries removed.
    pub index_entries: u64,
}

impl Purged {
    /// An item whose own rows were deleted (`n`: 0 when it was gone already, else 1), with
    /// the bytes it held counted only when it went.
    pub fn rows_of(d: &Due, n: u64) -> Purged {
        Purged {
            items: n,
            rows: n,
            bytes: if n > 0 {
                u64::try_from(d.bytes).unwrap_or(0)
            } else {
                0
            },
            ..Purged::default()
        }
    }
}

impl std::ops::AddAssign for Purged {
    fn add_assign(&mut self, o: Purged) {
        self.items += o.items;
        self.rows += o.rows;
        self.blobs += o.blobs;
        self.bytes += o.bytes;
        self.index_entries += o.index_entries;
    }
}

/// A feature's data, as the lifecycle sees it.
#[async_trait]
pub trait Lifecycle: Send + Sync {
    /// The classes this feature keeps (none: the feature only takes part in erasure).
    fn classes(&self) -> &'static [DataClass] {
        &[]
    }

    /// Remove these items of `class` from every store, in one transaction; an item already gone
    /// is skipped (a batch redone after a crash removes nothing twice).
    async fn purge(
        &self,
        _proof: &Purge,
        _state: &AppState,
        class: &str,
        _items: &[Due],
    ) -> Result<Purged, BoxError> {
        Err(format!("no data class `{class}` here").into())
    }

    /// Hand what the person owns to the successors the erasure names (documents, rooms, …),
    /// before anything is erased. What is not transferred is erased.
    async fn transfer(
        &self,
        _erasure: &erase::Erasure,
        _state: &AppState,
    ) -> Result<Vec<erase::Transferred>, BoxError> {
        Ok(Vec::new())
    }

    /// Remove the person's data from this feature's stores (rows, blobs, index entries),
    /// keeping what the erasure's legal holds cover, and say what went, per kind of data.
    /// Idempotent: run again, it removes what is left.
    async fn erase(
        &self,
        _erasure: &erase::Erasure,
        _state: &AppState,
    ) -> Result<Vec<erase::Erased>, BoxError> {
        Ok(Vec::new())
    }

    /// What [`transfer`](Lifecycle::transfer) and [`erase`](Lifecycle::erase) would do for
    /// this erasure, counted from the stores without changing anything (the deletion
    /// preview). An estimate of the moment: the erasure report says what went.
    async fn foresee(
        &self,
        _erasure: &erase::Erasure,
        _state: &AppState,
    ) -> Result<erase::Forecast, BoxError> {
        Ok(erase::Forecast::default())
    }

    /// Whether a room or space with this id exists in the tenant, and whether `user_id` may
    /// govern its retention (owns the room, manages the space). `None`: not this feature's
    /// container, or no such container.
    async fn container(
        &self,
        _state: &AppState,
        _tenant_id: &str,
        _kind: Container,
        _id: &str,
        _user_id: &str,
    ) -> Result<Option<bool>, BoxError> {
        Ok(None)
    }

    /// The tenant's rooms or spaces by name (every one, not only the asker's: for the admin's
    /// pickers). `None`: not this feature's container.
    async fn containers(
        &self,
        _state: &AppState,
        _tenant_id: &str,
        _kind: Container,
        _find: Find<'_>,
    ) -> Result<Option<Vec<Named>>, BoxError> {
        Ok(None)
    }
}

/// Every feature's data classes, registered in `app.rs`.
#[derive(Default, Clone)]
pub struct Registry {
    features: Vec<Arc<dyn Lifecycle>>,
}

impl Registry {
    /// Register a feature. Panics at start-up (never on a request) when a class name is taken:
    /// that is a programming error.
    pub fn register(&mut self, l: impl Lifecycle + 'static) {
        for c in l.classes() {
            assert!(
                self.class(c.name).is_none(),
                "data class `{}` is declared twice",
                c.name
            );
        }
        self.features.push(Arc::new(l));
    }

    /// Every class, in registration order.
    pub fn classes(&self) -> impl Iterator<Item = &'static DataClass> + '_ {
        self.features.iter().flat_map(|f| f.classes().iter())
    }

    pub fn class(&self, name: &str) -> Option<&'static DataClass> {
        self.classes().find(|c| c.name == name)
    }

    fn owner(&self, class: &str) -> Result<(&dyn Lifecycle, &'static DataClass), BoxError> {
        self.features
            .iter()
            .find_map(|f| {
                f.classes()
                    .iter()
                    .find(|c| c.name == class)
                    .map(|c| (f.as_ref(), c))
            })
            .ok_or_else(|| format!("no data class `{class}`").into())
    }

    /// Whether a container exists in the tenant and `user_id` governs it (see
    /// [`Lifecycle::container`]); `None` when no feature knows it.
    pub async fn container(
        &self,
        state: &AppState,
        tenant_id: &str,
        kind: Container,
        id: &str,
        user_id: &str,
    ) -> Result<Option<bool>, BoxError> {
        for f in &self.features {
            if let Some(v) = f.container(state, tenant_id, kind, id, user_id).await? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    /// The tenant's rooms or spaces whose name contains `q` (case and accents ignored, so
    /// `hop` finds "Phòng HỌP"; `""`: all), by id after `after`, at most `limit`: pages of the
    /// feature's listing, filtered here.
    pub async fn search_containers(
        &self,
        state: &AppState,
        tenant_id: &str,
        kind: Container,
        q: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<Named>, BoxError> {
        const PAGE: i64 = 1000;
        let q = crate::http::validate::fold(q.trim());
        let mut after = after.to_string();
        let mut out = Vec::new();
        loop {
            let find = Find::Page {
                after: &after,
                limit: PAGE,
            };
            let page = self.containers(state, tenant_id, kind, find).await?;
            let Some(last) = page.last() else { break };
            let next = last.id.clone();
            let full = page.len() as i64 == PAGE;
            for n in page {
                if q.is_empty() || crate::http::validate::fold(&n.name).contains(&q) {
                    out.push(n);
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
            if !full {
                break;
            }
            after = next;
        }
        Ok(out)
    }

    /// The tenant's rooms or spaces by name, from the feature that keeps them (see
    /// [`Lifecycle::containers`]); none when no feature keeps that kind.
    pub async fn containers(
        &self,
        state: &AppState,
        tenant_id: &str,
        kind: Container,
        find: Find<'_>,
    ) -> Result<Vec<Named>, BoxError> {
        for f in &self.features {
            if let Some(v) = f.containers(state, tenant_id, kind, find).await? {
                return Ok(v);
            }
        }
        Ok(Vec::new())
    }

    /// Erase a person from every store: every feature's transfers first, then every
    /// feature's erasure, in registration order (the account's own record last).
    pub async fn erase(
        &self,
        state: &AppState,
        tenant_id: &str,
        person: &str,
        messages: erase::AuthoredMessages,
        transfers: erase::Transfers,
    ) -> Result<erase::Report, BoxError> {
        let e = erasure(state, tenant_id, person, messages, transfers).await?;
        let mut report = erase::Report::default();
        for f in &self.features {
            report.transferred.extend(f.transfer(&e, state).await?);
        }
        for f in &self.features {
            report.erased.extend(f.erase(&e, state).await?);
        }
        Ok(report)
    }

    /// What erasing the person would do, per feature, counted without changing anything:
    /// the same erasure (choices and active holds) [`erase`](Registry::erase) would run.
    pub async fn foresee(
        &self,
        state: &AppState,
        tenant_id: &str,
        person: &str,
        messages: erase::AuthoredMessages,
        transfers: erase::Transfers,
    ) -> Result<erase::Forecast, BoxError> {
        let e = erasure(state, tenant_id, person, messages, transfers).await?;
        let mut out = erase::Forecast::default();
        for f in &self.features {
            out.extend(f.foresee(&e, state).await?);
        }
        out.holds = e
            .holds
            .iter()
            .filter(|h| h.people.iter().any(|p| p == person))
            .map(|h| h.name.clone())
            .collect();
        Ok(out)
    }

    /// What a purge with this selection would remove, counted without deleting anything.
    pub async fn measure(&self, state: &AppState, sel: &Selection) -> Result<Measure, BoxError> {
        let (_, class) = self.owner(sel.class)?;
        let mut conn = state.db.conn().await?;
        Ok(select::measure(&mut conn, class, sel).await?)
    }

    /// For each hold of the selection, how many due items it keeps back.
    pub async fn held(
        &self,
        state: &AppState,
        sel: &Selection,
    ) -> Result<Vec<(String, u64)>, BoxError> {
        let (_, class) = self.owner(sel.class)?;
        let mut conn = state.db.conn().await?;
        Ok(select::held_counts(&mut conn, class, sel).await?)
    }

    /// Purge one batch of up to `batch` items the selection removes, from every store; what
    /// went (nothing once none remain).
    pub async fn purge_batch(
        &self,
        state: &AppState,
        sel: &Selection,
        batch: u64,
    ) -> Result<Purged, BoxError> {
        let (owner, class) = self.owner(sel.class)?;
        let due = {
            let mut conn = state.db.conn().await?;
            select::due(&mut conn, class, sel, batch.max(1)).await?
        };
        if due.is_empty() {
            return Ok(Purged::default());
        }
        let proof = Purge {
            tenant_id: sel.tenant_id.clone(),
        };
        owner.purge(&proof, state, sel.class, &due).await
    }
}

/// The erasure of a person with these choices, under the tenant's active legal holds: what
/// [`Registry::erase`] runs and [`Registry::foresee`] counts.
async fn erasure(
    state: &AppState,
    tenant_id: &str,
    person: &str,
    messages: erase::AuthoredMessages,
    transfers: erase::Transfers,
) -> Result<erase::Erasure, BoxError> {
    let held = {
        let mut conn = state.db.conn().await?;
        holds::active(&mut conn, tenant_id).await?
    };
    Ok(erase::Erasure::new(
        tenant_id, person, messages, transfers, held,
    ))
}

#[cfg(test)]
mod tests;
