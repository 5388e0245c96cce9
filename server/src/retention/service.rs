//! Retention policy: a tenant's period per data class, its switches, the overrides per room and
//! team space; what a run applies ([`Context::selection`]) and what it would remove
//! ([`preview`]).

use super::store::{self, OverrideRow};
use crate::{
    audit,
    authn::Principal,
    authz::{perm, Granted},
    db::now_ms,
    error::{ApiError, ApiResult, Code},
    lifecycle::{holds::Hold, Container, DataClass, Find, Measure, Named, Selection},
    AppState,
};
use sqlx::AnyConnection;
use std::collections::HashMap;

pub const DAY_MS: i64 = 24 * 3600 * 1000;
/// The longest period a tenant may set (a hundred years; longer is "keep forever").
pub const MAX_DAYS: i64 = 36_500;
/// Items a policy may remove before saving it needs the previewed count confirmed.
pub const DEFAULT_CONFIRM_THRESHOLD: i64 = 1000;

/// A tenant's switches.
#[derive(Debug, Clone, Copy)]
pub struct Switches {
    /// Pinned messages are kept whatever the policy.
    pub exempt_pinned: bool,
    /// Room owners and space managers may set their own periods, no shorter than this
    /// (`None`: they may not).
    pub owner_min_days: Option<i64>,
    pub confirm_threshold: i64,
}

impl Default for Switches {
    fn default() -> Self {
        Switches {
            exempt_pinned: false,
            owner_min_days: None,
            confirm_threshold: DEFAULT_CONFIRM_THRESHOLD,
        }
    }
}

/// One class as a tenant has it.
#[derive(Debug, Clone)]
pub struct ClassPolicy {
    pub class: &'static DataClass,
    /// `None`: kept forever.
    pub days: Option<i64>,
    /// The class's default applies (the tenant set nothing).
    pub is_default: bool,
    pub default_days: Option<i64>,
    pub min_days: i64,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub classes: Vec<ClassPolicy>,
    pub switches: Switches,
}

/// A period to set for one class (`days: None` keeps forever).
#[derive(Debug, Clone)]
pub struct ClassDays {
    pub class: String,
    pub days: Option<i64>,
}

/// A change to a tenant's policy: classes to set, classes back to their default, switches.
#[derive(Debug, Clone, Default)]
pub struct PolicyChange {
    pub set: Vec<ClassDays>,
    pub reset: Vec<String>,
    pub exempt_pinned: Option<bool>,
    /// 0: owners may not set periods.
    pub owner_min_days: Option<i64>,
    pub confirm_threshold: Option<i64>,
    /// The item count of the preview the admin reviewed (needed above the threshold).
    pub confirm_items: Option<u64>,
}

