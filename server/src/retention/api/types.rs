//! The types `/retention` reads and answers, and their conversions from the service's values.

use super::super::{
    holds::{HoldSpec, Protected},
    service::{self, ClassDays, PolicyChange},
    store::{OverrideRow, RunRow},
};
use crate::{db::rfc3339, error::ApiResult, http::instant_param, lifecycle::holds::Hold};
use poem_openapi::{payload::Json, ApiResponse, Object};

/// One data class and the tenant's period for it.
#[derive(Debug, Object)]
pub struct RetentionClass {
    /// Stable name, e.g. `messages_channel`, `document_versions`, `audit_entries`.
    pub class: String,
    /// The feature that keeps it.
    pub feature: String,
    pub description: String,
    /// Days kept; `null`: kept forever.
    pub days: Option<i64>,
    /// The class's default applies (the tenant set nothing).
    pub is_default: bool,
    pub default_days: Option<i64>,
    /// The shortest period the tenant may set.
    pub min_days: i64,
    /// `room` or `space` when rooms or spaces may have their own period.
    pub per: Option<String>,
}

#[derive(Debug, Object)]
pub struct RetentionPolicy {
    pub classes: Vec<RetentionClass>,
    /// Pinned messages are kept whatever the policy.
    pub exempt_pinned: bool,
    /// Room owners and space managers may set their own periods, no shorter than this; `null`:
    /// they may not.
    pub owner_min_days: Option<i64>,
    /// Saving a policy that removes more items than this needs `confirm_items`.
    pub confirm_threshold: i64,
}

/// A period for one class; `days: null` keeps forever.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ClassPeriod {
    pub class: String,
    pub days: Option<i64>,
}

/// A change to the policy (also the proposal a preview measures: `{}` is the current policy).
#[derive(Debug, Object, Default)]
#[oai(deny_unknown_fields)]
pub struct PolicyInput {
    /// Classes to give a period.
    #[oai(default)]
    pub set: Vec<ClassPeriod>,
    /// Classes to return to their default.
    #[oai(default)]
    pub reset: Vec<String>,
    pub exempt_pinned: Option<bool>,
    /// 0: owners may not set periods.
    pub owner_min_days: Option<i64>,
    pub confirm_threshold: Option<i64>,
    /// The item count of the preview reviewed; needed when the change removes more items than
    /// the threshold.
    pub confirm_items: Option<u64>,
}

impl From<PolicyInput> for PolicyChange {
    fn from(b: PolicyInput) -> Self {
        PolicyChange {
            set: b.set.into_iter().map(periods).collect(),
            reset: b.reset,
            exempt_pinned: b.exempt_pinned,
            owner_min_days: b.owner_min_days,
            confirm_threshold: b.confirm_threshold,
            confirm_items: b.confirm_items,
        }
    }
}

pub(super) fn periods(c: ClassPeriod) -> ClassDays {
    ClassDays {
        class: c.class,
        days: c.days,
    }
}

pub(super) fn policy_out(p: service::Policy) -> RetentionPolicy {
    RetentionPolicy {
        classes: p
            .classes
            .into_iter()
            .map(|c| RetentionClass {
                class: c.class.name.into(),
                feature: c.class.feature.into(),
                description: c.class.description.into(),
                days: c.days,
                is_default: c.is_default,
                default_days: c.default_days,
                min_days: c.min_days,
                per: c.class.container.map(|k| k.as_str().to_string()),
            })
            .collect(),
        exempt_pinned: p.switches.exempt_pinned,
        owner_min_days: p.switches.owner_min_days,
        confirm_threshold: p.switches.confirm_threshold,
    }
}

/// What a run would remove in one room or space.
#[derive(Debug, Object)]
pub struct ContainerImpact {
    /// `room` or `space`.
    pub kind: String,
    pub id: String,
    /// The room's or space's name (`null`: gone since).
    pub name: Option<String>,
    pub items: u64,
    pub bytes: u64,
}

/// A room or space, for picking one to give its own periods or to hold.
#[derive(Debug, Object)]
pub struct RetentionContainer {
    /// `room` or `space`.
    pub kind: String,
    pub id: String,
    pub name: String,
}

#[derive(Debug, Object)]
pub struct RetentionContainerPage {
    pub items: Vec<RetentionContainer>,
    pub next_cursor: Option<String>,
}

