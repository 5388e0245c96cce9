//! The org as CSV (`directory.manage`): export, and import validated row by row.
//!
//! One file, one row per thing, the `kind` column saying which:
//!
//! ```text
//! kind,department,position,person,head,manager,other_departments
//! department,Sales,,,lan@example.test,,
//! department,Sales/North,,,,,
//! position,,Engineer,,,,
//! person,Sales/North,Engineer,minh@example.test,,lan@example.test,Support;Sales
//! ```
//!
//! - `department`: `department` is the path (names joined by `/`; missing parents are
//!   created); `head` the head's login (email or phone), optional.
//! - `position`: `position` is the name.
//! - `person`: `person` is the login; `department` the primary department's path,
//!   `other_departments` more paths separated by `;`, `position` a position's name, `manager`
//!   the manager's login — each optional, and together they replace the person's placement
//!   (work email and phone are kept).
//!
//! Rows are applied in file order in one transaction, each checked against the state the rows
//! before it left; a row that fails writes nothing and is reported (its line, field, reason).
//! A dry run answers the same report and writes nothing.

use super::{
    people::{self, Placement},
    service::{self, name_key, Tree},
    store::{self, DepartmentRow, PositionRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{new_id, now_ms},
    error::{ApiError, ApiResult},
    users, AppState,
};
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// The columns, in the order the export writes them.
pub const COLUMNS: [&str; 7] = [
    "kind",
    "department",
    "position",
    "person",
    "head",
    "manager",
    "other_departments",
];
/// Most data rows one import takes.
pub const MAX_ROWS: usize = 20_000;
/// Largest file one import takes.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// A rejected row.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// The line in the file (the header is line 1).
    pub line: u64,
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub dry_run: bool,
    pub rows: u64,
    pub applied: u64,
    pub departments_created: u64,
    pub positions_created: u64,
    pub people_updated: u64,
    pub rejected: Vec<Rejected>,
}

fn reject(field: &str, reason: impl Into<String>) -> Rejected {
    Rejected {
        line: 0,
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// The person a login names: an account of the tenant that is not disabled.
async fn by_login(
    conn: &mut AnyConnection,
    tenant_id: &str,
    field: &str,
    raw: &str,
) -> Result<String, Rejected> {
    let Some(login) = users::validate::login(raw) else {
        return Err(reject(
            field,
            "not an email address or an E.164 phone number",
        ));
    };
    match users::service::find_by_login(conn, tenant_id, &login).await {
        Ok(Some(u)) if u.status == "active" || u.status == "invited" => Ok(u.id),
        Ok(_) => Err(reject(field, "no such person in this tenant")),
        Err(e) => Err(reject(field, e.detail)),
    }
}

/// The names of a path, each checked.
fn path_parts(field: &str, raw: &str) -> Result<Vec<String>, Rejected> {
    let parts: Vec<&str> = raw.split('/').map(str::trim).collect();
    if parts.len() > service::MAX_DEPTH {
        return Err(reject(field, "too deep"));
    }
    parts
        .iter()
        .map(|p| service::name(field, p, false).map_err(|e| reject(field, e.detail)))
        .collect()
}

/// The department a path names, if it exists.
async fn find_path(
    conn: &mut AnyConnection,
    tenant_id: &str,
    parts: &[String],
) -> Result<Option<String>, sqlx::Error> {
    let mut parent = String::new();
    for p in parts {
        match store::department_by_name(&mut *conn, tenant_id, &parent, &name_key(p)).await? {
            Some(d) => parent = d.id,
            None => return Ok(None),
        }
    }
    Ok(Some(parent))
}

async fn existing_path(
    conn: &mut AnyConnection,
    tenant_id: &str,
    field: &str,
    raw: &str,
) -> Result<String, Rejected> {
    let parts = path_parts(field, raw)?;
    match find_path(conn, tenant_id, &parts).await {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(reject(
            field,
            format!("no department `{raw}`: add a department row"),
        )),
        Err(e) => Err(reject(field, ApiError::from(e).detail)),
    }
}

/// One data row and the header naming its columns.
struct Row<'a> {
    header: &'a [String],
    record: &'a csv::StringRecord,
}

impl Row<'_> {
    fn get(&self, col: &str) -> String {
        self.header
            .iter()
            .position(|h| h == col)
            .and_then(|i| self.record.get(i))
            .unwrap_or("")
            .to_string()
    }
}

