//! The rules of account deletion: who may ask, what a request does at once, cancelling,
//! and reading the requests and reports (the workflow is described in the module above).

use super::{
    runner,
    store::{self, DeletionRow, SettingsRow},
};
use crate::{
    audit,
    authn::{self, Principal},
    authz::{contain_account, perm, Contained},
    db::{new_id, now_ms, rfc3339},
    error::{ApiError, ApiResult, Code},
    lifecycle::erase::{AuthoredMessages, DocumentsTo, Forecast, Transfers},
    AppState,
};

pub const DAY_MS: i64 = 24 * 3600 * 1000;
pub const MAX_GRACE_DAYS: i64 = 30;

/// A tenant's settings, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub grace_days: i64,
    pub authored_messages: AuthoredMessages,
    pub sign_in_cancels: bool,
}

impl From<SettingsRow> for Settings {
    fn from(r: SettingsRow) -> Self {
        Settings {
            grace_days: r.grace_days.clamp(0, MAX_GRACE_DAYS),
            authored_messages: AuthoredMessages::parse(&r.authored_messages)
                .unwrap_or(AuthoredMessages::Pseudonymise),
            sign_in_cancels: r.sign_in_cancels != 0,
        }
    }
}

pub async fn settings(state: &AppState, p: &Principal) -> ApiResult<Settings> {
    state.authz.require(p, perm::SETTINGS_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    Ok(store::settings(&mut conn, &p.tenant_id).await?.into())
}

pub async fn set_settings(state: &AppState, p: &Principal, s: Settings) -> ApiResult<Settings> {
    let g = state.authz.require(p, perm::SETTINGS_MANAGE).await?;
    if !(0..=MAX_GRACE_DAYS).contains(&s.grace_days) {
        return Err(ApiError::validation(
            "grace_days",
            format!("the grace period is 0 to {MAX_GRACE_DAYS} days"),
        ));
    }
    let row = SettingsRow {
        grace_days: s.grace_days,
        authored_messages: s.authored_messages.as_str().into(),
        sign_in_cancels: i64::from(s.sign_in_cancels),
    };
    let mut tx = state.db.begin().await?;
    store::put_settings(&mut tx, &p.tenant_id, &row, &p.user_id, now_ms()).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("account_settings.updated")
            .details(serde_json::json!({
                "grace_days": row.grace_days,
                "authored_messages": row.authored_messages,
                "sign_in_cancels": s.sign_in_cancels,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}

/// What a request asks for, as given.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `company`, or the id of the person whose personal space receives the documents.
    pub documents_to: Option<String>,
    /// The id of the person who takes over the rooms owned.
    pub rooms_to: Option<String>,
    pub reason: String,
}

/// A successor must be an active account of the tenant other than the person.
async fn successor(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    person: &str,
    field: &str,
    id: &str,
) -> ApiResult<String> {
    let bad = || ApiError::validation(field, "the successor must be another active account");
    if id == person || !crate::db::is_id(id) {
        return Err(bad());
    }
    match crate::users::service::find(conn, tenant_id, id).await? {
        Some(u) if u.status == "active" => Ok(u.id),
        _ => Err(bad()),
    }
}

async fn transfers(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &str,
    person: &str,
    r: &Request,
) -> ApiResult<Transfers> {
    let documents_to = match r.documents_to.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("company") => Some(DocumentsTo::Company),
        Some(id) => Some(DocumentsTo::Person(
            successor(conn, tenant_id, person, "documents_to", id).await?,
        )),
    };
    let rooms_to = match r.rooms_to.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => Some(successor(conn, tenant_id, person, "rooms_to", id).await?),
    };
    Ok(Transfers {
        documents_to,
        rooms_to,
    })
}

/// Store a request and disable the account at once, inside the caller's transaction; the
/// caller commits and then calls [`after_request`].
async fn open(
    tx: &mut sqlx::AnyConnection,
    tenant_id: &str,
    person: &str,
    by: &str,
    self_service: bool,
    r: &Request,
) -> ApiResult<(DeletionRow, u64)> {
    if r.reason.chars().count() > 1000 {
        return Err(ApiError::validation("reason", "at most 1,000 characters"));
    }
    let mut u = crate::users::service::load(tx, tenant_id, person).await?;
    match u.status.as_str() {
        "pending_erasure" => {
            return Err(ApiError::conflict(
                Code::Conflict,
                "a deletion of this account is already pending",
            ))
        }
        "erased" => return Err(ApiError::conflict(Code::Conflict, "the account is erased")),
        _ => {}
    }
    crate::users::service::ensure_other_admin(tx, tenant_id, person).await?;
    let t = transfers(tx, tenant_id, person, r).await?;
    let s: Settings = store::settings(tx, tenant_id).await?.into();
    let now = now_ms();
    let d = DeletionRow {
        tenant_id: tenant_id.to_string(),
        id: new_id(),
        user_id: person.to_string(),
        requested_by: by.to_string(),
        self_service: i64::from(self_service),
        reason: r.reason.trim().to_string(),
        requested_at: now,
        erase_at: now + s.grace_days * DAY_MS,
        status: "pending".into(),
        prior_status: u.status.clone(),
        transfers: serde_json::to_string(&t).map_err(|e| ApiError::internal(e.to_string()))?,
        authored_messages: s.authored_messages.as_str().into(),
        cancelled_by: None,
        cancelled_at: None,
        lease_until: 0,
        erased_at: None,
        report_id: None,
    };
    store::insert(tx, &d).await.map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            ApiError::conflict(
                Code::Conflict,
                "a deletion of this account is already pending",
            )
        } else {
            e.into()
        }
    })?;
    u.status = "disabled".into();
    crate::users::store::update(tx, &u).await?;
    let revoked = authn::service::revoke_user_sessions(tx, tenant_id, person, "").await?;
    authn::service::withdraw_invitations(tx, tenant_id, person).await?;
    Ok((d, revoked))
}

