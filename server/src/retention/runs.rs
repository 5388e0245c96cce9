//! Retention runs: one tenant's policy applied to every data class, at most one node at a time
//! (a lease per tenant), in bounded batches with a pause between them so the server keeps
//! serving, idempotent and resumable (each batch commits on its own; a run cut short by a
//! crash is marked failed by the next, which carries on where it stopped). Every run leaves a
//! report (per class and store: items, rows, blobs and bytes, index entries, held back,
//! errors) and an audit entry.

use super::{
    service::Context,
    store::{self, RunRow},
};
use crate::{
    audit::{self, ActorKind, Entry},
    authn::Principal,
    authz::perm,
    db::{self, new_id, now_ms},
    error::{ApiError, ApiResult, Code},
    lifecycle::Purged,
    AppState, BoxError,
};
use serde::Serialize;
use std::{sync::Arc, time::Duration};

/// Who started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Api,
    Cli,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Api => "api",
            Trigger::Cli => "cli",
        }
    }
}

/// What one hold kept back in a class.
#[derive(Debug, Clone, Serialize)]
pub struct HeldBack {
    pub hold_id: String,
    pub name: String,
    pub items: u64,
}

/// One class in a run's report.
#[derive(Debug, Clone, Serialize)]
pub struct ClassReport {
    pub class: &'static str,
    /// The period applied (`None`: kept forever).
    pub days: Option<i64>,
    #[serde(flatten)]
    pub purged: Purged,
    pub held: Vec<HeldBack>,
    pub duration_ms: u64,
    pub error: Option<String>,
}

/// A run's report, stored as JSON with the run.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub dry_run: bool,
    pub classes: Vec<ClassReport>,
    pub totals: Purged,
    pub duration_ms: u64,
}

fn lease(tenant_id: &str) -> String {
    format!("retention:{tenant_id}")
}

/// How long a run's lease lasts without renewal (renewed after every batch).
fn lease_ms(state: &AppState) -> i64 {
    i64::try_from(state.cfg.retention.lease_secs.max(1))
        .unwrap_or(120)
        .saturating_mul(1000)
}

/// Take the tenant's lease and record a new run; `None` when a run is going on elsewhere.
async fn begin(
    state: &AppState,
    tenant_id: &str,
    trigger: Trigger,
    dry_run: bool,
    requested_by: &str,
) -> Result<Option<RunRow>, sqlx::Error> {
    let id = new_id();
    if !db::lock::try_acquire(&state.db, &lease(tenant_id), &id, lease_ms(state)).await? {
        return Ok(None);
    }
    let now = now_ms();
    let run = RunRow {
        id,
        trigger: trigger.as_str().into(),
        dry_run: i64::from(dry_run),
        status: "running".into(),
        started_at: now,
        finished_at: None,
        as_of: now,
        requested_by: requested_by.into(),
        report: "{}".into(),
        error: String::new(),
    };
    let mut tx = state.db.begin_unclaimed().await?;
    store::fail_interrupted(&mut tx, tenant_id, now).await?;
    store::insert_run(&mut tx, tenant_id, &run).await?;
    tx.commit().await?;
    Ok(Some(run))
}

/// Start a run of the caller's tenant in the background (`retention.manage`); 409 when one is
/// going on.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn start(state: &Arc<AppState>, p: &Principal, dry_run: bool) -> ApiResult<RunRow> {
    state.authz.require(p, perm::RETENTION_MANAGE).await?;
    let run = begin(state, &p.tenant_id, Trigger::Api, dry_run, &p.user_id)
        .await?
        .ok_or_else(|| {
            ApiError::conflict(
                Code::Conflict,
                "a retention run of this tenant is going on; wait for it to finish",
            )
        })?;
    let (s, tenant, r) = (state.clone(), p.tenant_id.clone(), run.clone());
    tokio::spawn(async move {
        if let Err(e) = execute(&s, &tenant, r).await {
            tracing::warn!(tenant_id = %tenant, error = %e, "retention run failed");
        }
    });
    Ok(run)
}

/// Run a tenant's retention now and wait for it (the schedule, the command line); `None`
/// when a run is going on elsewhere.
pub async fn run_now(
    state: &AppState,
    tenant_id: &str,
    trigger: Trigger,
    dry_run: bool,
) -> Result<Option<RunRow>, BoxError> {
    let Some(run) = begin(state, tenant_id, trigger, dry_run, "").await? else {
        return Ok(None);
    };
    Ok(Some(execute(state, tenant_id, run).await?))
}

/// The scheduled pass: every tenant in turn (a tenant whose run is going on elsewhere is
/// skipped); items removed.
pub async fn scheduled(state: &AppState) -> Result<u64, BoxError> {
    let tenants = {
        let mut conn = state.db.conn().await?;
        crate::tenants::service::ids(&mut conn).await?
    };
    let mut n = 0;
    for t in tenants {
        if let Some(r) = run_now(state, &t, Trigger::Schedule, false).await? {
            let report: serde_json::Value = serde_json::from_str(&r.report).unwrap_or_default();
            n += report["totals"]["items"].as_u64().unwrap_or(0);
        }
    }
    Ok(n)
}

