//! Rules for people in the directory: the address book (`directory.read`), who sees which
//! contact field (the tenant's visibility rules), search, and a person's record
//! (`directory.manage`): primary and other departments, position, manager (no cycles) and work
//! contact details.

use super::{
    service::{self, Tree},
    store::{self, CardRow, PersonRow, SettingsRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{is_id, now_ms},
    error::{ApiError, ApiResult, Code},
    http::pagination,
    users::validate::{self, fold},
    AppState,
};
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// The visibility rules a field may have.
pub const RULES: &[&str] = &["everyone", "same_department", "nobody"];

/// A department as a person's entry shows it.
#[derive(Debug, Clone)]
pub struct Membership {
    pub id: String,
    pub name: String,
    pub path: String,
    pub primary: bool,
}

/// A person in the address book, with only the fields the reader may see.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub display_name: String,
    pub departments: Vec<Membership>,
    pub position: Option<(String, String)>,
    pub manager: Option<(String, String)>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The person's photo (a file anyone who browses the directory may download).
    pub photo_file_id: Option<String>,
}

/// Who reads, and what that lets them see.
struct Reader {
    user_id: String,
    manage: bool,
    departments: HashSet<String>,
    rules: SettingsRow,
}

impl Reader {
    async fn of(state: &AppState, conn: &mut AnyConnection, p: &Principal) -> ApiResult<Reader> {
        let manage = state
            .authz
            .permissions(p)
            .await?
            .contains(perm::DIRECTORY_MANAGE);
        let departments =
            store::memberships_of(&mut *conn, &p.tenant_id, std::slice::from_ref(&p.user_id))
                .await?
                .into_iter()
                .map(|m| m.department_id)
                .collect();
        Ok(Reader {
            user_id: p.user_id.clone(),
            manage,
            departments,
            rules: store::settings(conn, &p.tenant_id).await?,
        })
    }

    fn sees(&self, rule: &str, person: &str, departments: &[Membership]) -> bool {
        self.manage
            || person == self.user_id
            || rule == "everyone"
            || (rule == "same_department"
                && departments.iter().any(|d| self.departments.contains(&d.id)))
    }
}

/// Entries for `cards`, in their order, with what `reader` may see.
async fn entries(
    conn: &mut AnyConnection,
    tenant_id: &str,
    reader: &Reader,
    cards: Vec<CardRow>,
) -> ApiResult<Vec<Entry>> {
    let ids: Vec<String> = cards.iter().map(|c| c.id.clone()).collect();
    let tree = Tree::load(&mut *conn, tenant_id).await?;
    let mut memberships: HashMap<String, Vec<Membership>> = HashMap::new();
    for m in store::memberships_of(&mut *conn, tenant_id, &ids).await? {
        if let Some(d) = tree.by_id.get(&m.department_id) {
            memberships.entry(m.user_id).or_default().push(Membership {
                id: d.id.clone(),
                name: d.name.clone(),
                path: tree.path(&d.id),
                primary: m.is_primary == 1,
            });
        }
    }
    let records: HashMap<String, PersonRow> = store::people(&mut *conn, tenant_id, &ids)
        .await?
        .into_iter()
        .map(|r| (r.user_id.clone(), r))
        .collect();
    let positions: HashMap<String, String> = store::positions(&mut *conn, tenant_id)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let managers: Vec<String> = records
        .values()
        .filter_map(|r| r.manager_id.clone())
        .collect();
    let managers = service::names(conn, tenant_id, &managers).await?;
    Ok(cards
        .into_iter()
        .map(|c| {
            let departments = memberships.remove(&c.id).unwrap_or_default();
            let record = records.get(&c.id).cloned().unwrap_or_default();
            let email = record.work_email.or(c.email);
            let phone = record.work_phone.or(c.phone);
            Entry {
                email: email
                    .filter(|_| reader.sees(&reader.rules.email_visibility, &c.id, &departments)),
                phone: phone
                    .filter(|_| reader.sees(&reader.rules.phone_visibility, &c.id, &departments)),
                position: record
                    .position_id
                    .and_then(|id| positions.get(&id).map(|n| (id, n.clone()))),
                manager: record
                    .manager_id
                    .and_then(|id| managers.get(&id).map(|n| (id, n.clone()))),
                photo_file_id: record.photo_file_id,
                departments,
                id: c.id,
                display_name: c.display_name,
            }
        })
        .collect())
}

