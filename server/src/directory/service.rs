//! Rules for departments: who may (`directory.read` browses, `directory.manage`
//! edits), names (unique among siblings, case- and accent-insensitively), the tree (no cycles:
//! every change of it takes the tenant's directory lock first and checks the tree it then
//! reads), merging, and deleting only what is empty (the org chart is [`super::chart`]).

use super::store::{self, DepartmentRow};
use crate::{
    audit,
    authn::Principal,
    authz::{perm, Granted},
    db::{is_id, new_id, now_ms},
    error::{ApiError, ApiResult, Code},
    http::pagination,
    users::{self, validate::fold},
    AppState,
};
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// The outbox topic saying who belongs to which department may have changed (a placement, an
/// import, a move or a merge). Features that follow departments (rooms whose members are a
/// department's) consume it; the payload says what happened: `{"kind": "placed" | "imported" |
/// "moved"}` or `{"kind": "merged", "from": id, "into": id}` (a merged department's followers
/// move to the one it went into).
pub const TOPIC_CHANGED: &str = "directory.changed";

/// Queue the notice of a membership change in the change's transaction (the caller wakes the
/// outbox after its commit).
pub(super) async fn changed(
    conn: &mut AnyConnection,
    tenant_id: &str,
    payload: serde_json::Value,
) -> ApiResult<()> {
    crate::db::outbox::enqueue(conn, tenant_id, TOPIC_CHANGED, &payload).await?;
    Ok(())
}

/// Longest department or position name, in characters.
pub const MAX_NAME: usize = 100;
/// Deepest a department may sit (a top-level department is at depth 1).
pub const MAX_DEPTH: usize = 32;

/// A department or position name: trimmed, 1..=100 characters, no control characters and (for
/// departments, whose paths use it) no `/`.
pub fn name(field: &str, raw: &str, slash_ok: bool) -> ApiResult<String> {
    let n = crate::http::validate::text(field, raw, MAX_NAME)?;
    if !slash_ok && n.contains('/') {
        return Err(ApiError::validation(field, "must not contain `/`"));
    }
    Ok(n)
}

