//! Creating, changing and releasing legal holds (`retention.manage`), each audited; listing
//! them with the items they protect. The holds and the check every deletion makes are the
//! lifecycle's ([`crate::lifecycle::holds`]).

use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::{is_id, new_id, now_ms},
    error::{ApiError, ApiResult},
    lifecycle::{holds, holds::Hold, Container, Selection},
    users, AppState,
};

/// What a hold is and covers, as asked for.
#[derive(Debug, Clone, Default)]
pub struct HoldSpec {
    pub name: String,
    pub reason: String,
    pub people: Vec<String>,
    pub rooms: Vec<String>,
    pub spaces: Vec<String>,
    pub from_at: Option<i64>,
    pub until_at: Option<i64>,
}

/// Items a hold protects, per data class.
pub type Protected = Vec<(&'static str, u64)>;

async fn check(state: &AppState, p: &Principal, s: &mut HoldSpec) -> ApiResult<()> {
    s.name = s.name.trim().to_string();
    if s.name.is_empty() || s.name.chars().count() > 200 {
        return Err(ApiError::validation("name", "1 to 200 characters"));
    }
    if s.reason.trim().is_empty() || s.reason.chars().count() > 2000 {
        return Err(ApiError::validation("reason", "1 to 2000 characters"));
    }
    if s.people.is_empty() && s.rooms.is_empty() && s.spaces.is_empty() {
        return Err(ApiError::validation(
            "people",
            "a hold needs at least one person, room or space",
        ));
    }
    if let (Some(f), Some(u)) = (s.from_at, s.until_at) {
        if f >= u {
            return Err(ApiError::validation("until", "must be after `from`"));
        }
    }
    for v in [&mut s.people, &mut s.rooms, &mut s.spaces] {
        v.sort();
        v.dedup();
    }
    if s.people.len() + s.rooms.len() + s.spaces.len() > 1000 {
        return Err(ApiError::validation(
            "people",
            "at most 1000 people, rooms and spaces",
        ));
    }
    let mut conn = state.db.conn().await?;
    for (i, u) in s.people.iter().enumerate() {
        if users::service::load(&mut conn, &p.tenant_id, u)
            .await
            .is_err()
        {
            return Err(ApiError::validation(
                &format!("people[{i}]"),
                "no such person",
            ));
        }
    }
    drop(conn);
    for (field, kind, ids) in [
        ("rooms", Container::Room, &s.rooms),
        ("spaces", Container::Space, &s.spaces),
    ] {
        for (i, id) in ids.iter().enumerate() {
            let known = is_id(id)
                && state
                    .lifecycle
                    .container(state, &p.tenant_id, kind, id, &p.user_id)
                    .await
                    .map_err(ApiError::internal)?
                    .is_some();
            if !known {
                return Err(ApiError::validation(
                    &format!("{field}[{i}]"),
                    format!("no such {}", kind.as_str()),
                ));
            }
        }
    }
    Ok(())
}

fn details(h: &Hold) -> serde_json::Value {
    serde_json::json!({
        "name": h.name, "reason": h.reason, "people": h.people, "rooms": h.rooms,
        "spaces": h.spaces, "from_at": h.from_at, "until_at": h.until_at,
    })
}

/// Place a hold.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn create(state: &AppState, p: &Principal, mut s: HoldSpec) -> ApiResult<Hold> {
    state.authz.require(p, perm::RETENTION_MANAGE).await?;
    check(state, p, &mut s).await?;
    let now = now_ms();
    let h = Hold {
        id: new_id(),
        name: s.name,
        reason: s.reason,
        from_at: s.from_at,
        until_at: s.until_at,
        people: s.people,
        rooms: s.rooms,
        spaces: s.spaces,
        created_by: p.user_id.clone(),
        created_at: now,
        updated_at: now,
        released_at: None,
        released_by: None,
    };
    let mut tx = state.db.begin().await?;
    holds::insert(&mut tx, &p.tenant_id, &h).await?;
    audit::record(
        &mut tx,
        p.audit("legal_hold.created")
            .target("legal_hold", &h.id)
            .details(details(&h)),
    )
    .await?;
    tx.commit().await?;
    Ok(h)
}

async fn load(state: &AppState, p: &Principal, id: &str) -> ApiResult<Hold> {
    if !is_id(id) {
        return Err(ApiError::not_found("legal hold"));
    }
    let mut conn = state.db.conn().await?;
    holds::get(&mut conn, &p.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("legal hold"))
}

/// Change an active hold's name, reason, range and scope.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, hold_id = %id))]
pub async fn update(state: &AppState, p: &Principal, id: &str, mut s: HoldSpec) -> ApiResult<Hold> {
    state.authz.require(p, perm::RETENTION_MANAGE).await?;
    let mut h = load(state, p, id).await?;
    if h.released_at.is_some() {
        return Err(ApiError::conflict(
            crate::error::Code::Conflict,
            "the hold was released; place a new one",
        ));
    }
    check(state, p, &mut s).await?;
    h.name = s.name;
    h.reason = s.reason;
    h.people = s.people;
    h.rooms = s.rooms;
    h.spaces = s.spaces;
    h.from_at = s.from_at;
    h.until_at = s.until_at;
    h.updated_at = now_ms();
    let mut tx = state.db.begin().await?;
    holds::update(&mut tx, &p.tenant_id, &h).await?;
    audit::record(
        &mut tx,
        p.audit("legal_hold.changed")
            .target("legal_hold", &h.id)
            .details(details(&h)),
    )
    .await?;
    tx.commit().await?;
    Ok(h)
}

/// Release a hold: what it covered follows the retention policy again from the next run.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, hold_id = %id))]
pub async fn release(state: &AppState, p: &Principal, id: &str) -> ApiResult<Hold> {
    state.authz.require(p, perm::RETENTION_MANAGE).await?;
    let h = load(state, p, id).await?;
    let mut tx = state.db.begin().await?;
    if holds::release(&mut tx, &p.tenant_id, &h.id, &p.user_id, now_ms()).await? {
        audit::record(
            &mut tx,
            p.audit("legal_hold.released")
                .target("legal_hold", &h.id)
                .details(serde_json::json!({ "name": h.name })),
        )
        .await?;
    }
    tx.commit().await?;
    load(state, p, id).await
}

/// Every hold, newest first.
pub async fn list(state: &AppState, p: &Principal) -> ApiResult<Vec<Hold>> {
    state.authz.require(p, perm::RETENTION_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    Ok(holds::all(&mut conn, &p.tenant_id).await?)
}

/// One hold with the items it protects now, per data class (whatever their age).
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<(Hold, Protected)> {
    state.authz.require(p, perm::RETENTION_MANAGE).await?;
    let h = load(state, p, id).await?;
    let protected = protected(state, &p.tenant_id, &h).await?;
    Ok((h, protected))
}

/// Items in a hold's scope, per class: everything it would keep back if all were due.
pub async fn protected(state: &AppState, tenant_id: &str, h: &Hold) -> ApiResult<Protected> {
    let mut out = Vec::new();
    for c in state.lifecycle.classes() {
        let sel = Selection {
            tenant_id: tenant_id.to_string(),
            class: c.name,
            cutoff: Some(i64::MAX),
            overrides: Vec::new(),
            holds: vec![h.clone()],
            exempt_pinned: false,
        };
        let n = state
            .lifecycle
            .held(state, &sel)
            .await
            .map_err(ApiError::internal)?;
        if let Some((_, n)) = n.into_iter().next() {
            out.push((c.name, n));
        }
    }
    Ok(out)
}
