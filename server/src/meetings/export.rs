//! Meetings in a person's data export: the meetings they organise or attend now, with the
//! attendees as stored, their own replies and reminders, and changed occurrences.

use super::store;
use crate::{
    authz::Proof,
    db::rfc3339,
    directory::audience,
    lifecycle::export::{Exporter, Section, Sink, Subject},
    AppState, BoxError,
};
use async_trait::async_trait;
use serde_json::{json, Value};

const SECTIONS: &[Section] = &[Section {
    name: "meetings",
    description: "The meetings you organise or attend, with your replies and reminders",
}];

/// Meetings in the export registry (`app::exporters`).
pub struct Meetings;

#[async_trait]
impl Exporter for Meetings {
    fn sections(&self) -> &'static [Section] {
        SECTIONS
    }

    async fn export(
        &self,
        state: &AppState,
        subject: &Subject,
        sink: &mut Sink,
    ) -> Result<(), BoxError> {
        let (tenant, user) = (subject.tenant_id(), subject.user_id());
        let mut conn = state.db.conn().await?;
        let tokens = audience::tokens_of(&mut conn, tenant, user).await?;
        let ms =
            store::for_person(&mut conn, tenant, user, &tokens, i64::MIN / 4, i64::MAX / 4).await?;
        let ids: Vec<String> = ms.iter().map(|m| m.id.clone()).collect();
        let exceptions = store::exceptions(&mut conn, tenant, &ids).await?;
        let mut items: Vec<Value> = Vec::with_capacity(ms.len());
        for m in ms {
            let attendees: Vec<Value> = store::attendees(&mut conn, tenant, &m.id)
                .await?
                .into_iter()
                .map(|a| json!({ "attendee": a.token, "optional": a.optional == 1 }))
                .collect();
            let mine: Vec<Value> = store::replies(&mut conn, tenant, &m.id)
                .await?
                .into_iter()
                .filter(|r| r.user_id == user)
                .map(|r| {
                    json!({ "occurrence": (r.occurrence != 0).then(|| rfc3339(r.occurrence)),
                            "status": r.status, "comment": r.comment,
                            "reminders": r.reminders, "updated_at": rfc3339(r.updated_at) })
                })
                .collect();
            let changed: Vec<Value> = exceptions
                .iter()
                .filter(|x| x.meeting_id == m.id)
                .map(|x| {
                    json!({ "original_start": rfc3339(x.original_start),
                            "cancelled": x.cancelled == 1, "start_at": x.start_at.map(rfc3339),
                            "end_at": x.end_at.map(rfc3339), "title": x.title,
                            "location": x.location, "description": x.description })
                })
                .collect();
            items.push(json!({
                "id": m.id,
                "role": if m.organiser_id == user { "organiser" } else { "attendee" },
                "organiser_id": m.organiser_id,
                "title": m.title,
                "description": m.description,
                "location": m.location,
                "latitude": m.latitude,
                "longitude": m.longitude,
                "online_url": m.online_url,
                "time_zone": m.time_zone,
                "all_day": m.all_day == 1,
                "start_at": rfc3339(m.start_at),
                "end_at": rfc3339(m.end_at),
                "rrule": m.rrule,
                "visibility": m.visibility,
                "reminders": m.reminders,
                "attendees": attendees,
                "my_replies": mine,
                "changed_occurrences": changed,
                "created_at": rfc3339(m.created_at),
                "updated_at": rfc3339(m.updated_at),
            }));
        }
        drop(conn);
        sink.records("meetings", "meetings", &items).await?;
        Ok(())
    }
}
