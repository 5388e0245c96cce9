//! The data lifecycle registry: one place that knows every kind of tenant data and how to find,
//! count and purge it from **every** store (rows, blobs, thumbnails, index entries, event
//! payloads). Retention policies, account erasure and export are built on it; a feature plugs
//! in by declaring its [`DataClass`]es and implementing [`Lifecycle`] next to its own code, and
//! `app.rs` registers it. Lifecycle names no feature.

use crate::{AppState, BoxError};
use async_trait::async_trait;
use std::sync::Arc;

/// One kind of data a feature keeps, such as `messages` or `document_versions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataClass {
    /// Stable name, unique across features (policies refer to it).
    pub name: &'static str,
    /// The feature that owns it.
    pub feature: &'static str,
    pub description: &'static str,
    /// The tables whose rows belong to this class (and are purged with it).
    pub tables: &'static [&'static str],
}

/// Permission to purge, handed to a feature only by this registry: a feature's purge cannot be
/// called from anywhere else.
pub struct Purge {
    tenant_id: String,
}

impl crate::authz::Proof for Purge {
    fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
}

/// A feature's data, as the lifecycle sees it.
#[async_trait]
pub trait Lifecycle: Send + Sync {
    /// The classes this feature keeps.
    fn classes(&self) -> &'static [DataClass];

    /// How many items of `class` in a tenant were created before `cutoff` (epoch ms), counted
    /// without deleting anything: what a purge with this cut-off would remove.
    async fn count_before(
        &self,
        state: &AppState,
        tenant_id: &str,
        class: &str,
        cutoff: i64,
    ) -> Result<u64, BoxError>;

    /// Remove up to `batch` items of `class` created before `cutoff` from every store; returns
    /// how many went (0 once none remain). Idempotent: a batch that fails half-way is redone.
    async fn purge_before(
        &self,
        proof: &Purge,
        state: &AppState,
        tenant_id: &str,
        class: &str,
        cutoff: i64,
        batch: u64,
    ) -> Result<u64, BoxError>;
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

    fn owner(&self, class: &str) -> Result<&dyn Lifecycle, BoxError> {
        self.features
            .iter()
            .find(|f| f.classes().iter().any(|c| c.name == class))
            .map(|f| f.as_ref())
            .ok_or_else(|| format!("no data class `{class}`").into())
    }

    /// See [`Lifecycle::count_before`].
    pub async fn count_before(
        &self,
        state: &AppState,
        tenant_id: &str,
        class: &str,
        cutoff: i64,
    ) -> Result<u64, BoxError> {
        self.owner(class)?
            .count_before(state, tenant_id, class, cutoff)
            .await
    }

    /// Purge every item of `class` created before `cutoff`, batch by batch; returns how many
    /// went.
    pub async fn purge_before(
        &self,
        state: &AppState,
        tenant_id: &str,
        class: &str,
        cutoff: i64,
        batch: u64,
    ) -> Result<u64, BoxError> {
        let owner = self.owner(class)?;
        let proof = Purge {
            tenant_id: tenant_id.to_string(),
        };
        let mut total = 0;
        loop {
            let n = owner
                .purge_before(&proof, state, tenant_id, class, cutoff, batch.max(1))
                .await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }
}