/// The key that makes names unique: folded (case and accents), spaces collapsed.
pub fn name_key(name: &str) -> String {
    fold(name).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The whole tree of a tenant, read once per request.
pub struct Tree {
    pub by_id: HashMap<String, DepartmentRow>,
    children: HashMap<String, Vec<String>>,
    pub roots: Vec<String>,
}

impl Tree {
    pub fn new(rows: Vec<DepartmentRow>) -> Tree {
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        let mut roots = Vec::new();
        // Rows come by (name, id): children lists keep that order.
        for r in &rows {
            match &r.parent_id {
                Some(p) => children.entry(p.clone()).or_default().push(r.id.clone()),
                None => roots.push(r.id.clone()),
            }
        }
        Tree {
            by_id: rows.into_iter().map(|r| (r.id.clone(), r)).collect(),
            children,
            roots,
        }
    }

    pub async fn load(conn: &mut AnyConnection, tenant_id: &str) -> ApiResult<Tree> {
        Ok(Tree::new(store::departments(conn, tenant_id).await?))
    }

    pub fn children(&self, id: &str) -> &[String] {
        self.children.get(id).map_or(&[], Vec::as_slice)
    }

    /// The ancestors of `id`, nearest first (bounded, so a corrupt loop cannot hang us).
    pub fn ancestors(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut at = self.by_id.get(id).and_then(|d| d.parent_id.clone());
        while let Some(a) = at {
            if out.len() > self.by_id.len() {
                break;
            }
            at = self.by_id.get(&a).and_then(|d| d.parent_id.clone());
            out.push(a);
        }
        out
    }

    /// `Sales/North`.
    pub fn path(&self, id: &str) -> String {
        let mut parts: Vec<&str> = self
            .ancestors(id)
            .iter()
            .rev()
            .filter_map(|a| self.by_id.get(a).map(|d| d.name.as_str()))
            .collect();
        if let Some(d) = self.by_id.get(id) {
            parts.push(&d.name);
        }
        parts.join("/")
    }

    /// `id` and every department below it, in pre-order.
    pub fn subtree(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![id.to_string()];
        while let Some(d) = stack.pop() {
            if out.len() > self.by_id.len() {
                break;
            }
            stack.extend(self.children(&d).iter().rev().cloned());
            out.push(d);
        }
        out
    }

    /// How deep the subtree under `id` goes (1: no children).
    fn height(&self, id: &str) -> usize {
        1 + self
            .children(id)
            .iter()
            .map(|c| self.height(c))
            .max()
            .unwrap_or(0)
    }
}

/// A department with what a reader sees of it.
#[derive(Debug, Clone)]
pub struct Department {
    pub row: DepartmentRow,
    pub path: String,
    /// The head's (id, name) when the head is an active person.
    pub head: Option<(String, String)>,
    pub member_count: i64,
    pub child_count: i64,
}

/// Names of the active people among `ids`.
pub async fn names(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> ApiResult<HashMap<String, String>> {
    let mut unique: Vec<String> = ids.to_vec();
    unique.sort();
    unique.dedup();
    Ok(store::cards(conn, tenant_id, &unique)
        .await?
        .into_iter()
        .map(|c| (c.id, c.display_name))
        .collect())
}

async fn describe(
    conn: &mut AnyConnection,
    tenant_id: &str,
    tree: &Tree,
    rows: Vec<DepartmentRow>,
) -> ApiResult<Vec<Department>> {
    let heads: Vec<String> = rows.iter().filter_map(|r| r.head_id.clone()).collect();
    let heads = names(conn, tenant_id, &heads).await?;
    let counts = store::active_member_counts(conn, tenant_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let member_count = counts.get(&row.id).copied().unwrap_or(0);
        out.push(Department {
            path: tree.path(&row.id),
            head: row
                .head_id
                .as_ref()
                .and_then(|h| heads.get(h).map(|n| (h.clone(), n.clone()))),
            member_count,
            child_count: tree.children(&row.id).len() as i64,
            row,
        });
    }
    Ok(out)
}

fn not_found() -> ApiError {
    ApiError::not_found("department")
}

/// A department of the tenant, or 404.
pub async fn load(conn: &mut AnyConnection, tenant_id: &str, id: &str) -> ApiResult<DepartmentRow> {
    if !is_id(id) {
        return Err(not_found());
    }
    store::department(conn, tenant_id, id)
        .await?
        .ok_or_else(not_found)
}

/// A person who may be named as a head, manager or member: an account of the tenant that is
/// not disabled (invited people may be placed before they first sign in).
pub async fn person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    field: &str,
    id: &str,
) -> ApiResult<()> {
    let bad = || ApiError::validation(field, "no such person in this tenant");
    if !is_id(id) {
        return Err(bad());
    }
    match users::service::find(conn, tenant_id, id).await? {
        Some(u) if u.status == "active" || u.status == "invited" => Ok(()),
        _ => Err(bad()),
    }
}

fn name_taken(field: &str) -> ApiError {
    ApiError::conflict(Code::Conflict, "a sibling department has this name").with_field(field)
}

async fn ensure_free_name(
    conn: &mut AnyConnection,
    tenant_id: &str,
    parent: Option<&str>,
    key: &str,
    except: Option<&str>,
    field: &str,
) -> ApiResult<()> {
    match store::department_by_name(conn, tenant_id, parent.unwrap_or(""), key).await? {
        Some(d) if Some(d.id.as_str()) != except => Err(name_taken(field)),
        _ => Ok(()),
    }
}

/// A page of departments by name: all of them, or the children of `parent_id` (`""`: the top
/// level).
pub async fn list(
    state: &AppState,
    p: &Principal,
    parent_id: Option<&str>,
    limit: Option<u32>,
    cursor: Option<&str>,
) -> ApiResult<(Vec<Department>, Option<String>)> {
    state.authz.require(p, perm::DIRECTORY_READ).await?;
    let limit = pagination::limit(limit)?;
    let after = pagination::decode_key(cursor, 2)?;
    let mut conn = state.db.conn().await?;
    if let Some(pid) = parent_id.filter(|s| !s.is_empty()) {
        load(&mut conn, &p.tenant_id, pid).await?;
    }
    let rows = store::department_page(
        &mut conn,
        &p.tenant_id,
        parent_id,
        after.as_ref().map(|a| (a[0].as_str(), a[1].as_str())),
        limit + 1,
    )
    .await?;
    let (rows, next) = pagination::page_key(rows, limit, |r| vec![r.name.clone(), r.id.clone()]);
    let tree = Tree::load(&mut conn, &p.tenant_id).await?;
    Ok((describe(&mut conn, &p.tenant_id, &tree, rows).await?, next))
}

pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<Department> {
    state.authz.require(p, perm::DIRECTORY_READ).await?;
    let mut conn = state.db.conn().await?;
    let row = load(&mut conn, &p.tenant_id, id).await?;
    reread(&mut conn, &p.tenant_id, row).await
}

async fn reread(
    conn: &mut AnyConnection,
    tenant_id: &str,
    row: DepartmentRow,
) -> ApiResult<Department> {
    let tree = Tree::load(conn, tenant_id).await?;
    let mut d = describe(conn, tenant_id, &tree, vec![row]).await?;
    d.pop().ok_or_else(not_found)
}

fn entry(g: &Granted<'_>, action: &'static str, id: &str) -> audit::Entry {
    g.principal().audit(action).target("department", id)
}

/// A department to create.
#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub name: String,
    pub parent_id: Option<String>,
    pub head_id: Option<String>,
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn create(state: &AppState, p: &Principal, n: NewDepartment) -> ApiResult<Department> {
    let g = state.authz.require(p, perm::DIRECTORY_MANAGE).await?;
    let name = name("name", &n.name, false)?;
    let key = name_key(&name);
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    store::lock(&mut tx, &p.tenant_id).await?;
    let parent = n.parent_id.filter(|s| !s.is_empty());
    if let Some(pid) = &parent {
        load(&mut tx, &p.tenant_id, pid)
            .await
            .map_err(|_| ApiError::validation("parent_id", "no such department"))?;
        let tree = Tree::load(&mut tx, &p.tenant_id).await?;
        if tree.ancestors(pid).len() + 2 > MAX_DEPTH {
            return Err(ApiError::validation(
                "parent_id",
                format!("departments nest at most {MAX_DEPTH} deep"),
            ));
        }
    }
    if let Some(h) = &n.head_id {
        person(&mut tx, &p.tenant_id, "head_id", h).await?;
    }
    ensure_free_name(&mut tx, &p.tenant_id, parent.as_deref(), &key, None, "name").await?;
    let row = DepartmentRow {
        id: new_id(),
        parent_id: parent,
        name,
        head_id: n.head_id,
        created_at: now,
        updated_at: now,
    };
    store::insert_department(&mut tx, &p.tenant_id, &row, &key).await?;
    audit::record(
        &mut tx,
        entry(&g, "department.created", &row.id).details(json!({
            "name": row.name, "parent_id": row.parent_id, "head_id": row.head_id,
        })),
    )
    .await?;
    tx.commit().await?;
    let mut conn = state.db.conn().await?;
    reread(&mut conn, &p.tenant_id, row).await
}

/// Rename a department and/or set its head (`Some(None)` clears it).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, department_id = id))]
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    new_name: Option<String>,
    head: Option<Option<String>>,
) -> ApiResult<Department> {
    let g = state.authz.require(p, perm::DIRECTORY_MANAGE).await?;
    let new_name = new_name.map(|n| name("name", &n, false)).transpose()?;
    let mut tx = state.db.begin().await?;
    store::lock(&mut tx, &p.tenant_id).await?;
    let mut row = load(&mut tx, &p.tenant_id, id).await?;
    if let Some(n) = new_name {
        ensure_free_name(
            &mut tx,
            &p.tenant_id,
            row.parent_id.as_deref(),
            &name_key(&n),
            Some(id),
            "name",
        )
        .await?;
        row.name = n;
    }
    if let Some(h) = head {
        if let Some(h) = &h {
            person(&mut tx, &p.tenant_id, "head_id", h).await?;
        }
        row.head_id = h;
    }
    row.updated_at = now_ms();
    store::update_department(&mut tx, &p.tenant_id, &row, &name_key(&row.name)).await?;
    audit::record(
        &mut tx,
        entry(&g, "department.updated", id)
            .details(json!({ "name": row.name, "head_id": row.head_id })),
    )
    .await?;
    tx.commit().await?;
    let mut conn = state.db.conn().await?;
    reread(&mut conn, &p.tenant_id, row).await
}

