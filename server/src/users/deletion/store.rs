//! SQL for account deletion: settings, requests, erasure reports and the ledger.

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SettingsRow {
    pub grace_days: i64,
    pub authored_messages: String,
    pub sign_in_cancels: i64,
}

impl Default for SettingsRow {
    fn default() -> Self {
        SettingsRow {
            grace_days: 14,
            authored_messages: "pseudonymise".into(),
            sign_in_cancels: 1,
        }
    }
}

pub async fn settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<SettingsRow, sqlx::Error> {
    Ok(sqlx::query_as(
        "select grace_days, authored_messages, sign_in_cancels from account_settings
         where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(conn)
    .await?
    .unwrap_or_default())
}

pub async fn put_settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
    s: &SettingsRow,
    by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into account_settings (tenant_id, grace_days, authored_messages, sign_in_cancels, updated_by, updated_at)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (tenant_id) do update set grace_days = excluded.grace_days,
           authored_messages = excluded.authored_messages, sign_in_cancels = excluded.sign_in_cancels,
           updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(s.grace_days)
    .bind(&s.authored_messages)
    .bind(s.sign_in_cancels)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeletionRow {
    pub tenant_id: String,
    pub id: String,
    pub user_id: String,
    pub requested_by: String,
    pub self_service: i64,
    pub reason: String,
    pub requested_at: i64,
    pub erase_at: i64,
    pub status: String,
    pub prior_status: String,
    pub transfers: String,
    pub authored_messages: String,
    pub cancelled_by: Option<String>,
    pub cancelled_at: Option<i64>,
    pub lease_until: i64,
    pub erased_at: Option<i64>,
    pub report_id: Option<String>,
}

const DELETION: &str = "tenant_id, id, user_id, requested_by, self_service, reason, requested_at, \
     erase_at, status, prior_status, transfers, authored_messages, cancelled_by, cancelled_at, \
     lease_until, erased_at, report_id";

pub async fn insert(conn: &mut AnyConnection, d: &DeletionRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "insert into account_deletions ({DELETION})
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    ))
    .bind(&d.tenant_id)
    .bind(&d.id)
    .bind(&d.user_id)
    .bind(&d.requested_by)
    .bind(d.self_service)
    .bind(&d.reason)
    .bind(d.requested_at)
    .bind(d.erase_at)
    .bind(&d.status)
    .bind(&d.prior_status)
    .bind(&d.transfers)
    .bind(&d.authored_messages)
    .bind(&d.cancelled_by)
    .bind(d.cancelled_at)
    .bind(d.lease_until)
    .bind(d.erased_at)
    .bind(&d.report_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The person's live request (pending or erasing) or their erasure, if any.
pub async fn live_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Option<DeletionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DELETION} from account_deletions where tenant_id = $1 and user_id = $2
           and status in ('pending', 'erasing', 'erased')"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<DeletionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DELETION} from account_deletions where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A tenant's requests, newest first (optionally of one status), before `before` (id).
pub async fn list(
    conn: &mut AnyConnection,
    tenant_id: &str,
    status: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<DeletionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DELETION} from account_deletions where tenant_id = $1
           and ($2 is null or status = $2) and ($3 is null or id < $3)
         order by id desc limit $4"
    ))
    .bind(tenant_id)
    .bind(status.map(str::to_string))
    .bind(before.map(str::to_string))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Cancel a pending request; false when it is no longer pending.
pub async fn cancel(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    by: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update account_deletions set status = 'cancelled', cancelled_by = $3, cancelled_at = $4
         where tenant_id = $1 and id = $2 and status = 'pending'",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        > 0)
}

/// Requests whose grace period ended (or whose erasure was interrupted: its lease ran out), any
/// tenant, oldest first.
pub async fn due(
    conn: &mut AnyConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select tenant_id, id from account_deletions
         where (status = 'pending' and erase_at <= $1) or (status = 'erasing' and lease_until <= $1)
         order by erase_at limit $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Claim a due request for this node until `until`; false when another node has it, it was
/// cancelled or it is done.
pub async fn claim(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update account_deletions set status = 'erasing', lease_until = $4
         where tenant_id = $1 and id = $2
           and ((status = 'pending' and erase_at <= $3) or (status = 'erasing' and lease_until <= $3))",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(now)
    .bind(until)
    .execute(conn)
    .await?
    .rows_affected()
        > 0)
}

/// Record the end of an erasure.
pub async fn finish(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
    report_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update account_deletions set status = 'erased', erased_at = $3, report_id = $4, lease_until = 0
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(now)
    .bind(report_id)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    pub tenant_id: String,
    pub id: String,
    pub deletion_id: String,
    pub user_id: String,
    pub pseudonym: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub started_at: i64,
    pub finished_at: i64,
    pub report: String,
}

const REPORT: &str = "tenant_id, id, deletion_id, user_id, pseudonym, requested_by, requested_at, \
                      started_at, finished_at, report";

pub async fn insert_report(conn: &mut AnyConnection, r: &ReportRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "insert into erasure_reports ({REPORT}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&r.tenant_id)
    .bind(&r.id)
    .bind(&r.deletion_id)
    .bind(&r.user_id)
    .bind(&r.pseudonym)
    .bind(&r.requested_by)
    .bind(r.requested_at)
    .bind(r.started_at)
    .bind(r.finished_at)
    .bind(&r.report)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn report(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ReportRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {REPORT} from erasure_reports where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Newest first, before `before` (id).
pub async fn reports(
    conn: &mut AnyConnection,
    tenant_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<ReportRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {REPORT} from erasure_reports where tenant_id = $1 and ($2 is null or id < $2)
         order by id desc limit $3"
    ))
    .bind(tenant_id)
    .bind(before.map(str::to_string))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Put a person on the database's copy of the erasure ledger.
pub async fn ledger_insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    deletion_id: &str,
    erased_at: i64,
    authored_messages: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into erasure_ledger (tenant_id, user_id, deletion_id, erased_at, authored_messages)
         values ($1, $2, $3, $4, $5) on conflict (tenant_id, user_id) do nothing",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(deletion_id)
    .bind(erased_at)
    .bind(authored_messages)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the database's ledger has the person.
pub async fn ledger_has(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from erasure_ledger where tenant_id = $1 and user_id = $2",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Make a pending request due now (a replay from the ledger).
pub async fn make_due(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update account_deletions set erase_at = $3 where tenant_id = $1 and id = $2 and status = 'pending'",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
