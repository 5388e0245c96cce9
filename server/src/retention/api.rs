//! `/retention`: the tenant's policy, per-room and per-space overrides, legal holds, the
//! preview of what a policy removes, and purge runs with their reports.

use super::{
    holds::{self, HoldSpec, Protected},
    runs,
    service::{self, ClassDays, PolicyChange},
    store::{OverrideRow, RunRow},
};
use crate::{
    authn::Session,
    db::rfc3339,
    error::ApiResult,
    http::{instant_param, ApiTags},
    lifecycle::holds::Hold,
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

/// One data class and the tenant's period for it.
#[derive(Debug, Object)]
pub struct RetentionClass {
    /// Stable name, e.g. `messages_channel`, `document_versions`, `audit_entries`.
    pub class: String,
    /// The feature that keeps it.
    pub feature: String,
    pub description: String,
    /// Days kept; `null`: kept forever.
    pub days: Option<i64>,
    /// The class's default applies (the tenant set nothing).
    pub is_default: bool,
    pub default_days: Option<i64>,
    /// The shortest period the tenant may set.
    pub min_days: i64,
    /// `room` or `space` when rooms or spaces may have their own period.
    pub per: Option<String>,
}

#[derive(Debug, Object)]
pub struct RetentionPolicy {
    pub classes: Vec<RetentionClass>,
    /// Pinned messages are kept whatever the policy.
    pub exempt_pinned: bool,
    /// Room owners and space managers may set their own periods, no shorter than this; `null`:
    /// they may not.
    pub owner_min_days: Option<i64>,
    /// Saving a policy that removes more items than this needs `confirm_items`.
    pub confirm_threshold: i64,
}

/// A period for one class; `days: null` keeps forever.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ClassPeriod {
    pub class: String,
    pub days: Option<i64>,
}

/// A change to the policy (also the proposal a preview measures: `{}` is the current policy).
#[derive(Debug, Object, Default)]
#[oai(deny_unknown_fields)]
pub struct PolicyInput {
    /// Classes to give a period.
    #[oai(default)]
    pub set: Vec<ClassPeriod>,
    /// Classes to return to their default.
    #[oai(default)]
    pub reset: Vec<String>,
    pub exempt_pinned: Option<bool>,
    /// 0: owners may not set periods.
    pub owner_min_days: Option<i64>,
    pub confirm_threshold: Option<i64>,
    /// The item count of the preview reviewed; needed when the change removes more items than
    /// the threshold.
    pub confirm_items: Option<u64>,
}

impl From<PolicyInput> for PolicyChange {
    fn from(b: PolicyInput) -> Self {
        PolicyChange {
            set: b.set.into_iter().map(periods).collect(),
            reset: b.reset,
            exempt_pinned: b.exempt_pinned,
            owner_min_days: b.owner_min_days,
            confirm_threshold: b.confirm_threshold,
            confirm_items: b.confirm_items,
        }
    }
}

fn periods(c: ClassPeriod) -> ClassDays {
    ClassDays {
        class: c.class,
        days: c.days,
    }
}

fn policy_out(p: service::Policy) -> RetentionPolicy {
    RetentionPolicy {
        classes: p
            .classes
            .into_iter()
            .map(|c| RetentionClass {
                class: c.class.name.into(),
                feature: c.class.feature.into(),
                description: c.class.description.into(),
                days: c.days,
                is_default: c.is_default,
                default_days: c.default_days,
                min_days: c.min_days,
                per: c.class.container.map(|k| k.as_str().to_string()),
            })
            .collect(),
        exempt_pinned: p.switches.exempt_pinned,
        owner_min_days: p.switches.owner_min_days,
        confirm_threshold: p.switches.confirm_threshold,
    }
}

/// What a run would remove in one room or space.
#[derive(Debug, Object)]
pub struct ContainerImpact {
    /// `room` or `space`.
    pub kind: String,
    pub id: String,
    pub items: u64,
    pub bytes: u64,
}

/// What one legal hold keeps back.
#[derive(Debug, Object)]
pub struct HeldImpact {
    pub hold_id: String,
    pub name: String,
    pub items: u64,
}

/// What a run would remove from one class.
#[derive(Debug, Object)]
pub struct ClassImpact {
    pub class: String,
    pub days: Option<i64>,
    pub items: u64,
    /// Bytes of content (message text); file bytes are reported by the run that releases them.
    pub bytes: u64,
    pub oldest: Option<String>,
    pub newest: Option<String>,
    /// The rooms or spaces with the most items to remove (at most 100).
    pub containers: Vec<ContainerImpact>,
    /// Rooms or spaces beyond those listed.
    pub more_containers: u64,
    pub held: Vec<HeldImpact>,
}