/// Whether an entry matches a folded query by what the reader sees: the name always, the
/// email and phone only when shown (a search must not tell who has a hidden number).
fn matches(e: &Entry, q: &str) -> bool {
    fold(&e.display_name).contains(q)
        || e.email.as_deref().is_some_and(|v| fold(v).contains(q))
        || e.phone.as_deref().is_some_and(|v| fold(v).contains(q))
}

/// What to list.
#[derive(Debug, Default, Clone)]
pub struct Browse {
    pub q: Option<String>,
    pub department_id: Option<String>,
    pub subtree: bool,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The address book: active people by name, searched (case- and accent-insensitively) and/or
/// browsed by department.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn list(
    state: &AppState,
    p: &Principal,
    b: Browse,
) -> ApiResult<(Vec<Entry>, Option<String>)> {
    state.authz.require(p, perm::DIRECTORY_READ).await?;
    let limit = pagination::limit(b.limit)?;
    let mut after = pagination::decode_key(b.cursor.as_deref(), 2)?;
    let q = match b.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) if q.chars().count() > 100 => {
            return Err(ApiError::validation("q", "at most 100 characters"))
        }
        Some(q) => Some(fold(q)),
        None => None,
    };
    let mut conn = state.db.conn().await?;
    let department = b.department_id.filter(|d| !d.is_empty());
    if let Some(d) = &department {
        service::load(&mut conn, &p.tenant_id, d).await?;
    }
    let reader = Reader::of(state, &mut conn, p).await?;
    let pattern = q
        .as_ref()
        .map(|q| format!("%{}%", crate::db::like_escape(q)));
    // The folded text in SQL narrows the candidates; the match on what the reader may see
    // decides. Fetch until the page is full or the candidates run out.
    let mut out: Vec<Entry> = Vec::new();
    loop {
        let batch = store::card_page(
            &mut conn,
            &p.tenant_id,
            pattern.as_deref(),
            department.as_deref(),
            b.subtree,
            after.as_ref().map(|a| (a[0].as_str(), a[1].as_str())),
            limit + 1,
        )
        .await?;
        let exhausted = (batch.len() as i64) <= limit;
        after = batch
            .last()
            .map(|c| vec![c.display_name.clone(), c.id.clone()]);
        let found = entries(&mut conn, &p.tenant_id, &reader, batch).await?;
        out.extend(
            found
                .into_iter()
                .filter(|e| q.as_deref().is_none_or(|q| matches(e, q))),
        );
        if exhausted || out.len() as i64 > limit {
            break;
        }
    }
    Ok(pagination::page_key(out, limit, |e| {
        vec![e.display_name.clone(), e.id.clone()]
    }))
}

fn person_not_found() -> ApiError {
    ApiError::not_found("person")
}

/// One active person's entry.
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<Entry> {
    state.authz.require(p, perm::DIRECTORY_READ).await?;
    let mut conn = state.db.conn().await?;
    entry(state, &mut conn, p, id).await
}

