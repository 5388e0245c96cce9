//! `/approvals/templates`, `/approvals/admin/templates` and `/approvals/preview`: templates for
//! submitters (`approvals.submit`), their management (`approvals.templates.manage`) and the
//! preview of a request's chain.

pub use super::dto::*;
use super::{
    preview,
    templates::{self, Definition, ACTIVE, ARCHIVED},
};
use crate::{
    authn::Session,
    directory::audience::{self, Target},
    error::ApiResult,
    http::ApiTags,
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    OpenApi,
};
use std::sync::Arc;

fn definition(b: ApprovalTemplateInput) -> ApiResult<Definition> {
    let submitters = if b.submitters.is_empty() {
        vec![Target::Everyone]
    } else {
        audience::parse("submitters", &b.submitters, templates::MAX_SUBMITTERS)?
    };
    Ok(Definition {
        name: b.name,
        category: b.category,
        description: b.description,
        icon: b.icon,
        submitters,
        form: b.form,
        flow: b.flow,
        attendance: b.attendance,
    })
}

fn list(items: Vec<templates::TemplateVersion>) -> Json<ApprovalTemplateList> {
    Json(ApprovalTemplateList {
        items: items.into_iter().map(Into::into).collect(),
    })
}

#[derive(Default)]
pub struct ApprovalTemplatesApi;

#[OpenApi(tag = "ApiTags::Approvals")]
impl ApprovalTemplatesApi {
    /// Templates I may submit
    ///
    /// The active templates the caller may submit (everyone, their departments with
    /// sub-departments, their roles), by category and name. Needs `approvals.submit`. The
    /// tenant's starter templates (leave, expense, purchase, business trip) are always there
    /// unless an admin archived them.
    #[oai(
        path = "/approvals/templates",
        method = "get",
        operation_id = "approvals_templates_list"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<ApprovalTemplateList>> {
        Ok(list(templates::list_for_submitter(&state, &auth.0).await?))
    }

    /// A template
    ///
    /// Its current version, or `version`. Needs `approvals.submit`: others see an active
    /// template they may submit; `approvals.templates.manage` sees every template, archived
    /// ones too.
    #[oai(
        path = "/approvals/templates/:id",
        method = "get",
        operation_id = "approvals_templates_get"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        version: Query<Option<i64>>,
    ) -> ApiResult<Json<ApprovalTemplate>> {
        Ok(Json(
            templates::get(&state, &auth.0, &id.0, version.0)
                .await?
                .into(),
        ))
    }

    /// A template's versions
    ///
    /// Every version, newest first. Needs `approvals.templates.manage`.
    #[oai(
        path = "/approvals/templates/:id/versions",
        method = "get",
        operation_id = "approvals_templates_versions"
    )]
    async fn versions(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<ApprovalTemplateVersions>> {
        let items = templates::versions(&state, &auth.0, &id.0).await?;
        Ok(Json(ApprovalTemplateVersions {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// Create a template
    ///
    /// Version 1 of a new, active template. The form and flow are checked: unique field ids,
    /// sane limits, conditions that parse and name the form's fields with the right types,
    /// people and roles of the tenant (422 naming the field otherwise). Needs
    /// `approvals.templates.manage`.
    #[oai(
        path = "/approvals/templates",
        method = "post",
        operation_id = "approvals_templates_create"
    )]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<ApprovalTemplateInput>,
    ) -> ApiResult<TemplateCreated> {
        let v = templates::create(&state, &auth.0, definition(body.0)?).await?;
        Ok(TemplateCreated::Created(Json(v.into())))
    }

    /// Edit a template
    ///
    /// Makes the next version; requests already submitted keep theirs. With
    /// `expected_version`, 409 when someone else edited it first. Needs
    /// `approvals.templates.manage`.
    #[oai(
        path = "/approvals/templates/:id",
        method = "put",
        operation_id = "approvals_templates_update"
    )]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<ApprovalTemplateInput>,
    ) -> ApiResult<Json<ApprovalTemplate>> {
        let expected = body.0.expected_version;
        let v = templates::update(&state, &auth.0, &id.0, definition(body.0)?, expected).await?;
        Ok(Json(v.into()))
    }

    /// Archive a template
    ///
    /// Hidden from submitters; its versions stay for the requests made under them. Needs
    /// `approvals.templates.manage`.
    #[oai(
        path = "/approvals/templates/:id/archive",
        method = "post",
        operation_id = "approvals_templates_archive"
    )]
    async fn archive(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<ApprovalTemplate>> {
        let v = templates::set_state(&state, &auth.0, &id.0, ARCHIVED).await?;
        Ok(Json(v.into()))
    }

    /// Restore a template
    ///
    /// Active again, at its current version. Needs `approvals.templates.manage`.
    #[oai(
        path = "/approvals/templates/:id/restore",
        method = "post",
        operation_id = "approvals_templates_restore"
    )]
    async fn restore(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<ApprovalTemplate>> {
        let v = templates::set_state(&state, &auth.0, &id.0, ACTIVE).await?;
        Ok(Json(v.into()))
    }

    /// Every template
    ///
    /// All of the tenant's templates, or those in `state`, by category and name. Needs
    /// `approvals.templates.manage`.
    #[oai(
        path = "/approvals/admin/templates",
        method = "get",
        operation_id = "approvals_templates_list_all"
    )]
    async fn list_all(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        #[oai(name = "state")] only: Query<Option<ApprovalTemplateState>>,
    ) -> ApiResult<Json<ApprovalTemplateList>> {
        let only = only.0.map(|s| match s {
            ApprovalTemplateState::Active => ACTIVE,
            ApprovalTemplateState::Archived => ARCHIVED,
        });
        Ok(list(templates::list_all(&state, &auth.0, only).await?))
    }

    /// Preview a request
    ///
    /// The chain a request with these answers would follow if the caller submitted it now:
    /// node by node, who approves (with names), which nodes are skipped and why, who is
    /// copied. The answers are checked exactly as submit checks them (422 naming the field).
    /// Needs `approvals.submit` and a template the caller may submit (404 otherwise).
    #[oai(
        path = "/approvals/preview",
        method = "post",
        operation_id = "approvals_preview"
    )]
    async fn preview(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<ApprovalPreviewInput>,
    ) -> ApiResult<Json<ApprovalPreview>> {
        let b = body.0;
        Ok(Json(
            preview::preview(&state, &auth.0, &b.template_id, &b.answers, &b.chosen).await?,
        ))
    }
}
