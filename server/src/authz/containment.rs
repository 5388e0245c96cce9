//! Containment: nobody acts on an account, or hands out a role, that reaches further than they
//! do themselves.
//!
//! Holding `users.manage` lets a person reset (re-issue an invitation for), edit, disable and
//! re-enable accounts; holding `roles.manage` lets them compose roles and assign them. Without a
//! further rule, either is a path to every other permission: reset an admin's password and sign
//! in as the admin, or grant oneself the `admin` role. So every such action also requires that
//! the permissions of its subject — the target account's current permissions, the roles being
//! granted, the role being created, edited or deleted — are a subset of the actor's own.
//!
//! The check is one function, [`contain`], called by the users and roles services inside the
//! transaction that makes the change, on permission sets read in that same transaction (current
//! state, never a cached copy).

use super::policy::{permissions_of_roles, user_permissions};
use crate::{
    authn::Principal,
    error::{ApiError, ApiResult, Code},
};
use sqlx::AnyConnection;
use std::collections::{BTreeSet, HashSet};

/// What the actor is about to do, for the message of a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Reset, edit, disable, enable or change the roles of an account.
    Account,
    /// Assign roles to an account (oneself included).
    Grant,
    /// Create, edit or delete a custom role.
    Role,
}

/// Evidence that a containment check passed; services bind it (`let _: Contained = …`) so the
/// check reads as a step of the change, next to the permission check it complements.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Contained {
    _checked: (),
}

/// `Ok` when every permission in `subject_perms` is also in `actor_perms`; otherwise 403
/// `containment`, naming what the actor lacks (permission keys are the public catalogue, so
/// naming them reveals nothing the caller could not read).
pub fn contain<'a, I>(
    actor_perms: &HashSet<String>,
    subject_perms: I,
    what: Subject,
) -> ApiResult<Contained>
where
    I: IntoIterator<Item = &'a String>,
{
    let missing: BTreeSet<&str> = subject_perms
        .into_iter()
        .filter(|p| !actor_perms.contains(*p))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(Contained { _checked: () });
    }
    let list = missing
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let detail = match what {
        Subject::Account => {
            format!("this account holds permissions you do not hold yourself: {list}")
        }
        Subject::Grant => format!("these roles grant permissions you do not hold yourself: {list}"),
        Subject::Role => {
            format!(
                "a role you manage may only contain permissions you hold yourself; missing: {list}"
            )
        }
    };
    Err(ApiError::new(Code::Containment, detail))
}

/// Containment for acting on an account: the target's permissions within the actor's.
pub async fn contain_account(
    conn: &mut AnyConnection,
    p: &Principal,
    target_id: &str,
) -> ApiResult<Contained> {
    let mine = user_permissions(&mut *conn, &p.tenant_id, &p.user_id).await?;
    if target_id == p.user_id {
        return contain(&mine, std::iter::empty(), Subject::Account);
    }
    let theirs = user_permissions(&mut *conn, &p.tenant_id, target_id).await?;
    contain(&mine, &theirs, Subject::Account)
}

/// Containment for handing out roles: what they grant within the actor's permissions.
pub async fn contain_grant(
    conn: &mut AnyConnection,
    p: &Principal,
    role_ids: &[String],
) -> ApiResult<Contained> {
    let mine = user_permissions(&mut *conn, &p.tenant_id, &p.user_id).await?;
    let granted = permissions_of_roles(&mut *conn, &p.tenant_id, role_ids).await?;
    contain(&mine, &granted, Subject::Grant)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> HashSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn subsets_pass_and_supersets_are_refused_with_what_is_missing() {
        let actor = set(&["users.manage", "users.read", "messages.send"]);
        assert!(contain(&actor, &vec!["users.read".to_string()], Subject::Account).is_ok());
        assert!(contain(&actor, &Vec::<String>::new(), Subject::Grant).is_ok());
        assert!(contain(
            &actor,
            &actor.iter().cloned().collect::<Vec<_>>(),
            Subject::Role
        )
        .is_ok());
        let admin = vec![
            "audit.read".to_string(),
            "users.manage".to_string(),
            "roles.manage".to_string(),
        ];
        let err = contain(&actor, &admin, Subject::Account).unwrap_err();
        assert_eq!(err.code, Code::Containment);
        assert_eq!(err.status().as_u16(), 403);
        assert!(
            err.detail.contains("`audit.read`, `roles.manage`"),
            "{}",
            err.detail
        );
        assert!(!err.detail.contains("users.manage"), "{}", err.detail);
    }
}
