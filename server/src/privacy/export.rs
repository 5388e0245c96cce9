//! Consents in a person's data export: every privacy-policy version they accepted, when, and
//! from where.

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
    name: "consents",
    description: "The privacy-policy versions you accepted, when, and from which address",
}];

/// Consents in the export registry (`app::exporters`).
pub struct Consents;

#[async_trait]
impl Exporter for Consents {
    fn sections(&self) -> &'static [Section] {
        SECTIONS
    }

    async fn export(
        &self,
        state: &AppState,
        subject: &Subject,
        sink: &mut Sink,
    ) -> Result<(), BoxError> {
        let mut items = Vec::new();
        let mut before: Option<(i64, String)> = None;
        loop {
            let page = {
                let mut conn = state.db.conn().await?;
                store::history(
                    &mut conn,
                    subject.tenant_id(),
                    subject.user_id(),
                    before.clone(),
                    500,
                )
                .await?
            };
            let Some(last) = page.last() else { break };
            before = Some((last.accepted_at, last.id.clone()));
            let full = page.len() == 500;
            items.extend(page.into_iter().map(|c| {
                json!({
                    "id": c.id,
                    "policy_id": c.policy_id,
                    "label": c.label,
                    "effective_at": rfc3339(c.effective_at),
                    "accepted_at": rfc3339(c.accepted_at),
                    "ip": c.ip,
                    "user_agent": c.user_agent,
                })
            }));
            if !full {
                break;
            }
        }
        sink.records("consents", "consents", &items).await?;
        Ok(())
    }
}