/// A tenant's own periods, class by class (`None`: kept forever); a class it has not set keeps
/// its default and is not listed.
pub async fn periods(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<(String, Option<i64>)>, sqlx::Error> {
    store::policies(conn, tenant_id).await
}

/// Everything a tenant's runs and previews read, loaded once.
pub struct Context {
    pub tenant_id: String,
    policies: HashMap<String, Option<i64>>,
    pub(super) overrides: Vec<OverrideRow>,
    pub switches: Switches,
    pub holds: Vec<Hold>,
}

impl Context {
    pub async fn load(conn: &mut AnyConnection, tenant_id: &str) -> Result<Context, sqlx::Error> {
        Ok(Context {
            tenant_id: tenant_id.to_string(),
            policies: periods(&mut *conn, tenant_id).await?.into_iter().collect(),
            overrides: store::overrides(&mut *conn, tenant_id, None).await?,
            switches: switches(&mut *conn, tenant_id).await?,
            holds: crate::lifecycle::holds::active(conn, tenant_id).await?,
        })
    }

    /// The tenant's period for a class (`None`: forever), with a proposed change applied.
    pub fn days(
        &self,
        state: &AppState,
        c: &DataClass,
        change: Option<&PolicyChange>,
    ) -> Option<i64> {
        if let Some(ch) = change {
            if let Some(s) = ch.set.iter().find(|s| s.class == c.name) {
                return s.days;
            }
            if ch.reset.iter().any(|r| r == c.name) {
                return (c.default_days)(&state.cfg);
            }
        }
        match self.policies.get(c.name) {
            Some(d) => *d,
            None => (c.default_days)(&state.cfg),
        }
    }

    /// What a run at `as_of` applies to a class.
    pub fn selection(
        &self,
        state: &AppState,
        c: &'static DataClass,
        as_of: i64,
        change: Option<&PolicyChange>,
    ) -> Selection {
        let cutoff = |d: Option<i64>| d.map(|d| as_of.saturating_sub(d.saturating_mul(DAY_MS)));
        let overrides = match c.container {
            Some(kind) => self
                .overrides
                .iter()
                .filter(|o| o.class == c.name && o.container_kind == kind.as_str())
                .map(|o| (o.container_id.clone(), cutoff(o.days)))
                .collect(),
            None => Vec::new(),
        };
        Selection {
            tenant_id: self.tenant_id.clone(),
            class: c.name,
            cutoff: cutoff(self.days(state, c, change)),
            overrides,
            holds: self.holds.clone(),
            exempt_pinned: change
                .and_then(|c| c.exempt_pinned)
                .unwrap_or(self.switches.exempt_pinned),
        }
    }
}

pub(super) async fn switches(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Switches, sqlx::Error> {
    Ok(match store::settings(conn, tenant_id).await? {
        Some((pinned, owner, threshold)) => Switches {
            exempt_pinned: pinned != 0,
            owner_min_days: owner,
            confirm_threshold: threshold,
        },
        None => Switches::default(),
    })
}

/// The period that applies to a class in a container (its override, else the tenant's
/// policy, else the class's default); `None`: kept forever. For features that show when
/// something goes (the trash).
pub async fn period(
    state: &AppState,
    conn: &mut AnyConnection,
    tenant_id: &str,
    class: &str,
    container: Option<(Container, &str)>,
) -> ApiResult<Option<i64>> {
    let c = state
        .lifecycle
        .class(class)
        .ok_or_else(|| ApiError::internal(format!("no data class `{class}`")))?;
    if let Some((kind, id)) = container {
        if let Some(o) = store::overrides_of(&mut *conn, tenant_id, kind.as_str(), id)
            .await?
            .into_iter()
            .find(|o| o.class == class)
        {
            return Ok(o.days);
        }
    }
    let ctx = Context {
        tenant_id: tenant_id.to_string(),
        policies: store::policies(conn, tenant_id)
            .await?
            .into_iter()
            .collect(),
        overrides: Vec::new(),
        switches: Switches::default(),
        holds: Vec::new(),
    };
    Ok(ctx.days(state, c, None))
}

fn min_days(state: &AppState, c: &DataClass) -> i64 {
    (c.min_days)(&state.cfg).max(0)
}

/// The tenant's policy (`retention.manage`).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn policy(state: &AppState, p: &Principal) -> ApiResult<Policy> {
    let g = state.authz.require(p, perm::RETENTION_MANAGE).await?;
    load_policy(state, &g).await
}

async fn load_policy(state: &AppState, g: &Granted<'_>) -> ApiResult<Policy> {
    let tenant_id = &g.principal().tenant_id;
    let mut conn = state.db.conn().await?;
    let ctx = Context::load(&mut conn, tenant_id).await?;
    let classes = state
        .lifecycle
        .classes()
        .map(|c| ClassPolicy {
            class: c,
            days: ctx.days(state, c, None),
            is_default: !ctx.policies.contains_key(c.name),
            default_days: (c.default_days)(&state.cfg),
            min_days: min_days(state, c),
        })
        .collect();
    Ok(Policy {
        classes,
        switches: ctx.switches,
    })
}

/// Check a period for a class; a 422 naming `field`.
pub(super) fn check_days(
    state: &AppState,
    c: &DataClass,
    days: Option<i64>,
    field: &str,
) -> ApiResult<()> {
    let Some(d) = days else { return Ok(()) };
    let min = min_days(state, c);
    if d < min || d > MAX_DAYS {
        let why = if c.name == "audit_entries" && d >= 0 {
            format!("the install keeps audit entries at least {min} days")
        } else {
            format!("{min} to {MAX_DAYS} days, or null to keep forever")
        };
        return Err(ApiError::validation(field, why));
    }
    Ok(())
}

pub(super) fn class_named(
    state: &AppState,
    name: &str,
    field: &str,
) -> ApiResult<&'static DataClass> {
    state
        .lifecycle
        .class(name)
        .ok_or_else(|| ApiError::validation(field, format!("unknown data class `{name}`")))
}

