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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        config::Config,
        ops::ctx::RequestCtx,
        tasks::service::{self, DueInput, NewTask},
        tenants, users,
    };

    fn principal(tenant_id: &str, user_id: &str) -> Principal {
        Principal {
            tenant_id: tenant_id.into(),
            tenant_slug: "acme".into(),
            user_id: user_id.into(),
            session_id: String::new(),
            policy_version: i64::MAX,
            consent_pending: false,
            ctx: RequestCtx::default(),
        }
    }

    fn due(date: &str, time: Option<&str>, zone: &str) -> Option<DueInput> {
        Some(DueInput {
            date: date.into(),
            time: time.map(Into::into),
            zone: Some(zone.into()),
        })
    }

    /// What the agenda asks: a person's open tasks (owned or assigned) due in a range, soonest
    /// first; done ones, other people's and ones outside the range are not in it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn due_between_for_the_agenda() {
        let dir =
            std::env::temp_dir().join(format!("stoa-tasks-{}", uuid::Uuid::new_v4().simple()));
        let cfg = Config::load(
            None,
            [("STOA_DATA_DIR".to_string(), dir.display().to_string())],
        )
        .unwrap();
        let state = crate::build_state(cfg).await.unwrap();
        let op = crate::authn::OperatorProof::command_line(&state, RequestCtx::default()).unwrap();
        let created = tenants::service::create(
            &state,
            crate::authn::InstallActor::Operator(&op),
            tenants::service::NewTenant {
                slug: "acme".into(),
                name: "Acme".into(),
                admin_email: "admin@acme.test".into(),
                admin_name: "Admin".into(),
                admin_password: None,
            },
        )
        .await
        .unwrap();
        let tenant = created.tenant.id.clone();
        let admin = principal(&tenant, &created.admin.id);
        let (bob, _) = users::service::create(
            &state,
            &admin,
            users::service::NewUser {
                display_name: "Bob".into(),
                email: Some("bob@acme.test".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let bob = principal(&tenant, &bob.id);
        let mk =
            |title: &str, due: Option<DueInput>, assignee: Option<String>, status: &str| NewTask {
                title: title.into(),
                due,
                assignee_id: assignee,
                status: Some(status.into()),
                ..Default::default()
            };
        let day = due("2030-06-01", None, "Asia/Ho_Chi_Minh");
        for (who, t) in [
            (&admin, mk("all day", day, None, "todo")),
            (
                &admin,
                mk(
                    "morning",
                    due("2030-06-01", Some("09:00"), "Asia/Ho_Chi_Minh"),
                    None,
                    "in_progress",
                ),
            ),
            (
                &admin,
                mk(
                    "done",
                    due("2030-06-01", Some("10:00"), "Asia/Ho_Chi_Minh"),
                    None,
                    "done",
                ),
            ),
            (
                &admin,
                mk(
                    "next day",
                    due("2030-06-02", Some("09:00"), "Asia/Ho_Chi_Minh"),
                    None,
                    "todo",
                ),
            ),
            (&admin, mk("undated", None, None, "todo")),
            (
                &bob,
                mk(
                    "from Bob",
                    due("2030-06-01", Some("12:00"), "UTC"),
                    Some(admin.user_id.clone()),
                    "todo",
                ),
            ),
            (
                &bob,
                mk(
                    "Bob's own",
                    due("2030-06-01", Some("12:00"), "UTC"),
                    None,
                    "todo",
                ),
            ),
        ] {
            service::create(&state, who, t).await.unwrap();
        }
        // 2030-06-01 in Ho Chi Minh City (UTC+7): [2030-05-31T17:00Z, 2030-06-01T17:00Z).
        let from = crate::db::parse_rfc3339("2030-05-31T17:00:00Z").unwrap();
        let to = crate::db::parse_rfc3339("2030-06-01T17:00:00Z").unwrap();
        let titles = |rows: Vec<TaskRow>| rows.into_iter().map(|t| t.title).collect::<Vec<_>>();
        assert_eq!(
            titles(due_between(&state, &admin, from, to, 100).await.unwrap()),
            ["all day", "morning", "from Bob"]
        );
        assert_eq!(
            titles(due_between(&state, &admin, from, to, 2).await.unwrap()),
            ["all day", "morning"]
        );
        assert_eq!(
            titles(due_between(&state, &bob, from, to, 100).await.unwrap()),
            ["from Bob", "Bob's own"]
        );
        assert!(due_between(&state, &admin, to, from, 10).await.is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
