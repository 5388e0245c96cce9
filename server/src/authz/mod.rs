//! Function-level authorization: casbin RBAC with domains (domain = tenant).
//!
//! Policies live in Stoa's own tables (`roles`, `role_permissions`, `role_bindings`) and reach
//! casbin through [`adapter::StoaAdapter`]. Every change to them bumps `authz_state.version` in
//! the same transaction; the principal lookup reads that version with the session, so every node
//! reloads its enforcer before serving the first request after a change — no stale grant survives
//! a role edit, on any node.
//!
//! casbin-rs evaluates its matcher against every policy line in turn, which at 10,000 policies
//! costs milliseconds per check. So the enforcer is the source of truth and each user's implicit
//! permission set, as casbin computes it, is memoised until the next policy version: a check is
//! then one hash lookup. `make bench` measures both paths.

pub mod adapter;
pub mod catalogue;

use crate::{authn::Principal, db::Db, error::ApiError};
use casbin::{CoreApi, DefaultModel, Enforcer, RbacApi};
use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc, RwLock,
    },
};

pub use catalogue::perm;

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
    loaded_version: AtomicI64,
    memo: RwLock<Memo>,
}

/// Proof that a principal held a permission when it was checked. Mutating service functions
/// take one, so the check cannot be skipped.
#[derive(Debug, Clone, Copy)]
pub struct Granted<'a> {
    pub principal: &'a Principal,
    pub permission: &'static str,
}

impl Authz {
    pub async fn new(db: Db) -> Result<Authz, casbin::Error> {
        let model = DefaultModel::from_str(MODEL).await?;
        let version = current_version(&db).await.unwrap_or(0);
        let enforcer = Enforcer::new(model, adapter::StoaAdapter::new(db.clone())).await?;
        Ok(Authz {
            db,
            enforcer: tokio::sync::RwLock::new(enforcer),
            loaded_version: AtomicI64::new(version),
            memo: RwLock::new(HashMap::new()),
        })
    }

    /// Reload policies if the database has a newer version than this node has loaded.
    pub async fn ensure_fresh(&self, seen_version: i64) -> Result<(), ApiError> {
        if self.loaded_version.load(Ordering::Acquire) >= seen_version {
            return Ok(());
        }
        let mut enforcer = self.enforcer.write().await;
        if self.loaded_version.load(Ordering::Acquire) >= seen_version {
            return Ok(());
        }
        // Read the version before the policies: a change committed in between leaves a newer
        // version behind, which triggers another reload.
        let version = current_version(&self.db)
            .await
            .map_err(ApiError::internal)?;
        enforcer.load_policy().await.map_err(ApiError::internal)?;
        if let Ok(mut memo) = self.memo.write() {
            memo.clear();
        }
        self.loaded_version.store(version, Ordering::Release);
        tracing::debug!(version, "authorization policies reloaded");
        Ok(())
    }

    /// The permissions a user holds in a tenant, as casbin derives them from the user's roles.
    pub async fn permissions(&self, p: &Principal) -> Result<Arc<HashSet<String>>, ApiError> {
        self.ensure_fresh(p.policy_version).await?;
        let key = (p.tenant_id.clone(), p.user_id.clone());
        if let Some(set) = self.memo.read().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(set);
        }
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

    pub fn loaded_version(&self) -> i64 {
        self.loaded_version.load(Ordering::Acquire)
    }
}

async fn current_version(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select version from authz_state where id = 1")
        .fetch_one(&db.pool)
        .await
}

/// Bump the policy version inside the transaction that changes policies.
pub async fn bump_version(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("update authz_state set version = version + 1 where id = 1")
        .execute(conn)
        .await?;
    Ok(())
}
