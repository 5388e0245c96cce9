//! Full-text search: one [`SearchIndex`] trait with an embedded (tantivy) and a Meilisearch
//! implementation, fed by the outbox.
//!
//! Every document carries its tenant and a list of *reader tokens* (`u:<user id>` now; room
//! and sharing tokens as messaging and documents arrive). A query carries the caller's tenant
//! and the tokens the caller holds **now**, and both are applied inside the index query, so a
//! page of results never contains, nor is shortened by, what the caller may not read. Hits are
//! then re-checked against the database before they are returned, which closes the window
//! between a revocation and the index catching up.
//!
//! Indexing runs from the outbox: a change enqueues `search.index {kind, id}` in its own
//! transaction; the handler loads the current state and upserts (or deletes, if it is gone).
//! Delivery is at least once and the operation idempotent; if the index is down the message is
//! retried with backoff and the backlog drains when it returns.

pub mod api;
#[cfg(test)]
mod conformance;
pub mod extract;
pub mod health;
pub mod indexer;
pub mod meili;
pub mod query;
pub mod tantivy_index;
pub mod text;

use crate::{authn::Principal, error::ApiResult, AppState};
use async_trait::async_trait;
use sqlx::AnyConnection;

/// One searchable item.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub tenant_id: String,
    /// What it is: `file` (later `message`, `document`, …).
    pub kind: String,
    pub id: String,
    pub owner_id: String,
    /// Reader tokens: who may find it.
    pub readers: Vec<String>,
    /// Facets a query can require, such as `space:<id>` or `type:application/pdf`.
    pub tags: Vec<String>,
    pub title: String,
    pub body: String,
    pub created_at: i64,
}

/// A search request, already scoped to a tenant and a set of reader tokens.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub tenant_id: String,
    pub text: String,
    /// The caller's reader tokens; a document matches when it lists at least one.
    pub readers: Vec<String>,
    /// Restrict to these kinds (empty = all).
    pub kinds: Vec<String>,
    pub owner_id: Option<String>,
    /// Tags a document must all carry.
    pub tags: Vec<String>,
    /// Created at or after (epoch ms).
    pub from: Option<i64>,
    /// Created before (epoch ms).
    pub to: Option<i64>,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub kind: String,
    pub id: String,
    pub title: String,
    /// A fragment of the text, HTML-escaped, matches wrapped in `<mark>…</mark>`.
    pub snippet: String,
    pub score: f32,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Results {
    pub hits: Vec<Hit>,
    /// Matching documents in all, readable or not by the caller's current rights (an estimate
    /// for Meilisearch): never shown as is, see [`SearchIndex::matching_ids`].
    pub total: u64,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SearchError {
    #[error("search index unavailable: {0}")]
    Unavailable(String),
    #[error("search index error: {0}")]
    Internal(String),
    /// The query text could not be read (see [`query`]): the caller's mistake, a 400.
    #[error("{0}")]
    BadQuery(String),
}

impl From<SearchError> for crate::jobs::outbox::HandlerError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::Unavailable(_) => crate::jobs::outbox::HandlerError::unavailable(e),
            SearchError::Internal(_) | SearchError::BadQuery(_) => {
                crate::jobs::outbox::HandlerError::retry(e)
            }
        }
    }
}

impl crate::error::ToProblem for SearchError {
    fn code(&self) -> crate::error::Code {
        match self {
            SearchError::BadQuery(_) => crate::error::Code::BadRequest,
            _ => crate::error::Code::Unavailable,
        }
    }
    fn detail(&self) -> String {
        match self {
            SearchError::BadQuery(why) => why.clone(),
            _ => "search is unavailable right now; try again shortly".into(),
        }
    }
    fn field(&self) -> Option<&'static str> {
        matches!(self, SearchError::BadQuery(_)).then_some("q")
    }
}