/// Apply one row (checked first, then written). `Ok(None)` for a blank row.
async fn apply(
    conn: &mut AnyConnection,
    tenant_id: &str,
    row: Row<'_>,
    report: &mut Report,
) -> Result<(), Rejected> {
    let get = |col: &str| row.get(col);
    let db = |e: sqlx::Error| reject("", ApiError::from(e).detail);
    let now = now_ms();
    match get("kind").to_ascii_lowercase().as_str() {
        "department" => {
            let parts = path_parts("department", &get("department"))?;
            let head = match get("head") {
                h if h.is_empty() => None,
                h => Some(by_login(conn, tenant_id, "head", &h).await?),
            };
            let mut parent: Option<String> = None;
            for part in &parts {
                let key = name_key(part);
                let pk = parent.clone().unwrap_or_default();
                match store::department_by_name(&mut *conn, tenant_id, &pk, &key)
                    .await
                    .map_err(db)?
                {
                    Some(d) => parent = Some(d.id),
                    None => {
                        let d = DepartmentRow {
                            id: new_id(),
                            parent_id: parent.clone(),
                            name: part.clone(),
                            head_id: None,
                            created_at: now,
                            updated_at: now,
                        };
                        store::insert_department(&mut *conn, tenant_id, &d, &key)
                            .await
                            .map_err(db)?;
                        report.departments_created += 1;
                        parent = Some(d.id);
                    }
                }
            }
            if let (Some(h), Some(id)) = (head, &parent) {
                if let Some(mut d) = store::department(&mut *conn, tenant_id, id)
                    .await
                    .map_err(db)?
                {
                    d.head_id = Some(h);
                    d.updated_at = now;
                    store::update_department(&mut *conn, tenant_id, &d, &name_key(&d.name))
                        .await
                        .map_err(db)?;
                }
            }
            Ok(())
        }
        "position" => {
            let name = service::name("position", &get("position"), true)
                .map_err(|e| reject("position", e.detail))?;
            let key = name_key(&name);
            if store::position_by_name(&mut *conn, tenant_id, &key)
                .await
                .map_err(db)?
                .is_none()
            {
                let p = PositionRow {
                    id: new_id(),
                    name,
                    created_at: now,
                    updated_at: now,
                };
                store::insert_position(&mut *conn, tenant_id, &p, &key)
                    .await
                    .map_err(db)?;
                report.positions_created += 1;
            }
            Ok(())
        }
        "person" => {
            let login = get("person");
            if login.is_empty() {
                return Err(reject("person", "the person's email or phone is required"));
            }
            let person = by_login(conn, tenant_id, "person", &login).await?;
            let primary = match get("department") {
                d if d.is_empty() => None,
                d => Some(existing_path(conn, tenant_id, "department", &d).await?),
            };
            let mut others = Vec::new();
            for d in get("other_departments")
                .split(';')
                .map(str::trim)
                .filter(|d| !d.is_empty())
            {
                others.push(existing_path(conn, tenant_id, "other_departments", d).await?);
            }
            let position = match get("position") {
                p if p.is_empty() => None,
                p => match store::position_by_name(&mut *conn, tenant_id, &name_key(&p))
                    .await
                    .map_err(db)?
                {
                    Some(p) => Some(p.id),
                    None => {
                        return Err(reject(
                            "position",
                            format!("no position `{p}`: add a position row"),
                        ))
                    }
                },
            };
            let manager = match get("manager") {
                m if m.is_empty() => None,
                m => Some(by_login(conn, tenant_id, "manager", &m).await?),
            };
            let kept = store::person(&mut *conn, tenant_id, &person)
                .await
                .map_err(db)?
                .unwrap_or_default();
            let pl = Placement {
                primary_department_id: primary,
                department_ids: others,
                position_id: position,
                manager_id: manager,
                work_email: kept.work_email,
                work_phone: kept.work_phone,
            };
            let pl = people::validate_placement(conn, tenant_id, &person, pl, &HashMap::new())
                .await
                .map_err(|e| {
                    let field = match e.field.as_deref() {
                        Some("primary_department_id") => "department",
                        Some("department_ids") => "other_departments",
                        Some("position_id") => "position",
                        Some("manager_id") => "manager",
                        Some(f) => f,
                        None => "",
                    };
                    reject(field, e.detail)
                })?;
            people::write_placement(conn, tenant_id, &person, &pl)
                .await
                .map_err(|e| reject("", e.detail))?;
            report.people_updated += 1;
            Ok(())
        }
        "" => Err(reject("kind", "required: department, position or person")),
        _ => Err(reject("kind", "one of department, position, person")),
    }
}

/// The line a byte offset is on, counted forward from the last one asked for.
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl Lines<'_> {
    fn of(&mut self, byte: u64) -> u64 {
        let mut to = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        // The reader puts a record after blank lines at the first of them.
        while self
            .bytes
            .get(to)
            .is_some_and(|b| *b == b'\n' || *b == b'\r')
        {
            to += 1;
        }
        if to > self.at {
            self.line += self.bytes[self.at..to]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.at = to;
        }
        self.line
    }
}

