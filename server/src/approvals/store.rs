//! SQL for approval templates: templates, their versions and the per-tenant record that the
//! starter templates were seeded. Every function takes the tenant id.

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: String,
    pub starter: Option<String>,
    pub state: String,
    pub version: i64,
    pub name: String,
    pub category: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub template_id: String,
    pub version: i64,
    pub name: String,
    pub category: String,
    pub description: String,
    pub icon: String,
    pub submitters: String,
    pub form: String,
    pub flow: String,
    pub attendance: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
}

const TEMPLATE: &str = "id, starter, state, version, name, category, created_at, updated_at";
const VERSION: &str = "template_id, version, name, category, description, icon, submitters, \
                       form, flow, attendance, created_by, created_at";

pub async fn template(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<TemplateRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {TEMPLATE} from approval_templates where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The tenant's templates in `state` (`None`: every state), by category and name.
pub async fn templates(
    conn: &mut AnyConnection,
    tenant_id: &str,
    state: Option<&str>,
) -> Result<Vec<TemplateRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {TEMPLATE} from approval_templates
         where tenant_id = $1 and ($2 is null or state = $2)
         order by category, name, id"
    ))
    .bind(tenant_id)
    .bind(state.map(str::to_string))
    .fetch_all(conn)
    .await
}

pub async fn version(
    conn: &mut AnyConnection,
    tenant_id: &str,
    template_id: &str,
    version: i64,
) -> Result<Option<VersionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {VERSION} from approval_template_versions
         where tenant_id = $1 and template_id = $2 and version = $3"
    ))
    .bind(tenant_id)
    .bind(template_id)
    .bind(version)
    .fetch_optional(conn)
    .await
}

/// Every version of a template, newest first.
pub async fn versions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    template_id: &str,
) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {VERSION} from approval_template_versions
         where tenant_id = $1 and template_id = $2 order by version desc"
    ))
    .bind(tenant_id)
    .bind(template_id)
    .fetch_all(conn)
    .await
}

/// The current versions of the tenant's templates in `state`, by category and name.
pub async fn current_versions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    state: Option<&str>,
) -> Result<Vec<(TemplateRow, VersionRow)>, sqlx::Error> {
    let rows = templates(&mut *conn, tenant_id, state).await?;
    let mut out = Vec::with_capacity(rows.len());
    for t in rows {
        if let Some(v) = version(&mut *conn, tenant_id, &t.id, t.version).await? {
            out.push((t, v));
        }
    }
    Ok(out)
}

pub async fn insert_template(
    conn: &mut AnyConnection,
    tenant_id: &str,
    t: &TemplateRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into approval_templates
           (tenant_id, id, starter, state, version, name, category, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant_id)
    .bind(&t.id)
    .bind(&t.starter)
    .bind(&t.state)
    .bind(t.version)
    .bind(&t.name)
    .bind(&t.category)
    .bind(t.created_at)
    .bind(t.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_version(
    conn: &mut AnyConnection,
    tenant_id: &str,
    v: &VersionRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into approval_template_versions
           (tenant_id, template_id, version, name, category, description, icon, submitters,
            form, flow, attendance, created_by, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(tenant_id)
    .bind(&v.template_id)
    .bind(v.version)
    .bind(&v.name)
    .bind(&v.category)
    .bind(&v.description)
    .bind(&v.icon)
    .bind(&v.submitters)
    .bind(&v.form)
    .bind(&v.flow)
    .bind(&v.attendance)
    .bind(&v.created_by)
    .bind(v.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Move a template to a new current version, only if it is still at `from` (false: someone
/// else edited it first).
pub async fn advance(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    from: i64,
    v: &VersionRow,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "update approval_templates set version = $4, name = $5, category = $6, updated_at = $7
         where tenant_id = $1 and id = $2 and version = $3",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(from)
    .bind(v.version)
    .bind(&v.name)
    .bind(&v.category)
    .bind(v.created_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn set_state(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    state: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update approval_templates set state = $3, updated_at = $4
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(state)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the tenant's starter templates were seeded.
pub async fn seeded(conn: &mut AnyConnection, tenant_id: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, i64>("select 1 from approval_seeds where tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// Record that the starters are seeded; true only for the one transaction that records it
/// first (a concurrent one waits on the key, then finds it taken).
pub async fn claim_seed(
    conn: &mut AnyConnection,
    tenant_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "insert into approval_seeds (tenant_id, seeded_at) values ($1, $2)
         on conflict (tenant_id) do nothing",
    )
    .bind(tenant_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}