/// After the request committed: close the person's sockets on every node, and erase at once
/// when there is no grace period.
async fn after_request(state: &std::sync::Arc<AppState>, d: &DeletionRow) {
    state
        .hub
        .kick_everywhere(
            &state.db,
            crate::realtime::Kick::user(&d.tenant_id, &d.user_id),
        )
        .await;
    if d.erase_at <= now_ms() {
        runner::erase_soon(state.clone(), d.tenant_id.clone(), d.id.clone());
    }
}

fn audit_details(d: &DeletionRow, revoked: u64) -> serde_json::Value {
    serde_json::json!({
        "deletion_id": d.id,
        "erase_at": rfc3339(d.erase_at),
        "self_service": d.self_service != 0,
        "sessions_revoked": revoked,
        "transfers": serde_json::from_str::<serde_json::Value>(&d.transfers).unwrap_or_default(),
        "authored_messages": d.authored_messages,
    })
}

/// An admin asks for an account's deletion (`users.delete`, within their reach).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn request(
    state: &std::sync::Arc<AppState>,
    p: &Principal,
    user_id: &str,
    r: Request,
) -> ApiResult<DeletionRow> {
    let g = state.authz.require(p, perm::USERS_DELETE).await?;
    let mut tx = state.db.begin().await?;
    crate::users::service::load(&mut tx, &p.tenant_id, user_id).await?;
    let _: Contained = contain_account(&mut tx, p, user_id).await?;
    if user_id == p.user_id {
        return Err(ApiError::conflict(
            Code::Conflict,
            "ask for your own account's deletion through /me/deletion-request",
        ));
    }
    let (d, revoked) = open(&mut tx, &p.tenant_id, user_id, &p.user_id, false, &r).await?;
    audit::record(
        &mut tx,
        crate::users::service::audit_user(&g, "user.deletion_requested", user_id)
            .details(audit_details(&d, revoked)),
    )
    .await?;
    tx.commit().await?;
    after_request(state, &d).await;
    Ok(d)
}

/// A person asks for their own account's deletion; their own session ends with it.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn request_own(
    state: &std::sync::Arc<AppState>,
    p: &Principal,
    r: Request,
) -> ApiResult<DeletionRow> {
    let mut tx = state.db.begin().await?;
    let (d, revoked) = open(&mut tx, &p.tenant_id, &p.user_id, &p.user_id, true, &r).await?;
    audit::record(
        &mut tx,
        p.audit("user.deletion_requested")
            .target("user", &p.user_id)
            .details(audit_details(&d, revoked)),
    )
    .await?;
    tx.commit().await?;
    after_request(state, &d).await;
    Ok(d)
}

/// What deleting an account with these choices would do, per feature, counted now without
/// changing anything; with the tenant's settings it would run under. Needs what a request
/// needs.
pub async fn foresee(
    state: &AppState,
    p: &Principal,
    user_id: &str,
    r: &Request,
) -> ApiResult<(Forecast, Settings)> {
    state.authz.require(p, perm::USERS_DELETE).await?;
    let (t, s) = {
        let mut conn = state.db.conn().await?;
        let u = crate::users::service::load(&mut conn, &p.tenant_id, user_id).await?;
        let _: Contained = contain_account(&mut conn, p, user_id).await?;
        if u.status == "erased" {
            return Err(ApiError::conflict(Code::Conflict, "the account is erased"));
        }
        let t = transfers(&mut conn, &p.tenant_id, user_id, r).await?;
        let s: Settings = store::settings(&mut conn, &p.tenant_id).await?.into();
        (t, s)
    };
    let f = state
        .lifecycle
        .foresee(state, &p.tenant_id, user_id, s.authored_messages, t)
        .await
        .map_err(ApiError::internal)?;
    Ok((f, s))
}

/// The deletion of an account: its live request or erasure, else its latest cancelled one.
pub async fn of_user(state: &AppState, p: &Principal, user_id: &str) -> ApiResult<DeletionRow> {
    state.authz.require(p, perm::USERS_DELETE).await?;
    let mut conn = state.db.conn().await?;
    crate::users::service::load(&mut conn, &p.tenant_id, user_id).await?;
    if let Some(d) = store::live_of(&mut conn, &p.tenant_id, user_id).await? {
        return Ok(d);
    }
    Err(ApiError::not_found("deletion request"))
}

