//! `/approvals/requests`: submit a request, read it, act on it (approve, reject, withdraw,
//! comment), and the lists (mine, waiting for me, handled by me, copied to me, all).

pub use super::dto::*;
use super::{
    act,
    machine::Action,
    service,
    store::{Box_, Filter},
};
use crate::{
    authn::Session,
    db::is_id,
    error::{ApiError, ApiResult},
    http::{instant_param, pagination, ApiTags},
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    OpenApi,
};
use std::sync::Arc;

async fn full(
    state: &AppState,
    me: &crate::authn::Principal,
    v: service::View,
) -> ApiResult<ApprovalRequest> {
    let ids = ids_of(&v.row, &v.state, &v.actions);
    let names = service::names(state, &me.tenant_id, &ids).await?;
    Ok(request(v, &names, &me.user_id))
}

/// Run one action and answer the request as it now is.
#[allow(clippy::too_many_arguments)]
async fn acted(
    state: &AppState,
    me: &crate::authn::Principal,
    id: &str,
    action: Action,
    comment: Option<&str>,
    revision: Option<i64>,
    files: Option<&[String]>,
) -> ApiResult<Json<ApprovalRequest>> {
    let v = act::act(
        state,
        me,
        id,
        action,
        comment,
        revision,
        files.unwrap_or_default(),
    )
    .await?;
    Ok(Json(full(state, me, v).await?))
}

#[derive(Default)]
pub struct ApprovalRequestsApi;

