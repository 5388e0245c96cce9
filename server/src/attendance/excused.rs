//! Excused days (leave, business trips, other): set by hand with `attendance.manage`, or by
//! another feature through [`excuse`] and [`withdraw`] inside its own transaction. Absence is
//! never flagged on an excused day.

use super::records::{parse_date, ymd, MAX_REASON};
use super::store::{self, ExcusedRow};
use crate::{
    audit,
    authn::Principal,
    authz::{perm, Proof},
    db::{is_id, new_id, now_ms},
    directory,
    error::{ApiError, ApiResult},
    http::pagination,
    jobs::outbox::HandlerError,
    AppState,
};
use chrono::NaiveDate;
use serde_json::json;
use sqlx::AnyConnection;

/// Kinds of excused days.
pub const KINDS: &[&str] = &["leave", "trip", "other"];

/// An excused span to write: `source` is the writing feature (`approvals`) or `manual`.
#[derive(Debug, Clone)]
pub struct Excuse {
    pub user_id: String,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    pub kind: &'static str,
    pub source: &'static str,
    pub source_id: String,
    pub note: String,
}

/// Excuse a person on these days, in the caller's transaction (the seam for approved leave and
/// business trips). Writing again with the same (`source`, `source_id`, person) replaces the
/// span. The proof names the tenant: an approvals feature passes the proof of its approval.
pub async fn excuse(
    conn: &mut AnyConnection,
    proof: &dyn Proof,
    by: &str,
    e: &Excuse,
) -> ApiResult<String> {
    if e.last_date < e.first_date {
        return Err(ApiError::validation(
            "last_date",
            "must not be before first_date",
        ));
    }
    if (e.last_date - e.first_date).num_days() > 366 {
        return Err(ApiError::validation(
            "last_date",
            "at most a year at a time",
        ));
    }
    let row = ExcusedRow {
        id: new_id(),
        user_id: e.user_id.clone(),
        first_date: ymd(e.first_date),
        last_date: ymd(e.last_date),
        kind: e.kind.to_string(),
        source: e.source.to_string(),
        source_id: e.source_id.clone(),
        note: e.note.clone(),
        created_at: now_ms(),
    };
    store::put_excused(conn, proof.tenant_id(), &row, by).await?;
    Ok(row.id)
}

/// Withdraw what a source wrote under its id (a revoked leave), in the caller's transaction.
pub async fn withdraw(
    conn: &mut AnyConnection,
    proof: &dyn Proof,
    source: &str,
    source_id: &str,
) -> ApiResult<u64> {
    Ok(store::withdraw_excused(conn, proof.tenant_id(), source, source_id).await?)
}

