//! The account itself in the lifecycle registry: erasing a person scrubs their profile (name,
//! email, phone, title, department, password) down to the pseudonym, and removes their roles.
//! The row stays, with its id as the pseudonymous id that messages kept under the pseudonym,
//! audit entries and reports still name. Registered after every feature, so features erase
//! first, and before the audit log.

use super::store;
use crate::{
    authz::{self, Proof},
    lifecycle::{
        erase::{Erased, Erasure},
        Lifecycle,
    },
    AppState, BoxError,
};
use async_trait::async_trait;

pub struct Accounts;

#[async_trait]
impl Lifecycle for Accounts {
    /// The profile is scrubbed (counted as one item, with the bytes it holds; the row stays
    /// under the pseudonym) and the role bindings go.
    async fn foresee(
        &self,
        e: &Erasure,
        state: &AppState,
    ) -> Result<crate::lifecycle::erase::Forecast, BoxError> {
        use crate::lifecycle::erase::{Forecast, Foreseen};
        let tenant_id = e.tenant_id();
        let mut conn = state.db.conn().await?;
        let Some(u) = store::get(&mut conn, tenant_id, &e.person).await? else {
            return Ok(Forecast::default());
        };
        let roles = authz::store::roles_of_user(&mut conn, tenant_id, &u.id)
            .await?
            .len() as u64;
        Ok(Forecast::erased(vec![
            Foreseen {
                bytes: profile_bytes(&u) as u64,
                ..Foreseen::removed("users", "profile", 1)
            },
            Foreseen::removed("users", "role bindings", roles),
        ]))
    }

    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let tenant_id = e.tenant_id();
        let mut tx = state.db.begin().await?;
        let Some(mut u) = store::get(&mut tx, tenant_id, &e.person).await? else {
            return Ok(Vec::new());
        };
        let bytes = profile_bytes(&u);
        u.display_name = e.pseudonym.clone();
        u.email = None;
        u.phone = None;
        u.title = None;
        u.department = None;
        u.locale = None;
        u.time_zone = None;
        u.status = "disabled".into();
        store::update(&mut tx, &u).await?;
        store::clear_password(&mut tx, tenant_id, &u.id).await?;
        let roles = authz::store::roles_of_user(&mut tx, tenant_id, &u.id)
            .await?
            .len() as u64;
        authz::store::set_user_roles(&mut tx, tenant_id, &u.id, &[]).await?;
        // Erased accounts were disabled (their sessions revoked and kicked) when the deletion
        // began: nobody's cached lookup carries this version's loss.
        let _erased: authz::PolicyChange = authz::bump_version(&mut tx, tenant_id).await?;
        tx.commit().await?;
        Ok(vec![
            Erased {
                items: 1,
                rows: 1,
                bytes: bytes as u64,
                ..Erased::of("users", "profile")
            },
            Erased::rows("users", "role bindings", roles),
        ])
    }
}

/// The bytes of personal data a profile holds (what erasure scrubs).
fn profile_bytes(u: &store::UserRow) -> usize {
    [
        Some(u.display_name.len()),
        u.email.as_ref().map(String::len),
        u.phone.as_ref().map(String::len),
        u.title.as_ref().map(String::len),
        u.department.as_ref().map(String::len),
        u.locale.as_ref().map(String::len),
        u.time_zone.as_ref().map(String::len),
    ]
    .iter()
    .flatten()
    .sum()
}
