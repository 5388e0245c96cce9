//! The tasks' SQL, over their own tables only (`tasks`, `task_checklist`, `task_attachments`,
//! `task_reminders`). Every function takes the tenant id. The tasks themselves here; their
//! checklists and attachments in [`items`], reminders in [`reminders`].

mod items;
mod reminders;

pub use items::*;
pub use reminders::*;

use crate::db::Backend;
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: String,
    pub owner_id: String,
    pub assignee_id: Option<String>,
    pub title: String,
    pub description: String,
    pub due_date: Option<String>,
    pub due_time: Option<String>,
    pub due_zone: Option<String>,
    pub due_at: Option<i64>,
    pub overdue_at: Option<i64>,
    pub priority: String,
    pub status: String,
    pub completed_at: Option<i64>,
    pub latitude_e7: Option<i64>,
    pub longitude_e7: Option<i64>,
    pub source_room_id: Option<String>,
    pub source_message_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "t.id, t.owner_id, t.assignee_id, t.title, t.description, t.due_date, \
    t.due_time, t.due_zone, t.due_at, t.overdue_at, t.priority, t.status, t.completed_at, \
    t.latitude_e7, t.longitude_e7, t.source_room_id, t.source_message_id, t.created_at, \
    t.updated_at";

/// Tasks without a due date sort after every dated one.
pub const NO_DUE: i64 = 9_000_000_000_000_000;

pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    t: &TaskRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into tasks (tenant_id, id, owner_id, assignee_id, title, description, due_date,
             due_time, due_zone, due_at, overdue_at, priority, status, completed_at, latitude_e7,
             longitude_e7, source_room_id, source_message_id, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20)",
    )
    .bind(tenant_id)
    .bind(&t.id)
    .bind(&t.owner_id)
    .bind(&t.assignee_id)
    .bind(&t.title)
    .bind(&t.description)
    .bind(&t.due_date)
    .bind(&t.due_time)
    .bind(&t.due_zone)
    .bind(t.due_at)
    .bind(t.overdue_at)
    .bind(&t.priority)
    .bind(&t.status)
    .bind(t.completed_at)
    .bind(t.latitude_e7)
    .bind(t.longitude_e7)
    .bind(&t.source_room_id)
    .bind(&t.source_message_id)
    .bind(t.created_at)
    .bind(t.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Write back everything an edit may change.
pub async fn update(
    conn: &mut AnyConnection,
    tenant_id: &str,
    t: &TaskRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update tasks set owner_id = $1, assignee_id = $2, title = $3, description = $4,
             due_date = $5, due_time = $6, due_zone = $7, due_at = $8, overdue_at = $9,
             priority = $10, status = $11, completed_at = $12, latitude_e7 = $13,
             longitude_e7 = $14, updated_at = $15
         where tenant_id = $16 and id = $17",
    )
    .bind(&t.owner_id)
    .bind(&t.assignee_id)
    .bind(&t.title)
    .bind(&t.description)
    .bind(&t.due_date)
    .bind(&t.due_time)
    .bind(&t.due_zone)
    .bind(t.due_at)
    .bind(t.overdue_at)
    .bind(&t.priority)
    .bind(&t.status)
    .bind(t.completed_at)
    .bind(t.latitude_e7)
    .bind(t.longitude_e7)
    .bind(t.updated_at)
    .bind(tenant_id)
    .bind(&t.id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<TaskRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from tasks t where t.tenant_id = $1 and t.id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The task, locked for a change (PostgreSQL; SQLite's writer lock is held already).
pub async fn get_for_update(
    conn: &mut AnyConnection,
    backend: Backend,
    tenant_id: &str,
    id: &str,
) -> Result<Option<TaskRow>, sqlx::Error> {
    let lock = if backend == Backend::Postgres {
        " for update"
    } else {
        ""
    };
    sqlx::query_as(&format!(
        "select {COLUMNS} from tasks t where t.tenant_id = $1 and t.id = $2{lock}"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Remove a task and everything hanging off it; rows removed.
pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    let mut n = 0;
    for table in ["task_checklist", "task_attachments", "task_reminders"] {
        n += sqlx::query(&format!(
            "delete from {table} where tenant_id = $1 and task_id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    n += sqlx::query("delete from tasks where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n)
}

/// Which of a person's tasks a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Created by them or assigned to them.
    Mine,
    /// Created by them and assigned to someone else.
    AssignedByMe,
    /// Assigned to them.
    AssignedToMe,
}

#[derive(Debug, Clone)]
pub struct PageQuery<'a> {
    pub user_id: &'a str,
    pub scope: Scope,
    pub statuses: &'a [&'static str],
    pub due_before: Option<i64>,
    pub due_after: Option<i64>,
    /// Overdue at this instant (not done).
    pub overdue_at: Option<i64>,
    /// (sort key, id) of the last row of the previous page.
    pub after: Option<(i64, String)>,
    pub limit: i64,
}

enum Arg {
    I(i64),
    S(String),
}

/// A page of tasks, soonest due first (undated last), then by id.
pub async fn page(
    conn: &mut AnyConnection,
    tenant_id: &str,
    q: &PageQuery<'_>,
) -> Result<Vec<TaskRow>, sqlx::Error> {
    let mut args = vec![Arg::S(tenant_id.into()), Arg::S(q.user_id.into())];
    let mut sql = format!("select {COLUMNS} from tasks t where t.tenant_id = $1 and ");
    sql.push_str(match q.scope {
        Scope::Mine => "(t.owner_id = $2 or t.assignee_id = $2)",
        Scope::AssignedByMe => {
            "t.owner_id = $2 and t.assignee_id is not null and t.assignee_id <> $2"
        }
        Scope::AssignedToMe => "t.assignee_id = $2",
    });
    let push = |sql: &mut String, args: &mut Vec<Arg>, cond: &str, a: Arg| {
        args.push(a);
        sql.push_str(&cond.replace("$?", &format!("${}", args.len())));
    };
    if !q.statuses.is_empty() {
        let mut marks = Vec::new();
        for s in q.statuses {
            args.push(Arg::S((*s).into()));
            marks.push(format!("${}", args.len()));
        }
        sql.push_str(&format!(" and t.status in ({})", marks.join(", ")));
    }
    if let Some(b) = q.due_before {
        push(&mut sql, &mut args, " and t.due_at < $?", Arg::I(b));
    }
    if let Some(a) = q.due_after {
        push(&mut sql, &mut args, " and t.due_at >= $?", Arg::I(a));
    }
    if let Some(now) = q.overdue_at {
        push(
            &mut sql,
            &mut args,
            " and t.overdue_at <= $? and t.status <> 'done'",
            Arg::I(now),
        );
    }
    let key = format!("coalesce(t.due_at, {NO_DUE})");
    if let Some((k, id)) = &q.after {
        args.push(Arg::I(*k));
        let kn = args.len();
        args.push(Arg::S(id.clone()));
        let idn = args.len();
        sql.push_str(&format!(
            " and ({key} > ${kn} or ({key} = ${kn} and t.id > ${idn}))"
        ));
    }
    args.push(Arg::I(q.limit));
    sql.push_str(&format!(" order by {key}, t.id limit ${}", args.len()));
    let mut query = sqlx::query_as::<_, TaskRow>(&sql);
    for a in args {
        query = match a {
            Arg::I(i) => query.bind(i),
            Arg::S(s) => query.bind(s),
        };
    }
    query.fetch_all(conn).await
}

/// Tasks a person owns or is assigned, not done, due in `[from, to)`, soonest first.
pub async fn due_between(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<TaskRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from tasks t
         where t.tenant_id = $1 and (t.owner_id = $2 or t.assignee_id = $2)
           and t.status <> 'done' and t.due_at >= $3 and t.due_at < $4
         order by t.due_at, t.id limit $5"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(conn)
    .await
}

// ── search, lifecycle, export ──

pub async fn ids_after(
    conn: &mut AnyConnection,
    tenant_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select id from tasks where tenant_id = $1 and id > $2 order by id limit $3")
        .bind(tenant_id)
        .bind(after)
        .bind(limit)
        .fetch_all(conn)
        .await
}

/// Every task a person owns or is assigned (export).
pub async fn of_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<TaskRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from tasks t
         where t.tenant_id = $1 and (t.owner_id = $2 or t.assignee_id = $2) order by t.id"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// Tasks the person created and assigned to someone else: the assignee becomes their owner.
/// Their ids.
pub async fn hand_to_assignees(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "select id from tasks where tenant_id = $1 and owner_id = $2
           and assignee_id is not null and assignee_id <> $2 order by id",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "update tasks set owner_id = assignee_id where tenant_id = $1 and owner_id = $2
           and assignee_id is not null and assignee_id <> $2",
    )
    .bind(tenant_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(ids)
}

/// What erasing the person would do to tasks: how many they own that go to their assignee,
/// how many they own that go, and how many others' tasks they are assigned to.
pub async fn foresee(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<(u64, u64, u64), sqlx::Error> {
    let (handed, own, assigned): (i64, i64, i64) = sqlx::query_as(
        "select
           coalesce(sum(case when owner_id = $2 and assignee_id is not null and assignee_id <> $2
                        then 1 else 0 end), 0),
           coalesce(sum(case when owner_id = $2 and (assignee_id is null or assignee_id = $2)
                        then 1 else 0 end), 0),
           coalesce(sum(case when assignee_id = $2 and owner_id <> $2 then 1 else 0 end), 0)
         from tasks where tenant_id = $1 and (owner_id = $2 or assignee_id = $2)",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok((n(handed), n(own), n(assigned)))
}

/// Tasks assigned to the person by someone else: unassigned. Their ids.
pub async fn unassign(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "select id from tasks where tenant_id = $1 and assignee_id = $2 and owner_id <> $2
         order by id",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "update tasks set assignee_id = null where tenant_id = $1 and assignee_id = $2
           and owner_id <> $2",
    )
    .bind(tenant_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("delete from task_reminders where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(ids)
}

/// The person's own tasks (owned, after the hand-over above): erased.
pub async fn owned(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select id from tasks where tenant_id = $1 and owner_id = $2 order by id")
        .bind(tenant_id)
        .bind(user_id)
        .fetch_all(conn)
        .await
}

/// Done tasks, by when they were completed: the `tasks_done` data class.
pub static DONE: crate::lifecycle::Source = crate::lifecycle::Source {
    from: "tasks t",
    tenant: "t.tenant_id",
    id: "t.id",
    time: "t.completed_at",
    container: None,
    people: &["t.owner_id", "t.assignee_id"],
    bytes: "length(t.title) + length(t.description)",
    only: "t.status = 'done' and t.completed_at is not null",
    pinned: None,
};