/// Validate a change: every class known, every period within bounds.
pub fn validate(state: &AppState, ch: &PolicyChange) -> ApiResult<()> {
    for (i, s) in ch.set.iter().enumerate() {
        let c = class_named(state, &s.class, &format!("set[{i}].class"))?;
        check_days(state, c, s.days, &format!("set[{i}].days"))?;
    }
    for (i, r) in ch.reset.iter().enumerate() {
        class_named(state, r, &format!("reset[{i}]"))?;
    }
    if ch
        .owner_min_days
        .is_some_and(|d| !(0..=MAX_DAYS).contains(&d))
    {
        return Err(ApiError::validation(
            "owner_min_days",
            format!("0 (owners may not set periods) to {MAX_DAYS} days"),
        ));
    }
    if ch.confirm_threshold.is_some_and(|t| t < 0) {
        return Err(ApiError::validation("confirm_threshold", "0 or more items"));
    }
    Ok(())
}

/// What a run would remove from one class.
#[derive(Debug, Clone)]
pub struct ClassPreview {
    pub class: &'static DataClass,
    pub days: Option<i64>,
    pub measure: Measure,
}

#[derive(Debug, Clone)]
pub struct Preview {
    pub as_of: i64,
    pub classes: Vec<ClassPreview>,
    /// The tenant's active holds (names for the held counts).
    pub holds: Vec<Hold>,
    /// Room and space names by id, for the per-container rows (filled for previews shown to
    /// people, not for runs).
    pub names: HashMap<String, String>,
}

impl Preview {
    pub fn items(&self) -> u64 {
        self.classes.iter().map(|c| c.measure.items).sum()
    }
}

/// What the next run would remove, under the current policy or a proposed change
/// (`retention.manage`).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn preview(
    state: &AppState,
    p: &Principal,
    change: Option<&PolicyChange>,
) -> ApiResult<Preview> {
    let g = state.authz.require(p, perm::RETENTION_MANAGE).await?;
    if let Some(ch) = change {
        validate(state, ch)?;
    }
    let tenant_id = &g.principal().tenant_id;
    let mut out = measure_all(state, tenant_id, now_ms(), change).await?;
    name_containers(state, tenant_id, &mut out).await?;
    Ok(out)
}

/// Measure every class of a tenant at `as_of`.
pub async fn measure_all(
    state: &AppState,
    tenant_id: &str,
    as_of: i64,
    change: Option<&PolicyChange>,
) -> ApiResult<Preview> {
    let ctx = {
        let mut conn = state.db.conn().await?;
        Context::load(&mut conn, tenant_id).await?
    };
    let mut classes = Vec::new();
    for c in state.lifecycle.classes() {
        let sel = ctx.selection(state, c, as_of, change);
        let measure = state
            .lifecycle
            .measure(state, &sel)
            .await
            .map_err(ApiError::internal)?;
        classes.push(ClassPreview {
            class: c,
            days: ctx.days(state, c, change),
            measure,
        });
    }
    Ok(Preview {
        as_of,
        classes,
        holds: ctx.holds,
        names: HashMap::new(),
    })
}