/// Move a department (with its subtree) under `parent_id`, or to the top level. Refused with
/// 409 when the new parent is the department itself or lies below it.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, department_id = id))]
pub async fn move_to(
    state: &AppState,
    p: &Principal,
    id: &str,
    parent_id: Option<String>,
) -> ApiResult<Department> {
    let g = state.authz.require(p, perm::DIRECTORY_MANAGE).await?;
    let parent_id = parent_id.filter(|s| !s.is_empty());
    let mut tx = state.db.begin().await?;
    // The lock first: a concurrent move (A under B while B goes under A) waits for this one
    // and then reads the tree as this one leaves it.
    store::lock(&mut tx, &p.tenant_id).await?;
    let mut row = load(&mut tx, &p.tenant_id, id).await?;
    let tree = Tree::load(&mut tx, &p.tenant_id).await?;
    if let Some(pid) = &parent_id {
        if !is_id(pid) || !tree.by_id.contains_key(pid) {
            return Err(ApiError::validation("parent_id", "no such department"));
        }
        if pid == id || tree.ancestors(pid).iter().any(|a| a == id) {
            return Err(ApiError::conflict(
                Code::Conflict,
                "a department cannot move under itself or one of its sub-departments",
            )
            .with_field("parent_id"));
        }
        if tree.ancestors(pid).len() + 1 + tree.height(id) > MAX_DEPTH {
            return Err(ApiError::validation(
                "parent_id",
                format!("departments nest at most {MAX_DEPTH} deep"),
            ));
        }
    }
    let from = row.parent_id.clone();
    ensure_free_name(
        &mut tx,
        &p.tenant_id,
        parent_id.as_deref(),
        &name_key(&row.name),
        Some(id),
        "parent_id",
    )
    .await?;
    row.parent_id = parent_id;
    row.updated_at = now_ms();
    store::update_department(&mut tx, &p.tenant_id, &row, &name_key(&row.name)).await?;
    audit::record(
        &mut tx,
        entry(&g, "department.moved", id).details(json!({ "from": from, "to": row.parent_id })),
    )
    .await?;
    changed(&mut tx, &p.tenant_id, json!({ "kind": "moved" })).await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    let mut conn = state.db.conn().await?;
    reread(&mut conn, &p.tenant_id, row).await
}