pub async fn list(
    state: &AppState,
    p: &Principal,
    status: Option<&str>,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<(Vec<DeletionRow>, Option<String>)> {
    state.authz.require(p, perm::USERS_DELETE).await?;
    if let Some(s) = status {
        if !["pending", "cancelled", "erasing", "erased"].contains(&s) {
            return Err(ApiError::validation(
                "status",
                "one of pending, cancelled, erasing, erased",
            ));
        }
    }
    let limit = crate::http::pagination::limit(limit)?;
    let before = crate::http::pagination::decode(cursor)?;
    let mut conn = state.db.conn().await?;
    let rows = store::list(
        &mut conn,
        &p.tenant_id,
        status,
        before.as_deref(),
        limit + 1,
    )
    .await?;
    Ok(crate::http::pagination::page(rows, limit, |r| r.id.clone()))
}

/// Cancel a pending deletion: the account comes back `active` (as it was before: `invited`
/// when it had no password yet) or stays `disabled`. Nothing was erased yet, so nothing is lost.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn cancel(
    state: &AppState,
    p: &Principal,
    user_id: &str,
    reactivate: bool,
) -> ApiResult<DeletionRow> {
    let g = state.authz.require(p, perm::USERS_DELETE).await?;
    let mut tx = state.db.begin().await?;
    let mut u = crate::users::service::load(&mut tx, &p.tenant_id, user_id).await?;
    let _: Contained = contain_account(&mut tx, p, user_id).await?;
    let Some(d) = store::live_of(&mut tx, &p.tenant_id, user_id).await? else {
        return Err(ApiError::not_found("deletion request"));
    };
    let restored = restore(&mut tx, &mut u, &d, &p.user_id, reactivate).await?;
    audit::record(
        &mut tx,
        crate::users::service::audit_user(&g, "user.deletion_cancelled", user_id)
            .details(serde_json::json!({ "deletion_id": d.id, "status": restored })),
    )
    .await?;
    tx.commit().await?;
    let mut conn = state.db.conn().await?;
    store::get(&mut conn, &p.tenant_id, &d.id)
        .await?
        .ok_or_else(|| ApiError::not_found("deletion request"))
}

async fn restore(
    tx: &mut sqlx::AnyConnection,
    u: &mut crate::users::store::UserRow,
    d: &DeletionRow,
    by: &str,
    reactivate: bool,
) -> ApiResult<String> {
    if d.status != "pending" || !store::cancel(tx, &d.tenant_id, &d.id, by, now_ms()).await? {
        return Err(ApiError::conflict(
            Code::Conflict,
            "the erasure has started or is done: it can no longer be cancelled",
        ));
    }
    u.status = if !reactivate {
        "disabled".into()
    } else if d.prior_status == "invited" || u.password_hash.is_none() {
        "invited".into()
    } else {
        "active".into()
    };
    crate::users::store::update(tx, u).await?;
    Ok(u.status.clone())
}

/// Signing in during the grace period of a request the person made themselves cancels it,
/// when the tenant allows it: the account's status it comes back with, or `None`.
pub async fn cancel_on_sign_in(
    state: &AppState,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<Option<String>> {
    let mut tx = state.db.begin().await?;
    let s: Settings = store::settings(&mut tx, tenant_id).await?.into();
    let Some(d) = store::live_of(&mut tx, tenant_id, user_id).await? else {
        return Ok(None);
    };
    if !s.sign_in_cancels || d.self_service == 0 || d.status != "pending" {
        return Ok(None);
    }
    let mut u = crate::users::service::load(&mut tx, tenant_id, user_id).await?;
    let restored = restore(&mut tx, &mut u, &d, user_id, true).await?;
    audit::record(
        &mut tx,
        audit::Entry::new(tenant_id, "user.deletion_cancelled")
            .actor(audit::ActorKind::User, user_id)
            .target("user", user_id)
            .details(
                serde_json::json!({ "deletion_id": d.id, "status": restored, "by": "sign_in" }),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(restored))
}

/// Erasure reports, newest first (`users.delete`).
pub async fn reports(
    state: &AppState,
    p: &Principal,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<(Vec<store::ReportRow>, Option<String>)> {
    state.authz.require(p, perm::USERS_DELETE).await?;
    let limit = crate::http::pagination::limit(limit)?;
    let before = crate::http::pagination::decode(cursor)?;
    let mut conn = state.db.conn().await?;
    let rows = store::reports(&mut conn, &p.tenant_id, before.as_deref(), limit + 1).await?;
    Ok(crate::http::pagination::page(rows, limit, |r| r.id.clone()))
}

pub async fn report(state: &AppState, p: &Principal, id: &str) -> ApiResult<store::ReportRow> {
    state.authz.require(p, perm::USERS_DELETE).await?;
    let mut conn = state.db.conn().await?;
    store::report(&mut conn, &p.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("erasure report"))
}
