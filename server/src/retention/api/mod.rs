//! `/retention`: the tenant's policy, per-room and per-space overrides, legal holds, the
//! preview of what a policy removes, and purge runs with their reports. The types are in
//! [`types`].

pub mod types;

use super::{holds, overrides, runs, service, service::PolicyChange};
use crate::{authn::Session, error::ApiResult, http::ApiTags, AppState};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    OpenApi,
};
use std::sync::Arc;
use types::*;

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
        let rows = overrides::overrides(&state, &auth.0).await?;
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
        let rows = overrides::set_overrides(
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

    /// Preview a room's or space's periods
    ///
    /// What the next run would remove in this room or space alone if these periods were set
    /// (`set`) or reset to the tenant's policy (`reset`), per class of that kind of container,
    /// with what each legal hold keeps back. Saves nothing. Needs what setting them needs.
    #[oai(
        path = "/retention/overrides/:kind/:id/preview",
        method = "post",
        operation_id = "retention_overrides_preview"
    )]
    async fn overrides_preview(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        kind: Path<String>,
        id: Path<String>,
        body: Json<OverrideInput>,
    ) -> ApiResult<Json<RetentionPreview>> {
        let b = body.0;
        let p = overrides::preview_override(
            &state,
            &auth.0,
            &kind.0,
            &id.0,
            b.set.into_iter().map(periods).collect(),
            b.reset,
        )
        .await?;
        Ok(Json(preview_out(p)))
    }

    /// List rooms or spaces
    ///
    /// Every room (group rooms and channels; `kind=room`) or space (`kind=space`) of the
    /// tenant whose name contains `q`, not only those the admin belongs to: for picking one to
    /// give its own periods or to hold. By id, paged. Needs `retention.manage`.
    #[oai(
        path = "/retention/containers",
        method = "get",
        operation_id = "retention_containers_list"
    )]
    async fn containers(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        /// `room` or `space`.
        kind: Query<String>,
        q: Query<Option<String>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<RetentionContainerPage>> {
        let (rows, next) = service::containers(
            &state,
            &auth.0,
            &kind.0,
            q.0.as_deref(),
            cursor.0.as_deref(),
            limit.0,
        )
        .await?;
        Ok(Json(RetentionContainerPage {
            items: rows
                .into_iter()
                .map(|n| RetentionContainer {
                    kind: kind.0.clone(),
                    id: n.id,
                    name: n.name,
                })
                .collect(),
            next_cursor: next,
        }))
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
