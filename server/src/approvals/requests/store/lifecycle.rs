//! SQL the lifecycle uses on approval requests: the finished-requests data class, deleting a
//! request, and a person's requests, actions, files and copies for erasure and export.

use super::{RequestRow, REQUEST};
use sqlx::AnyConnection;

/// Finished requests (approved, rejected, withdrawn) by when they finished: the lifecycle's
/// `approval_requests_finished` class. A pending request is never due. A legal hold on the
/// submitter, or on anyone who acted on a request (approved, rejected, commented, …), keeps
/// it.
pub static FINISHED: crate::lifecycle::Source = crate::lifecycle::Source {
    from: "approval_requests r",
    tenant: "r.tenant_id",
    id: "r.id",
    time: "r.finished_at",
    container: None,
    people: &[
        "r.submitter_id",
        "exists (select 1 from approval_request_actions ha \
          where ha.tenant_id = r.tenant_id and ha.request_id = r.id \
            and ha.actor_id in ({people}))",
    ],
    bytes: "length(r.answers)",
    only: "r.state not in ('pending', 'returned') and r.finished_at is not null",
    pinned: None,
};

/// Delete a request with its actions and people; rows deleted (0 when it was gone).
pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    let mut n = 0;
    for sql in [
        "delete from approval_request_actions where tenant_id = $1 and request_id = $2",
        "delete from approval_request_people where tenant_id = $1 and request_id = $2",
        "delete from approval_request_files where tenant_id = $1 and request_id = $2",
        "delete from approval_action_files where tenant_id = $1 and request_id = $2",
        "delete from approval_requests where tenant_id = $1 and id = $2",
    ] {
        n += sqlx::query(sql)
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(n)
}

/// Every request the person submitted, oldest first.
pub async fn submitted_by(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<RequestRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {REQUEST} from approval_requests
         where tenant_id = $1 and submitter_id = $2 order by id"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// Replace a request's answers (a resubmission; erasure keeps the record, not the submitter's
/// content); rows changed.
pub async fn set_answers(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    answers: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update approval_requests set answers = $3 where tenant_id = $1 and id = $2 and answers <> $3",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(answers)
    .execute(conn)
    .await?
    .rows_affected())
}

/// One action the person took, with the request it was taken on.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActedRow {
    pub request_id: String,
    pub title: String,
    pub submitter_id: String,
    pub seq: i64,
    pub action: String,
    pub node_id: Option<String>,
    pub target_id: Option<String>,
    pub comment: Option<String>,
    pub created_at: i64,
    /// The request's own time (legal holds are dated by it).
    pub request_created_at: i64,
    /// How many files the action attached.
    pub files: i64,
}

/// Every action the person took on any request of the tenant, oldest first.
pub async fn actions_by(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<ActedRow>, sqlx::Error> {
    sqlx::query_as(
        "select a.request_id, r.title, r.submitter_id, a.seq, a.action, a.node_id, a.target_id,
                a.comment, a.created_at, r.created_at as request_created_at,
                (select count(*) from approval_action_files f
                 where f.tenant_id = a.tenant_id and f.request_id = a.request_id
                   and f.seq = a.seq) as files
         from approval_request_actions a
         join approval_requests r on r.tenant_id = a.tenant_id and r.id = a.request_id
         where a.tenant_id = $1 and a.actor_id = $2
         order by a.created_at, a.request_id, a.seq",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// The files attached by the person's actions: (request id, action seq, file id).
pub async fn action_files_by(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<(String, i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "select f.request_id, f.seq, f.file_id from approval_action_files f
         join approval_request_actions a
           on a.tenant_id = f.tenant_id and a.request_id = f.request_id and a.seq = f.seq
         where f.tenant_id = $1 and a.actor_id = $2
         order by f.request_id, f.seq, f.file_id",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// Everyone who acted on the request (its submitter included; not Stoa), each once.
pub async fn actors(
    conn: &mut AnyConnection,
    tenant_id: &str,
    request_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select distinct actor_id from approval_request_actions
         where tenant_id = $1 and request_id = $2 and actor_id is not null
         order by actor_id",
    )
    .bind(tenant_id)
    .bind(request_id)
    .fetch_all(conn)
    .await
}

/// Forget the answers earlier rounds had (kept on `resubmit` actions): erasure of the
/// submitter's content; rows changed.
pub async fn clear_round_answers(
    conn: &mut AnyConnection,
    tenant_id: &str,
    request_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update approval_request_actions set answers = null
         where tenant_id = $1 and request_id = $2 and answers is not null",
    )
    .bind(tenant_id)
    .bind(request_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Clear the comment of one action and the files it attached (erasure of its author's words;
/// the action stays); rows changed.
pub async fn clear_comment(
    conn: &mut AnyConnection,
    tenant_id: &str,
    request_id: &str,
    seq: i64,
) -> Result<u64, sqlx::Error> {
    let n = sqlx::query(
        "update approval_request_actions set comment = null
         where tenant_id = $1 and request_id = $2 and seq = $3 and comment is not null",
    )
    .bind(tenant_id)
    .bind(request_id)
    .bind(seq)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let files = sqlx::query(
        "delete from approval_action_files where tenant_id = $1 and request_id = $2 and seq = $3",
    )
    .bind(tenant_id)
    .bind(request_id)
    .bind(seq)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n + files)
}

/// Stop copying the person on requests; the requests they were copied on.
pub async fn remove_cc(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "select request_id from approval_request_people
         where tenant_id = $1 and user_id = $2 and role = 'cc' order by request_id",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "delete from approval_request_people where tenant_id = $1 and user_id = $2 and role = 'cc'",
    )
    .bind(tenant_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(ids)
}