#[derive(Debug, Object)]
pub struct RetentionPreview {
    /// The instant ages were measured from.
    pub as_of: String,
    /// Items the next run would remove, all classes together.
    pub items: u64,
    pub classes: Vec<ClassImpact>,
}

fn preview_out(p: service::Preview) -> RetentionPreview {
    let name = |id: &str| {
        p.holds
            .iter()
            .find(|h| h.id == id)
            .map(|h| h.name.clone())
            .unwrap_or_default()
    };
    RetentionPreview {
        as_of: rfc3339(p.as_of),
        items: p.items(),
        classes: p
            .classes
            .iter()
            .map(|c| {
                let kind = c.class.container.map(|k| k.as_str()).unwrap_or("");
                let m = &c.measure;
                ClassImpact {
                    class: c.class.name.into(),
                    days: c.days,
                    items: m.items,
                    bytes: m.bytes,
                    oldest: m.oldest.map(rfc3339),
                    newest: m.newest.map(rfc3339),
                    containers: m
                        .containers
                        .iter()
                        .take(100)
                        .map(|(id, items, bytes)| ContainerImpact {
                            kind: kind.into(),
                            id: id.clone(),
                            items: *items,
                            bytes: *bytes,
                        })
                        .collect(),
                    more_containers: m.containers.len().saturating_sub(100) as u64,
                    held: m
                        .held
                        .iter()
                        .map(|(id, items)| HeldImpact {
                            hold_id: id.clone(),
                            name: name(id),
                            items: *items,
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

/// A room's or space's own period for one class.
#[derive(Debug, Object)]
pub struct RetentionOverride {
    /// `room` or `space`.
    pub kind: String,
    pub id: String,
    pub class: String,
    /// `null`: kept forever.
    pub days: Option<i64>,
    pub updated_by: String,
    pub updated_at: String,
}

impl From<OverrideRow> for RetentionOverride {
    fn from(o: OverrideRow) -> Self {
        RetentionOverride {
            kind: o.container_kind,
            id: o.container_id,
            class: o.class,
            days: o.days,
            updated_by: o.updated_by,
            updated_at: rfc3339(o.updated_at),
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct OverrideInput {
    #[oai(default)]
    pub set: Vec<ClassPeriod>,
    /// Classes that follow the tenant's policy again.
    #[oai(default)]
    pub reset: Vec<String>,
}

/// Items a hold protects in one class.
#[derive(Debug, Object)]
pub struct ProtectedItems {
    pub class: String,
    pub items: u64,
}

/// A legal hold: while active, nothing in its scope is purged or deleted by hand.
#[derive(Debug, Object)]
pub struct LegalHold {
    pub id: String,
    pub name: String,
    pub reason: String,
    /// People: what they authored or own.
    pub people: Vec<String>,
    pub rooms: Vec<String>,
    pub spaces: Vec<String>,
    /// Only items from this instant on…
    pub from: Option<String>,
    /// …and before this one.
    pub until: Option<String>,
    pub active: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub released_at: Option<String>,
    pub released_by: Option<String>,
    /// Items in its scope now, per data class.
    pub protects: Vec<ProtectedItems>,
}

fn hold_out(h: Hold, protects: Protected) -> LegalHold {
    LegalHold {
        active: h.released_at.is_none(),
        id: h.id,
        name: h.name,
        reason: h.reason,
        people: h.people,
        rooms: h.rooms,
        spaces: h.spaces,
        from: h.from_at.map(rfc3339),
        until: h.until_at.map(rfc3339),
        created_by: h.created_by,
        created_at: rfc3339(h.created_at),
        updated_at: rfc3339(h.updated_at),
        released_at: h.released_at.map(rfc3339),
        released_by: h.released_by,
        protects: protects
            .into_iter()
            .map(|(c, n)| ProtectedItems {
                class: c.into(),
                items: n,
            })
            .collect(),
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct HoldInput {
    #[oai(validator(max_length = 200))]
    pub name: String,
    #[oai(validator(max_length = 2000))]
    pub reason: String,
    #[oai(default)]
    pub people: Vec<String>,
    #[oai(default)]
    pub rooms: Vec<String>,
    #[oai(default)]
    pub spaces: Vec<String>,
    /// RFC 3339: only items from this instant on.
    pub from: Option<String>,
    /// RFC 3339: only items before this instant.
    pub until: Option<String>,
}

impl HoldInput {
    fn spec(self) -> ApiResult<HoldSpec> {
        Ok(HoldSpec {
            from_at: instant_param("from", self.from)?,
            until_at: instant_param("until", self.until)?,
            name: self.name,
            reason: self.reason,
            people: self.people,
            rooms: self.rooms,
            spaces: self.spaces,
        })
    }
}

#[derive(Debug, Object)]
pub struct HoldList {
    pub items: Vec<LegalHold>,
}

#[derive(ApiResponse)]
pub enum HoldCreated {
    /// The hold is active.
    #[oai(status = 201)]
    Created(Json<LegalHold>),
}

/// A purge run and its report.
#[derive(Debug, Object)]
pub struct RetentionRun {
    pub id: String,
    /// `schedule`, `api` or `cli`.
    pub trigger: String,
    pub dry_run: bool,
    /// `running`, `done` or `failed`.
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// The instant ages were measured from.
    pub as_of: String,
    /// Who asked for it (empty for the schedule and the command line).
    pub requested_by: String,
    /// Per data class: `items`, `rows`, `blobs`, `bytes`, `index_entries`, `held` (per hold),
    /// `duration_ms`, `error`; and `totals`.
    pub report: serde_json::Value,
    pub error: String,
}

impl From<RunRow> for RetentionRun {
    fn from(r: RunRow) -> Self {
        RetentionRun {
            id: r.id,
            trigger: r.trigger,
            dry_run: r.dry_run != 0,
            status: r.status,
            started_at: rfc3339(r.started_at),
            finished_at: r.finished_at.map(rfc3339),
            as_of: rfc3339(r.as_of),
            requested_by: r.requested_by,
            report: serde_json::from_str(&r.report).unwrap_or_default(),
            error: r.error,
        }
    }
}

#[derive(Debug, Object)]
pub struct RunPage {
    pub items: Vec<RetentionRun>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object, Default)]
#[oai(deny_unknown_fields)]
pub struct StartRun {
    /// Measure and report only; remove nothing.
    #[oai(default)]
    pub dry_run: bool,
}

#[derive(ApiResponse)]
pub enum RunStarted {
    /// The run is going on; poll it for its report.
    #[oai(status = 202)]
    Accepted(Json<RetentionRun>),
}

#[derive(Default)]
pub struct RetentionApi;

#[OpenApi(tag = "ApiTags::Retention")]
impl RetentionApi {
    /// The retention policy
    ///
    /// Every data class with the tenant's period, and the switches. Needs `retention.manage`.
    #[oai(
        path = "/retention/policy",
        method = "get",
        operation_id = "retention_policy_get"
    )]
    async fn policy_get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<RetentionPolicy>> {
        Ok(Json(policy_out(service::policy(&state, &auth.0).await?)))
    }

    /// Change the retention policy
    ///
    /// Sets the listed classes' periods, returns `reset` classes to their default, changes the
    /// switches. A change that removes more items at the next run than the tenant's threshold
    /// needs `confirm_items` of at least the previewed count (409 `confirmation_required`).
    /// Needs `retention.manage`.
    #[oai(
        path = "/retention/policy",
        method = "put",
        operation_id = "retention_policy_set"
    )]
    async fn policy_set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<PolicyInput>,
    ) -> ApiResult<Json<RetentionPolicy>> {
        let p = service::set_policy(&state, &auth.0, body.0.into()).await?;
        Ok(Json(policy_out(p)))
    }

    /// Preview a policy
    ///
    /// What the next run would remove under the proposed change (`{}`: the current policy),
    /// per class and per room or space, with what each legal hold keeps back. Removes nothing.
    /// Needs `retention.manage`.
    #[oai(
        path = "/retention/preview",
        method = "post",
        operation_id = "retention_preview"
    )]
    async fn preview(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<PolicyInput>,
    ) -> ApiResult<Json<RetentionPreview>> {
        let ch: PolicyChange = body.0.into();
        let p = service::preview(&state, &auth.0, Some(&ch)).await?;
        Ok(Json(preview_out(p)))
    }

    /// List overrides
    ///
    /// Every room's and space's own periods. Needs `retention.manage`.
    #[oai(
        path = "/retention/overrides",
        method = "get",
        operation_id = "retention_overrides_list"
    )]
    async fn overrides(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<Vec<RetentionOverride>>> {
        let rows = service::overrides(&state, &auth.0).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// Set a room's or space's periods
    ///
    /// `kind` is `room` or `space`. Needs `retention.manage`, or owning the room (managing the
    /// space) when the tenant lets owners set periods of at least `owner_min_days`.
    #[oai(
        path = "/retention/overrides/:kind/:id",
        method = "put",
        operation_id = "retention_overrides_set"
    )]
    async fn overrides_set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        kind: Path<String>,
        id: Path<String>,
        body: Json<OverrideInput>,
    ) -> ApiResult<Json<Vec<RetentionOverride>>> {
        let b = body.0;
        let rows = service::set_overrides(
            &state,
            &auth.0,
            &kind.0,
            &id.0,
            b.set.into_iter().map(periods).collect(),
            b.reset,
        )
        .await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// List legal holds
    ///
    /// Newest first, released ones too, each with the items it protects. Needs
    /// `retention.manage`.
    #[oai(
        path = "/retention/holds",
        method = "get",
        operation_id = "retention_holds_list"
    )]
    async fn holds_list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<HoldList>> {
        let mut items = Vec::new();
        for h in holds::list(&state, &auth.0).await? {
            let p = if h.released_at.is_none() {
                holds::protected(&state, &auth.0.tenant_id, &h).await?
            } else {
                Vec::new()
            };
            items.push(hold_out(h, p));
        }
        Ok(Json(HoldList { items }))
    }

    /// Place a legal hold
    ///
    /// On people (what they authored or own), rooms and spaces, optionally only for items in a
    /// date range. Needs `retention.manage`.
    #[oai(
        path = "/retention/holds",
        method = "post",
        operation_id = "retention_holds_create"
    )]
    async fn holds_create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<HoldInput>,
    ) -> ApiResult<HoldCreated> {
        let h = holds::create(&state, &auth.0, body.0.spec()?).await?;
        let p = holds::protected(&state, &auth.0.tenant_id, &h).await?;
        Ok(HoldCreated::Created(Json(hold_out(h, p))))
    }

    /// A legal hold
    ///
    /// With the items it protects. Needs `retention.manage`.
    #[oai(
        path = "/retention/holds/:id",
        method = "get",
        operation_id = "retention_holds_get"
    )]
    async fn holds_get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<LegalHold>> {
        let (h, p) = holds::get(&state, &auth.0, &id.0).await?;
        Ok(Json(hold_out(h, p)))
    }

    /// Change a legal hold
    ///
    /// Its name, reason, range and whole scope. Needs `retention.manage`.
    #[oai(
        path = "/retention/holds/:id",
        method = "put",
        operation_id = "retention_holds_update"
    )]
    async fn holds_update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<HoldInput>,
    ) -> ApiResult<Json<LegalHold>> {
        let h = holds::update(&state, &auth.0, &id.0, body.0.spec()?).await?;
        let p = holds::protected(&state, &auth.0.tenant_id, &h).await?;
        Ok(Json(hold_out(h, p)))
    }

    /// Release a legal hold
    ///
    /// What it covered follows the retention policy again from the next run. Needs
    /// `retention.manage`.
    #[oai(
        path = "/retention/holds/:id/release",
        method = "post",
        operation_id = "retention_holds_release"
    )]
    async fn holds_release(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<LegalHold>> {
        let h = holds::release(&state, &auth.0, &id.0).await?;
        Ok(Json(hold_out(h, Vec::new())))
    }

    /// Start a retention run
    ///
    /// Applies the policy now, in the background (`dry_run`: measures only); 409 while a run
    /// of the tenant is going on. Needs `retention.manage`.
    #[oai(
        path = "/retention/runs",
        method = "post",
        operation_id = "retention_runs_start"
    )]
    async fn runs_start(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<StartRun>,
    ) -> ApiResult<RunStarted> {
        let r = runs::start(&state, &auth.0, body.0.dry_run).await?;
        Ok(RunStarted::Accepted(Json(r.into())))
    }

    /// List retention runs
    ///
    /// Newest first, with their reports. Needs `retention.manage`.
    #[oai(
        path = "/retention/runs",
        method = "get",
        operation_id = "retention_runs_list"
    )]
    async fn runs_list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<RunPage>> {
        let (rows, next) = runs::list(&state, &auth.0, cursor.0.as_deref(), limit.0).await?;
        Ok(Json(RunPage {
            items: rows.into_iter().map(Into::into).collect(),
            next_cursor: next,
        }))
    }

    /// A retention run
    ///
    /// Its status and report. Needs `retention.manage`.
    #[oai(
        path = "/retention/runs/:id",
        method = "get",
        operation_id = "retention_runs_get"
    )]
    async fn runs_get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<RetentionRun>> {
        Ok(Json(runs::get(&state, &auth.0, &id.0).await?.into()))
    }
}