/// Merge a department into another: its members, sub-departments and (when the target has
/// none) its head move to the target, and it is deleted.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, department_id = id))]
pub async fn merge(state: &AppState, p: &Principal, id: &str, into: &str) -> ApiResult<Department> {
    let g = state.authz.require(p, perm::DIRECTORY_MANAGE).await?;
    let mut tx = state.db.begin().await?;
    store::lock(&mut tx, &p.tenant_id).await?;
    let source = load(&mut tx, &p.tenant_id, id).await?;
    let tree = Tree::load(&mut tx, &p.tenant_id).await?;
    let Some(target) = tree.by_id.get(into).cloned() else {
        return Err(ApiError::validation("into_id", "no such department"));
    };
    if into == id {
        return Err(ApiError::validation(
            "into_id",
            "a department cannot merge into itself",
        ));
    }
    if tree.ancestors(into).iter().any(|a| a == id) {
        return Err(ApiError::conflict(
            Code::Conflict,
            "a department cannot merge into one of its own sub-departments",
        )
        .with_field("into_id"));
    }
    let taken: HashSet<String> = tree
        .children(into)
        .iter()
        .filter_map(|c| tree.by_id.get(c).map(|d| name_key(&d.name)))
        .collect();
    if let Some(clash) = tree
        .children(id)
        .iter()
        .filter_map(|c| tree.by_id.get(c))
        .find(|d| taken.contains(&name_key(&d.name)))
    {
        return Err(ApiError::conflict(
            Code::Conflict,
            format!(
                "both departments have a sub-department named `{}`",
                clash.name
            ),
        )
        .with_field("into_id"));
    }
    if tree.ancestors(into).len() + tree.height(id) > MAX_DEPTH {
        return Err(ApiError::validation(
            "into_id",
            format!("departments nest at most {MAX_DEPTH} deep"),
        ));
    }
    let now = now_ms();
    let members = store::move_members(&mut tx, &p.tenant_id, id, into).await?;
    let children = store::move_children(&mut tx, &p.tenant_id, id, into, now).await?;
    let mut target = target;
    let head_moved = target.head_id.is_none() && source.head_id.is_some();
    if head_moved {
        target.head_id = source.head_id.clone();
    }
    target.updated_at = now;
    store::update_department(&mut tx, &p.tenant_id, &target, &name_key(&target.name)).await?;
    store::delete_department(&mut tx, &p.tenant_id, id).await?;
    audit::record(
        &mut tx,
        entry(&g, "department.merged", id).details(json!({
            "into": into, "name": source.name, "members": members, "sub_departments": children,
            "head_moved": head_moved,
        })),
    )
    .await?;
    changed(
        &mut tx,
        &p.tenant_id,
        json!({ "kind": "merged", "from": id, "into": into }),
    )
    .await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    let mut conn = state.db.conn().await?;
    reread(&mut conn, &p.tenant_id, target).await
}

