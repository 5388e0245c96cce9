//! Receipts: a person in the audience reads, acknowledges (the current version, where asked)
//! and dismisses an announcement; `announcements.receipts.read` sees who has read and who has
//! acknowledged — over the audience as it is **now** — and reminds those who have not, at most
//! once an hour per announcement (429 with `Retry-After` otherwise).

use super::{
    service::{self, Kind, View, SOURCE},
    store::{self, ReceiptRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::now_ms,
    directory::{self, audience},
    error::{ApiError, ApiResult, Code},
    http::pagination,
    notices, AppState,
};
use serde_json::json;
use std::collections::HashMap;

/// How often the people who have not read or acknowledged may be reminded, per announcement.
pub const REMIND_EVERY_MS: i64 = 3_600_000;

fn not_found() -> ApiError {
    ApiError::not_found("announcement")
}

/// What a person does with an announcement addressed to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Read,
    Acknowledge,
    Dismiss,
}

/// Read, acknowledge or dismiss, as a person in the audience (others: 404). Acknowledging
/// needs an announcement that asks for it (409 otherwise) and records the current version;
/// one that asks for it cannot be dismissed before it is acknowledged (409). The person's
/// notices about it are marked read. Acknowledging a policy or breach notice is audited.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn act(state: &AppState, p: &Principal, id: &str, act: Act) -> ApiResult<View> {
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let a = service::load(&mut tx, &p.tenant_id, id).await?;
    if !service::addressed(&mut tx, p, &a).await? {
        return Err(not_found());
    }
    let mine = store::receipt(&mut tx, &p.tenant_id, &a.id, &p.user_id).await?;
    let acked = mine
        .as_ref()
        .is_some_and(|r| r.acked_version == Some(a.version));
    let (ack, dismissed) = match act {
        Act::Read => (None, None),
        Act::Acknowledge => {
            if a.ack_required != 1 {
                return Err(ApiError::conflict(
                    Code::Conflict,
                    "this announcement asks for no acknowledgement",
                ));
            }
            (Some((now, a.version)), None)
        }
        Act::Dismiss => {
            if a.ack_required == 1 && !acked {
                return Err(ApiError::conflict(
                    Code::Conflict,
                    "acknowledge this announcement before dismissing it",
                ));
            }
            (None, Some(now))
        }
    };
    store::upsert_receipt(
        &mut tx,
        &p.tenant_id,
        &a.id,
        &p.user_id,
        now,
        ack,
        dismissed,
    )
    .await?;
    notices::mark_subject_read(&mut tx, &p.tenant_id, &p.user_id, SOURCE, &a.id).await?;
    if act == Act::Acknowledge && Kind::parse(&a.kind).is_notice() && !acked {
        audit::record(
            &mut tx,
            p.audit("announcement.acknowledged")
                .target("announcement", &a.id)
                .details(json!({ "kind": a.kind, "version": a.version, "title": a.title })),
        )
        .await?;
    }
    tx.commit().await?;
    let mut conn = state.db.conn().await?;
    service::view(&mut conn, p, a).await
}

/// Where a person of the audience stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Unread,
    Read,
    Acknowledged,
}

/// One person of the audience and their receipt.
#[derive(Debug, Clone)]
pub struct PersonReceipt {
    pub user_id: String,
    pub display_name: String,
    pub status: Status,
    pub read_at: Option<i64>,
    pub acked_at: Option<i64>,
    /// Acknowledged an earlier version (the text changed since).
    pub acked_version: Option<i64>,
}

/// The receipts of an announcement.
#[derive(Debug, Clone)]
pub struct Receipts {
    pub audience: i64,
    pub read: i64,
    pub acknowledged: i64,
    /// Those still to be reminded: not read, or (where asked) not acknowledged.
    pub pending: i64,
    pub items: Vec<PersonReceipt>,
    pub next_cursor: Option<String>,
}

fn status(r: Option<&ReceiptRow>, version: i64) -> Status {
    match r {
        Some(r) if r.acked_version == Some(version) => Status::Acknowledged,
        Some(r) if r.read_at.is_some() => Status::Read,
        _ => Status::Unread,
    }
}

/// Whether a person still has something to do: read it, or acknowledge the current version.
fn pending(s: Status, ack_required: bool) -> bool {
    match s {
        Status::Unread => true,
        Status::Read => ack_required,
        Status::Acknowledged => false,
    }
}

