//! Attendance in a person's data export: every day record (the punches with their
//! coordinates and client address, and each correction with its reason) and their excused
//! days.

use super::{rules, store};
use crate::{
    authz::Proof,
    db::rfc3339,
    lifecycle::export::{Exporter, Section, Sink, Subject},
    AppState, BoxError,
};
use async_trait::async_trait;
use serde_json::json;

const SECTIONS: &[Section] = &[Section {
    name: "attendance",
    description: "Your attendance records: check-in and check-out times, where and from which \
                  address you made them, corrections with their reasons, and excused days",
}];

/// Attendance in the export registry (`app::exporters`).
pub struct Attendance;

#[async_trait]
impl Exporter for Attendance {
    fn sections(&self) -> &'static [Section] {
        SECTIONS
    }

    async fn export(
        &self,
        state: &AppState,
        subject: &Subject,
        sink: &mut Sink,
    ) -> Result<(), BoxError> {
        let tenant_id = subject.tenant_id();
        let (records, corrections, excused) = {
            let mut conn = state.db.conn().await?;
            let records = store::all_records(&mut conn, tenant_id, subject.user_id()).await?;
            let corrections = store::corrections(
                &mut conn,
                tenant_id,
                subject.user_id(),
                "0000-01-01",
                "9999-12-31",
            )
            .await?;
            let excused = store::excused(
                &mut conn,
                tenant_id,
                subject.user_id(),
                "0000-01-01",
                "9999-12-31",
            )
            .await?;
            (records, corrections, excused)
        };
        let at = |v: Option<i64>| v.map(rfc3339);
        let deg = |v: Option<i64>| v.map(rules::from_e7);
        let rows: Vec<_> = records
            .iter()
            .map(|r| {
                json!({
                    "date": r.work_date,
                    "zone": r.zone,
                    "check_in": r.check_in_at.map(|t| json!({
                        "at": rfc3339(t), "latitude": deg(r.check_in_lat_e7),
                        "longitude": deg(r.check_in_lon_e7), "client_address": r.check_in_ip,
                    })),
                    "check_out": r.check_out_at.map(|t| json!({
                        "at": rfc3339(t), "latitude": deg(r.check_out_lat_e7),
                        "longitude": deg(r.check_out_lon_e7), "client_address": r.check_out_ip,
                    })),
                    "corrections": corrections.iter().filter(|c| c.record_id == r.id).map(|c| json!({
                        "check_in_at": at(c.check_in_at), "check_out_at": at(c.check_out_at),
                        "reason": c.reason, "corrected_by": c.corrected_by,
                        "at": rfc3339(c.created_at),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        sink.records("attendance", "records", &rows).await?;
        let excused: Vec<_> = excused
            .iter()
            .map(|e| {
                json!({
                    "first_date": e.first_date, "last_date": e.last_date, "kind": e.kind,
                    "source": e.source, "note": e.note, "created_at": rfc3339(e.created_at),
                })
            })
            .collect();
        sink.records("attendance", "excused_days", &excused).await?;
        Ok(())
    }
}
