//! Audiences: who a piece of content is for, named by the organisation — everyone, a
//! department (alone or with its sub-departments), the holders of a role, or a person.
//!
//! Other features (announcements, rooms that follow a department, document shares, attendance
//! schedules) keep an audience as a list of [`Target`]s and ask here, on **current** state:
//!
//! - [`tokens_of`]: the targets a person matches now, as strings; a feature stores each
//!   target's [`Target::token`] and selects what is for a person with `token in (…)`, so a
//!   person moved between departments sees exactly what the new audience covers from then on;
//! - [`people`]: the active people an audience covers now (notifications, receipts, room
//!   members);
//! - [`validate`]: every target names something of the tenant (a 400 naming the field
//!   otherwise);
//! - [`primary_chain`]: a person's primary department and its ancestors, nearest first (where
//!   the nearest setting wins, as with work schedules).

use super::{service::Tree, store};
use crate::{
    authz,
    db::is_id,
    error::{ApiError, ApiResult},
};
use poem_openapi::{Enum, Object};
use sqlx::AnyConnection;
use std::collections::BTreeSet;

/// One part of an audience.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Everyone,
    /// The department's members; with `subtree`, its sub-departments' members too.
    Department {
        id: String,
        subtree: bool,
    },
    /// The holders of a role (built-in or custom).
    Role(String),
    Person(String),
}

impl Target {
    /// The target as stored by the features that keep audiences: `all`, `dept:<id>`,
    /// `tree:<id>`, `role:<id>`, `user:<id>`.
    pub fn token(&self) -> String {
        match self {
            Target::Everyone => "all".into(),
            Target::Department { id, subtree: false } => format!("dept:{id}"),
            Target::Department { id, subtree: true } => format!("tree:{id}"),
            Target::Role(id) => format!("role:{id}"),
            Target::Person(id) => format!("user:{id}"),
        }
    }

    /// The target a stored token names (`None` for a token this version does not know).
    pub fn from_token(t: &str) -> Option<Target> {
        if t == "all" {
            return Some(Target::Everyone);
        }
        let (kind, id) = t.split_once(':')?;
        let id = id.to_string();
        Some(match kind {
            "dept" => Target::Department { id, subtree: false },
            "tree" => Target::Department { id, subtree: true },
            "role" => Target::Role(id),
            "user" => Target::Person(id),
            _ => return None,
        })
    }
}

/// What an audience target is, in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum TargetKind {
    Everyone,
    Department,
    Role,
    Person,
}

/// One part of an audience in the API: `{"kind": "everyone"}`, `{"kind": "department", "id":
/// …, "subtree": true}`, `{"kind": "role", "id": …}`, `{"kind": "person", "id": …}`.
#[derive(Debug, Clone, Object)]
pub struct AudienceTarget {
    pub kind: TargetKind,
    /// The department, role or person; absent for `everyone`.
    pub id: Option<String>,
    /// For a department: its sub-departments' members too (default false).
    #[oai(default)]
    pub subtree: bool,
}

impl AudienceTarget {
    pub fn of(t: &Target) -> AudienceTarget {
        let (kind, id, subtree) = match t {
            Target::Everyone => (TargetKind::Everyone, None, false),
            Target::Department { id, subtree } => {
                (TargetKind::Department, Some(id.clone()), *subtree)
            }
            Target::Role(id) => (TargetKind::Role, Some(id.clone()), false),
            Target::Person(id) => (TargetKind::Person, Some(id.clone()), false),
        };
        AudienceTarget { kind, id, subtree }
    }
}

/// Parse an audience from the API (each target well formed, at most `max`, duplicates folded;
/// at least one). Whether the ids exist is [`validate`]'s question.
pub fn parse(field: &str, raw: &[AudienceTarget], max: usize) -> ApiResult<Vec<Target>> {
    if raw.is_empty() {
        return Err(ApiError::validation(
            field,
            "name at least one audience target",
        ));
    }
    if raw.len() > max {
        return Err(ApiError::validation(
            field,
            format!("at most {max} audience targets"),
        ));
    }
    let mut out = BTreeSet::new();
    for t in raw {
        let id = || -> ApiResult<String> {
            match &t.id {
                Some(id) if is_id(id) => Ok(id.clone()),
                _ => Err(ApiError::validation(
                    field,
                    "a department, role or person target needs its id",
                )),
            }
        };
        out.insert(match t.kind {
            TargetKind::Everyone => Target::Everyone,
            TargetKind::Department => Target::Department {
                id: id()?,
                subtree: t.subtree,
            },
            TargetKind::Role => Target::Role(id()?),
            TargetKind::Person => Target::Person(id()?),
        });
    }
    Ok(out.into_iter().collect())
}

