//! A casbin adapter over Stoa's role tables, on both databases.
//!
//! Loading is the only direction: policy changes are written by the roles and users services in
//! their own transactions (with the audit entry and the version bump), never through the
//! enforcer, so the write half of the trait refuses with an explanation instead of writing
//! outside those transactions.

use super::{catalogue::CATALOGUE, role_subject, user_subject};
use crate::db::Db;
use async_trait::async_trait;
use casbin::{error::AdapterError, Adapter, Filter, Model, Result};

pub struct StoaAdapter {
    db: Db,
}

impl StoaAdapter {
    pub fn new(db: Db) -> Self {
        StoaAdapter { db }
    }
}

fn adapter_err(e: impl std::fmt::Display) -> casbin::Error {
    casbin::Error::AdapterError(AdapterError(Box::new(std::io::Error::other(e.to_string()))))
}

/// A `p` line: subject, domain (tenant), object and action from a catalogue key.
fn permission_rule(subject: String, tenant: String, permission: &str) -> Vec<String> {
    let (obj, act) = super::catalogue::split(permission);
    vec![subject, tenant, obj.to_string(), act.to_string()]
}

fn read_only() -> casbin::Error {
    adapter_err("policies are changed through the roles service, not the enforcer")
}

/// The `p` and `g` lines of one tenant, or of every tenant when `tenant` is `None`: built-in
/// roles from the catalogue, custom roles from `role_permissions`, users from `role_bindings`.
pub async fn rules(
    db: &Db,
    tenant: Option<&str>,
) -> std::result::Result<(Vec<Vec<String>>, Vec<Vec<String>>), sqlx::Error> {
    let rows = {
        let mut conn = db.conn().await?;
        super::store::policy_rows(&mut conn, tenant).await?
    };
    let mut p: Vec<Vec<String>> = Vec::new();
    for (tenant, role, kind) in rows.builtin {
        let sub = role_subject(&role);
        p.extend(
            CATALOGUE
                .iter()
                .filter(|perm| kind == "admin" || (kind == "staff" && perm.staff))
                .map(|perm| permission_rule(sub.clone(), tenant.clone(), perm.key)),
        );
    }
    p.extend(
        rows.custom
            .into_iter()
            .map(|(tenant, role, perm)| permission_rule(role_subject(&role), tenant, &perm)),
    );
    let g = rows
        .bindings
        .into_iter()
        .map(|(tenant, user, role)| vec![user_subject(&user), role_subject(&role), tenant])
        .collect();
    Ok((p, g))
}

#[async_trait]
impl Adapter for StoaAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> Result<()> {
        let (p, g) = rules(&self.db, None).await.map_err(adapter_err)?;
        m.add_policies("p", "p", p);
        m.add_policies("g", "g", g);
        Ok(())
    }

    async fn load_filtered_policy<'a>(&mut self, m: &mut dyn Model, _f: Filter<'a>) -> Result<()> {
        self.load_policy(m).await
    }

    async fn save_policy(&mut self, _m: &mut dyn Model) -> Result<()> {
        Err(read_only())
    }

    async fn clear_policy(&mut self) -> Result<()> {
        Err(read_only())
    }

    fn is_filtered(&self) -> bool {
        false
    }

    async fn add_policy(&mut self, _sec: &str, _ptype: &str, _rule: Vec<String>) -> Result<bool> {
        Err(read_only())
    }

    async fn add_policies(
        &mut self,
        _sec: &str,
        _ptype: &str,
        _rules: Vec<Vec<String>>,
    ) -> Result<bool> {
        Err(read_only())
    }

    async fn remove_policy(
        &mut self,
        _sec: &str,
        _ptype: &str,
        _rule: Vec<String>,
    ) -> Result<bool> {
        Err(read_only())
    }

    async fn remove_policies(
        &mut self,
        _sec: &str,
        _ptype: &str,
        _rules: Vec<Vec<String>>,
    ) -> Result<bool> {
        Err(read_only())
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        _ptype: &str,
        _field_index: usize,
        _field_values: Vec<String>,
    ) -> Result<bool> {
        Err(read_only())
    }
}