/// Delete a department that has no active member and no sub-department (409 otherwise).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, department_id = id))]
pub async fn delete(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let g = state.authz.require(p, perm::DIRECTORY_MANAGE).await?;
    let mut tx = state.db.begin().await?;
    store::lock(&mut tx, &p.tenant_id).await?;
    let row = load(&mut tx, &p.tenant_id, id).await?;
    let tree = Tree::load(&mut tx, &p.tenant_id).await?;
    if !tree.children(id).is_empty() {
        return Err(ApiError::conflict(
            Code::Conflict,
            "the department has sub-departments: move, merge or delete them first",
        ));
    }
    if store::active_member_count(&mut tx, &p.tenant_id, id).await? > 0 {
        return Err(ApiError::conflict(
            Code::Conflict,
            "the department has members: move them or merge the department instead",
        ));
    }
    store::delete_department(&mut tx, &p.tenant_id, id).await?;
    audit::record(
        &mut tx,
        entry(&g, "department.deleted", id).details(json!({ "name": row.name })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(id: &str, parent: Option<&str>, name: &str) -> DepartmentRow {
        DepartmentRow {
            id: id.into(),
            parent_id: parent.map(Into::into),
            name: name.into(),
            head_id: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn paths_subtrees_and_heights() {
        let t = Tree::new(vec![
            d("a", None, "Sales"),
            d("b", Some("a"), "North"),
            d("c", Some("b"), "Hà Nội"),
            d("e", None, "Support"),
        ]);
        assert_eq!(t.path("c"), "Sales/North/Hà Nội");
        assert_eq!(t.subtree("a"), ["a", "b", "c"]);
        assert_eq!(t.ancestors("c"), ["b", "a"]);
        assert_eq!(t.height("a"), 3);
        assert_eq!(t.roots, ["a", "e"]);
        assert_eq!(name_key("  Phòng  KINH doanh "), "phong kinh doanh");
        assert!(name("name", "A/B", false).is_err());
    }
}
