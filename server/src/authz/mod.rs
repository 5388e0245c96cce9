//! Function-level authorization: casbin RBAC with domains (domain = tenant).
//!
//! Policies live in Stoa's own tables (`roles`, `role_permissions`, `role_bindings`), owned by
//! [`store`], and reach casbin through [`adapter::StoaAdapter`]. Every change to them bumps the
//! tenant's `authz_versions.version` in the same transaction; the principal lookup reads that version with the session, so every node
//! reloads that tenant's policies before serving the first request after a change — no stale
//! grant survives a role edit, on any node, and other tenants are not touched.
//!
//! casbin-rs evaluates its matcher against every policy line in turn, which at 10,000 policies
//! costs milliseconds per check. So the enforcer is the source of truth and each user's implicit
//! permission set, as casbin computes it, is memoised until the next policy version: a check is
//! then one hash lookup. `make bench` measures both paths.

pub mod proof;
pub use proof::Proof;
pub mod adapter;
pub mod catalogue;
pub mod containment;
pub mod policy;
pub mod store;

use crate::{authn::Principal, db::Db, error::ApiError};
use casbin::{CoreApi, DefaultModel, Enforcer, MgmtApi, RbacApi};
use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, RwLock},
};

pub use catalogue::perm;
pub use containment::{contain, contain_account, contain_grant, Contained, Subject};
pub use policy::{permissions_of, permissions_of_roles, user_permissions};
pub use store::{bump_version, PolicyChange};

const MODEL: &str = r#"
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act
"#;

/// casbin subject for a user.
pub fn user_subject(user_id: &str) -> String {
    format!("u:{user_id}")
}

/// casbin subject for a role.
pub fn role_subject(role_id: &str) -> String {
    format!("r:{role_id}")
}

type Memo = HashMap<(String, String), Arc<HashSet<String>>>;

pub struct Authz {
    db: Db,
    enforcer: tokio::sync::RwLock<Enforcer>,
    /// The policy version of each tenant as loaded into this node's enforcer.
    versions: RwLock<HashMap<String, i64>>,
    memo: RwLock<Memo>,
}

/// Proof that a principal held a permission when it was checked. Mutating service functions
/// take one, so the check cannot be skipped: its fields are private, and only
/// [`Authz::require`] makes one. Only the compiler can show this, so the test is a doctest that
/// must fail to compile:
///
/// ```compile_fail
/// fn forge(p: &stoa::authn::Principal) -> stoa::authz::Granted<'_> {
///     stoa::authz::Granted { principal: p, permission: "users.manage" }
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Granted<'a> {
    principal: &'a Principal,
    permission: &'static str,
}

impl<'a> Granted<'a> {
    /// Who was checked.
    pub fn principal(&self) -> &'a Principal {
        self.principal
    }

    /// What they were found to hold.
    pub fn permission(&self) -> &'static str {
        self.permission
    }
}

impl Proof for Granted<'_> {
    fn tenant_id(&self) -> &str {
        &self.principal().tenant_id
    }
}

impl Authz {
    pub async fn new(db: Db) -> Result<Authz, casbin::Error> {
        let model = DefaultModel::from_str(MODEL).await?;
        // Versions first, policies second: a change committed in between leaves a newer version
        // behind, which triggers a reload of that tenant on its next request.
        let adapter_err =
            |e: sqlx::Error| casbin::Error::AdapterError(casbin::error::AdapterError(Box::new(e)));
        let versions = {
            let mut conn = db.conn().await.map_err(adapter_err)?;
            store::versions(&mut conn).await.map_err(adapter_err)?
        };
        let mut enforcer = Enforcer::new(model, adapter::StoaAdapter::new(db.clone())).await?;
        // Changes reach the model from the database (see `ensure_fresh`), never the other way.
        enforcer.enable_auto_save(false);
        Ok(Authz {
            db,
            enforcer: tokio::sync::RwLock::new(enforcer),
            versions: RwLock::new(versions.into_iter().collect()),
            memo: RwLock::new(HashMap::new()),
        })
    }

