//! Meetings in the lifecycle registry.
//!
//! `meetings_ended`: meetings whose last occurrence has ended, by that end (a series without
//! end never is); a purge removes each with its attendees, replies, exceptions, bookings and
//! slots, reminders sent, attachment links and the notices about it. Attached files stay
//! their uploader's uploads (the `files` class reaches them once nothing uses them).
//!
//! Erasure: the person's replies, own reminders and reminders sent go, and so does their
//! place as a named attendee. Meetings they organise are transferred to the successor the
//! deletion request names for what the person owned (`rooms_to`, the request's one person
//! successor); without one, they are deleted (their attendees lose them from their agenda).

use super::{service::SOURCE, store};
use crate::{
    authz::Proof,
    db::now_ms,
    lifecycle::{
        erase::{Erased, Erasure, Transferred},
        forever, one_day, DataClass, Due, Lifecycle, Purge, Purged,
    },
    notices, AppState, BoxError,
};
use async_trait::async_trait;

pub const ENDED: &str = "meetings_ended";

const CLASSES: &[DataClass] = &[DataClass {
    name: ENDED,
    feature: "meetings",
    description: "Meetings whose last occurrence has ended, counted from that end, with their \
                  attendees, replies, changed occurrences, bookings, reminders and notices",
    tables: &[
        "meetings",
        "meeting_attendees",
        "meeting_replies",
        "meeting_exceptions",
        "meeting_bookings",
        "meeting_slots",
        "meeting_reminders_sent",
        "meeting_attachments",
    ],
    source: &store::ENDED,
    container: None,
    default_days: forever,
    min_days: one_day,
}];

/// Meetings in the lifecycle registry (`app::lifecycle`).
pub struct Meetings;

#[async_trait]
impl Lifecycle for Meetings {
    fn classes(&self) -> &'static [DataClass] {
        CLASSES
    }

    async fn transfer(&self, e: &Erasure, state: &AppState) -> Result<Vec<Transferred>, BoxError> {
        let Some(to) = e.transfers.rooms_to.as_deref() else {
            return Ok(Vec::new());
        };
        let mut tx = state.db.begin().await?;
        let t = e.tenant_id();
        let ids: Vec<String> = store::organised_by(&mut tx, t, &e.person)
            .await?
            .into_iter()
            .map(|m| m.id)
            .collect();
        let n = store::transfer_organised(&mut tx, t, &e.person, to, now_ms()).await?;
        crate::search::enqueue_index_many(&mut tx, t, super::hooks::KIND, &ids).await?;
        tx.commit().await?;
        if n == 0 {
            return Ok(Vec::new());
        }
        Ok(vec![Transferred {
            feature: "meetings".into(),
            what: "organised meetings".into(),
            items: n,
            to: format!("person:{to}"),
        }])
    }

    async fn foresee(
        &self,
        e: &Erasure,
        state: &AppState,
    ) -> Result<crate::lifecycle::erase::Forecast, BoxError> {
        use crate::lifecycle::erase::{Forecast, Foreseen};
        let mut conn = state.db.conn().await?;
        let n = store::organised_by(&mut conn, e.tenant_id(), &e.person)
            .await?
            .len() as u64;
        Ok(match e.transfers.rooms_to.as_deref() {
            Some(to) if n > 0 => Forecast {
                transferred: vec![Transferred {
                    feature: "meetings".into(),
                    what: "organised meetings".into(),
                    items: n,
                    to: format!("person:{to}"),
                }],
                ..Forecast::default()
            },
            _ => Forecast::erased(vec![Foreseen::removed("meetings", "organised meetings", n)]),
        })
    }

    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        let t = e.tenant_id();
        let mut tx = state.db.begin().await?;
        let out = Erased::rows(
            "meetings",
            "replies and attendance",
            store::erase_attendee(&mut tx, t, &e.person).await?,
        );
        let mut meetings = Erased::of("meetings", "organised meetings");
        for m in store::organised_by(&mut tx, t, &e.person).await? {
            meetings.items += 1;
            meetings.rows += store::delete(&mut tx, t, &m.id).await?;
            meetings.rows += notices::delete_subject(&mut tx, t, SOURCE, &m.id).await?;
            crate::search::enqueue_delete(&mut tx, t, super::hooks::KIND, &m.id).await?;
        }
        tx.commit().await?;
        Ok(vec![out, meetings])
    }

    async fn purge(
        &self,
        proof: &Purge,
        state: &AppState,
        class: &str,
        items: &[Due],
    ) -> Result<Purged, BoxError> {
        if class != ENDED {
            return Err(format!("meetings keep no data class `{class}`").into());
        }
        let tenant_id = proof.tenant_id();
        let mut tx = state.db.begin().await?;
        let mut out = Purged::default();
        for d in items {
            if store::get(&mut tx, tenant_id, &d.id).await?.is_none() {
                continue;
            }
            let rows = store::delete(&mut tx, tenant_id, &d.id).await?;
            let n = notices::delete_subject(&mut tx, tenant_id, SOURCE, &d.id).await?;
            crate::search::enqueue_delete(&mut tx, tenant_id, super::hooks::KIND, &d.id).await?;
            let mut p = Purged::rows_of(d, 1);
            p.rows = rows + n;
            out += p;
        }
        tx.commit().await?;
        Ok(out)
    }
}
