//! The account in a person's data export: profile and roles.

use super::store;
use crate::{
    authz::Proof,
    db::rfc3339,
    lifecycle::export::{Exporter, Section, Sink, Subject},
    AppState, BoxError,
};
use async_trait::async_trait;
use serde_json::json;

const SECTIONS: &[Section] = &[Section {
    name: "profile",
    description: "Your account: name, sign-in identifiers, title, department, status, roles",
}];

/// Profile and roles in the export registry (`app::exporters`).
pub struct Profile;

#[async_trait]
impl Exporter for Profile {
    fn sections(&self) -> &'static [Section] {
        SECTIONS
    }

    async fn export(
        &self,
        state: &AppState,
        subject: &Subject,
        sink: &mut Sink,
    ) -> Result<(), BoxError> {
        let (user, roles) = {
            let mut conn = state.db.conn().await?;
            let user = store::get(&mut conn, subject.tenant_id(), subject.user_id()).await?;
            let roles = crate::authz::store::roles_of_user(
                &mut conn,
                subject.tenant_id(),
                subject.user_id(),
            )
            .await?;
            (user, roles)
        };
        let Some(u) = user else {
            return Ok(());
        };
        let roles: Vec<_> = roles
            .iter()
            .map(|r| json!({ "id": r.id, "name": r.name, "builtin": r.builtin }))
            .collect();
        let profile = json!({
            "id": u.id,
            "display_name": u.display_name,
            "email": u.email,
            "phone": u.phone,
            "title": u.title,
            "department": u.department,
            "status": u.status,
            "locale": u.locale,
            "time_zone": u.time_zone,
            "email_verified_at": u.email_verified_at.map(rfc3339),
            "phone_verified_at": u.phone_verified_at.map(rfc3339),
            "has_password": u.password_hash.is_some(),
            "roles": roles,
            "created_at": rfc3339(u.created_at),
            "updated_at": rfc3339(u.updated_at),
        });
        sink.records("profile", "profile", &[profile]).await?;
        Ok(())
    }
}