/// Apply the tenant's policy to every class, then record the report and release the lease.
async fn execute(state: &AppState, tenant_id: &str, mut run: RunRow) -> Result<RunRow, BoxError> {
    let result = apply(state, tenant_id, &run).await;
    let (report, error) = match result {
        Ok(r) => {
            let errors: Vec<String> = r
                .classes
                .iter()
                .filter_map(|c| c.error.as_ref().map(|e| format!("{}: {e}", c.class)))
                .collect();
            (r, errors.join("; "))
        }
        Err(e) => (Report::default(), e.to_string()),
    };
    run.status = if error.is_empty() { "done" } else { "failed" }.into();
    run.finished_at = Some(now_ms());
    run.report = serde_json::to_string(&report)?;
    run.error = error;
    let mut tx = state.db.begin_unclaimed().await?;
    store::update_run(&mut tx, tenant_id, &run).await?;
    // A scheduled run that found nothing to remove leaves no report and no audit entry: the
    // hourly schedule would otherwise bury the runs that did something.
    let quiet = run.trigger == Trigger::Schedule.as_str()
        && report.totals.items == 0
        && run.error.is_empty();
    if quiet {
        store::delete_run(&mut tx, tenant_id, &run.id).await?;
        tx.commit().await?;
        db::lock::release(&state.db, &lease(tenant_id), &run.id).await?;
        return Ok(run);
    }
    audit::record(
        &mut tx,
        Entry::new(tenant_id, "retention.run")
            .actor(ActorKind::System, "retention")
            .target("retention_run", &run.id)
            .details(serde_json::json!({
                "trigger": run.trigger, "dry_run": run.dry_run != 0, "status": run.status,
                "totals": report.totals, "error": run.error,
            })),
    )
    .await?;
    tx.commit().await?;
    db::lock::release(&state.db, &lease(tenant_id), &run.id).await?;
    if report.totals.items > 0 {
        state.outbox_wake.noted();
    }
    Ok(run)
}

async fn apply(state: &AppState, tenant_id: &str, run: &RunRow) -> Result<Report, BoxError> {
    let started = std::time::Instant::now();
    let dry_run = run.dry_run != 0;
    let ctx = {
        let mut conn = state.db.conn().await?;
        Context::load(&mut conn, tenant_id).await?
    };
    let names: std::collections::HashMap<&str, &str> = ctx
        .holds
        .iter()
        .map(|h| (h.id.as_str(), h.name.as_str()))
        .collect();
    let cfg = &state.cfg.retention;
    let mut report = Report {
        dry_run,
        ..Report::default()
    };
    for c in state.lifecycle.classes() {
        let t0 = std::time::Instant::now();
        let sel = ctx.selection(state, c, run.as_of, None);
        let mut cr = ClassReport {
            class: c.name,
            days: ctx.days(state, c, None),
            purged: Purged::default(),
            held: Vec::new(),
            duration_ms: 0,
            error: None,
        };
        let outcome: Result<(), BoxError> = async {
            cr.held = state
                .lifecycle
                .held(state, &sel)
                .await?
                .into_iter()
                .map(|(id, items)| HeldBack {
                    name: names.get(id.as_str()).copied().unwrap_or("").to_string(),
                    hold_id: id,
                    items,
                })
                .collect();
            if dry_run {
                let m = state.lifecycle.measure(state, &sel).await?;
                cr.purged.items = m.items;
                cr.purged.bytes = m.bytes;
                return Ok(());
            }
            let mut sel = sel.clone();
            loop {
                // A hold placed while the run goes on counts from the next batch.
                sel.holds = {
                    let mut conn = state.db.conn().await?;
                    crate::lifecycle::holds::active(&mut conn, tenant_id).await?
                };
                let p = state.lifecycle.purge_batch(state, &sel, cfg.batch).await?;
                cr.purged += p;
                if p.items == 0 {
                    return Ok(());
                }
                db::lock::try_acquire(&state.db, &lease(tenant_id), &run.id, lease_ms(state))
                    .await?;
                tokio::time::sleep(Duration::from_millis(cfg.pause_ms)).await;
            }
        }
        .await;
        if let Err(e) = outcome {
            tracing::warn!(tenant_id = %tenant_id, class = c.name, error = %e, "retention class failed");
            cr.error = Some(e.to_string());
        }
        cr.duration_ms = u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX);
        report.totals += cr.purged;
        report.classes.push(cr);
    }
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(report)
}

/// One run of the caller's tenant (`retention.manage`).
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<RunRow> {
    state.authz.require(p, perm::RETENTION_MANAGE).await?;
    if !db::is_id(id) {
        return Err(ApiError::not_found("retention run"));
    }
    let mut conn = state.db.conn().await?;
    store::run(&mut conn, &p.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("retention run"))
}

/// Runs newest first, a page at a time (`retention.manage`); the cursor is the last run's id.
pub async fn list(
    state: &AppState,
    p: &Principal,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<(Vec<RunRow>, Option<String>)> {
    state.authz.require(p, perm::RETENTION_MANAGE).await?;
    let limit = crate::http::pagination::limit(limit)?;
    let mut conn = state.db.conn().await?;
    let before = match cursor {
        Some(c) => {
            let r = if db::is_id(c) {
                store::run(&mut conn, &p.tenant_id, c).await?
            } else {
                None
            };
            let r =
                r.ok_or_else(|| ApiError::validation("cursor", "not a cursor from this list"))?;
            Some((r.started_at, r.id))
        }
        None => None,
    };
    let rows = store::runs(&mut conn, &p.tenant_id, before, limit).await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id.clone()))
        .flatten();
    Ok((rows, next))
}