#[OpenApi(tag = "ApiTags::Approvals")]
impl ApprovalRequestsApi {
    /// Submit a request
    ///
    /// Under the template's current version (or 409 when `version` is given and the template
    /// moved on): the answers are checked (422 naming the field), the chain of approvers is
    /// resolved on the current organisation exactly as the preview shows it and frozen with
    /// the request — later changes to the template or the organisation do not change it. A
    /// request whose every node is skipped is approved at once. Send `Idempotency-Key`: a
    /// retried submit never makes a second request. Needs `approvals.submit` and a template
    /// the caller may submit (404 otherwise).
    #[oai(
        path = "/approvals/requests",
        method = "post",
        operation_id = "approvals_requests_submit"
    )]
    async fn submit(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<ApprovalRequestInput>,
    ) -> ApiResult<RequestCreated> {
        let b = body.0;
        let v = service::submit(
            &state,
            &auth.0,
            service::Submission {
                template_id: b.template_id,
                version: b.version,
                answers: b.answers,
                chosen: b.chosen,
            },
        )
        .await?;
        Ok(RequestCreated::Created(Json(
            full(&state, &auth.0, v).await?,
        )))
    }

    /// Requests
    ///
    /// One box, newest first: `mine` (submitted by me, the default), `waiting` (waiting for my
    /// decision now), `handled` (approved, rejected, transferred, sent back or given an added
    /// signer by me), `cc` (copied to me), `all` (every request; needs `approvals.read_all`). Filters: `template_id`, `state`, and
    /// submitted in `[from, to)` (RFC 3339). Cursor paging. The open states are `pending`
    /// (waiting for an approver) and `returned` (sent back: waiting for its submitter to
    /// resubmit or withdraw it); `state=pending` does not list returned requests.
    #[oai(
        path = "/approvals/requests",
        method = "get",
        operation_id = "approvals_requests_list"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        #[oai(name = "box")] which: Query<Option<ApprovalBox>>,
        template_id: Query<Option<String>>,
        #[oai(name = "state")] only: Query<Option<ApprovalRequestState>>,
        from: Query<Option<String>>,
        to: Query<Option<String>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<ApprovalRequestPage>> {
        let limit = pagination::limit(limit.0)?;
        let before_id = pagination::decode(cursor.0.as_deref())?;
        if before_id.as_deref().is_some_and(|c| !is_id(c)) {
            return Err(ApiError::validation(
                "cursor",
                "the cursor is not one this server issued",
            ));
        }
        if template_id.0.as_deref().is_some_and(|t| !is_id(t)) {
            return Err(ApiError::validation("template_id", "not a template id"));
        }
        let which = match which.0.unwrap_or(ApprovalBox::Mine) {
            ApprovalBox::Mine => Box_::Mine,
            ApprovalBox::Waiting => Box_::Waiting,
            ApprovalBox::Handled => Box_::Handled,
            ApprovalBox::Cc => Box_::Cc,
            ApprovalBox::All => Box_::All,
        };
        let f = Filter {
            template_id: template_id.0,
            state: only.0.map(ApprovalRequestState::as_str),
            from: instant_param("from", from.0)?,
            to: instant_param("to", to.0)?,
            before_id,
        };
        let rows = service::list(&state, &auth.0, which, f, limit + 1).await?;
        let (rows, next_cursor) = pagination::page(rows, limit, |r| r.id.clone());
        let mut states = Vec::with_capacity(rows.len());
        let mut ids = Vec::new();
        for r in &rows {
            let s = service::state_of(r)?;
            ids.push(r.submitter_id.clone());
            ids.extend(s.current_approvers().into_iter().map(String::from));
            states.push(s);
        }
        let names = service::names(&state, &auth.0.tenant_id, &ids).await?;
        Ok(Json(ApprovalRequestPage {
            items: rows
                .iter()
                .zip(&states)
                .map(|(r, s)| summary(r, s, &names))
                .collect(),
            next_cursor,
        }))
    }

    /// A request
    ///
    /// With its frozen chain, who it waits for, what the caller may do and its history. For
    /// its submitter, the approvers of its chain, the people copied and holders of
    /// `approvals.read_all` (404 for anyone else).
    #[oai(
        path = "/approvals/requests/:id",
        method = "get",
        operation_id = "approvals_requests_get"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<ApprovalRequest>> {
        let v = service::get(&state, &auth.0, &id.0).await?;
        Ok(Json(full(&state, &auth.0, v).await?))
    }

    /// Approve a request
    ///
    /// As a current approver of its active node (403 for others who may read it, 404 for
    /// the rest). On an any-one node the first approver decides; on an all node every
    /// approver must; in sequence, each in turn. An approver whose decision is no longer
    /// theirs (someone decided first, or they already did) and any action on a finished
    /// request get 409; so does a stale `revision`.
    #[oai(
        path = "/approvals/requests/:id/approve",
        method = "post",
        operation_id = "approvals_requests_approve"
    )]
    async fn approve(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<ApprovalDecisionInput>,
    ) -> ApiResult<Json<ApprovalRequest>> {
        let b = body.0;
        acted(
            &state,
            &auth.0,
            &id.0,
            Action::Approve,
            b.comment.as_deref(),
            b.revision,
            b.file_ids.as_deref(),
        )
        .await
    }

    /// Reject a request
    ///
    /// As a current approver of its active node: the request is rejected at once, whatever
    /// the node's mode. Answers as approve.
    #[oai(
        path = "/approvals/requests/:id/reject",
        method = "post",
        operation_id = "approvals_requests_reject"
    )]
    async fn reject(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<ApprovalDecisionInput>,
    ) -> ApiResult<Json<ApprovalRequest>> {
        let b = body.0;
        acted(
            &state,
            &auth.0,
            &id.0,
            Action::Reject,
            b.comment.as_deref(),
            b.revision,
            b.file_ids.as_deref(),
        )
        .await
    }

    /// Withdraw a request
    ///
    /// Its submitter, while it is pending (403 for others who may read it; 409 once it is
    /// finished).
    #[oai(
        path = "/approvals/requests/:id/withdraw",
        method = "post",
        operation_id = "approvals_requests_withdraw"
    )]
    async fn withdraw(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<ApprovalDecisionInput>,
    ) -> ApiResult<Json<ApprovalRequest>> {
        let b = body.0;
        acted(
            &state,
            &auth.0,
            &id.0,
            Action::Withdraw,
            b.comment.as_deref(),
            b.revision,
            b.file_ids.as_deref(),
        )
        .await
    }

    /// Transfer a decision
    ///
    /// A current approver of the active node hands their place to another active person of
    /// the tenant (`to`; not the submitter, not someone already on the node: 422), who is
    /// told. The one who transferred keeps reading the request. Answers otherwise as approve.
    #[oai(
        path = "/approvals/requests/:id/transfer",
        method = "post",
        operation_id = "approvals_requests_transfer"
    )]
    async fn transfer(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<ApprovalTransferInput>,
    ) -> ApiResult<Json<ApprovalRequest>> {
        let b = body.0;
        acted(
            &state,
            &auth.0,
            &id.0,
            Action::Transfer(b.to),
            b.comment.as_deref(),
            b.revision,
            None,
        )
        .await
    }

    /// Add a signer
    ///
    /// A current approver of the active node adds an active person of the tenant (`to`; not
    /// the caller, not the submitter, not someone already on the node: 422) as a one-person
    /// step `before` themselves — that person decides first, then the node is back with its
    /// approvers — or `after` — a new step right after the current node. The added person is
    /// told. Recorded in the history. Answers otherwise as approve.
    #[oai(
        path = "/approvals/requests/:id/signers",
        method = "post",
        operation_id = "approvals_requests_add_signer"
    )]
    async fn add_signer(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<ApprovalAddSignerInput>,
    ) -> ApiResult<Json<ApprovalRequest>> {
        let b = body.0;
        acted(
            &state,
            &auth.0,
            &id.0,
            Action::AddSigner {
                to: b.to,
                before: b.position == ApprovalSignerPosition::Before,
            },
            b.comment.as_deref(),
            b.revision,
            None,
        )
        .await
    }

    /// Send a request back
    ///
    /// A current approver of the active node sends it back to an earlier node that was
    /// approved (`node_id`; it and every node after it start again) or, without `node_id`, to
    /// the submitter for changes: the request is `returned` until the submitter resubmits or
    /// withdraws it. The submitter is told. 422 for a node that is not an earlier approved
    /// one; answers otherwise as approve.
    #[oai(
        path = "/approvals/requests/:id/send-back",
        method = "post",
        operation_id = "approvals_requests_send_back"
    )]
    async fn send_back(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<ApprovalSendBackInput>,
    ) -> ApiResult<Json<ApprovalRequest>> {
        let b = body.0;
        acted(
            &state,
            &auth.0,
            &id.0,
            Action::SendBack(b.node_id),
            b.comment.as_deref(),
            b.revision,
            b.file_ids.as_deref(),
        )
        .await
    }

    /// Resubmit a returned request
    ///
    /// Its submitter, once an approver sent it back to them: with edited `answers` (checked
    /// against the template version the request was made under, 422 naming the field) or the
    /// same. The chain frozen at submit time is walked again from its first node, routed
    /// again where the edited answers change what a step's condition decides: a step its
    /// condition skipped before is resolved now (on the current directory and roles; people
    /// for a step only the submitter's choice fills are given in `chosen`, 422 naming
    /// `chosen.<node id>` when missing), a step it skips now is passed over; other steps keep
    /// their frozen approvers. The answers replaced stay in the history. 409 when the request
    /// is not returned (or is finished); 403 for others who may read it.
    #[oai(
        path = "/approvals/requests/:id/resubmit",
        method = "post",
        operation_id = "approvals_requests_resubmit"
    )]
    async fn resubmit(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<ApprovalResubmitInput>,
    ) -> ApiResult<Json<ApprovalRequest>> {
        let b = body.0;
        let v = act::resubmit(
            &state,
            &auth.0,
            &id.0,
            b.answers,
            &b.chosen,
            b.comment.as_deref(),
            b.revision,
        )
        .await?;
        Ok(Json(full(&state, &auth.0, v).await?))
    }

    /// Urge the approvers
    ///
    /// The submitter reminds the current approvers of a pending request (a notice each), at
    /// most once an hour per request (429 with `Retry-After` otherwise). Recorded in the
    /// history.
    #[oai(
        path = "/approvals/requests/:id/urge",
        method = "post",
        operation_id = "approvals_requests_urge"
    )]
    async fn urge(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<ApprovalDecisionInput>,
    ) -> ApiResult<Json<ApprovalRequest>> {
        let b = body.0;
        acted(
            &state,
            &auth.0,
            &id.0,
            Action::Urge,
            b.comment.as_deref(),
            b.revision,
            b.file_ids.as_deref(),
        )
        .await
    }

    /// Comment on a request
    ///
    /// Its submitter, the approvers of its chain and the people copied, while it is pending
    /// (a finished request is immutable: 409). The comment joins the history.
    #[oai(
        path = "/approvals/requests/:id/comments",
        method = "post",
        operation_id = "approvals_requests_comment"
    )]
    async fn comment(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<ApprovalCommentInput>,
    ) -> ApiResult<RequestCreated> {
        let v = act::act(
            &state,
            &auth.0,
            &id.0,
            Action::Comment,
            Some(&body.0.comment),
            None,
            body.0.file_ids.as_deref().unwrap_or_default(),
        )
        .await?;
        Ok(RequestCreated::Created(Json(
            full(&state, &auth.0, v).await?,
        )))
    }
}
