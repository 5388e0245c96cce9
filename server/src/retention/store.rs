//! SQL for retention: policies, overrides and switches per tenant, and the runs with their
//! reports. Legal holds are the lifecycle's (`lifecycle::holds`).

use crate::lifecycle::Source;
use sqlx::AnyConnection;

/// A tenant's policy rows: (class, days; `None` keeps forever).
pub async fn policies(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<(String, Option<i64>)>, sqlx::Error> {
    sqlx::query_as("select class, days from retention_policies where tenant_id = $1 order by class")
        .bind(tenant_id)
        .fetch_all(conn)
        .await
}

pub async fn set_policy(
    conn: &mut AnyConnection,
    tenant_id: &str,
    class: &str,
    days: Option<i64>,
    by: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into retention_policies (tenant_id, class, days, updated_by, updated_at)
         values ($1, $2, $3, $4, $5)
         on conflict (tenant_id, class) do update set days = excluded.days,
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(class)
    .bind(days)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn reset_policy(
    conn: &mut AnyConnection,
    tenant_id: &str,
    class: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from retention_policies where tenant_id = $1 and class = $2")
        .bind(tenant_id)
        .bind(class)
        .execute(conn)
        .await?;
    Ok(())
}

/// One override row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OverrideRow {
    pub container_kind: String,
    pub container_id: String,
    pub class: String,
    pub days: Option<i64>,
    pub updated_by: String,
    pub updated_at: i64,
}

const OVERRIDE: &str = "container_kind, container_id, class, days, updated_by, updated_at";

/// A tenant's overrides, for one class or all.
pub async fn overrides(
    conn: &mut AnyConnection,
    tenant_id: &str,
    class: Option<&str>,
) -> Result<Vec<OverrideRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {OVERRIDE} from retention_overrides where tenant_id = $1
           and ($2 = '' or class = $2)
         order by container_kind, container_id, class"
    ))
    .bind(tenant_id)
    .bind(class.unwrap_or(""))
    .fetch_all(conn)
    .await
}

/// The overrides of one container.
pub async fn overrides_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: &str,
    id: &str,
) -> Result<Vec<OverrideRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {OVERRIDE} from retention_overrides where tenant_id = $1 and container_kind = $2
           and container_id = $3 order by class"
    ))
    .bind(tenant_id)
    .bind(kind)
    .bind(id)
    .fetch_all(conn)
    .await
}

pub async fn set_override(
    conn: &mut AnyConnection,
    tenant_id: &str,
    o: &OverrideRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into retention_overrides (tenant_id, container_kind, container_id, class, days,
             updated_by, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (tenant_id, container_kind, container_id, class) do update set
             days = excluded.days, updated_by = excluded.updated_by,
             updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(&o.container_kind)
    .bind(&o.container_id)
    .bind(&o.class)
    .bind(o.days)
    .bind(&o.updated_by)
    .bind(o.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Remove a container's override of one class (`None`: of every class); rows removed.
pub async fn delete_overrides(
    conn: &mut AnyConnection,
    tenant_id: &str,
    kind: &str,
    id: &str,
    class: Option<&str>,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "delete from retention_overrides where tenant_id = $1 and container_kind = $2
           and container_id = $3 and ($4 = '' or class = $4)",
    )
    .bind(tenant_id)
    .bind(kind)
    .bind(id)
    .bind(class.unwrap_or(""))
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

/// A tenant's switches: (exempt pinned, owner minimum days, confirmation threshold).
pub async fn settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Option<(i64, Option<i64>, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select exempt_pinned, owner_min_days, confirm_threshold from retention_settings
         where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(conn)
    .await
}

pub async fn set_settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
    exempt_pinned: bool,
    owner_min_days: Option<i64>,
    confirm_threshold: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into retention_settings (tenant_id, exempt_pinned, owner_min_days, confirm_threshold)
         values ($1, $2, $3, $4)
         on conflict (tenant_id) do update set exempt_pinned = excluded.exempt_pinned,
             owner_min_days = excluded.owner_min_days,
             confirm_threshold = excluded.confirm_threshold",
    )
    .bind(tenant_id)
    .bind(i64::from(exempt_pinned))
    .bind(owner_min_days)
    .bind(confirm_threshold)
    .execute(conn)
    .await?;
    Ok(())
}

/// One run of a tenant's retention.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    pub id: String,
    pub trigger: String,
    pub dry_run: i64,
    pub status: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub as_of: i64,
    pub requested_by: String,
    pub report: String,
    pub error: String,
}

const RUN: &str =
    "id, trigger, dry_run, status, started_at, finished_at, as_of, requested_by, report, error";

pub async fn insert_run(
    conn: &mut AnyConnection,
    tenant_id: &str,
    r: &RunRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into retention_runs (tenant_id, id, trigger, dry_run, status, started_at,
             finished_at, as_of, requested_by, report, error)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(tenant_id)
    .bind(&r.id)
    .bind(&r.trigger)
    .bind(r.dry_run)
    .bind(&r.status)
    .bind(r.started_at)
    .bind(r.finished_at)
    .bind(r.as_of)
    .bind(&r.requested_by)
    .bind(&r.report)
    .bind(&r.error)
    .execute(conn)
    .await?;
    Ok(())
}

/// Record a run's progress or end.
pub async fn update_run(
    conn: &mut AnyConnection,
    tenant_id: &str,
    r: &RunRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update retention_runs set status = $3, finished_at = $4, report = $5, error = $6
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(&r.id)
    .bind(&r.status)
    .bind(r.finished_at)
    .bind(&r.report)
    .bind(&r.error)
    .execute(conn)
    .await?;
    Ok(())
}

/// Runs left `running` by a node that stopped mid-run become `failed` (called by the holder
/// of the tenant's run lease, so none of them is still going).
pub async fn fail_interrupted(
    conn: &mut AnyConnection,
    tenant_id: &str,
    at: i64,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "update retention_runs set status = 'failed', finished_at = $2,
             error = 'interrupted (the node stopped); the next run carries on'
         where tenant_id = $1 and status = 'running'",
    )
    .bind(tenant_id)
    .bind(at)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

pub async fn run(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<RunRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {RUN} from retention_runs where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Runs newest first, before `before` (a `started_at`, exclusive) when given.
pub async fn runs(
    conn: &mut AnyConnection,
    tenant_id: &str,
    before: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<RunRow>, sqlx::Error> {
    let (at, id) = before.unwrap_or((i64::MAX, String::new()));
    sqlx::query_as(&format!(
        "select {RUN} from retention_runs where tenant_id = $1
           and (started_at < $2 or (started_at = $2 and id < $3))
         order by started_at desc, id desc limit $4"
    ))
    .bind(tenant_id)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Finished run reports, by when they finished (the `retention_reports` class).
pub static REPORTS: Source = Source {
    from: "retention_runs r",
    tenant: "r.tenant_id",
    id: "r.id",
    time: "r.started_at",
    container: None,
    people: &["r.requested_by"],
    bytes: "length(r.report)",
    only: "r.status <> 'running'",
    pinned: None,
};

pub async fn delete_run(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "delete from retention_runs where tenant_id = $1 and id = $2 and status <> 'running'",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}
