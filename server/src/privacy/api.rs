//! `/privacy/...` and `/me/consents`: the policy a person reads and accepts, their consent
//! history, and the versions admins publish.
//!
//! Reading the policy and accepting it take [`SessionPendingConsent`]: a person the consent gate
//! holds must be able to do exactly that. Everything else takes the ordinary [`Session`].

use super::{service, store};
use crate::{
    authn::{Session, SessionPendingConsent},
    db::rfc3339,
    error::ApiResult,
    http::{instant_param, ApiTags},
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

/// A version of the privacy policy as admins see it.
#[derive(Debug, Object)]
pub struct PolicyVersion {
    pub id: String,
    pub label: String,
    /// The text (Markdown). Absent in lists.
    pub body: Option<String>,
    /// RFC 3339: when it became or becomes current.
    pub effective_at: String,
    /// Consents to earlier versions stop counting once this one is current.
    pub requires_reconsent: bool,
    /// `current`, `upcoming` or `superseded`.
    pub status: String,
    pub published_at: String,
    pub published_by: String,
    /// Active people who accepted this version.
    pub accepted: i64,
    /// Active people who must still consent while this version is current (for an upcoming
    /// version: once it takes effect); absent for a superseded version.
    pub pending: Option<i64>,
}

impl PolicyVersion {
    fn of(v: service::Version, with_body: bool) -> Self {
        PolicyVersion {
            body: with_body.then_some(v.row.body),
            id: v.row.id,
            label: v.row.label,
            effective_at: rfc3339(v.row.effective_at),
            requires_reconsent: v.row.requires_reconsent != 0,
            status: v.standing.as_str().to_string(),
            published_at: rfc3339(v.row.published_at),
            published_by: v.row.published_by,
            accepted: v.accepted,
            pending: v.pending,
        }
    }
}

#[derive(Debug, Object)]
pub struct PolicyPage {
    pub items: Vec<PolicyVersion>,
    pub next_cursor: Option<String>,
}

/// A new version to publish. Published versions are never edited: publish another.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewPolicyVersion {
    /// Unique within the tenant, e.g. `2026-11`.
    #[oai(validator(max_length = 100))]
    pub label: String,
    /// The policy text (Markdown).
    #[oai(validator(max_length = 200000))]
    pub body: String,
    /// RFC 3339; absent: now. Not in the past.
    pub effective_at: Option<String>,
    /// Whether everyone must accept this version, even people who accepted an earlier one.
    #[oai(default)]
    pub requires_reconsent: bool,
}

#[derive(ApiResponse)]
pub enum PolicyPublished {
    /// Published; current from `effective_at`.
    #[oai(status = 201)]
    Created(Json<PolicyVersion>),
}

/// A version as a person reads it.
#[derive(Debug, Object)]
pub struct PolicyText {
    pub id: String,
    pub label: String,
    /// Markdown.
    pub body: String,
    pub effective_at: String,
    pub requires_reconsent: bool,
    /// When I accepted this version; absent when I have not.
    pub accepted_at: Option<String>,
}

impl From<service::ForMe> for PolicyText {
    fn from(m: service::ForMe) -> Self {
        PolicyText {
            id: m.row.id,
            label: m.row.label,
            body: m.row.body,
            effective_at: rfc3339(m.row.effective_at),
            requires_reconsent: m.row.requires_reconsent != 0,
            accepted_at: m.consent.map(|c| rfc3339(c.accepted_at)),
        }
    }
}

