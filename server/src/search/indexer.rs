//! Outbox consumers that keep the index in step with the database. What is searchable comes
//! from the features through the [`Registry`](super::Registry) in the application state.

use super::{Registry, SearchIndex};
use crate::{jobs::outbox::HandlerError, AppState};

/// What a `search.index` message names: one item (`id`) or a batch of one kind (`ids`).
#[derive(serde::Deserialize)]
struct ItemRef {
    kind: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    ids: Vec<String>,
}

pub fn parse<T: serde::de::DeserializeOwned>(payload: &str) -> Result<T, HandlerError> {
    serde_json::from_str(payload).map_err(HandlerError::permanent)
}

pub fn db_err(e: sqlx::Error) -> HandlerError {
    HandlerError::retry(e)
}

/// Bring one item's index entry up to date: upsert what exists, delete what does not.
pub async fn sync_item(
    state: &AppState,
    tenant_id: &str,
    kind: &str,
    id: &str,
) -> Result<(), HandlerError> {
    let doc = {
        let mut conn = state.db.conn().await.map_err(db_err)?;
        state
            .searchables
            .load(&mut conn, tenant_id, kind, id)
            .await
            .map_err(db_err)?
    };
    match doc {
        Some(d) => state.search.upsert(vec![d]).await,
        None => state.search.delete(tenant_id, kind, id).await,
    }
    .map_err(HandlerError::from)
}

/// `search.index {kind, id}`.
pub async fn handle_index(
    state: &AppState,
    tenant_id: &str,
    payload: &str,
) -> Result<(), HandlerError> {
    let r: ItemRef = parse(payload)?;
    for id in r.id.iter().chain(r.ids.iter()) {
        sync_item(state, tenant_id, &r.kind, id).await?;
    }
    Ok(())
}

/// Rebuild the index of one tenant from the database.
pub async fn reindex_tenant(
    db: &crate::db::Db,
    kinds: &Registry,
    index: &dyn SearchIndex,
    tenant_id: &str,
) -> Result<u64, HandlerError> {
    index
        .delete_tenant(tenant_id)
        .await
        .map_err(HandlerError::from)?;
    let mut n = 0u64;
    for kind in &kinds.kinds {
        let mut after = String::new();
        loop {
            let mut conn = db.conn().await.map_err(db_err)?;
            let ids = kind
                .ids_after(&mut conn, tenant_id, &after, 500)
                .await
                .map_err(db_err)?;
            let Some(last) = ids.last().cloned() else {
                break;
            };
            let mut docs = Vec::with_capacity(ids.len());
            for id in &ids {
                if let Some(d) = kind.load(&mut conn, tenant_id, id).await.map_err(db_err)? {
                    docs.push(d);
                }
            }
            drop(conn);
            n += docs.len() as u64;
            index.upsert(docs).await.map_err(HandlerError::from)?;
            after = last;
        }
    }
    index.flush().await.map_err(HandlerError::from)?;
    Ok(n)
}

/// `search.reindex`: one tenant, or every tenant when the message names none.
pub async fn handle_reindex(state: &AppState, tenant_id: &str) -> Result<(), HandlerError> {
    let tenants: Vec<String> = if tenant_id.is_empty() {
        state.searchables.all_tenants(state).await.map_err(db_err)?
    } else {
        vec![tenant_id.to_string()]
    };
    for t in tenants {
        let n = reindex_tenant(&state.db, &state.searchables, state.search.as_ref(), &t).await?;
        tracing::info!(tenant_id = %t, documents = n, "search index rebuilt");
    }
    Ok(())
}
