//! SQL for approval requests: the requests, their append-only actions and the people a request
//! waits for or copies. Every function takes the tenant id. What retention and erasure read and
//! change (a person's requests, actions and copies) is in [`lifecycle`].

use crate::db::Backend;
use sqlx::AnyConnection;

mod lifecycle;
pub use lifecycle::*;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: String,
    pub template_id: String,
    pub version: i64,
    pub submitter_id: String,
    pub title: String,
    pub answers: String,
    pub state: String,
    pub flow_state: String,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActionRow {
    pub seq: i64,
    pub actor_id: Option<String>,
    pub action: String,
    pub node_id: Option<String>,
    pub target_id: Option<String>,
    pub comment: Option<String>,
    pub created_at: i64,
    /// Resubmit: JSON, the answers as they were before it.
    #[sqlx(default)]
    pub answers: Option<String>,
    /// The files attached to the action (`approval_action_files`), in the order given.
    #[sqlx(skip)]
    pub files: Vec<String>,
}

const REQUEST: &str = "id, template_id, version, submitter_id, title, answers, state, flow_state, \
                       revision, created_at, updated_at, finished_at";

pub const WAITING: &str = "waiting";
pub const CC: &str = "cc";

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<RequestRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {REQUEST} from approval_requests where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The request, its row locked for the rest of the transaction (PostgreSQL; SQLite's single
/// writer holds every write transaction apart already).
pub async fn lock(
    conn: &mut AnyConnection,
    backend: Backend,
    tenant_id: &str,
    id: &str,
) -> Result<Option<RequestRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {REQUEST} from approval_requests where tenant_id = $1 and id = $2{}",
        backend.for_update()
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    r: &RequestRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into approval_requests
           (tenant_id, id, template_id, version, submitter_id, title, answers, state, flow_state,
            revision, created_at, updated_at, finished_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(tenant_id)
    .bind(&r.id)
    .bind(&r.template_id)
    .bind(r.version)
    .bind(&r.submitter_id)
    .bind(&r.title)
    .bind(&r.answers)
    .bind(&r.state)
    .bind(&r.flow_state)
    .bind(r.revision)
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(r.finished_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Move a request to its next state, only if it is still at revision `from` and pending
/// (false: someone else acted first, or it finished).
pub async fn advance(
    conn: &mut AnyConnection,
    tenant_id: &str,
    from: i64,
    r: &RequestRow,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "update approval_requests
         set state = $4, flow_state = $5, revision = $6, updated_at = $7, finished_at = $8
         where tenant_id = $1 and id = $2 and revision = $3
           and state in ('pending', 'returned')",
    )
    .bind(tenant_id)
    .bind(&r.id)
    .bind(from)
    .bind(&r.state)
    .bind(&r.flow_state)
    .bind(r.revision)
    .bind(r.updated_at)
    .bind(r.finished_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn insert_action(
    conn: &mut AnyConnection,
    tenant_id: &str,
    request_id: &str,
    a: &ActionRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into approval_request_actions
           (tenant_id, request_id, seq, actor_id, action, node_id, target_id, comment,
            created_at, answers)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant_id)
    .bind(request_id)
    .bind(a.seq)
    .bind(&a.actor_id)
    .bind(&a.action)
    .bind(&a.node_id)
    .bind(&a.target_id)
    .bind(&a.comment)
    .bind(a.created_at)
    .bind(&a.answers)
    .execute(conn)
    .await?;
    Ok(())
}

/// A request's actions, oldest first.
pub async fn actions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    request_id: &str,
) -> Result<Vec<ActionRow>, sqlx::Error> {
    let mut rows: Vec<ActionRow> = sqlx::query_as(
        "select seq, actor_id, action, node_id, target_id, comment, created_at, answers
         from approval_request_actions
         where tenant_id = $1 and request_id = $2 order by seq",
    )
    .bind(tenant_id)
    .bind(request_id)
    .fetch_all(&mut *conn)
    .await?;
    let files: Vec<(i64, String)> = sqlx::query_as(
        "select seq, file_id from approval_action_files
         where tenant_id = $1 and request_id = $2 order by seq, file_id",
    )
    .bind(tenant_id)
    .bind(request_id)
    .fetch_all(conn)
    .await?;
    for (seq, f) in files {
        if let Some(a) = rows.iter_mut().find(|a| a.seq == seq) {
            a.files.push(f);
        }
    }
    Ok(rows)
}

/// Attach files to an action of a request.
pub async fn add_action_files(
    conn: &mut AnyConnection,
    tenant_id: &str,
    request_id: &str,
    seq: i64,
    files: &[String],
) -> Result<(), sqlx::Error> {
    for f in files {
        sqlx::query(
            "insert into approval_action_files (tenant_id, request_id, seq, file_id)
             values ($1, $2, $3, $4)
             on conflict (tenant_id, request_id, seq, file_id) do nothing",
        )
        .bind(tenant_id)
        .bind(request_id)
        .bind(seq)
        .bind(f)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Replace who the request waits for.
pub async fn set_waiting(
    conn: &mut AnyConnection,
    tenant_id: &str,
    request_id: &str,
    people: &[&str],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "delete from approval_request_people
         where tenant_id = $1 and request_id = $2 and role = 'waiting'",
    )
    .bind(tenant_id)
    .bind(request_id)
    .execute(&mut *conn)
    .await?;
    add_people(conn, tenant_id, request_id, WAITING, people).await
}

/// Add people in a role (those already in it stay once).
pub async fn add_people(
    conn: &mut AnyConnection,
    tenant_id: &str,
    request_id: &str,
    role: &str,
    people: &[&str],
) -> Result<(), sqlx::Error> {
    for p in people {
        sqlx::query(
            "insert into approval_request_people (tenant_id, request_id, role, user_id)
             values ($1, $2, $3, $4)
             on conflict (tenant_id, request_id, role, user_id) do nothing",
        )
        .bind(tenant_id)
        .bind(request_id)
        .bind(role)
        .bind(*p)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Which requests a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Box_ {
    /// Submitted by the person.
    Mine,
    /// Waiting for the person's decision now.
    Waiting,
    /// Approved or rejected by the person.
    Handled,
    /// Copying the person.
    Cc,
    /// Every request of the tenant.
    All,
}

/// A list's filters.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub template_id: Option<String>,
    pub state: Option<&'static str>,
    /// Submitted at or after / before (epoch ms).
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Ids below this one (newest first).
    pub before_id: Option<String>,
}

/// One page of a box, newest first (`limit` rows; ask for one more to know there is a next).
pub async fn list(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    which: Box_,
    f: &Filter,
    limit: i64,
) -> Result<Vec<RequestRow>, sqlx::Error> {
    let only = match which {
        Box_::Mine => "r.submitter_id = $2",
        Box_::Waiting => {
            "exists (select 1 from approval_request_people w
                     where w.tenant_id = r.tenant_id and w.request_id = r.id
                       and w.role = 'waiting' and w.user_id = $2)"
        }
        Box_::Cc => {
            "exists (select 1 from approval_request_people w
                     where w.tenant_id = r.tenant_id and w.request_id = r.id
                       and w.role = 'cc' and w.user_id = $2)"
        }
        Box_::Handled => {
            "exists (select 1 from approval_request_actions a
                     where a.tenant_id = r.tenant_id and a.request_id = r.id
                       and a.actor_id = $2
                       and a.action in ('approve', 'reject', 'transfer', 'send_back',
                                        'add_signer_before', 'add_signer_after'))"
        }
        Box_::All => "$2 = $2",
    };
    let cols = REQUEST
        .split(", ")
        .map(|c| format!("r.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query_as(&format!(
        "select {cols} from approval_requests r
         where r.tenant_id = $1 and {only}
           and ($3 is null or r.template_id = $3)
           and ($4 is null or r.state = $4)
           and ($5 is null or r.created_at >= $5)
           and ($6 is null or r.created_at < $6)
           and ($7 is null or r.id < $7)
         order by r.id desc
         limit $8"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .bind(&f.template_id)
    .bind(f.state.map(str::to_string))
    .bind(f.from)
    .bind(f.to)
    .bind(&f.before_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A page of the tenant's request ids after `after`, in id order (search reindexing).
pub async fn ids_after(
    conn: &mut AnyConnection,
    tenant_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from approval_requests where tenant_id = $1 and id > $2 order by id limit $3",
    )
    .bind(tenant_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// When the request's last action of this kind was taken (epoch ms), if ever.
pub async fn last_action_at(
    conn: &mut AnyConnection,
    tenant_id: &str,
    request_id: &str,
    action: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select max(created_at) from approval_request_actions
         where tenant_id = $1 and request_id = $2 and action = $3",
    )
    .bind(tenant_id)
    .bind(request_id)
    .bind(action)
    .fetch_one(conn)
    .await
}

/// Replace the files a request's answers attach.
pub async fn set_files(
    conn: &mut AnyConnection,
    tenant_id: &str,
    request_id: &str,
    files: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from approval_request_files where tenant_id = $1 and request_id = $2")
        .bind(tenant_id)
        .bind(request_id)
        .execute(&mut *conn)
        .await?;
    for f in files {
        sqlx::query(
            "insert into approval_request_files (tenant_id, request_id, file_id)
             values ($1, $2, $3)
             on conflict (tenant_id, request_id, file_id) do nothing",
        )
        .bind(tenant_id)
        .bind(request_id)
        .bind(f)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// True when a request (its answers or one of its actions) attaches the file whose `files` row
/// is aliased `f`.
pub const FILE_IN_USE: &str = "(exists (select 1 from approval_request_files arf \
    where arf.tenant_id = f.tenant_id and arf.file_id = f.id) \
    or exists (select 1 from approval_action_files aaf \
    where aaf.tenant_id = f.tenant_id and aaf.file_id = f.id))";

/// The requests (up to `limit`) whose answers or actions attach the file.
pub async fn with_file(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
    limit: i64,
) -> Result<Vec<RequestRow>, sqlx::Error> {
    let cols = REQUEST
        .split(", ")
        .map(|c| format!("r.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query_as(&format!(
        "select {cols} from approval_requests r
         where r.tenant_id = $1
           and r.id in (select x.request_id from approval_request_files x
                        where x.tenant_id = $1 and x.file_id = $2
                        union
                        select y.request_id from approval_action_files y
                        where y.tenant_id = $1 and y.file_id = $2)
         order by r.id limit $3"
    ))
    .bind(tenant_id)
    .bind(file_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A page of ids of the tenant's open requests whose flow state names the person (candidates
/// for replacing them: the state machine decides), after `after` in id order.
pub async fn open_naming(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let pattern = format!("%\"{}\"%", crate::db::like_escape(user_id));
    sqlx::query_scalar(
        "select id from approval_requests
         where tenant_id = $1 and state in ('pending', 'returned') and id > $2
           and flow_state like $3 escape '\\'
         order by id limit $4",
    )
    .bind(tenant_id)
    .bind(after)
    .bind(pattern)
    .bind(limit)
    .fetch_all(conn)
    .await
}