/// Name the rooms and spaces a preview lists (the first 100 of each class).
pub(super) async fn name_containers(
    state: &AppState,
    tenant_id: &str,
    p: &mut Preview,
) -> ApiResult<()> {
    for kind in [Container::Room, Container::Space] {
        let ids: Vec<String> = p
            .classes
            .iter()
            .filter(|c| c.class.container == Some(kind))
            .flat_map(|c| c.measure.containers.iter().take(100).map(|x| x.0.clone()))
            .filter(|id| !p.names.contains_key(id))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if ids.is_empty() {
            continue;
        }
        let named = state
            .lifecycle
            .containers(state, tenant_id, kind, Find::Ids(&ids))
            .await
            .map_err(ApiError::internal)?;
        p.names.extend(named.into_iter().map(|n| (n.id, n.name)));
    }
    Ok(())
}

/// The tenant's rooms or spaces by name (every one), for picking one to override or hold.
/// Needs `retention.manage`.
pub async fn containers(
    state: &AppState,
    p: &Principal,
    kind: &str,
    q: Option<&str>,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> ApiResult<(Vec<Named>, Option<String>)> {
    state.authz.require(p, perm::RETENTION_MANAGE).await?;
    let kind = Container::parse(kind)
        .ok_or_else(|| ApiError::validation("kind", "either room or space"))?;
    let limit = crate::http::pagination::limit(limit)?;
    let after = crate::http::pagination::decode(cursor)?;
    let rows = state
        .lifecycle
        .search_containers(
            state,
            &p.tenant_id,
            kind,
            q.unwrap_or(""),
            after.as_deref().unwrap_or(""),
            usize::try_from(limit + 1).unwrap_or(usize::MAX),
        )
        .await
        .map_err(ApiError::internal)?;
    Ok(crate::http::pagination::page(rows, limit, |r| r.id.clone()))
}

/// Change the tenant's policy (`retention.manage`). A change that would remove more items than
/// the tenant's threshold needs `confirm_items` of at least the previewed count: 409
/// `confirmation_required` otherwise, naming the count.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn set_policy(state: &AppState, p: &Principal, ch: PolicyChange) -> ApiResult<Policy> {
    let g = state.authz.require(p, perm::RETENTION_MANAGE).await?;
    validate(state, &ch)?;
    let tenant_id = g.principal().tenant_id.clone();
    let current = {
        let mut conn = state.db.conn().await?;
        switches(&mut conn, &tenant_id).await?
    };
    let threshold = ch.confirm_threshold.unwrap_or(current.confirm_threshold);
    let removes = measure_all(state, &tenant_id, now_ms(), Some(&ch))
        .await?
        .items();
    if removes > u64::try_from(threshold).unwrap_or(0)
        && ch.confirm_items.is_none_or(|c| c < removes)
    {
        return Err(ApiError::conflict(
            Code::ConfirmationRequired,
            format!(
                "this policy removes {removes} items at the next run (more than {threshold}); \
                 review POST /retention/preview and send confirm_items = {removes}"
            ),
        )
        .with_field("confirm_items"));
    }
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    for s in &ch.set {
        store::set_policy(&mut tx, &tenant_id, &s.class, s.days, &p.user_id, now).await?;
    }
    for r in &ch.reset {
        store::reset_policy(&mut tx, &tenant_id, r).await?;
    }
    let sw = Switches {
        exempt_pinned: ch.exempt_pinned.unwrap_or(current.exempt_pinned),
        owner_min_days: match ch.owner_min_days {
            Some(0) => None,
            Some(d) => Some(d),
            None => current.owner_min_days,
        },
        confirm_threshold: threshold,
    };
    store::set_settings(
        &mut tx,
        &tenant_id,
        sw.exempt_pinned,
        sw.owner_min_days,
        sw.confirm_threshold,
    )
    .await?;
    let set: serde_json::Map<String, serde_json::Value> = ch
        .set
        .iter()
        .map(|s| (s.class.clone(), serde_json::json!(s.days)))
        .collect();
    audit::record(
        &mut tx,
        p.audit("retention.policy_changed")
            .target("tenant", &tenant_id)
            .details(serde_json::json!({
                "set": set, "reset": ch.reset, "exempt_pinned": sw.exempt_pinned,
                "owner_min_days": sw.owner_min_days, "confirm_threshold": sw.confirm_threshold,
                "removes_at_next_run": removes,
            })),
    )
    .await?;
    tx.commit().await?;
    load_policy(state, &g).await
}
