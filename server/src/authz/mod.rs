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
        // The read guard stays held until the memo entry is in: a reload (which takes the write
        // lock and clears the memo) cannot slip in between and leave a stale entry behind.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        db::{new_id, now_ms},
        ops::ctx::RequestCtx,
        roles::store::RoleRow,
        tenants::store::TenantRow,
        users::store::UserRow,
    };

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
        let now = now_ms();
        let t = TenantRow {
            id: new_id(),
            slug: slug.into(),
            name: slug.into(),
            status: "active".into(),
            created_at: now,
            updated_at: now,
        };
        crate::tenants::store::insert(&mut tx, &t).await.unwrap();
        let staff = RoleRow {
            id: new_id(),
            name: "Staff".into(),
            description: String::new(),
            builtin: "staff".into(),
            created_at: now,
            updated_at: now,
        };
        crate::roles::store::insert(&mut tx, &t.id, &staff)
            .await
            .unwrap();
        let custom = RoleRow {
            id: new_id(),
            name: "Auditor".into(),
            description: String::new(),
            builtin: String::new(),
            created_at: now,
            updated_at: now,
        };
        crate::roles::store::insert(&mut tx, &t.id, &custom)
            .await
            .unwrap();
        crate::roles::store::set_permissions(
            &mut tx,
            &t.id,
            &custom.id,
            &["audit.read".to_string()],
        )
        .await
        .unwrap();
        let u = UserRow {
            tenant_id: t.id.clone(),
            id: new_id(),
            email: Some(format!("u@{slug}.test")),
            phone: None,
            display_name: "U".into(),
            title: None,
            department: None,
            status: "active".into(),
            password_hash: None,
            created_at: now,
            updated_at: now,
        };
        crate::users::store::insert(&mut tx, &u).await.unwrap();
        crate::roles::store::set_user_roles(
            &mut tx,
            &t.id,
            &u.id,
            &[staff.id.clone(), custom.id.clone()],
        )
        .await
        .unwrap();
        bump_version(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        (t.id, u.id, custom.id)
    }

    fn principal(tenant_id: &str, user_id: &str, version: i64) -> Principal {
        Principal {
            tenant_id: tenant_id.into(),
            tenant_slug: String::new(),
            user_id: user_id.into(),
            session_id: String::new(),
            policy_version: version,
            ctx: RequestCtx::default(),
        }
    }

    #[tokio::test]
    async fn model_grants_roles_within_their_domain_only() {
        let (db, dir) = temp_db().await;
        let (ta, ua, role_a) = tenant(&db, "a").await;
        let (tb, _ub, _) = tenant(&db, "b").await;
        let authz = Authz::new(db.clone()).await.unwrap();
        let v = authz.loaded_version();
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
        let cross = principal(&tb, &ua, v);
        assert!(authz.permissions(&cross).await.unwrap().is_empty());
        assert!(!authz.enforce_raw(&ua, &tb, perm::AUDIT_READ).await);
        assert!(authz.require(&cross, perm::AUDIT_READ).await.is_err());

        // A policy change becomes visible as soon as a request carries the new version.
        let mut tx = db.begin().await.unwrap();
        crate::roles::store::set_permissions(&mut tx, &ta, &role_a, &["users.manage".to_string()])
            .await
            .unwrap();
        bump_version(&mut tx).await.unwrap();
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