    /// The policy version of a tenant loaded on this node (0 when never loaded).
    pub fn loaded_version(&self, tenant_id: &str) -> i64 {
        self.versions
            .read()
            .ok()
            .and_then(|v| v.get(tenant_id).copied())
            .unwrap_or(0)
    }

    /// Reload one tenant's policies if the database holds a newer version than this node.
    pub async fn ensure_fresh(&self, tenant_id: &str, seen_version: i64) -> Result<(), ApiError> {
        if self.loaded_version(tenant_id) >= seen_version {
            return Ok(());
        }
        let mut enforcer = self.enforcer.write().await;
        if self.loaded_version(tenant_id) >= seen_version {
            return Ok(());
        }
        let version = {
            let mut conn = self.db.conn().await?;
            store::version(&mut conn, tenant_id).await?
        };
        let (p, g) = adapter::rules(&self.db, Some(tenant_id)).await?;
        let tenant = vec![tenant_id.to_string()];
        enforcer
            .remove_filtered_policy(1, tenant.clone())
            .await
            .map_err(ApiError::internal)?;
        enforcer
            .remove_filtered_grouping_policy(2, tenant)
            .await
            .map_err(ApiError::internal)?;
        if !p.is_empty() {
            enforcer.add_policies(p).await.map_err(ApiError::internal)?;
        }
        if !g.is_empty() {
            enforcer
                .add_grouping_policies(g)
                .await
                .map_err(ApiError::internal)?;
        }
        if let Ok(mut memo) = self.memo.write() {
            memo.retain(|(t, _), _| t != tenant_id);
        }
        if let Ok(mut versions) = self.versions.write() {
            versions.insert(tenant_id.to_string(), version);
        }
        tracing::debug!(tenant_id, version, "authorization policies reloaded");
        Ok(())
    }