/// Excuse a person by hand (`source` `manual`). Needs `attendance.manage`.
pub async fn create_excused(
    state: &AppState,
    p: &Principal,
    user_id: &str,
    first: &str,
    last: &str,
    kind: &str,
    note: Option<&str>,
) -> ApiResult<ExcusedRow> {
    let g = state.authz.require(p, perm::ATTENDANCE_MANAGE).await?;
    let first = parse_date("first_date", first)?;
    let last = parse_date("last_date", last)?;
    let Some(kind) = KINDS.iter().find(|k| **k == kind).copied() else {
        return Err(ApiError::validation("kind", "one of leave, trip, other"));
    };
    let note = crate::http::validate::optional_text("note", note, MAX_REASON)?.unwrap_or_default();
    let mut tx = state.db.begin().await?;
    directory::service::person(&mut tx, &p.tenant_id, "user_id", user_id).await?;
    let source_id = new_id();
    let id = excuse(
        &mut tx,
        &g,
        &p.user_id,
        &Excuse {
            user_id: user_id.to_string(),
            first_date: first,
            last_date: last,
            kind,
            source: "manual",
            source_id,
            note,
        },
    )
    .await?;
    let row = store::excused_by_id(&mut tx, &p.tenant_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("excused days"))?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("attendance.excused")
            .target("user", &row.user_id)
            .details(json!({
                "excused_id": id, "first_date": row.first_date,
                "last_date": row.last_date, "kind": row.kind,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// A page of excused days, latest first: everyone's or one person's, touching `from..=to`
/// when given. Needs `attendance.manage` (as creating them does).
pub async fn list_excused(
    state: &AppState,
    p: &Principal,
    user_id: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<(Vec<ExcusedRow>, Option<String>)> {
    let _g = state.authz.require(p, perm::ATTENDANCE_MANAGE).await?;
    let limit = pagination::limit(limit)?;
    let user_id = user_id.map(str::trim).filter(|u| !u.is_empty());
    if user_id.is_some_and(|u| !is_id(u)) {
        return Err(ApiError::validation("user_id", "not a person's id"));
    }
    let from = from
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| parse_date("from", d).map(ymd))
        .transpose()?;
    let to = to
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| parse_date("to", d).map(ymd))
        .transpose()?;
    if let (Some(f), Some(t)) = (&from, &to) {
        if t < f {
            return Err(ApiError::validation("to", "must not be before from"));
        }
    }
    let after = pagination::decode_key(cursor, 2)?;
    let after = after.as_ref().map(|k| (k[0].as_str(), k[1].as_str()));
    let mut conn = state.db.conn().await?;
    let rows = store::list_excused(
        &mut conn,
        &p.tenant_id,
        user_id,
        from.as_deref(),
        to.as_deref(),
        after,
        limit + 1,
    )
    .await?;
    Ok(pagination::page_key(rows, limit, |r| {
        vec![r.first_date.clone(), r.id.clone()]
    }))
}

/// Remove excused days. Needs `attendance.manage`.
pub async fn delete_excused(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let g = state.authz.require(p, perm::ATTENDANCE_MANAGE).await?;
    let not_found = || ApiError::not_found("excused days");
    if !is_id(id) {
        return Err(not_found());
    }
    let mut tx = state.db.begin().await?;
    let row = store::excused_by_id(&mut tx, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    store::delete_excused(&mut tx, &p.tenant_id, id).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("attendance.excused_removed")
            .target("user", &row.user_id)
            .details(json!({ "excused_id": id, "source": row.source })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The tenant named by an outbox message of the absence seam (written by the granting
/// feature's own transaction): the proof [`excuse`] takes.
struct Granted(String);

impl Proof for Granted {
    fn tenant_id(&self) -> &str {
        &self.0
    }
}

/// The consumer of the absence seam ([`crate::absences::TOPIC`], wired in `app.rs`): excuse
/// the granted days. Idempotent: a redelivered grant writes the same span again under the same
/// (`source`, `source_id`, person), replacing it. A person who is gone or being erased gets
/// nothing (their days are erased with them); a malformed grant is dead-lettered.
pub async fn on_absence_granted(
    state: &AppState,
    tenant_id: &str,
    payload: &str,
) -> Result<(), HandlerError> {
    let a = crate::absences::parse(payload).map_err(HandlerError::permanent)?;
    let day =
        |s: &str| parse_date("date", s).map_err(|e| HandlerError::permanent(e.detail_with_field()));
    let (first, last) = (day(&a.first_date)?, day(&a.last_date)?);
    let Some(kind) = KINDS.iter().find(|k| **k == a.kind).copied() else {
        return Err(HandlerError::permanent(format!(
            "no kind of excused day `{}`",
            a.kind
        )));
    };
    let source = match a.source.as_str() {
        "approvals" => "approvals",
        other => {
            return Err(HandlerError::permanent(format!(
                "unknown source of absences `{other}`"
            )))
        }
    };
    let mut tx = state.db.begin().await.map_err(HandlerError::retry)?;
    let person = crate::users::service::find(&mut tx, tenant_id, &a.user_id)
        .await
        .map_err(HandlerError::retry)?;
    if person.is_none_or(|u| matches!(u.status.as_str(), "pending_erasure" | "erased")) {
        return Ok(());
    }
    let note: String = a.note.chars().take(MAX_REASON).collect();
    let r = excuse(
        &mut tx,
        &Granted(tenant_id.to_string()),
        &a.granted_by,
        &Excuse {
            user_id: a.user_id.clone(),
            first_date: first,
            last_date: last,
            kind,
            source,
            source_id: a.source_id.clone(),
            note,
        },
    )
    .await;
    match r {
        Ok(_) => {}
        // Out of range (reversed, longer than a year): retrying cannot help.
        Err(e) if e.status().is_client_error() => {
            return Err(HandlerError::permanent(e.detail_with_field()))
        }
        Err(e) => return Err(HandlerError::retry(e.detail_with_field())),
    }
    tx.commit().await.map_err(HandlerError::retry)?;
    Ok(())
}