/// Every target names a department, role or person of the tenant (people: not disabled).
pub async fn validate(
    conn: &mut AnyConnection,
    tenant_id: &str,
    field: &str,
    targets: &[Target],
) -> ApiResult<()> {
    for t in targets {
        match t {
            Target::Everyone => {}
            Target::Department { id, .. } => {
                if store::department(conn, tenant_id, id).await?.is_none() {
                    return Err(ApiError::validation(field, "no such department"));
                }
            }
            Target::Role(id) => {
                if authz::store::get(conn, tenant_id, id).await?.is_none() {
                    return Err(ApiError::validation(field, "no such role"));
                }
            }
            Target::Person(id) => super::service::person(conn, tenant_id, field, id).await?,
        }
    }
    Ok(())
}

/// The tokens a person matches now: `all`, their own, their roles', each department they
/// belong to (`dept:`) and that department and every ancestor (`tree:`).
pub async fn tokens_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<Vec<String>> {
    let mut out = vec![
        Target::Everyone.token(),
        Target::Person(user_id.to_string()).token(),
    ];
    for r in authz::store::roles_of_user(conn, tenant_id, user_id).await? {
        out.push(Target::Role(r.id).token());
    }
    let (direct, within) = departments_of(conn, tenant_id, user_id).await?;
    out.extend(
        direct
            .into_iter()
            .map(|id| Target::Department { id, subtree: false }.token()),
    );
    out.extend(
        within
            .into_iter()
            .map(|id| Target::Department { id, subtree: true }.token()),
    );
    Ok(out)
}

/// The departments a person belongs to now, and those they are within (those and every
/// ancestor): what a share with a department, which reaches its sub-departments, reaches.
pub async fn departments_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<(Vec<String>, Vec<String>)> {
    let memberships = store::memberships_of(conn, tenant_id, &[user_id.to_string()]).await?;
    if memberships.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let tree = Tree::load(conn, tenant_id).await?;
    let mut within = BTreeSet::new();
    let mut direct = Vec::new();
    for m in memberships {
        within.extend(tree.ancestors(&m.department_id));
        within.insert(m.department_id.clone());
        direct.push(m.department_id);
    }
    Ok((direct, within.into_iter().collect()))
}

/// The active people an audience covers now, each once, by id.
pub async fn people(
    conn: &mut AnyConnection,
    tenant_id: &str,
    targets: &[Target],
) -> ApiResult<Vec<String>> {
    if targets.contains(&Target::Everyone) {
        return Ok(store::active_people(conn, tenant_id).await?);
    }
    let mut departments = BTreeSet::new();
    let mut tree: Option<Tree> = None;
    let mut wanted = BTreeSet::new();
    for t in targets {
        match t {
            Target::Everyone => {}
            Target::Department { id, subtree } => {
                if *subtree {
                    if tree.is_none() {
                        tree = Some(Tree::load(conn, tenant_id).await?);
                    }
                    if let Some(tree) = &tree {
                        departments.extend(tree.subtree(id));
                    }
                }
                departments.insert(id.clone());
            }
            Target::Role(id) => {
                wanted.extend(authz::store::holders_of_role(conn, tenant_id, id).await?)
            }
            Target::Person(id) => {
                wanted.insert(id.clone());
            }
        }
    }
    let departments: Vec<String> = departments.into_iter().collect();
    let mut out: BTreeSet<String> = store::active_members_of(conn, tenant_id, &departments)
        .await?
        .into_iter()
        .collect();
    if !wanted.is_empty() {
        // Roles and people named directly: keep those who are active now.
        let active: BTreeSet<String> = store::active_people(conn, tenant_id)
            .await?
            .into_iter()
            .collect();
        out.extend(wanted.into_iter().filter(|id| active.contains(id)));
    }
    Ok(out.into_iter().collect())
}

/// A person's primary department and its ancestors, nearest first (empty without one).
pub async fn primary_chain(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> ApiResult<Vec<String>> {
    let memberships = store::memberships_of(conn, tenant_id, &[user_id.to_string()]).await?;
    let Some(primary) = memberships.into_iter().find(|m| m.is_primary == 1) else {
        return Ok(Vec::new());
    };
    let tree = Tree::load(conn, tenant_id).await?;
    let mut out = vec![primary.department_id.clone()];
    out.extend(tree.ancestors(&primary.department_id));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for t in [
            Target::Everyone,
            Target::Department {
                id: "d".into(),
                subtree: false,
            },
            Target::Department {
                id: "d".into(),
                subtree: true,
            },
            Target::Role("r".into()),
            Target::Person("p".into()),
        ] {
            assert_eq!(Target::from_token(&t.token()), Some(t));
        }
        assert_eq!(Target::from_token("nope:x"), None);
    }
}
