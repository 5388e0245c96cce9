//! Documents' data classes for the lifecycle registry (retention, erasure and export reach
//! documents' data through this).
//!
//! `document_versions`: versions other than a document's current one, older than the period.
//! A purge deletes the version row and releases its file (purged from every store when no
//! other version uses it: row, quota, blob, thumbnail, extracted text, index entry).
//!
//! `trash`: trashed documents and folders, by when they were trashed (the tenant's trash
//! period, formerly `trash_retention_days`). A document goes as a space manager's purge does
//! ([`trash::purge_document`](super::trash::purge_document)); a folder goes once what it held
//! has gone (anything kept by a legal hold moves to the top of the space, still in the trash).

use super::{store, trash, versions};
use crate::{
    authz::Proof,
    config::Config,
    lifecycle::{Container, DataClass, Due, Lifecycle, Purge, Purged},
    AppState, BoxError,
};
use async_trait::async_trait;

pub const DOCUMENT_VERSIONS: &str = "document_versions";
pub use super::trash::TRASH_CLASS as TRASH;

fn trash_default(cfg: &Config) -> Option<i64> {
    Some(cfg.documents.trash_retention_days.max(0))
}

fn no_minimum(_: &Config) -> i64 {
    0
}

const CLASSES: &[DataClass] = &[
    DataClass {
        name: DOCUMENT_VERSIONS,
        feature: "documents",
        description: "Document versions other than the current one, with their files (the \
                      per-document version cap applies as well)",
        tables: &["document_versions"],
        source: &store::lifecycle::OLD_VERSIONS,
        container: Some(Container::Space),
        default_days: crate::lifecycle::forever,
        min_days: crate::lifecycle::one_day,
    },
    DataClass {
        name: TRASH,
        feature: "documents",
        description: "Trashed documents and folders, by the time they were trashed: purged with \
                      every version, share and file",
        tables: &["documents", "folders", "shares"],
        source: &store::lifecycle::TRASH,
        container: Some(Container::Space),
        default_days: trash_default,
        min_days: no_minimum,
    },
];

/// Documents in the lifecycle registry (`app::lifecycle`).
pub struct Documents;

#[async_trait]
impl Lifecycle for Documents {
    fn classes(&self) -> &'static [DataClass] {
        CLASSES
    }

    #[tracing::instrument(skip_all, fields(tenant_id = %proof.tenant_id(), class = %class, items = items.len()))]
    async fn purge(
        &self,
        proof: &Purge,
        state: &AppState,
        class: &str,
        items: &[Due],
    ) -> Result<Purged, BoxError> {
        let mut tx = state.db.begin().await?;
        let mut out = Purged::default();
        for d in items {
            let p = match class {
                DOCUMENT_VERSIONS => {
                    let Some((doc, n)) =
                        d.id.rsplit_once(':')
                            .and_then(|(doc, n)| Some((doc, n.parse::<i64>().ok()?)))
                    else {
                        continue;
                    };
                    versions::purge_old(&mut tx, proof, doc, n).await?
                }
                TRASH => match d.id.split_once(':') {
                    Some(("document", id)) => {
                        trash::purge_expired_document(&mut tx, proof, id).await?
                    }
                    Some(("folder", id)) => trash::purge_expired_folder(&mut tx, proof, id).await?,
                    _ => continue,
                },
                _ => return Err(format!("documents keep no data class `{class}`").into()),
            };
            out += p;
        }
        tx.commit().await?;
        if out.items > 0 {
            state.outbox_wake.noted();
        }
        Ok(out)
    }

    async fn transfer(
        &self,
        e: &crate::lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<Vec<crate::lifecycle::erase::Transferred>, BoxError> {
        super::erase::transfer(e, state).await
    }

    async fn erase(
        &self,
        e: &crate::lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<Vec<crate::lifecycle::erase::Erased>, BoxError> {
        super::erase::erase(e, state).await
    }

    async fn foresee(
        &self,
        e: &crate::lifecycle::erase::Erasure,
        state: &AppState,
    ) -> Result<crate::lifecycle::erase::Forecast, BoxError> {
        super::erase::foresee(e, state).await
    }

    async fn containers(
        &self,
        state: &AppState,
        tenant_id: &str,
        kind: Container,
        find: crate::lifecycle::Find<'_>,
    ) -> Result<Option<Vec<crate::lifecycle::Named>>, BoxError> {
        if kind != Container::Space {
            return Ok(None);
        }
        let mut conn = state.db.conn().await?;
        let rows = store::spaces::named(&mut conn, tenant_id, find).await?;
        // Every personal space is "My documents": say whose (and so find it by their name).
        let people: Vec<String> = rows
            .iter()
            .filter_map(|(_, _, key)| key.strip_prefix("p:").map(str::to_string))
            .collect();
        let names = crate::users::service::names_among(&mut conn, tenant_id, &people).await?;
        Ok(Some(
            rows.into_iter()
                .map(|(id, name, key)| {
                    let name = match key.strip_prefix("p:").and_then(|p| names.get(p)) {
                        Some(whose) => format!("{name} · {whose}"),
                        None => name,
                    };
                    crate::lifecycle::Named { id, name }
                })
                .collect(),
        ))
    }

    async fn container(
        &self,
        state: &AppState,
        tenant_id: &str,
        kind: Container,
        id: &str,
        user_id: &str,
    ) -> Result<Option<bool>, BoxError> {
        if kind != Container::Space || !crate::db::is_id(id) {
            return Ok(None);
        }
        let mut conn = state.db.conn().await?;
        if store::spaces::get(&mut conn, tenant_id, id)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let manager = store::spaces::member_role(&mut conn, tenant_id, id, user_id)
            .await?
            .is_some_and(|r| r == "manager");
        Ok(Some(manager))
    }
}
