//! Account deletion over HTTP: the tenant's settings, requests (by an admin or by the person),
//! cancellation, and the erasure reports.

use super::{store, Request, Settings};
use crate::{
    authn::Session,
    db::rfc3339,
    error::{ApiError, ApiResult},
    http::ApiTags,
    lifecycle::erase::{AuthoredMessages, Erased, Foreseen, Transferred},
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

/// How the tenant deletes accounts.
#[derive(Debug, Object)]
pub struct DeletionSettings {
    /// Days between a request and the erasure, 0 to 30 (0: erased at once).
    pub grace_days: i64,
    /// What happens to messages an erased person wrote: `delete` (from every store) or
    /// `pseudonymise` (kept, shown as written by "Deleted user XXXX", attachments removed).
    pub authored_messages: String,
    /// Signing in during the grace period cancels a request the person made themselves.
    pub sign_in_cancels: bool,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DeletionSettingsInput {
    #[oai(validator(minimum(value = "0"), maximum(value = "30")))]
    pub grace_days: i64,
    /// `delete` or `pseudonymise`.
    pub authored_messages: String,
    pub sign_in_cancels: bool,
}

impl From<Settings> for DeletionSettings {
    fn from(s: Settings) -> Self {
        DeletionSettings {
            grace_days: s.grace_days,
            authored_messages: s.authored_messages.as_str().into(),
            sign_in_cancels: s.sign_in_cancels,
        }
    }
}

/// What to do with what the person owns, and why.
#[derive(Debug, Object, Default)]
#[oai(deny_unknown_fields)]
pub struct DeletionInput {
    /// Where the documents of the personal space go: `company` (the company space) or the id
    /// of the person whose personal space receives them. Omitted: they are erased.
    pub documents_to: Option<String>,
    /// The id of the person who takes over the rooms owned. Omitted: another member of each
    /// room (a moderator first).
    pub rooms_to: Option<String>,
    /// Up to 1,000 characters, kept with the request.
    #[oai(default, validator(max_length = 1000))]
    pub reason: String,
}

impl From<DeletionInput> for Request {
    fn from(i: DeletionInput) -> Self {
        Request {
            documents_to: i.documents_to,
            rooms_to: i.rooms_to,
            reason: i.reason,
        }
    }
}

/// A deletion request and where it stands.
#[derive(Debug, Object)]
pub struct Deletion {
    pub id: String,
    pub user_id: String,
    /// Who asked (the person themselves when `self_service`; empty for a replay).
    pub requested_by: String,
    pub self_service: bool,
    pub reason: String,
    pub requested_at: String,
    /// When the grace period ends and the erasure runs.
    pub erase_at: String,
    /// `pending`, `cancelled`, `erasing` or `erased`.
    pub status: String,
    /// Where documents and rooms go.
    pub transfers: serde_json::Value,
    /// `delete` or `pseudonymise`, as the tenant's setting was when it was asked.
    pub authored_messages: String,
    pub cancelled_by: Option<String>,
    pub cancelled_at: Option<String>,
    pub erased_at: Option<String>,
    /// The erasure report, once erased.
    pub report_id: Option<String>,
}

impl From<store::DeletionRow> for Deletion {
    fn from(d: store::DeletionRow) -> Self {
        Deletion {
            transfers: serde_json::from_str(&d.transfers).unwrap_or_default(),
            id: d.id,
            user_id: d.user_id,
            requested_by: d.requested_by,
            self_service: d.self_service != 0,
            reason: d.reason,
            requested_at: rfc3339(d.requested_at),
            erase_at: rfc3339(d.erase_at),
            status: d.status,
            authored_messages: d.authored_messages,
            cancelled_by: d.cancelled_by,
            cancelled_at: d.cancelled_at.map(rfc3339),
            erased_at: d.erased_at.map(rfc3339),
            report_id: d.report_id,
        }
    }
}

#[derive(Debug, Object)]
pub struct DeletionPage {
    pub items: Vec<Deletion>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CancelDeletion {
    /// True: the account is active again (invited when it never had a password); false: it
    /// stays disabled.
    pub reactivate: bool,
}

/// What one erasure did.
#[derive(Debug, Object)]
pub struct ErasureReport {
    pub id: String,
    pub deletion_id: String,
    /// The erased person's id, now a pseudonymous id.
    pub user_id: String,
    /// The name they are shown by from now on.
    pub pseudonym: String,
    pub requested_by: String,
    pub requested_at: String,
    pub started_at: String,
    pub finished_at: String,
    /// What went to successors.
    pub transferred: Vec<TransferLine>,
    /// Per feature and kind of data, what went from which store.
    pub erased: Vec<ErasedLine>,
    /// The sums over `erased`.
    pub totals: ErasedTotals,
}

/// What went (or goes) to a successor.
#[derive(Debug, Object)]
pub struct TransferLine {
    pub feature: String,
    /// `rooms owned`, `documents in the personal space`, …
    pub what: String,
    pub items: u64,
    /// `person:<id>`, `company`, `assignees` or `another member of each room`.
    pub to: String,
}

impl From<Transferred> for TransferLine {
    fn from(t: Transferred) -> Self {
        TransferLine {
            feature: t.feature,
            what: t.what,
            items: t.items,
            to: t.to,
        }
    }
}

/// What one feature removed from one kind of data.
#[derive(Debug, Object)]
pub struct ErasedLine {
    pub feature: String,
    /// `profile`, `sessions`, `messages`, `attachments`, `documents`, …
    pub what: String,
    /// Items removed (or scrubbed, for what is kept under a pseudonym).
    pub items: u64,
    /// Database rows deleted or scrubbed.
    pub rows: u64,
    /// Files whose blob (and thumbnail) was deleted.
    pub blobs: u64,
    pub bytes: u64,
    /// Search index entries removed or rewritten.
    pub index_entries: u64,
    /// Items kept because a legal hold covers them.
    pub held: u64,
    /// Items kept on purpose (messages under the pseudonym, documents that belong to a team
    /// space, audit entries).
    pub kept: u64,
}

/// Sums over every store.
#[derive(Debug, Object)]
pub struct ErasedTotals {
    pub items: u64,
    pub rows: u64,
    pub blobs: u64,
    pub bytes: u64,
    pub index_entries: u64,
    pub held: u64,
    pub kept: u64,
}

impl From<Erased> for ErasedLine {
    fn from(e: Erased) -> Self {
        ErasedLine {
            feature: e.feature,
            what: e.what,
            items: e.items,
            rows: e.rows,
            blobs: e.blobs,
            bytes: e.bytes,
            index_entries: e.index_entries,
            held: e.held,
            kept: e.kept,
        }
    }
}

impl From<Erased> for ErasedTotals {
    fn from(e: Erased) -> Self {
        ErasedTotals {
            items: e.items,
            rows: e.rows,
            blobs: e.blobs,
            bytes: e.bytes,
            index_entries: e.index_entries,
            held: e.held,
            kept: e.kept,
        }
    }
}

/// What an erasure would do to one kind of data, counted before it runs.
#[derive(Debug, Object)]
pub struct ForeseenLine {
    pub feature: String,
    pub what: String,
    /// Items that would be removed.
    pub items: u64,
    /// Bytes they hold, where the feature knows them.
    pub bytes: u64,
    /// Items a legal hold would keep.
    pub held: u64,
    /// Items kept on purpose (messages under the pseudonym, submitted requests without their
    /// answers, documents that belong to another space, the scrubbed profile).
    pub kept: u64,
}

impl From<Foreseen> for ForeseenLine {
    fn from(f: Foreseen) -> Self {
        ForeseenLine {
            feature: f.feature,
            what: f.what,
            items: f.items,
            bytes: f.bytes,
            held: f.held,
            kept: f.kept,
        }
    }
}

/// What deleting an account with the given choices would do, counted now.
#[derive(Debug, Object)]
pub struct DeletionPreview {
    pub user_id: String,
    /// The tenant's grace period: the account is disabled at once and erased after it.
    pub grace_days: i64,
    /// When the erasure would run if the deletion were requested now.
    pub erase_at: String,
    /// `delete` or `pseudonymise`: what happens to the messages the person wrote.
    pub authored_messages: String,
    /// What would go to successors.
    pub transferred: Vec<TransferLine>,
    /// What would be removed, kept or held, per feature and kind of data.
    pub erased: Vec<ForeseenLine>,
    /// Active legal holds that name the person: what they authored is kept.
    pub holds: Vec<String>,
    /// Items removed, bytes, held and kept, summed over `erased`.
    pub totals: ForeseenTotals,
}

#[derive(Debug, Object)]
pub struct ForeseenTotals {
    pub items: u64,
    pub bytes: u64,
    pub held: u64,
    pub kept: u64,
    /// Items handed to successors.
    pub transferred: u64,
}

impl From<store::ReportRow> for ErasureReport {
    fn from(r: store::ReportRow) -> Self {
        let report: crate::lifecycle::erase::Report =
            serde_json::from_str(&r.report).unwrap_or_default();
        let totals = report.totals().into();
        ErasureReport {
            id: r.id,
            deletion_id: r.deletion_id,
            user_id: r.user_id,
            pseudonym: r.pseudonym,
            requested_by: r.requested_by,
            requested_at: rfc3339(r.requested_at),
            started_at: rfc3339(r.started_at),
            finished_at: rfc3339(r.finished_at),
            transferred: report.transferred.into_iter().map(Into::into).collect(),
            erased: report.erased.into_iter().map(Into::into).collect(),
            totals,
        }
    }
}

#[derive(Debug, Object)]
pub struct ErasureReportPage {
    pub items: Vec<ErasureReport>,
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
pub enum DeletionRequested {
    /// The account is disabled now; it is erased when `erase_at` comes (at once for a grace
    /// period of 0 days).
    #[oai(status = 202)]
    Accepted(Json<Deletion>),
}

#[derive(Default)]
pub struct DeletionApi;

#[OpenApi(tag = "ApiTags::Users")]
impl DeletionApi {
    /// Account deletion settings
    ///
    /// The grace period, what happens to an erased person's messages, and whether signing in
    /// cancels a self-service request. Needs `settings.manage`.
    #[oai(
        path = "/settings/account-deletion",
        method = "get",
        operation_id = "account_deletion_settings_get"
    )]
    async fn settings_get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<DeletionSettings>> {
        Ok(Json(super::settings(&state, &auth.0).await?.into()))
    }

    /// Change the account deletion settings
    ///
    /// Applies to requests made from now on. Needs `settings.manage`.
    #[oai(
        path = "/settings/account-deletion",
        method = "put",
        operation_id = "account_deletion_settings_set"
    )]
    async fn settings_set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<DeletionSettingsInput>,
    ) -> ApiResult<Json<DeletionSettings>> {
        let messages = AuthoredMessages::parse(&body.0.authored_messages).ok_or_else(|| {
            ApiError::validation("authored_messages", "either delete or pseudonymise")
        })?;
        let s = Settings {
            grace_days: body.0.grace_days,
            authored_messages: messages,
            sign_in_cancels: body.0.sign_in_cancels,
        };
        Ok(Json(super::set_settings(&state, &auth.0, s).await?.into()))
    }

    /// Delete an account
    ///
    /// Disables the account at once (every session, socket and invitation link stops
    /// working) and erases it from every store when the tenant's grace period ends, after
    /// handing documents and rooms to the successors named. The last active admin cannot be
    /// deleted (409 `last_admin`). Needs `users.delete` and every permission the account holds.
    #[oai(
        path = "/users/:id/deletion",
        method = "post",
        operation_id = "users_deletion_request"
    )]
    async fn request(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<DeletionInput>,
    ) -> ApiResult<DeletionRequested> {
        let d = super::request(&state, &auth.0, &id.0, body.0.into()).await?;
        Ok(DeletionRequested::Accepted(Json(d.into())))
    }

    /// Preview an account's deletion
    ///
    /// What deleting the account with these choices would do, counted now, per feature:
    /// what goes to successors, what is removed, what is kept under the pseudonym and what
    /// legal holds keep. Nothing changes; the erasure report says afterwards what went.
    /// Needs what a request needs (`users.delete` and every permission the account holds).
    #[oai(
        path = "/users/:id/deletion/preview",
        method = "get",
        operation_id = "users_deletion_preview"
    )]
    async fn preview(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        /// `company` or the id of the person who receives the documents; omitted: erased.
        documents_to: Query<Option<String>>,
        /// The id of the person who takes over the rooms owned (and organised meetings).
        rooms_to: Query<Option<String>>,
    ) -> ApiResult<Json<DeletionPreview>> {
        let r = Request {
            documents_to: documents_to.0,
            rooms_to: rooms_to.0,
            reason: String::new(),
        };
        let (f, s) = super::foresee(&state, &auth.0, &id.0, &r).await?;
        let sum = |g: fn(&Foreseen) -> u64| f.erased.iter().map(g).sum::<u64>();
        let totals = ForeseenTotals {
            items: sum(|x| x.items),
            bytes: sum(|x| x.bytes),
            held: sum(|x| x.held),
            kept: sum(|x| x.kept),
            transferred: f.transferred.iter().map(|t| t.items).sum(),
        };
        Ok(Json(DeletionPreview {
            user_id: id.0,
            grace_days: s.grace_days,
            erase_at: rfc3339(crate::db::now_ms() + s.grace_days * super::DAY_MS),
            authored_messages: s.authored_messages.as_str().into(),
            transferred: f.transferred.into_iter().map(Into::into).collect(),
            erased: f.erased.into_iter().map(Into::into).collect(),
            holds: f.holds,
            totals,
        }))
    }

    /// An account's deletion
    ///
    /// Its pending request, or its erasure. Needs `users.delete`.
    #[oai(
        path = "/users/:id/deletion",
        method = "get",
        operation_id = "users_deletion_get"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Deletion>> {
        Ok(Json(super::of_user(&state, &auth.0, &id.0).await?.into()))
    }

    /// Cancel an account's deletion
    ///
    /// During the grace period only; nothing was erased yet. Needs `users.delete` and every
    /// permission the account holds.
    #[oai(
        path = "/users/:id/deletion/cancel",
        method = "post",
        operation_id = "users_deletion_cancel"
    )]
    async fn cancel(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<CancelDeletion>,
    ) -> ApiResult<Json<Deletion>> {
        let d = super::cancel(&state, &auth.0, &id.0, body.0.reactivate).await?;
        Ok(Json(d.into()))
    }

    /// List deletion requests
    ///
    /// Newest first, optionally of one status. Needs `users.delete`.
    #[oai(
        path = "/account-deletions",
        method = "get",
        operation_id = "account_deletions_list"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        status: Query<Option<String>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<DeletionPage>> {
        let (rows, next) = super::list(
            &state,
            &auth.0,
            status.0.as_deref(),
            cursor.0.as_deref(),
            limit.0,
        )
        .await?;
        Ok(Json(DeletionPage {
            items: rows.into_iter().map(Into::into).collect(),
            next_cursor: next,
        }))
    }

    /// Delete my account
    ///
    /// Disables the account at once (this session ends too) and erases it when the tenant's
    /// grace period ends. Signing in again before then cancels the request when the tenant
    /// allows it; an admin can cancel it too. The last active admin cannot delete their account.
    #[oai(
        path = "/me/deletion-request",
        method = "post",
        operation_id = "me_deletion_request"
    )]
    async fn request_own(
        &self,
        state: Data<&Arc<AppState>>,
        // Allowed before consenting to a new privacy policy: refusing it and leaving is a right.
        auth: crate::authn::SessionPendingConsent,
        body: Json<DeletionInput>,
    ) -> ApiResult<DeletionRequested> {
        let d = super::request_own(&state, &auth.0, body.0.into()).await?;
        Ok(DeletionRequested::Accepted(Json(d.into())))
    }

    /// List erasure reports
    ///
    /// Newest first. Needs `users.delete`.
    #[oai(
        path = "/erasure-reports",
        method = "get",
        operation_id = "erasure_reports_list"
    )]
    async fn reports(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<ErasureReportPage>> {
        let (rows, next) = super::reports(&state, &auth.0, cursor.0.as_deref(), limit.0).await?;
        Ok(Json(ErasureReportPage {
            items: rows.into_iter().map(Into::into).collect(),
            next_cursor: next,
        }))
    }

    /// An erasure report
    ///
    /// What one erasure removed from each store and transferred to whom. Needs `users.delete`.
    #[oai(
        path = "/erasure-reports/:id",
        method = "get",
        operation_id = "erasure_reports_get"
    )]
    async fn report(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<ErasureReport>> {
        Ok(Json(super::report(&state, &auth.0, &id.0).await?.into()))
    }
}