/// Who has read and acknowledged, over the people the audience covers now (by id; a page of
/// them, optionally only those with `status`).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn receipts(
    state: &AppState,
    p: &Principal,
    id: &str,
    only: Option<Status>,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> ApiResult<Receipts> {
    state
        .authz
        .require(p, perm::ANNOUNCEMENTS_READ_RECEIPTS)
        .await?;
    let limit = pagination::limit(limit)?;
    let after = pagination::decode(cursor)?;
    let mut conn = state.db.conn().await?;
    let a = service::load(&mut conn, &p.tenant_id, id).await?;
    let targets = service::audience_of(&mut conn, &p.tenant_id, &a.id).await?;
    let people = audience::people(&mut conn, &p.tenant_id, &targets).await?;
    let rows: HashMap<String, ReceiptRow> = store::receipts(&mut conn, &p.tenant_id, &a.id)
        .await?
        .into_iter()
        .map(|r| (r.user_id.clone(), r))
        .collect();
    let ack_required = a.ack_required == 1;
    let (mut read, mut acknowledged, mut waiting) = (0, 0, 0);
    let mut chosen: Vec<(String, Status)> = Vec::new();
    for u in &people {
        let s = status(rows.get(u), a.version);
        if s != Status::Unread {
            read += 1;
        }
        if s == Status::Acknowledged {
            acknowledged += 1;
        }
        if pending(s, ack_required) {
            waiting += 1;
        }
        if only.is_none_or(|o| o == s) && after.as_ref().is_none_or(|c| u > c) {
            chosen.push((u.clone(), s));
        }
    }
    // `people` is sorted by id.
    let (chosen, next_cursor) = pagination::page(chosen, limit, |(u, _)| u.clone());
    let ids: Vec<String> = chosen.iter().map(|(u, _)| u.clone()).collect();
    let names = directory::service::names(&mut conn, &p.tenant_id, &ids).await?;
    let items = chosen
        .into_iter()
        .map(|(u, s)| {
            let r = rows.get(&u);
            PersonReceipt {
                display_name: names.get(&u).cloned().unwrap_or_default(),
                status: s,
                read_at: r.and_then(|r| r.read_at),
                acked_at: r.and_then(|r| r.acked_at),
                acked_version: r.and_then(|r| r.acked_version),
                user_id: u,
            }
        })
        .collect();
    Ok(Receipts {
        audience: people.len() as i64,
        read,
        acknowledged,
        pending: waiting,
        items,
        next_cursor,
    })
}

/// Remind the people of the audience who have not read it (or, where asked, not acknowledged
/// the current version): a notice each, at most once an hour per announcement. Answers how
/// many were reminded.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn remind(state: &AppState, p: &Principal, id: &str) -> ApiResult<u64> {
    let g = state
        .authz
        .require(p, perm::ANNOUNCEMENTS_READ_RECEIPTS)
        .await?;
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let a = service::load(&mut tx, &p.tenant_id, id).await?;
    if a.expires_at.is_some_and(|x| x <= now) {
        return Err(ApiError::conflict(
            Code::Conflict,
            "the announcement has expired",
        ));
    }
    if !store::take_reminder(&mut tx, &p.tenant_id, &a.id, now, now - REMIND_EVERY_MS).await? {
        let last = a.reminded_at.unwrap_or(now);
        let wait_ms = (last + REMIND_EVERY_MS - now).max(1000);
        return Err(ApiError::rate_limited((wait_ms as u64).div_ceil(1000)));
    }
    let targets = service::audience_of(&mut tx, &p.tenant_id, &a.id).await?;
    let people = audience::people(&mut tx, &p.tenant_id, &targets).await?;
    let rows: HashMap<String, ReceiptRow> = store::receipts(&mut tx, &p.tenant_id, &a.id)
        .await?
        .into_iter()
        .map(|r| (r.user_id.clone(), r))
        .collect();
    let due: Vec<String> = people
        .into_iter()
        .filter(|u| pending(status(rows.get(u), a.version), a.ack_required == 1))
        .collect();
    let written = service::notify(state, &mut tx, p, &a, "reminder", &due).await?;
    let n = written.len() as u64;
    audit::record(
        &mut tx,
        g.principal()
            .audit("announcement.reminded")
            .target("announcement", &a.id)
            .details(json!({ "reminded": n, "version": a.version })),
    )
    .await?;
    tx.commit().await?;
    written.deliver(&state.hub);
    Ok(n)
}
