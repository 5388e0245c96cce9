//! Who may read a file, asked of the features that use files. Files knows none of its
//! consumers: documents and messaging each register a [`FileConsumer`] (see `app.rs`) that
//! answers for the files they use, and hear when a file's text becomes known so they can
//! re-index what shows it.

use super::store::{self, FileRow};
use crate::{authn::Principal, error::ApiResult, AppState};
use async_trait::async_trait;
use sqlx::AnyConnection;
use std::sync::Arc;

/// A feature that uses files.
#[async_trait]
pub trait FileConsumer: Send + Sync {
    /// The file scope this feature owns outright (`document`: document content, read only
    /// through the documents that use it), or `None` for a feature that shares people's own
    /// uploads (messaging attachments, avatars).
    fn scope(&self) -> Option<&'static str> {
        None
    }

    /// Whether `p` may read `f` now through this feature.
    async fn may_read(
        &self,
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        f: &FileRow,
    ) -> ApiResult<bool>;

    /// A SQL condition, true when this feature uses the file whose `files` row is aliased `f`
    /// (written by the feature's store, over its own tables). Uploads that no feature uses are
    /// the `files` data class's items.
    fn uses_sql(&self) -> Option<&'static str> {
        None
    }

    /// The items of this feature (search kind and id) that show the file's text: re-indexed
    /// once the text has been extracted.
    async fn showing(
        &self,
        _conn: &mut AnyConnection,
        _tenant_id: &str,
        _file_id: &str,
    ) -> Result<Vec<(&'static str, String)>, sqlx::Error> {
        Ok(Vec::new())
    }
}

/// Every feature that uses files.
#[derive(Default, Clone)]
pub struct Readers {
    consumers: Vec<Arc<dyn FileConsumer>>,
}

impl Readers {
    pub fn register(&mut self, c: impl FileConsumer + 'static) {
        self.consumers.push(Arc::new(c));
    }

    /// Whether `p` may read the file now. A file of a scope some feature owns is read only as
    /// that feature says; a person's own upload is read by them, and by whoever a sharing
    /// feature (a room it is attached to, an avatar) says may.
    pub async fn can_read(
        &self,
        state: &AppState,
        conn: &mut AnyConnection,
        p: &Principal,
        f: &FileRow,
    ) -> ApiResult<bool> {
        if f.tenant_id != p.tenant_id {
            return Ok(false);
        }
        if f.scope != store::SCOPE_USER {
            for c in &self.consumers {
                if c.scope() == Some(f.scope.as_str()) {
                    return c.may_read(state, conn, p, f).await;
                }
            }
            return Ok(false);
        }
        if f.uploader_id == p.user_id {
            return Ok(true);
        }
        for c in self.consumers.iter().filter(|c| c.scope().is_none()) {
            if c.may_read(state, conn, p, f).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The condition "some feature uses file `f`" (`1 = 0` when none says how).
    pub fn in_use_sql(&self) -> String {
        let parts: Vec<String> = self
            .consumers
            .iter()
            .filter_map(|c| c.uses_sql())
            .map(|s| format!("({s})"))
            .collect();
        if parts.is_empty() {
            "1 = 0".into()
        } else {
            parts.join(" or ")
        }
    }

    /// What shows the file's text, across features.
    pub async fn showing(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        file_id: &str,
    ) -> Result<Vec<(&'static str, String)>, sqlx::Error> {
        let mut all = Vec::new();
        for c in &self.consumers {
            all.extend(c.showing(conn, tenant_id, file_id).await?);
        }
        Ok(all)
    }
}