pub(super) async fn entry(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<Entry> {
    if !is_id(id) {
        return Err(person_not_found());
    }
    let cards = store::cards(&mut *conn, &p.tenant_id, &[id.to_string()]).await?;
    if cards.is_empty() {
        return Err(person_not_found());
    }
    let reader = Reader::of(state, &mut *conn, p).await?;
    entries(conn, &p.tenant_id, &reader, cards)
        .await?
        .pop()
        .ok_or_else(person_not_found)
}

/// A person's directory record as set by `directory.manage` (the whole record: what is absent
/// is cleared).
#[derive(Debug, Default, Clone)]
pub struct Placement {
    pub primary_department_id: Option<String>,
    pub department_ids: Vec<String>,
    pub position_id: Option<String>,
    pub manager_id: Option<String>,
    pub work_email: Option<String>,
    pub work_phone: Option<String>,
}

/// Refuse a manager link that closes a loop: walk up from the new manager.
pub async fn check_manager(
    conn: &mut AnyConnection,
    tenant_id: &str,
    person: &str,
    manager: &str,
    pending: &HashMap<String, Option<String>>,
) -> ApiResult<()> {
    if manager == person {
        return Err(ApiError::validation(
            "manager_id",
            "a person cannot manage themselves",
        ));
    }
    let mut at = manager.to_string();
    let mut seen = HashSet::new();
    loop {
        if at == person {
            return Err(ApiError::conflict(
                Code::Conflict,
                "the manager is managed by this person, directly or through others",
            )
            .with_field("manager_id"));
        }
        if !seen.insert(at.clone()) {
            return Ok(()); // an old loop elsewhere: not ours to report
        }
        let next = match pending.get(&at) {
            Some(m) => m.clone(),
            None => store::manager_of(&mut *conn, tenant_id, &at).await?,
        };
        match next {
            Some(n) => at = n,
            None => return Ok(()),
        }
    }
}

/// Check a placement against the tenant's current state (in the caller's transaction, after
/// the directory lock) and normalise it.
pub async fn validate_placement(
    conn: &mut AnyConnection,
    tenant_id: &str,
    person: &str,
    mut pl: Placement,
    pending: &HashMap<String, Option<String>>,
) -> ApiResult<Placement> {
    pl.primary_department_id = pl.primary_department_id.filter(|s| !s.is_empty());
    if let Some(d) = &pl.primary_department_id {
        if !is_id(d) || store::department(&mut *conn, tenant_id, d).await?.is_none() {
            return Err(ApiError::validation(
                "primary_department_id",
                "no such department",
            ));
        }
    }
    let mut others = Vec::new();
    for d in std::mem::take(&mut pl.department_ids) {
        if Some(&d) == pl.primary_department_id.as_ref() || others.contains(&d) {
            continue;
        }
        if !is_id(&d)
            || store::department(&mut *conn, tenant_id, &d)
                .await?
                .is_none()
        {
            return Err(ApiError::validation("department_ids", "no such department"));
        }
        others.push(d);
    }
    if others.len() > 50 {
        return Err(ApiError::validation(
            "department_ids",
            "at most 50 departments",
        ));
    }
    if !others.is_empty() && pl.primary_department_id.is_none() {
        return Err(ApiError::validation(
            "primary_department_id",
            "a person with departments has a primary one",
        ));
    }
    pl.department_ids = others;
    pl.position_id = pl.position_id.filter(|s| !s.is_empty());
    if let Some(id) = &pl.position_id {
        if !is_id(id) || store::position(&mut *conn, tenant_id, id).await?.is_none() {
            return Err(ApiError::validation("position_id", "no such position"));
        }
    }
    pl.manager_id = pl.manager_id.filter(|s| !s.is_empty());
    if let Some(m) = &pl.manager_id {
        service::person(&mut *conn, tenant_id, "manager_id", m).await?;
        check_manager(&mut *conn, tenant_id, person, m, pending).await?;
    }
    pl.work_email = match pl
        .work_email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(e) => Some(validate::email("work_email", e)?),
        None => None,
    };
    pl.work_phone = match pl
        .work_phone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(ph) => Some(validate::phone("work_phone", ph)?),
        None => None,
    };
    Ok(pl)
}