#[async_trait]
pub trait SearchIndex: Send + Sync {
    fn name(&self) -> &'static str;
    /// True when opening found an index of an older layout and started it afresh: the server
    /// then queues a full rebuild from the database.
    fn rebuilt(&self) -> bool {
        false
    }
    /// A cheap check that the backend answers (the relay probes a backend that failed, to drain
    /// the backlog the moment it is back). An embedded index always does.
    async fn healthy(&self) -> bool {
        true
    }
    /// Insert or replace documents (by tenant, kind and id).
    async fn upsert(&self, docs: Vec<Doc>) -> Result<(), SearchError>;
    async fn delete(&self, tenant_id: &str, kind: &str, id: &str) -> Result<(), SearchError>;
    /// Remove every document of a tenant.
    async fn delete_tenant(&self, tenant_id: &str) -> Result<(), SearchError>;
    /// Remove every document a person owns in a tenant.
    async fn delete_owner(&self, tenant_id: &str, owner_id: &str) -> Result<(), SearchError>;
    /// Make everything written so far searchable.
    async fn flush(&self) -> Result<(), SearchError>;
    async fn search(&self, q: &Query) -> Result<Results, SearchError>;
    /// The `(kind, id)` of the first `limit` matches of `q` in rank order (ignoring its offset
    /// and limit), without text or snippets: cheap enough to re-check many against the
    /// database, which is how the API counts only what the caller may read.
    async fn matching_ids(
        &self,
        q: &Query,
        limit: usize,
    ) -> Result<Vec<(String, String)>, SearchError>;
    /// Documents of a tenant (of one kind and id when given): for tests and checks.
    async fn count(
        &self,
        tenant_id: &str,
        kind_id: Option<(&str, &str)>,
    ) -> Result<u64, SearchError>;
}

pub fn user_token(user_id: &str) -> String {
    format!("u:{user_id}")
}

/// What a feature makes searchable: one kind of item. A feature implements this next to its
/// own code and `app.rs` registers it; the index, the indexer and the search endpoint know
/// features only through this trait.
#[async_trait]
pub trait Searchable: Send + Sync {
    /// The kind its documents carry (`file`, `message`, `document`, …).
    fn kind(&self) -> &'static str;
    /// The current search document of an item, `None` when it is gone (or must not be indexed).
    async fn load(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<Doc>, sqlx::Error>;
    /// A page of a tenant's item ids after `after`, in id order, for reindexing.
    async fn ids_after(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<String>, sqlx::Error>;
    /// Whether `p` may read the item now, checked against the database: the last word on a hit
    /// the index returned.
    async fn readable(
        &self,
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        id: &str,
    ) -> ApiResult<bool>;
    /// Reader tokens this feature gives `p` now (rooms they belong to, spaces they may read…),
    /// beyond the person's own `u:` token.
    async fn reader_tokens(
        &self,
        _state: &AppState,
        _conn: &mut AnyConnection,
        _p: &Principal,
    ) -> ApiResult<Vec<String>> {
        Ok(Vec::new())
    }
}

/// Lists the install's tenants, for an install-wide rebuild.
pub type TenantList =
    for<'a> fn(
        &'a AppState,
    ) -> futures_util::future::BoxFuture<'a, Result<Vec<String>, sqlx::Error>>;

/// Every searchable kind, registered by the features (see `app.rs`).
#[derive(Default, Clone)]
pub struct Registry {
    pub(crate) kinds: Vec<std::sync::Arc<dyn Searchable>>,
    tenants: Option<TenantList>,
}

impl Registry {
    pub fn register(&mut self, s: impl Searchable + 'static) {
        self.kinds.push(std::sync::Arc::new(s));
    }

    /// Where an install-wide rebuild finds the tenants.
    pub fn tenants_from(&mut self, list: TenantList) {
        self.tenants = Some(list);
    }

    /// Every tenant of the install (none when no list was registered).
    pub async fn all_tenants(&self, state: &AppState) -> Result<Vec<String>, sqlx::Error> {
        match self.tenants {
            Some(list) => list(state).await,
            None => Ok(Vec::new()),
        }
    }

    /// The kinds, in registration order.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kinds.iter().map(|k| k.kind())
    }

    pub fn get(&self, kind: &str) -> Option<&dyn Searchable> {
        self.kinds
            .iter()
            .find(|k| k.kind() == kind)
            .map(|k| k.as_ref())
    }

