//! Running erasures: when a grace period ends (a periodic pass, and at once after a request
//! with no grace period), and again from the ledger after a database restore (`stoa lifecycle
//! replay`).
//!
//! A request is claimed with a lease (`status = 'erasing'`, `lease_until`), so one node erases
//! it; a node that dies mid-erasure leaves the lease to run out and the next pass runs the
//! erasure again from the start (every step is idempotent; the report then counts what the
//! second run removed).

use super::store::{self, DeletionRow, ReportRow};
use crate::{
    audit,
    db::{new_id, now_ms},
    lifecycle::erase::{pseudonym, AuthoredMessages, Report, Transfers},
    AppState, BoxError,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long a claim holds before another node may take the erasure over.
const LEASE_MS: i64 = 10 * 60 * 1000;

/// Where the ledger lives in the blob store (outside the database, so a database restore does
/// not roll it back; the orphan sweep only looks under `t/`).
/// Where the erasure ledger lives in the blob store (`<prefix><tenant id>/<user id>`).
pub const LEDGER_PREFIX: &str = "ledger/erasures/";

fn ledger_key(tenant_id: &str, user_id: &str) -> String {
    format!("{LEDGER_PREFIX}{tenant_id}/{user_id}")
}

/// One entry of the erasure ledger.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub tenant_id: String,
    pub user_id: String,
    pub deletion_id: String,
    pub erased_at: i64,
    pub authored_messages: AuthoredMessages,
    pub transfers: Transfers,
}

/// Erase in the background now (a request with no grace period); the periodic pass catches
/// it if this node stops first.
pub fn erase_soon(state: Arc<AppState>, tenant_id: String, id: String) {
    tokio::spawn(async move {
        if let Err(e) = erase_one(&state, &tenant_id, &id).await {
            tracing::warn!(error = %e, tenant_id, deletion_id = id, "erasure failed; the next pass retries it");
        }
    });
}

/// The periodic pass: every request whose grace period ended (or whose erasure was interrupted).
pub async fn erase_due(state: &AppState) -> Result<u64, BoxError> {
    let due = {
        let mut conn = state.db.conn().await?;
        store::due(&mut conn, now_ms(), 20).await?
    };
    let mut n = 0;
    for (tenant_id, id) in due {
        if erase_one(state, &tenant_id, &id).await?.is_some() {
            n += 1;
        }
    }
    Ok(n)
}

/// Claim and erase one request; its report id, or `None` when it was not due or another node
/// has it.
pub async fn erase_one(
    state: &AppState,
    tenant_id: &str,
    id: &str,
) -> Result<Option<String>, BoxError> {
    let now = now_ms();
    let d = {
        let mut tx = state.db.begin().await?;
        if !store::claim(&mut tx, tenant_id, id, now, now + LEASE_MS).await? {
            return Ok(None);
        }
        let d = store::get(&mut tx, tenant_id, id)
            .await?
            .ok_or("a claimed deletion request vanished")?;
        tx.commit().await?;
        d
    };
    let started = now_ms();
    let transfers: Transfers = serde_json::from_str(&d.transfers).unwrap_or_default();
    let messages =
        AuthoredMessages::parse(&d.authored_messages).unwrap_or(AuthoredMessages::Pseudonymise);
    let report = state
        .lifecycle
        .erase(state, tenant_id, &d.user_id, messages, transfers.clone())
        .await?;
    let finished = now_ms();
    let report_id = record(state, &d, &report, started, finished).await?;
    let entry = LedgerEntry {
        tenant_id: tenant_id.to_string(),
        user_id: d.user_id.clone(),
        deletion_id: d.id.clone(),
        erased_at: finished,
        authored_messages: messages,
        transfers,
    };
    write_ledger(state, &entry).await?;
    tracing::info!(tenant_id, deletion_id = id, report_id, "account erased");
    Ok(Some(report_id))
}

