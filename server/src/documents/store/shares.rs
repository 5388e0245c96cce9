//! SQL for shares (a folder or document shared with a person or a role).

use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShareRow {
    pub id: String,
    pub space_id: String,
    pub target_kind: String,
    pub target_id: String,
    pub grantee_kind: String,
    pub grantee_id: String,
    pub role: String,
    pub created_by: String,
    pub created_at: i64,
}

/// Something shared with a person (directly or through a role).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SharedItem {
    pub target_kind: String,
    pub target_id: String,
    pub space_id: String,
    pub name: String,
    pub role: String,
    pub created_by: String,
    pub created_at: i64,
}

const SHARE: &str = "id, space_id, target_kind, target_id, grantee_kind, grantee_id, role, \
                     created_by, created_at";

/// `(s.)grantee_kind = 'user' and grantee_id = $2`, or a role among `role_ids`, or a
/// department among `department_ids`, with placeholders from `$first`.
fn grantee_clause(
    prefix: &str,
    role_ids: &[String],
    department_ids: &[String],
    first: usize,
) -> String {
    let mut n = first;
    let mut sql = format!("({prefix}grantee_kind = 'user' and {prefix}grantee_id = $2)");
    for (kind, ids) in [("role", role_ids), ("department", department_ids)] {
        if ids.is_empty() {
            continue;
        }
        let marks: Vec<String> = ids
            .iter()
            .map(|_| {
                let m = format!("${n}");
                n += 1;
                m
            })
            .collect();
        sql.push_str(&format!(
            " or ({prefix}grantee_kind = '{kind}' and {prefix}grantee_id in ({}))",
            marks.join(", ")
        ));
    }
    sql
}

/// (grantee kind, grantee id, role) of the shares on these folders and this document.
pub async fn on_targets(
    conn: &mut AnyConnection,
    tenant_id: &str,
    folders: &[String],
    document_id: Option<&str>,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    let mut targets = Vec::new();
    let mut n = 2;
    for _ in folders {
        targets.push(format!("(target_kind = 'folder' and target_id = ${n})"));
        n += 1;
    }
    if document_id.is_some() {
        targets.push(format!("(target_kind = 'document' and target_id = ${n})"));
    }
    let sql = format!(
        "select grantee_kind, grantee_id, role from shares where tenant_id = $1 and ({})",
        targets.join(" or ")
    );
    let mut q = sqlx::query_as::<_, (String, String, String)>(&sql).bind(tenant_id);
    for f in folders {
        q = q.bind(f);
    }
    if let Some(d) = document_id {
        q = q.bind(d);
    }
    q.fetch_all(conn).await
}

/// (grantee kind, grantee id) of the shares on a folder or document.
pub async fn grantees(
    conn: &mut AnyConnection,
    tenant_id: &str,
    target_kind: &str,
    target_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select grantee_kind, grantee_id from shares where tenant_id = $1 and target_kind = $2 and target_id = $3",
    )
    .bind(tenant_id)
    .bind(target_kind)
    .bind(target_id)
    .fetch_all(conn)
    .await
}

/// The share of a target with a grantee.
pub async fn find(
    conn: &mut AnyConnection,
    tenant_id: &str,
    target_kind: &str,
    target_id: &str,
    grantee_kind: &str,
    grantee_id: &str,
) -> Result<Option<ShareRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {SHARE} from shares where tenant_id = $1 and target_kind = $2 and target_id = $3
            and grantee_kind = $4 and grantee_id = $5"
    ))
    .bind(tenant_id)
    .bind(target_kind)
    .bind(target_id)
    .bind(grantee_kind)
    .bind(grantee_id)
    .fetch_optional(conn)
    .await
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ShareRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {SHARE} from shares where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn set_role(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    role: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update shares set role = $1 where tenant_id = $2 and id = $3")
        .bind(role)
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    s: &ShareRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "insert into shares (tenant_id, {SHARE}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(tenant_id)
    .bind(&s.id)
    .bind(&s.space_id)
    .bind(&s.target_kind)
    .bind(&s.target_id)
    .bind(&s.grantee_kind)
    .bind(&s.grantee_id)
    .bind(&s.role)
    .bind(&s.created_by)
    .bind(s.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The shares on a folder or document, oldest first.
pub async fn on_target(
    conn: &mut AnyConnection,
    tenant_id: &str,
    target_kind: &str,
    target_id: &str,
) -> Result<Vec<ShareRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {SHARE} from shares where tenant_id = $1 and target_kind = $2 and target_id = $3
         order by created_at, id limit 1000"
    ))
    .bind(tenant_id)
    .bind(target_kind)
    .bind(target_id)
    .fetch_all(conn)
    .await
}

pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from shares where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Remove every share on a folder or document.
pub async fn delete_on_target(
    conn: &mut AnyConnection,
    tenant_id: &str,
    target_kind: &str,
    target_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from shares where tenant_id = $1 and target_kind = $2 and target_id = $3")
        .bind(tenant_id)
        .bind(target_kind)
        .bind(target_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Live folders and documents shared with `user_id` (holding the roles `role_ids`, within the
/// departments `department_ids`), newest first; one row per share.
pub async fn with_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    role_ids: &[String],
    department_ids: &[String],
) -> Result<Vec<SharedItem>, sqlx::Error> {
    let grantee = grantee_clause("s.", role_ids, department_ids, 3);
    let sql = format!(
        "select s.target_kind, s.target_id, s.space_id,
                coalesce(f.name, d.name, '') as name, s.role, s.created_by, s.created_at
         from shares s
         left join folders f on s.target_kind = 'folder' and f.tenant_id = s.tenant_id
              and f.id = s.target_id and f.trashed_at is null
         left join documents d on s.target_kind = 'document' and d.tenant_id = s.tenant_id
              and d.id = s.target_id and d.trashed_at is null
         where s.tenant_id = $1 and (f.id is not null or d.id is not null) and ({grantee})
         order by s.created_at desc limit 1000"
    );
    let mut q = sqlx::query_as::<_, SharedItem>(&sql)
        .bind(tenant_id)
        .bind(user_id);
    for r in role_ids.iter().chain(department_ids) {
        q = q.bind(r);
    }
    q.fetch_all(conn).await
}

/// Shares with a merged department go to the department it went into (where that one holds no
/// share on the same item already; those are removed). The items whose shares changed.
pub async fn retarget_department(
    conn: &mut AnyConnection,
    tenant_id: &str,
    from: &str,
    into: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let items: Vec<(String, String)> = sqlx::query_as(
        "select target_kind, target_id from shares
         where tenant_id = $1 and grantee_kind = 'department' and grantee_id = $2",
    )
    .bind(tenant_id)
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "update shares set grantee_id = $3
         where tenant_id = $1 and grantee_kind = 'department' and grantee_id = $2
           and not exists (select 1 from shares o where o.tenant_id = shares.tenant_id
               and o.target_kind = shares.target_kind and o.target_id = shares.target_id
               and o.grantee_kind = 'department' and o.grantee_id = $3)",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(into)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "delete from shares where tenant_id = $1 and grantee_kind = 'department' and grantee_id = $2",
    )
    .bind(tenant_id)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(items)
}