    /// The current search document of an item (`None` also for a kind nobody registered).
    pub async fn load(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        kind: &str,
        id: &str,
    ) -> Result<Option<Doc>, sqlx::Error> {
        match self.get(kind) {
            Some(k) => k.load(conn, tenant_id, id).await,
            None => Ok(None),
        }
    }

    /// Whether `p` may read the item now (`false` for a kind nobody registered).
    pub async fn readable(
        &self,
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        kind: &str,
        id: &str,
    ) -> ApiResult<bool> {
        match self.get(kind) {
            Some(k) => k.readable(state, conn, p, id).await,
            None => Ok(false),
        }
    }

    /// The reader tokens a person holds now: themself, and what each feature gives them.
    pub async fn reader_tokens(
        &self,
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
    ) -> ApiResult<Vec<String>> {
        let mut tokens = vec![user_token(&p.user_id)];
        for k in &self.kinds {
            tokens.extend(k.reader_tokens(state, conn, p).await?);
        }
        Ok(tokens)
    }
}

pub const TOPIC_INDEX: &str = "search.index";
pub const TOPIC_REINDEX: &str = "search.reindex";

/// The outbox message that (re)indexes one item, for a statement that writes it along with the
/// item ([`crate::db::outbox::Entry`]).
pub fn index_entry(kind: &str, id: &str) -> crate::db::outbox::Entry {
    crate::db::outbox::Entry::new(TOPIC_INDEX, &serde_json::json!({ "kind": kind, "id": id }))
}

/// Queue (re)indexing of one item, inside the caller's transaction.
pub async fn enqueue_index(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    crate::db::outbox::enqueue(
        conn,
        tenant_id,
        TOPIC_INDEX,
        &serde_json::json!({ "kind": kind, "id": id }),
    )
    .await
}

/// Queue a re-index of a batch of items of one kind (each is upserted or, when gone, deleted):
/// one outbox message for the batch.
pub async fn enqueue_index_many(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: &str,
    ids: &[String],
) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    crate::db::outbox::enqueue(
        conn,
        tenant_id,
        TOPIC_INDEX,
        &serde_json::json!({ "kind": kind, "ids": ids }),
    )
    .await
}

/// Queue removal of one item from the index (the handler finds it gone and deletes it).
pub async fn enqueue_delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    enqueue_index(conn, tenant_id, kind, id).await
}

/// Build the configured index.
pub async fn from_config(
    cfg: &crate::config::Config,
) -> Result<std::sync::Arc<dyn SearchIndex>, crate::BoxError> {
    Ok(match cfg.search.backend.as_str() {
        "meilisearch" => std::sync::Arc::new(
            meili::MeiliIndex::connect(
                &cfg.search.meili_url,
                cfg.search.meili_api_key.expose(),
                &cfg.search.meili_index,
            )
            .await?,
        ),
        _ => std::sync::Arc::new(tantivy_index::TantivyIndex::open(&cfg.index_dir())?),
    })
}

/// No index: what a command-line tool holds while the server owns the real one.
pub struct Closed;

#[async_trait]
impl SearchIndex for Closed {
    fn name(&self) -> &'static str {
        "closed"
    }
    async fn upsert(&self, _docs: Vec<Doc>) -> Result<(), SearchError> {
        Err(closed())
    }
    async fn delete(&self, _t: &str, _k: &str, _i: &str) -> Result<(), SearchError> {
        Err(closed())
    }
    async fn delete_tenant(&self, _t: &str) -> Result<(), SearchError> {
        Err(closed())
    }
    async fn delete_owner(&self, _t: &str, _o: &str) -> Result<(), SearchError> {
        Err(closed())
    }
    async fn flush(&self) -> Result<(), SearchError> {
        Err(closed())
    }
    async fn search(&self, _q: &Query) -> Result<Results, SearchError> {
        Err(closed())
    }
    async fn matching_ids(
        &self,
        _q: &Query,
        _limit: usize,
    ) -> Result<Vec<(String, String)>, SearchError> {
        Err(closed())
    }
    async fn count(&self, _t: &str, _k: Option<(&str, &str)>) -> Result<u64, SearchError> {
        Err(closed())
    }
}

fn closed() -> SearchError {
    SearchError::Unavailable("the search index is not open in this process".into())
}
