//! Single sign-on links in a person's data export: which identities at the tenant's provider
//! sign in to the account (no secrets: there are none in a link).

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
    name: "sso_links",
    description: "Identities at your company's identity provider that sign in to your account",
}];

pub struct Links;

#[async_trait]
impl Exporter for Links {
    fn sections(&self) -> &'static [Section] {
        SECTIONS
    }

    async fn export(
        &self,
        state: &AppState,
        subject: &Subject,
        sink: &mut Sink,
    ) -> Result<(), BoxError> {
        let rows = {
            let mut conn = state.db.conn().await?;
            store::links_of_user(&mut conn, subject.tenant_id(), subject.user_id()).await?
        };
        let items: Vec<_> = rows
            .into_iter()
            .map(|l| {
                json!({
                    "id": l.id,
                    "issuer": l.issuer,
                    "subject": l.subject,
                    "linked_at": rfc3339(l.created_at),
                    "last_used_at": l.last_used_at.map(rfc3339),
                })
            })
            .collect();
        sink.records("sso_links", "sso_links", &items).await?;
        Ok(())
    }
}
