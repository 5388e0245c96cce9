//! Sessions and sign-in records in a person's data export.

use super::store;
use crate::{
    authz::Proof,
    db::{now_ms, rfc3339},
    lifecycle::export::{Exporter, Section, Sink, Subject},
    AppState, BoxError,
};
use async_trait::async_trait;
use serde_json::json;

const SECTIONS: &[Section] = &[Section {
    name: "sessions",
    description: "Your sign-ins: every session, live or ended, with its device and address",
}];

/// Sessions in the export registry (`app::exporters`).
pub struct Sessions;

#[async_trait]
impl Exporter for Sessions {
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
            store::all_of_user(&mut conn, subject.tenant_id(), subject.user_id()).await?
        };
        let now = now_ms();
        let items: Vec<_> = rows
            .into_iter()
            .map(|s| {
                let status = if s.revoked_at.is_some() {
                    "ended"
                } else if s.expires_at <= now {
                    "expired"
                } else {
                    "live"
                };
                json!({
                    "id": s.id,
                    "state": status,
                    "device": s.device,
                    "ip": s.ip,
                    "signed_in_at": rfc3339(s.created_at),
                    "last_seen_at": rfc3339(s.last_seen_at),
                    "expires_at": rfc3339(s.expires_at),
                    "ended_at": s.revoked_at.map(rfc3339),
                })
            })
            .collect();
        sink.records("sessions", "sessions", &items).await?;
        Ok(())
    }
}
