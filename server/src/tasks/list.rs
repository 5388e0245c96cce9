//! Reading tasks in bulk: the caller's list with its filters and paging, the tasks due in a
//! range (for the agenda), and what search indexes and re-checks.

use super::{
    service::{one_of, reads, view, Role, View, KIND, STATUSES},
    store::{self, Scope, TaskRow},
};
use crate::{
    authn::Principal,
    authz::perm,
    db::{is_id, now_ms},
    error::{ApiError, ApiResult},
    search, AppState,
};
use sqlx::AnyConnection;

/// The list's filters.
#[derive(Debug, Clone)]
pub struct Filter {
    pub scope: Scope,
    pub statuses: Vec<String>,
    pub due_before: Option<i64>,
    pub due_after: Option<i64>,
    pub overdue: bool,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A page of the caller's tasks, soonest due first (undated last).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn list(
    state: &AppState,
    p: &Principal,
    f: Filter,
) -> ApiResult<(Vec<View>, Option<String>)> {
    state.authz.require(p, perm::TASKS_USE).await?;
    let limit = crate::http::pagination::limit(f.limit)?;
    let mut statuses = Vec::new();
    for s in &f.statuses {
        for part in s.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            statuses.push(one_of("status", part, STATUSES)?);
        }
    }
    let after = match crate::http::pagination::decode_key(f.cursor.as_deref(), 2)? {
        Some(k) => Some((
            k[0].parse::<i64>()
                .map_err(|_| ApiError::bad_request("the cursor is not one this server issued"))?,
            k[1].clone(),
        )),
        None => None,
    };
    let mut conn = state.db.conn().await?;
    let rows = store::page(
        &mut conn,
        &p.tenant_id,
        &store::PageQuery {
            user_id: &p.user_id,
            scope: f.scope,
            statuses: &statuses,
            due_before: f.due_before,
            due_after: f.due_after,
            overdue_at: f.overdue.then(now_ms),
            after,
            limit: limit + 1,
        },
    )
    .await?;
    let (rows, next) = crate::http::pagination::page_key(rows, limit, |t| {
        vec![t.due_at.unwrap_or(store::NO_DUE).to_string(), t.id.clone()]
    });
    let mut out = Vec::with_capacity(rows.len());
    for t in rows {
        let role = if t.owner_id == p.user_id {
            Role::Owner
        } else {
            Role::Assignee
        };
        out.push(view(&mut conn, p, t, role).await?);
    }
    Ok((out, next))
}

/// For the agenda: the caller's tasks (owned or assigned) that are not done and are due in
/// `[from_ms, to_ms)`, soonest first, at most `limit` (1..=1000). An all-day task is due at
/// the start of its day in its zone (`TaskRow::due_at`; `overdue_at` is when the day ends).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn due_between(
    state: &AppState,
    p: &Principal,
    from_ms: i64,
    to_ms: i64,
    limit: i64,
) -> ApiResult<Vec<TaskRow>> {
    state.authz.require(p, perm::TASKS_USE).await?;
    if to_ms < from_ms {
        return Err(ApiError::validation("to", "must not be before `from`"));
    }
    let mut conn = state.db.conn().await?;
    Ok(store::due_between(
        &mut conn,
        &p.tenant_id,
        &p.user_id,
        from_ms,
        to_ms,
        limit.clamp(1, 1000),
    )
    .await?)
}

/// The search document of a task: readable by its owner and its assignee.
pub async fn search_doc(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<search::Doc>, sqlx::Error> {
    let Some(t) = store::get(conn, tenant_id, id).await? else {
        return Ok(None);
    };
    let mut readers = vec![search::user_token(&t.owner_id)];
    if let Some(a) = &t.assignee_id {
        readers.push(search::user_token(a));
    }
    Ok(Some(search::Doc {
        tenant_id: tenant_id.to_string(),
        kind: KIND.into(),
        id: t.id,
        owner_id: t.owner_id,
        readers,
        tags: vec![format!("status:{}", t.status)],
        title: t.title,
        body: t.description,
        created_at: t.created_at,
    }))
}

/// Search's re-check of a hit: the caller owns or is assigned the task now.
pub async fn can_read(conn: &mut AnyConnection, p: &Principal, id: &str) -> ApiResult<bool> {
    if !is_id(id) {
        return Ok(false);
    }
    Ok(store::get(conn, &p.tenant_id, id)
        .await?
        .is_some_and(|t| reads(&t, &p.user_id)))
}