/// The report, the database's ledger row, the request's end and the audit summary, together.
async fn record(
    state: &AppState,
    d: &DeletionRow,
    report: &Report,
    started: i64,
    finished: i64,
) -> Result<String, BoxError> {
    let r = ReportRow {
        tenant_id: d.tenant_id.clone(),
        id: new_id(),
        deletion_id: d.id.clone(),
        user_id: d.user_id.clone(),
        pseudonym: pseudonym(&d.user_id),
        requested_by: d.requested_by.clone(),
        requested_at: d.requested_at,
        started_at: started,
        finished_at: finished,
        report: serde_json::to_string(report)?,
    };
    let totals = report.totals();
    let mut tx = state.db.begin().await?;
    store::insert_report(&mut tx, &r).await?;
    store::ledger_insert(
        &mut tx,
        &d.tenant_id,
        &d.user_id,
        &d.id,
        finished,
        &d.authored_messages,
    )
    .await?;
    store::finish(&mut tx, &d.tenant_id, &d.id, finished, &r.id).await?;
    audit::record(
        &mut tx,
        audit::Entry::new(&d.tenant_id, "user.erased")
            .target("user", &d.user_id)
            .details(serde_json::json!({
                "deletion_id": d.id,
                "report_id": r.id,
                "items": totals.items,
                "rows": totals.rows,
                "blobs": totals.blobs,
                "bytes": totals.bytes,
                "index_entries": totals.index_entries,
                "held": totals.held,
                "kept": totals.kept,
                "transferred": report.transferred.iter().map(|t| t.items).sum::<u64>(),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(r.id)
}

async fn write_ledger(state: &AppState, e: &LedgerEntry) -> Result<(), BoxError> {
    let body = bytes::Bytes::from(serde_json::to_vec(e)?);
    let stream: crate::blobs::ByteStream =
        Box::pin(futures_util::stream::once(async move { Ok(body) }));
    state
        .blobs
        .store
        .put(&ledger_key(&e.tenant_id, &e.user_id), stream)
        .await?;
    Ok(())
}

/// What a replay did.
#[derive(Debug, Default, Serialize)]
pub struct Replayed {
    /// Ledger entries read.
    pub entries: u64,
    /// People erased again (their data had come back with a restored backup).
    pub erased: u64,
    /// Entries whose tenant or account no longer exists in this database.
    pub absent: u64,
}

/// Re-apply every erasure on the ledger in the blob store (of one tenant, or all) whose person
/// is not erased in this database: after restoring a backup older than the erasure. Each is
/// erased again with the choices it was made with and gets a fresh report.
pub async fn replay(state: &AppState, tenant: Option<&str>) -> Result<Replayed, BoxError> {
    let prefix = match tenant {
        Some(t) => format!("ledger/erasures/{t}/"),
        None => LEDGER_PREFIX.to_string(),
    };
    let mut out = Replayed::default();
    for obj in state.blobs.store.list(&prefix).await? {
        let mut body = Vec::new();
        let mut s = state.blobs.store.get(&obj.key, None).await?;
        use futures_util::StreamExt;
        while let Some(chunk) = s.next().await {
            body.extend_from_slice(&chunk?);
        }
        let Ok(e) = serde_json::from_slice::<LedgerEntry>(&body) else {
            tracing::warn!(key = obj.key, "unreadable erasure ledger entry");
            continue;
        };
        out.entries += 1;
        let mut tx = state.db.begin().await?;
        let exists = crate::users::store::get(&mut tx, &e.tenant_id, &e.user_id).await;
        let u = match exists {
            Ok(Some(u)) => u,
            _ => {
                out.absent += 1;
                continue;
            }
        };
        if u.status == "erased" && store::ledger_has(&mut tx, &e.tenant_id, &e.user_id).await? {
            continue;
        }
        // The restored database does not know of the erasure: the account is disabled and a
        // request due now, made by the ledger, is erased at once.
        let live = store::live_of(&mut tx, &e.tenant_id, &e.user_id).await?;
        let id = match live {
            Some(d) if d.status != "erased" => {
                store::make_due(&mut tx, &e.tenant_id, &d.id, now_ms()).await?;
                d.id
            }
            _ => {
                let now = now_ms();
                let d = DeletionRow {
                    tenant_id: e.tenant_id.clone(),
                    id: new_id(),
                    user_id: e.user_id.clone(),
                    requested_by: String::new(),
                    self_service: 0,
                    reason: format!("replayed from the erasure ledger ({})", e.deletion_id),
                    requested_at: now,
                    erase_at: now,
                    status: "pending".into(),
                    prior_status: "disabled".into(),
                    transfers: serde_json::to_string(&e.transfers)?,
                    authored_messages: e.authored_messages.as_str().into(),
                    cancelled_by: None,
                    cancelled_at: None,
                    lease_until: 0,
                    erased_at: None,
                    report_id: None,
                };
                store::insert(&mut tx, &d).await?;
                d.id
            }
        };
        let mut u = u;
        u.status = "disabled".into();
        crate::users::store::update(&mut tx, &u).await?;
        crate::authn::service::revoke_user_sessions(&mut tx, &e.tenant_id, &e.user_id, "").await?;
        tx.commit().await?;
        // Their sockets close and every node's cached lookups of them go, like any disabling.
        state
            .hub
            .kick_everywhere(
                &state.db,
                crate::realtime::Kick::user(&e.tenant_id, &e.user_id),
            )
            .await;
        if erase_one(state, &e.tenant_id, &id).await?.is_some() {
            out.erased += 1;
        }
    }
    Ok(out)
}
