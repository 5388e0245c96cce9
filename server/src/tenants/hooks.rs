//! What tenants plug into the registries ([`register`]): where an install-wide search rebuild
//! finds every tenant.

use crate::Registries;

/// Tenants in the registries.
pub fn register(r: &mut Registries) {
    r.searchables.tenants_from(|s| {
        Box::pin(async move {
            let mut conn = s.db.conn().await?;
            super::service::ids(&mut conn).await
        })
    });
}