/// Import a CSV file. Answers 422 only when the file itself is unreadable (no header, unknown
/// columns, too large); bad rows are in the report.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, dry_run))]
pub async fn import(
    state: &AppState,
    p: &Principal,
    bytes: &[u8],
    dry_run: bool,
) -> ApiResult<Report> {
    let g = state.authz.require(p, perm::DIRECTORY_MANAGE).await?;
    if bytes.len() > MAX_BYTES {
        return Err(ApiError::validation("csv", "at most 5 MiB"));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| ApiError::validation("csv", "the first line must be the header"))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if !header.iter().any(|h| h == "kind") {
        return Err(ApiError::validation(
            "csv",
            "the header has no `kind` column",
        ));
    }
    if let Some(unknown) = header.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(ApiError::validation(
            "csv",
            format!(
                "unknown column `{unknown}`; the columns are {}",
                COLUMNS.join(", ")
            ),
        ));
    }
    let mut report = Report {
        dry_run,
        ..Report::default()
    };
    // Lines counted from the bytes: the reader's own count skips blank lines.
    let mut lines = Lines {
        bytes,
        at: 0,
        line: 1,
    };
    let mut tx = state.db.begin().await?;
    store::lock(&mut tx, &p.tenant_id).await?;
    for record in reader.records() {
        report.rows += 1;
        if report.rows as usize > MAX_ROWS {
            return Err(ApiError::validation(
                "csv",
                format!("at most {MAX_ROWS} rows"),
            ));
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.of(p.byte()));
                report.rejected.push(Rejected {
                    line,
                    ..reject("", "not readable as CSV (UTF-8, comma-separated)")
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.of(p.byte()));
        if record.iter().all(str::is_empty) {
            report.rows -= 1;
            continue;
        }
        let row = Row {
            header: &header,
            record: &record,
        };
        match apply(&mut tx, &p.tenant_id, row, &mut report).await {
            Ok(()) => report.applied += 1,
            Err(r) => report.rejected.push(Rejected { line, ..r }),
        }
    }
    if dry_run {
        // Dropped: rolled back, nothing written.
        drop(tx);
        return Ok(report);
    }
    audit::record(
        &mut tx,
        g.principal().audit("directory.imported").details(json!({
            "rows": report.rows, "applied": report.applied,
            "rejected": report.rejected.len(),
            "departments_created": report.departments_created,
            "positions_created": report.positions_created,
            "people_updated": report.people_updated,
        })),
    )
    .await?;
    if report.applied > 0 {
        service::changed(
            &mut tx,
            &g.principal().tenant_id,
            json!({ "kind": "imported" }),
        )
        .await?;
    }
    tx.commit().await?;
    if report.applied > 0 {
        state.outbox_wake.noted();
    }
    Ok(report)
}

/// The org as CSV: every department (parents first, with its head), every position, and every
/// placed person who is not disabled.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn export(state: &AppState, p: &Principal) -> ApiResult<Vec<u8>> {
    state.authz.require(p, perm::DIRECTORY_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    let tree = Tree::load(&mut conn, &p.tenant_id).await?;
    let mut logins: HashMap<String, Option<String>> = HashMap::new();
    let mut login = async |conn: &mut AnyConnection, id: &str| -> ApiResult<Option<String>> {
        if let Some(l) = logins.get(id) {
            return Ok(l.clone());
        }
        let l = users::service::find(conn, &p.tenant_id, id)
            .await?
            .filter(|u| u.status == "active" || u.status == "invited")
            .and_then(|u| u.email.or(u.phone));
        logins.insert(id.to_string(), l.clone());
        Ok(l)
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| ApiError::internal(e);
    w.write_record(COLUMNS).map_err(csv_err)?;
    let order: Vec<String> = tree.roots.iter().flat_map(|r| tree.subtree(r)).collect();
    for id in &order {
        let head = match tree.by_id.get(id).and_then(|d| d.head_id.clone()) {
            Some(h) => login(&mut conn, &h).await?.unwrap_or_default(),
            None => String::new(),
        };
        w.write_record(["department", &tree.path(id), "", "", &head, "", ""])
            .map_err(csv_err)?;
    }
    let positions = store::positions(&mut conn, &p.tenant_id).await?;
    for pos in &positions {
        w.write_record(["position", "", &pos.name, "", "", "", ""])
            .map_err(csv_err)?;
    }
    let positions: HashMap<String, String> =
        positions.into_iter().map(|p| (p.id, p.name)).collect();
    let mut placed: std::collections::BTreeMap<String, (String, Vec<String>)> = Default::default();
    for m in store::all_memberships(&mut conn, &p.tenant_id).await? {
        let e = placed.entry(m.user_id).or_default();
        if m.is_primary == 1 {
            e.0 = tree.path(&m.department_id);
        } else {
            e.1.push(tree.path(&m.department_id));
        }
    }
    let records: HashMap<String, store::PersonRow> = store::all_people(&mut conn, &p.tenant_id)
        .await?
        .into_iter()
        .map(|r| (r.user_id.clone(), r))
        .collect();
    for id in records.keys() {
        placed.entry(id.clone()).or_default();
    }
    for (id, (primary, others)) in placed {
        let Some(who) = login(&mut conn, &id).await? else {
            continue;
        };
        let rec = records.get(&id).cloned().unwrap_or_default();
        let position = rec
            .position_id
            .and_then(|p| positions.get(&p).cloned())
            .unwrap_or_default();
        let manager = match rec.manager_id {
            Some(m) => login(&mut conn, &m).await?.unwrap_or_default(),
            None => String::new(),
        };
        w.write_record([
            "person",
            &primary,
            &position,
            &who,
            "",
            &manager,
            &others.join(";"),
        ])
        .map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| ApiError::internal(e.to_string()))
}
