//! Retention's own data class: the reports of finished runs, kept `retention.report_days`
//! unless the tenant sets its own period.

use super::store;
use crate::{
    authz::Proof,
    config::Config,
    lifecycle::{one_day, DataClass, Due, Lifecycle, Purge, Purged},
    AppState, BoxError,
};
use async_trait::async_trait;

pub const REPORTS: &str = "retention_reports";

fn report_days(cfg: &Config) -> Option<i64> {
    Some(cfg.retention.report_days.max(1))
}

const CLASSES: &[DataClass] = &[DataClass {
    name: REPORTS,
    feature: "retention",
    description: "Reports of finished retention runs",
    tables: &["retention_runs"],
    source: &store::REPORTS,
    container: None,
    default_days: report_days,
    min_days: one_day,
}];

/// Retention in the lifecycle registry (`app::lifecycle`).
pub struct Reports;

#[async_trait]
impl Lifecycle for Reports {
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
        if class != REPORTS {
            return Err(format!("retention keeps no data class `{class}`").into());
        }
        let mut tx = state.db.begin().await?;
        let mut out = Purged::default();
        for d in items {
            let n = store::delete_run(&mut tx, proof.tenant_id(), &d.id).await?;
            out += Purged::rows_of(d, n);
        }
        tx.commit().await?;
        Ok(out)
    }
}