/// Write a validated placement.
pub async fn write_placement(
    conn: &mut AnyConnection,
    tenant_id: &str,
    person: &str,
    pl: &Placement,
) -> ApiResult<()> {
    let now = now_ms();
    store::set_memberships(
        &mut *conn,
        tenant_id,
        person,
        pl.primary_department_id.as_deref(),
        &pl.department_ids,
        now,
    )
    .await?;
    store::upsert_person(
        conn,
        tenant_id,
        &PersonRow {
            user_id: person.to_string(),
            position_id: pl.position_id.clone(),
            manager_id: pl.manager_id.clone(),
            work_email: pl.work_email.clone(),
            work_phone: pl.work_phone.clone(),
            // The photo is set on its own (`photos`); an upsert keeps it.
            photo_file_id: None,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Set a person's directory record.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, user_id = id))]
pub async fn set(state: &AppState, p: &Principal, id: &str, pl: Placement) -> ApiResult<Entry> {
    let g = state.authz.require(p, perm::DIRECTORY_MANAGE).await?;
    let mut tx = state.db.begin().await?;
    // The lock first: two manager changes that would close a loop between them run one
    // after the other, and the second sees the first.
    store::lock(&mut tx, &p.tenant_id).await?;
    let u = match is_id(id) {
        true => crate::users::service::find(&mut tx, &p.tenant_id, id).await?,
        false => None,
    };
    let Some(u) = u.filter(|u| u.status == "active" || u.status == "invited") else {
        return Err(person_not_found());
    };
    let pl = validate_placement(&mut tx, &p.tenant_id, id, pl, &HashMap::new()).await?;
    write_placement(&mut tx, &p.tenant_id, id, &pl).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("directory.person_updated")
            .target("user", id)
            .details(json!({
                "primary_department_id": pl.primary_department_id,
                "department_ids": pl.department_ids,
                "position_id": pl.position_id,
                "manager_id": pl.manager_id,
                "work_email_set": pl.work_email.is_some(),
                "work_phone_set": pl.work_phone.is_some(),
            })),
    )
    .await?;
    service::changed(&mut tx, &p.tenant_id, json!({ "kind": "placed" })).await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    // An invited person is placed (and shown here) but listed only once active.
    let card = CardRow {
        id: u.id,
        display_name: u.display_name,
        email: u.email,
        phone: u.phone,
        search_text: String::new(),
    };
    let mut conn = state.db.conn().await?;
    let reader = Reader::of(state, &mut conn, p).await?;
    entries(&mut conn, &p.tenant_id, &reader, vec![card])
        .await?
        .pop()
        .ok_or_else(person_not_found)
}

/// The entries of a department's members (with `subtree`, of its sub-departments' too), for
/// the vCard export: every page, as the reader may see them.
pub async fn members(
    state: &AppState,
    p: &Principal,
    department_id: &str,
    subtree: bool,
) -> ApiResult<(String, Vec<Entry>)> {
    state.authz.require(p, perm::DIRECTORY_READ).await?;
    let mut conn = state.db.conn().await?;
    let d = service::load(&mut conn, &p.tenant_id, department_id).await?;
    let reader = Reader::of(state, &mut conn, p).await?;
    let mut out = Vec::new();
    let mut after: Option<(String, String)> = None;
    loop {
        let batch = store::card_page(
            &mut conn,
            &p.tenant_id,
            None,
            Some(department_id),
            subtree,
            after.as_ref().map(|a| (a.0.as_str(), a.1.as_str())),
            500,
        )
        .await?;
        let full = batch.len() == 500;
        after = batch.last().map(|c| (c.display_name.clone(), c.id.clone()));
        out.extend(entries(&mut conn, &p.tenant_id, &reader, batch).await?);
        if !full {
            break;
        }
    }
    Ok((d.name, out))
}

// ── settings ──────────────────────────────────────────────────────────────────────────────

pub async fn settings(state: &AppState, p: &Principal) -> ApiResult<SettingsRow> {
    state.authz.require(p, perm::DIRECTORY_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    Ok(store::settings(&mut conn, &p.tenant_id).await?)
}

pub async fn set_settings(
    state: &AppState,
    p: &Principal,
    s: SettingsRow,
) -> ApiResult<SettingsRow> {
    let g = state.authz.require(p, perm::DIRECTORY_MANAGE).await?;
    for (field, v) in [
        ("email", &s.email_visibility),
        ("phone", &s.phone_visibility),
    ] {
        if !RULES.contains(&v.as_str()) {
            return Err(ApiError::validation(
                field,
                "one of everyone, same_department, nobody",
            ));
        }
    }
    let mut tx = state.db.begin().await?;
    store::set_settings(&mut tx, &p.tenant_id, &s, &p.user_id, now_ms()).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("directory.settings_updated")
            .details(json!({
                "email": s.email_visibility, "phone": s.phone_visibility,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}