/// What one legal hold keeps back.
#[derive(Debug, Object, serde::Deserialize)]
pub struct HeldImpact {
    pub hold_id: String,
    pub name: String,
    pub items: u64,
}

/// What a run would remove from one class.
#[derive(Debug, Object)]
pub struct ClassImpact {
    pub class: String,
    pub days: Option<i64>,
    pub items: u64,
    /// Bytes of content (message text); file bytes are reported by the run that releases them.
    pub bytes: u64,
    pub oldest: Option<String>,
    pub newest: Option<String>,
    /// The rooms or spaces with the most items to remove (at most 100).
    pub containers: Vec<ContainerImpact>,
    /// Rooms or spaces beyond those listed.
    pub more_containers: u64,
    pub held: Vec<HeldImpact>,
}

#[derive(Debug, Object)]
pub struct RetentionPreview {
    /// The instant ages were measured from.
    pub as_of: String,
    /// Items the next run would remove, all classes together.
    pub items: u64,
    pub classes: Vec<ClassImpact>,
}

pub(super) fn preview_out(p: service::Preview) -> RetentionPreview {
    let name = |id: &str| {
        p.holds
            .iter()
            .find(|h| h.id == id)
            .map(|h| h.name.clone())
            .unwrap_or_default()
    };
    RetentionPreview {
        as_of: rfc3339(p.as_of),
        items: p.items(),
        classes: p
            .classes
            .iter()
            .map(|c| {
                let kind = c.class.container.map(|k| k.as_str()).unwrap_or("");
                let m = &c.measure;
                ClassImpact {
                    class: c.class.name.into(),
                    days: c.days,
                    items: m.items,
                    bytes: m.bytes,
                    oldest: m.oldest.map(rfc3339),
                    newest: m.newest.map(rfc3339),
                    containers: m
                        .containers
                        .iter()
                        .take(100)
                        .map(|(id, items, bytes)| ContainerImpact {
                            kind: kind.into(),
                            id: id.clone(),
                            name: p.names.get(id).cloned(),
                            items: *items,
                            bytes: *bytes,
                        })
                        .collect(),
                    more_containers: m.containers.len().saturating_sub(100) as u64,
                    held: m
                        .held
                        .iter()
                        .map(|(id, items)| HeldImpact {
                            hold_id: id.clone(),
                            name: name(id),
                            items: *items,
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

/// A room's or space's own period for one class.
#[derive(Debug, Object)]
pub struct RetentionOverride {
    /// `room` or `space`.
    pub kind: String,
    pub id: String,
    pub class: String,
    /// `null`: kept forever.
    pub days: Option<i64>,
    pub updated_by: String,
    pub updated_at: String,
}

impl From<OverrideRow> for RetentionOverride {
    fn from(o: OverrideRow) -> Self {
        RetentionOverride {
            kind: o.container_kind,
            id: o.container_id,
            class: o.class,
            days: o.days,
            updated_by: o.updated_by,
            updated_at: rfc3339(o.updated_at),
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct OverrideInput {
    #[oai(default)]
    pub set: Vec<ClassPeriod>,
    /// Classes that follow the tenant's policy again.
    #[oai(default)]
    pub reset: Vec<String>,
}

/// Items a hold protects in one class.
#[derive(Debug, Object)]
pub struct ProtectedItems {
    pub class: String,
    pub items: u64,
}

/// A legal hold: while active, nothing in its scope is purged or deleted by hand.
#[derive(Debug, Object)]
pub struct LegalHold {
    pub id: String,
    pub name: String,
    pub reason: String,
    /// People: what they authored or own.
    pub people: Vec<String>,
    pub rooms: Vec<String>,
    pub spaces: Vec<String>,
    /// Only items from this instant on…
    pub from: Option<String>,
    /// …and before this one.
    pub until: Option<String>,
    pub active: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub released_at: Option<String>,
    pub released_by: Option<String>,
    /// Items in its scope now, per data class.
    pub protects: Vec<ProtectedItems>,
}

pub(super) fn hold_out(h: Hold, protects: Protected) -> LegalHold {
    LegalHold {
        active: h.released_at.is_none(),
        id: h.id,
        name: h.name,
        reason: h.reason,
        people: h.people,
        rooms: h.rooms,
        spaces: h.spaces,
        from: h.from_at.map(rfc3339),
        until: h.until_at.map(rfc3339),
        created_by: h.created_by,
        created_at: rfc3339(h.created_at),
        updated_at: rfc3339(h.updated_at),
        released_at: h.released_at.map(rfc3339),
        released_by: h.released_by,
        protects: protects
            .into_iter()
            .map(|(c, n)| ProtectedItems {
                class: c.into(),
                items: n,
            })
            .collect(),
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct HoldInput {
    #[oai(validator(max_length = 200))]
    pub name: String,
    #[oai(validator(max_length = 2000))]
    pub reason: String,
    #[oai(default)]
    pub people: Vec<String>,
    #[oai(default)]
    pub rooms: Vec<String>,
    #[oai(default)]
    pub spaces: Vec<String>,
    /// RFC 3339: only items from this instant on.
    pub from: Option<String>,
    /// RFC 3339: only items before this instant.
    pub until: Option<String>,
}

impl HoldInput {
    pub(super) fn spec(self) -> ApiResult<HoldSpec> {
        Ok(HoldSpec {
            from_at: instant_param("from", self.from)?,
            until_at: instant_param("until", self.until)?,
            name: self.name,
            reason: self.reason,
            people: self.people,
            rooms: self.rooms,
            spaces: self.spaces,
        })
    }
}

#[derive(Debug, Object)]
pub struct HoldList {
    pub items: Vec<LegalHold>,
}

#[derive(ApiResponse)]
pub enum HoldCreated {
    /// The hold is active.
    #[oai(status = 201)]
    Created(Json<LegalHold>),
}

/// A purge run and its report.
#[derive(Debug, Object)]
pub struct RetentionRun {
    pub id: String,
    /// `schedule`, `api` or `cli`.
    pub trigger: String,
    pub dry_run: bool,
    /// `running`, `done` or `failed`.
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// The instant ages were measured from.
    pub as_of: String,
    /// Who asked for it (empty for the schedule and the command line).
    pub requested_by: String,
    /// What it removed (or, for a dry run, found due), per data class, with totals; empty
    /// classes until it is done.
    pub report: RetentionRunReport,
    pub error: String,
}

/// A run's report.
#[derive(Debug, Default, Object, serde::Deserialize)]
#[serde(default)]
pub struct RetentionRunReport {
    pub dry_run: bool,
    pub classes: Vec<RetentionRunClass>,
    pub totals: PurgeTotals,
    pub duration_ms: u64,
}

/// What a run did in one data class.
#[derive(Debug, Default, Object, serde::Deserialize)]
#[serde(default)]
pub struct RetentionRunClass {
    pub class: String,
    /// The period applied (`null`: kept forever).
    pub days: Option<i64>,
    /// Items removed (due, for a dry run).
    pub items: u64,
    /// Database rows deleted (the items and what hangs off them) and rows scrubbed.
    pub rows: u64,
    /// Files whose blob (and thumbnail) was released for deletion.
    pub blobs: u64,
    pub bytes: u64,
    /// Search index entries removed.
    pub index_entries: u64,
    /// What each legal hold kept back.
    pub held: Vec<HeldImpact>,
    pub duration_ms: u64,
    pub error: Option<String>,
}

/// Sums over a run's classes.
#[derive(Debug, Default, Object, serde::Deserialize)]
#[serde(default)]
pub struct PurgeTotals {
    pub items: u64,
    pub rows: u64,
    pub blobs: u64,
    pub bytes: u64,
    pub index_entries: u64,
}

impl From<RunRow> for RetentionRun {
    fn from(r: RunRow) -> Self {
        RetentionRun {
            id: r.id,
            trigger: r.trigger,
            dry_run: r.dry_run != 0,
            status: r.status,
            started_at: rfc3339(r.started_at),
            finished_at: r.finished_at.map(rfc3339),
            as_of: rfc3339(r.as_of),
            requested_by: r.requested_by,
            report: serde_json::from_str(&r.report).unwrap_or_default(),
            error: r.error,
        }
    }
}

#[derive(Debug, Object)]
pub struct RunPage {
    pub items: Vec<RetentionRun>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object, Default)]
#[oai(deny_unknown_fields)]
pub struct StartRun {
    /// Measure and report only; remove nothing.
    #[oai(default)]
    pub dry_run: bool,
}

#[derive(ApiResponse)]
pub enum RunStarted {
    /// The run is going on; poll it for its report.
    #[oai(status = 202)]
    Accepted(Json<RetentionRun>),
}
