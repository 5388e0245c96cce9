//! What attendance plugs into the registries ([`register`]): granted absences (the neutral
//! `absences` topic, sent by approvals) become excused days.

use crate::{absences, jobs::outbox::Lane, Registries};

/// Attendance in the registries.
pub fn register(r: &mut Registries) {
    r.topics.register(
        absences::TOPIC,
        |s, m| {
            Box::pin(super::excused::on_absence_granted(
                s,
                &m.tenant_id,
                &m.payload,
            ))
        },
        Lane::default(),
    );
}