/// The privacy policy for the signed-in person.
#[derive(Debug, Object)]
pub struct PolicyStatus {
    /// The version in effect; absent while the tenant has published none (or none has taken
    /// effect yet).
    pub current: Option<PolicyText>,
    /// The next version scheduled, when there is one: it may be accepted ahead of time.
    pub upcoming: Option<PolicyText>,
    /// True while every other operation answers 403 `consent_required`: accept `current`.
    pub consent_required: bool,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AcceptPolicy {
    /// The version accepted: the current one, or the upcoming one.
    #[oai(validator(max_length = 64))]
    pub version_id: String,
}

/// A recorded consent.
#[derive(Debug, Object)]
pub struct Consent {
    pub id: String,
    pub version_id: String,
    pub label: String,
    /// When the version became or becomes current.
    pub effective_at: String,
    pub accepted_at: String,
    /// The client address the consent came from.
    pub ip: String,
    /// The client's user agent.
    pub user_agent: String,
}

impl From<store::HistoryRow> for Consent {
    fn from(r: store::HistoryRow) -> Self {
        Consent {
            id: r.id,
            version_id: r.policy_id,
            label: r.label,
            effective_at: rfc3339(r.effective_at),
            accepted_at: rfc3339(r.accepted_at),
            ip: r.ip,
            user_agent: r.user_agent,
        }
    }
}

#[derive(Debug, Object)]
pub struct ConsentPage {
    pub items: Vec<Consent>,
    pub next_cursor: Option<String>,
}

#[derive(Default)]
pub struct PrivacyApi;

#[OpenApi(tag = "ApiTags::Privacy")]
impl PrivacyApi {
    /// The privacy policy
    ///
    /// The version in effect and the next one scheduled, with my consent to each, and whether I
    /// must consent before anything else. Any signed-in person; answers while consent is
    /// pending.
    #[oai(
        path = "/privacy/policy",
        method = "get",
        operation_id = "privacy_policy_get"
    )]
    async fn policy(
        &self,
        state: Data<&Arc<AppState>>,
        auth: SessionPendingConsent,
    ) -> ApiResult<Json<PolicyStatus>> {
        let s = service::status(&state, &auth.0).await?;
        Ok(Json(PolicyStatus {
            current: s.current.map(Into::into),
            upcoming: s.upcoming.map(Into::into),
            consent_required: s.consent_required,
        }))
    }

    /// Accept the privacy policy
    ///
    /// Records my consent to a version (the current one, or the upcoming one ahead of time) with
    /// the time, address and user agent; accepting again answers the first consent. 409 for a
    /// superseded version. Any signed-in person; answers while consent is pending.
    #[oai(
        path = "/privacy/policy/accept",
        method = "post",
        operation_id = "privacy_policy_accept"
    )]
    async fn accept(
        &self,
        state: Data<&Arc<AppState>>,
        auth: SessionPendingConsent,
        body: Json<AcceptPolicy>,
    ) -> ApiResult<Json<Consent>> {
        let c = service::accept(&state, &auth.0, &body.0.version_id).await?;
        Ok(Json(c.into()))
    }

    /// My consents
    ///
    /// Every consent I gave, newest first: which version, when, from where.
    #[oai(
        path = "/me/consents",
        method = "get",
        operation_id = "me_consents_list"
    )]
    async fn my_consents(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<ConsentPage>> {
        let (rows, next) = service::history(&state, &auth.0, cursor.0.as_deref(), limit.0).await?;
        Ok(Json(ConsentPage {
            items: rows.into_iter().map(Into::into).collect(),
            next_cursor: next,
        }))
    }

    /// List policy versions
    ///
    /// Latest effective first, each with its status and acceptance counts (without the text).
    /// Needs `settings.manage`.
    #[oai(
        path = "/privacy/policies",
        method = "get",
        operation_id = "privacy_policies_list"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<PolicyPage>> {
        let (rows, next) = service::list(&state, &auth.0, cursor.0.as_deref(), limit.0).await?;
        Ok(Json(PolicyPage {
            items: rows
                .into_iter()
                .map(|v| PolicyVersion::of(v, false))
                .collect(),
            next_cursor: next,
        }))
    }

    /// Publish a policy version
    ///
    /// Current from `effective_at` (absent: now; not in the past) and never edited afterwards.
    /// With `requires_reconsent`, everyone must accept it once it is current; otherwise a
    /// consent to an earlier version still counts (people who never consented must). Needs
    /// `settings.manage`.
    #[oai(
        path = "/privacy/policies",
        method = "post",
        operation_id = "privacy_policies_create"
    )]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<NewPolicyVersion>,
    ) -> ApiResult<PolicyPublished> {
        let b = body.0;
        let v = service::NewVersion {
            effective_at: instant_param("effective_at", b.effective_at)?,
            label: b.label,
            body: b.body,
            requires_reconsent: b.requires_reconsent,
        };
        let v = service::publish(&state, &auth.0, v).await?;
        Ok(PolicyPublished::Created(Json(PolicyVersion::of(v, true))))
    }

    /// A policy version
    ///
    /// With its text, status and acceptance counts. Needs `settings.manage`.
    #[oai(
        path = "/privacy/policies/:id",
        method = "get",
        operation_id = "privacy_policies_get"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<PolicyVersion>> {
        let v = service::get(&state, &auth.0, &id.0).await?;
        Ok(Json(PolicyVersion::of(v, true)))
    }
}