    /// The permissions a user holds in a tenant, as casbin derives them from the user's roles.
    pub async fn permissions(&self, p: &Principal) -> Result<Arc<HashSet<String>>, ApiError> {
        self.ensure_fresh(&p.tenant_id, p.policy_version).await?;
        let key = (p.tenant_id.clone(), p.user_id.clone());
        if let Some(set) = self.memo.read().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(set);
        }
        // The read guard stays held until the memo entry is in: a reload (which takes the write
        // lock and clears the tenant's memo) cannot slip in between and leave a stale entry.
        let enforcer = self.enforcer.read().await;
        let set: HashSet<String> = enforcer
            .get_implicit_permissions_for_user(&user_subject(&p.user_id), Some(&p.tenant_id))
            .into_iter()
            .filter_map(|rule| match rule.as_slice() {
                [_, dom, obj, act] if dom == &p.tenant_id => Some(format!("{obj}.{act}")),
                _ => None,
            })
            .collect();
        let set = Arc::new(set);
        if let Ok(mut memo) = self.memo.write() {
            memo.insert(key, set.clone());
        }
        Ok(set)
    }

    /// Check a permission on current state; `Err(403)` when it is missing.
    pub async fn require<'a>(
        &self,
        p: &'a Principal,
        permission: &'static str,
    ) -> Result<Granted<'a>, ApiError> {
        if self.permissions(p).await?.contains(permission) {
            Ok(Granted {
                principal: p,
                permission,
            })
        } else {
            Err(ApiError::forbidden(permission))
        }
    }

    /// casbin's own evaluation of one request, without the memo (used by the benchmark and
    /// by tests that check the memo agrees with the model).
    pub async fn enforce_raw(&self, user_id: &str, tenant_id: &str, permission: &str) -> bool {
        let (obj, act) = catalogue::split(permission);
        let e = self.enforcer.read().await;
        e.enforce((user_subject(user_id).as_str(), tenant_id, obj, act))
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{authz::store::RoleRow, ops::ctx::RequestCtx};

    async fn temp_db() -> (Db, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("stoa-authz-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&format!("sqlite://{}/t.db?mode=rwc", dir.display()), 2)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        (db, dir)
    }

    async fn tenant(db: &Db, slug: &str) -> (String, String, String) {
        let mut tx = db.begin().await.unwrap();
        let (t, u) = store::fixtures::tenant_and_user(&mut tx, slug)
            .await
            .unwrap();
        let staff = RoleRow::new("Staff".into(), String::new(), "staff");
        store::insert(&mut tx, &t, &staff).await.unwrap();
        let custom = RoleRow::new("Auditor".into(), String::new(), "");
        store::insert(&mut tx, &t, &custom).await.unwrap();
        store::set_permissions(&mut tx, &t, &custom.id, &["audit.read".to_string()])
            .await
            .unwrap();
        store::set_user_roles(&mut tx, &t, &u, &[staff.id.clone(), custom.id.clone()])
            .await
            .unwrap();
        let _ = bump_version(&mut tx, &t).await.unwrap();
        tx.commit().await.unwrap();
        (t, u, custom.id)
    }
    fn principal(tenant_id: &str, user_id: &str, version: i64) -> Principal {
        Principal {
            tenant_id: tenant_id.into(),
            tenant_slug: String::new(),
            user_id: user_id.into(),
            session_id: String::new(),
            policy_version: version,
            consent_pending: false,
            ctx: RequestCtx::default(),
        }
    }

    #[tokio::test]
    async fn model_grants_roles_within_their_domain_only() {
        let (db, dir) = temp_db().await;
        let (ta, ua, role_a) = tenant(&db, "a").await;
        let (tb, _ub, _) = tenant(&db, "b").await;
        let authz = Authz::new(db.clone()).await.unwrap();
        let v = authz.loaded_version(&ta);
        assert_eq!(v, 2, "versions are loaded with the policies");
        let pa = principal(&ta, &ua, v);
        let perms = authz.permissions(&pa).await.unwrap();
        assert!(perms.contains(perm::AUDIT_READ));
        assert!(perms.contains(perm::MESSAGES_SEND), "staff permissions");
        assert!(!perms.contains(perm::USERS_MANAGE));
        // The memo and casbin's own matcher agree on every catalogue entry.
        for p in catalogue::CATALOGUE {
            assert_eq!(
                perms.contains(p.key),
                authz.enforce_raw(&ua, &ta, p.key).await,
                "{}",
                p.key
            );
        }
        // The same user id in another domain holds nothing.
        let cross = principal(&tb, &ua, authz.loaded_version(&tb));
        assert!(authz.permissions(&cross).await.unwrap().is_empty());
        assert!(!authz.enforce_raw(&ua, &tb, perm::AUDIT_READ).await);
        assert!(authz.require(&cross, perm::AUDIT_READ).await.is_err());

        // A policy change becomes visible as soon as a request carries the new version.
        let mut tx = db.begin().await.unwrap();
        store::set_permissions(&mut tx, &ta, &role_a, &["users.manage".to_string()])
            .await
            .unwrap();
        let _ = bump_version(&mut tx, &ta).await.unwrap();
        tx.commit().await.unwrap();
        let stale = authz.permissions(&pa).await.unwrap();
        assert!(
            stale.contains(perm::AUDIT_READ),
            "no reload without a newer version"
        );
        let fresh = principal(&ta, &ua, v + 1);
        let perms = authz.permissions(&fresh).await.unwrap();
        assert!(perms.contains(perm::USERS_MANAGE));
        assert!(!perms.contains(perm::AUDIT_READ));
        // Only the changed tenant was reloaded.
        assert_eq!(authz.loaded_version(&ta), v + 1);
        assert_eq!(authz.loaded_version(&tb), 2);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn adapter_refuses_writes_outside_service_transactions() {
        let (db, dir) = temp_db().await;
        let mut e = Enforcer::new(
            DefaultModel::from_str(MODEL).await.unwrap(),
            adapter::StoaAdapter::new(db),
        )
        .await
        .unwrap();
        use casbin::MgmtApi;
        assert!(e
            .add_policy(vec![
                "r:x".into(),
                "t".into(),
                "users".into(),
                "manage".into()
            ])
            .await
            .is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
