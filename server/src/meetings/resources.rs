//! Rooms and resources (`meetings.manage`: create, change, remove; `meetings.use`: list and
//! read) and free/busy over a bounded range for people and resources.

use super::{
    occurrences,
    service::{self, Role},
    store::{self, resources::ResourceRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{is_id, new_id, now_ms},
    directory::audience,
    error::{ApiError, ApiResult, Code},
    AppState,
};
use serde_json::json;

pub const MAX_SUBJECTS: usize = 20;

fn not_found() -> ApiError {
    ApiError::not_found("resource")
}

fn kind(raw: &str) -> ApiResult<String> {
    match raw {
        k @ ("room" | "equipment" | "vehicle") => Ok(k.to_string()),
        _ => Err(ApiError::validation(
            "kind",
            "expected room, equipment or vehicle",
        )),
    }
}

fn capacity(c: Option<i64>) -> ApiResult<Option<i64>> {
    match c {
        Some(n) if !(1..=100_000).contains(&n) => {
            Err(ApiError::validation("capacity", "must be 1 to 100,000"))
        }
        c => Ok(c),
    }
}

/// A resource to create, or the fields of a change (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct ResourceInput {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub capacity: Option<Option<i64>>,
    pub location: Option<String>,
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn create(state: &AppState, p: &Principal, i: ResourceInput) -> ApiResult<ResourceRow> {
    let g = state.authz.require(p, perm::MEETINGS_MANAGE).await?;
    let now = now_ms();
    let r = ResourceRow {
        id: new_id(),
        name: crate::http::validate::text("name", i.name.as_deref().unwrap_or(""), 200)?,
        kind: kind(i.kind.as_deref().unwrap_or("room"))?,
        capacity: capacity(i.capacity.flatten())?,
        location: crate::http::validate::optional_text("location", i.location.as_deref(), 500)?
            .unwrap_or_default(),
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.db.begin().await?;
    store::resources::insert(&mut tx, &p.tenant_id, &r).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("meeting_resource.created")
            .target("meeting_resource", &r.id)
            .details(json!({ "name": r.name, "kind": r.kind })),
    )
    .await?;
    tx.commit().await?;
    Ok(r)
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    i: ResourceInput,
) -> ApiResult<ResourceRow> {
    let g = state.authz.require(p, perm::MEETINGS_MANAGE).await?;
    if !is_id(id) {
        return Err(not_found());
    }
    let mut tx = state.db.begin().await?;
    let mut r = store::resources::lock(&mut tx, state.db.backend, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    if let Some(n) = &i.name {
        r.name = crate::http::validate::text("name", n, 200)?;
    }
    if let Some(k) = &i.kind {
        r.kind = kind(k)?;
    }
    if let Some(c) = i.capacity {
        r.capacity = capacity(c)?;
    }
    if let Some(l) = &i.location {
        r.location =
            crate::http::validate::optional_text("location", Some(l), 500)?.unwrap_or_default();
    }
    r.updated_at = now_ms();
    store::resources::update(&mut tx, &p.tenant_id, &r).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("meeting_resource.updated")
            .target("meeting_resource", &r.id),
    )
    .await?;
    tx.commit().await?;
    Ok(r)
}

/// Remove a resource that no meeting books from now on (409 otherwise).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn delete(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let g = state.authz.require(p, perm::MEETINGS_MANAGE).await?;
    if !is_id(id) {
        return Err(not_found());
    }
    let mut tx = state.db.begin().await?;
    let r = store::resources::lock(&mut tx, state.db.backend, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    if store::resources::booked_after(&mut tx, &p.tenant_id, id, now_ms()).await? {
        return Err(ApiError::conflict(
            Code::Conflict,
            "the resource is booked by meetings to come; take it off them first",
        ));
    }
    store::resources::delete(&mut tx, &p.tenant_id, id).await?;
    audit::record(
        &mut tx,
        g.principal()
            .audit("meeting_resource.deleted")
            .target("meeting_resource", &r.id)
            .details(json!({ "name": r.name })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list(state: &AppState, p: &Principal) -> ApiResult<Vec<ResourceRow>> {
    state.authz.require(p, perm::MEETINGS_USE).await?;
    let mut conn = state.db.conn().await?;
    Ok(store::resources::list(&mut conn, &p.tenant_id).await?)
}

pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<ResourceRow> {
    state.authz.require(p, perm::MEETINGS_USE).await?;
    if !is_id(id) {
        return Err(not_found());
    }
    let mut conn = state.db.conn().await?;
    store::resources::get(&mut conn, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)
}

/// Busy spans per person or resource id.
pub type BusyOf = Vec<(String, Vec<Busy>)>;

/// One busy span.
#[derive(Debug, Clone)]
pub struct Busy {
    pub start_at: i64,
    pub end_at: i64,
    /// Only when the caller organises or attends the meeting.
    pub meeting_id: Option<String>,
    /// For the caller's own meetings, and for meetings whose visibility is `public`.
    pub title: Option<String>,
}

/// The busy spans of people and resources in `[from, to)` (at most 20 subjects, 366 days).
/// A person is busy during the meetings they organise or attend (now) and have not declined;
/// the caller sees a meeting's title only where they take part or it is public.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn free_busy(
    state: &AppState,
    p: &Principal,
    people: &[String],
    resources: &[String],
    from: i64,
    to: i64,
) -> ApiResult<(BusyOf, BusyOf)> {
    state.authz.require(p, perm::MEETINGS_USE).await?;
    occurrences::range(from, to)?;
    if people.len() + resources.len() > MAX_SUBJECTS {
        return Err(ApiError::validation(
            "user_id",
            format!("at most {MAX_SUBJECTS} people and resources"),
        ));
    }
    if people.is_empty() && resources.is_empty() {
        return Err(ApiError::validation(
            "user_id",
            "name at least one person (`user_id`) or resource (`resource_id`)",
        ));
    }
    let mut conn = state.db.conn().await?;
    let my_tokens = audience::tokens_of(&mut conn, &p.tenant_id, &p.user_id).await?;
    let mut out_people = Vec::new();
    for u in people {
        if !is_id(u)
            || crate::users::service::find(&mut conn, &p.tenant_id, u)
                .await?
                .is_none()
        {
            return Err(ApiError::not_found("person"));
        }
        let tokens = audience::tokens_of(&mut conn, &p.tenant_id, u).await?;
        let ms = store::for_person(&mut conn, &p.tenant_id, u, &tokens, from, to).await?;
        let occ = occurrences::occurrences_of(
            &mut conn,
            &p.tenant_id,
            u,
            &ms,
            from,
            to,
            service::MAX_OCCURRENCES,
            true,
        )
        .await?;
        let mut busy = Vec::new();
        for o in occ {
            if o.my_status.as_deref() == Some("declined") {
                continue;
            }
            let Some(m) = ms.iter().find(|m| m.id == o.meeting_id) else {
                continue;
            };
            let mine = m.organiser_id == p.user_id
                || store::addressed_to(&mut conn, &p.tenant_id, &m.id, &my_tokens).await?;
            busy.push(Busy {
                start_at: o.start_at,
                end_at: o.end_at,
                meeting_id: mine.then(|| m.id.clone()),
                title: (mine || m.visibility == "public")
                    .then_some(o.title)
                    .flatten(),
            });
        }
        out_people.push((u.clone(), busy));
    }
    let mut out_res = Vec::new();
    for r in resources {
        if !is_id(r)
            || store::resources::get(&mut conn, &p.tenant_id, r)
                .await?
                .is_none()
        {
            return Err(ApiError::not_found("resource"));
        }
        let slots = store::resources::overlapping(&mut conn, &p.tenant_id, r, "", from, to).await?;
        let mut busy = Vec::new();
        for s in slots.into_iter().take(service::MAX_OCCURRENCES) {
            let m = store::get(&mut conn, &p.tenant_id, &s.meeting_id).await?;
            let role = match &m {
                Some(m) => service::role_of(&mut conn, &p.tenant_id, &p.user_id, m).await?,
                None => None,
            };
            let public = m.as_ref().is_some_and(|m| m.visibility == "public");
            busy.push(Busy {
                start_at: s.start_at,
                end_at: s.end_at,
                meeting_id: role.map(|_: Role| s.meeting_id.clone()),
                title: m.filter(|_| role.is_some() || public).map(|m| m.title),
            });
        }
        out_res.push((r.clone(), busy));
    }
    Ok((out_people, out_res))
}
