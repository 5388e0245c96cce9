//! A room's or space's own retention periods (overrides): who may set them, checking them,
//! previewing what they would remove in that container alone, and setting them.

use super::{
    service::{
        check_days, class_named, name_containers, switches, ClassDays, ClassPreview, Context,
        Preview, DAY_MS, MAX_DAYS,
    },
    store::{self, OverrideRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::perm,
    db::now_ms,
    error::{ApiError, ApiResult},
    lifecycle::{Container, Selection},
    AppState,
};
use std::collections::HashMap;

/// Every override of the tenant (`retention.manage`).
pub async fn overrides(state: &AppState, p: &Principal) -> ApiResult<Vec<OverrideRow>> {
    state.authz.require(p, perm::RETENTION_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    Ok(store::overrides(&mut conn, &p.tenant_id, None).await?)
}

/// Who may change a container's periods: `retention.manage` (any period within the class's
/// bounds), or its owner (a room's owner, a space's manager) when the tenant lets owners,
/// with periods no shorter than the tenant's minimum. The container must exist (404).
async fn govern(
    state: &AppState,
    p: &Principal,
    kind: Container,
    id: &str,
) -> ApiResult<Option<i64>> {
    let manages = state
        .authz
        .permissions(p)
        .await?
        .contains(perm::RETENTION_MANAGE);
    let owns = state
        .lifecycle
        .container(state, &p.tenant_id, kind, id, &p.user_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found(kind.as_str()))?;
    if manages {
        return Ok(None);
    }
    let min = {
        let mut conn = state.db.conn().await?;
        switches(&mut conn, &p.tenant_id).await?.owner_min_days
    };
    match (owns, min) {
        (true, Some(m)) => Ok(Some(m)),
        _ => Err(ApiError::forbidden(perm::RETENTION_MANAGE)),
    }
}

/// Check proposed periods for a room or space: the container exists and the asker governs it
/// (`retention.manage`, or owning the room / managing the space within the owners' minimum),
/// each class has per-container periods of that kind, and the days are allowed.
async fn check_override(
    state: &AppState,
    p: &Principal,
    kind: &str,
    id: &str,
    set: &[ClassDays],
    reset: &[String],
) -> ApiResult<Container> {
    let kind = Container::parse(kind).ok_or_else(|| ApiError::not_found("container"))?;
    let owner_min = govern(state, p, kind, id).await?;
    for (i, s) in set.iter().enumerate() {
        let c = class_named(state, &s.class, &format!("set[{i}].class"))?;
        if c.container != Some(kind) {
            return Err(ApiError::validation(
                &format!("set[{i}].class"),
                format!("`{}` has no per-{} periods", c.name, kind.as_str()),
            ));
        }
        check_days(state, c, s.days, &format!("set[{i}].days"))?;
        if let Some(m) = owner_min {
            if s.days.is_none_or(|d| d < m) {
                return Err(ApiError::validation(
                    &format!("set[{i}].days"),
                    format!("owners may set {m} to {MAX_DAYS} days"),
                ));
            }
        }
    }
    for (i, r) in reset.iter().enumerate() {
        class_named(state, r, &format!("reset[{i}]"))?;
    }
    Ok(kind)
}

/// What the next run would remove in one room or space under proposed periods (`set` and
/// `reset`, as for [`set_overrides`]), counted without saving anything: each class of that
/// kind of container, measured in that container alone. Needs what setting them needs.
pub async fn preview_override(
    state: &AppState,
    p: &Principal,
    kind: &str,
    id: &str,
    set: Vec<ClassDays>,
    reset: Vec<String>,
) -> ApiResult<Preview> {
    let kind = check_override(state, p, kind, id, &set, &reset).await?;
    let ctx = {
        let mut conn = state.db.conn().await?;
        Context::load(&mut conn, &p.tenant_id).await?
    };
    let as_of = now_ms();
    let cutoff = |d: Option<i64>| d.map(|d| as_of.saturating_sub(d.saturating_mul(DAY_MS)));
    let mut classes = Vec::new();
    for c in state
        .lifecycle
        .classes()
        .filter(|c| c.container == Some(kind))
    {
        let current = ctx
            .overrides
            .iter()
            .find(|o| {
                o.class == c.name && o.container_kind == kind.as_str() && o.container_id == id
            })
            .map(|o| o.days);
        let days = match set.iter().find(|s| s.class == c.name) {
            Some(s) => s.days,
            None if reset.iter().any(|r| r == c.name) => ctx.days(state, c, None),
            None => current.unwrap_or_else(|| ctx.days(state, c, None)),
        };
        // Nothing is due outside the container; inside it, what `days` makes due.
        let sel = Selection {
            tenant_id: ctx.tenant_id.clone(),
            class: c.name,
            cutoff: None,
            overrides: vec![(id.to_string(), cutoff(days))],
            holds: ctx.holds.clone(),
            exempt_pinned: ctx.switches.exempt_pinned,
        };
        let measure = state
            .lifecycle
            .measure(state, &sel)
            .await
            .map_err(ApiError::internal)?;
        classes.push(ClassPreview {
            class: c,
            days,
            measure,
        });
    }
    let mut out = Preview {
        as_of,
        classes,
        holds: ctx.holds,
        names: HashMap::new(),
    };
    name_containers(state, &p.tenant_id, &mut out).await?;
    Ok(out)
}

/// Set (or with `reset`, remove) a room's or space's own periods; its overrides after.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, kind = %kind, id = %id))]
pub async fn set_overrides(
    state: &AppState,
    p: &Principal,
    kind: &str,
    id: &str,
    set: Vec<ClassDays>,
    reset: Vec<String>,
) -> ApiResult<Vec<OverrideRow>> {
    let kind = check_override(state, p, kind, id, &set, &reset).await?;
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    for s in &set {
        let o = OverrideRow {
            container_kind: kind.as_str().into(),
            container_id: id.into(),
            class: s.class.clone(),
            days: s.days,
            updated_by: p.user_id.clone(),
            updated_at: now,
        };
        store::set_override(&mut tx, &p.tenant_id, &o).await?;
    }
    for r in &reset {
        store::delete_overrides(&mut tx, &p.tenant_id, kind.as_str(), id, Some(r)).await?;
    }
    let set_json: serde_json::Map<String, serde_json::Value> = set
        .iter()
        .map(|s| (s.class.clone(), serde_json::json!(s.days)))
        .collect();
    audit::record(
        &mut tx,
        p.audit("retention.override_changed")
            .target(kind.as_str(), id)
            .details(serde_json::json!({ "set": set_json, "reset": reset })),
    )
    .await?;
    let rows = store::overrides_of(&mut tx, &p.tenant_id, kind.as_str(), id).await?;
    tx.commit().await?;
    Ok(rows)
}
