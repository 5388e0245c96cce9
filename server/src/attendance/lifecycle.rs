//! Attendance in the lifecycle registry. The `attendance_records` class is a person's days
//! (the punches with where and from which address they were made, and the corrections of
//! them), aged from when the record was made; kept until the tenant sets a period. Erasing a
//! person removes their records, corrections and excused days and their own schedule
//! assignment; corrections they made of other people's days stay, without their name. A
//! legal hold on the person keeps everything.

use super::store;
use crate::{
    authz::Proof,
    lifecycle::{
        erase::{Erased, Erasure},
        forever, one_day, DataClass, Due, Lifecycle, Purge, Purged,
    },
    AppState, BoxError,
};
use async_trait::async_trait;

pub const RECORDS: &str = "attendance_records";

const CLASSES: &[DataClass] = &[DataClass {
    name: RECORDS,
    feature: "attendance",
    description: "Attendance records: check-in and check-out times, where and from which \
                  address they were made, and their corrections",
    tables: &["attendance_records", "attendance_corrections"],
    source: &store::RECORDS,
    container: None,
    default_days: forever,
    min_days: one_day,
}];

pub struct Attendance;

#[async_trait]
impl Lifecycle for Attendance {
    fn classes(&self) -> &'static [DataClass] {
        CLASSES
    }

    async fn purge(
        &self,
        proof: &Purge,
        state: &AppState,
        class: &str,
        items: &[Due],
    ) -> Result<Purged, BoxError> {
        if class != RECORDS {
            return Err(format!("attendance keeps no data class `{class}`").into());
        }
        let mut tx = state.db.begin().await?;
        let mut out = Purged::default();
        for d in items {
            let n = store::delete_record(&mut tx, proof.tenant_id(), &d.id).await?;
            out += Purged {
                items: u64::from(n > 0),
                rows: n,
                ..Purged::default()
            };
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn foresee(
        &self,
        e: &Erasure,
        state: &AppState,
    ) -> Result<crate::lifecycle::erase::Forecast, BoxError> {
        use crate::lifecycle::erase::{Forecast, Foreseen};
        let mut conn = state.db.conn().await?;
        let n = store::all_records(&mut conn, e.tenant_id(), &e.person)
            .await?
            .len() as u64;
        Ok(Forecast::erased(vec![Foreseen::unless_held(
            e,
            "attendance",
            "attendance records",
            n,
        )]))
    }

    async fn erase(&self, e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
        if e.person_held() {
            // A legal hold on the person keeps their records as they are.
            let mut conn = state.db.conn().await?;
            let n = store::all_records(&mut conn, e.tenant_id(), &e.person)
                .await?
                .len();
            return Ok(vec![Erased {
                held: n as u64,
                ..Erased::of("attendance", "attendance records")
            }]);
        }
        let mut tx = state.db.begin().await?;
        let (records, corrections, authored, excused, assignments) =
            store::erase_person(&mut tx, e.tenant_id(), &e.person).await?;
        tx.commit().await?;
        Ok(vec![
            Erased::rows("attendance", "attendance records", records),
            Erased::rows(
                "attendance",
                "corrections of the person's records",
                corrections,
            ),
            Erased::rows(
                "attendance",
                "corrections made by the person (author removed)",
                authored,
            ),
            Erased::rows("attendance", "excused days", excused),
            Erased::rows("attendance", "schedule assignment", assignments),
        ])
    }
}
