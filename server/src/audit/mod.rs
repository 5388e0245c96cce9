//! The tamper-evident audit log.
//!
//! Each tenant's entries form a hash chain: entry `n` stores the hash of entry `n-1` and its own
//! hash over a canonical JSON encoding of its fields. The tenant row keeps the head (last sequence
//! number and hash), so removing entries from the end is detected too. An entry is written in the
//! same transaction as the change it records, and announces itself on the outbox
//! (`audit.appended`) for the mirror consumer.

pub mod api;
pub mod mirror;
pub mod store;

use crate::{
    db::{new_id, now_ms, outbox},
    ops::ctx::RequestCtx,
};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

/// Who did it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorKind {
    User,
    Operator,
    System,
    Anonymous,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Operator => "operator",
            ActorKind::System => "system",
            ActorKind::Anonymous => "anonymous",
        }
    }
}

/// One entry to append.
#[derive(Debug, Clone)]
pub struct Entry {
    pub tenant_id: String,
    pub action: &'static str,
    pub actor_kind: ActorKind,
    pub actor_id: String,
    pub target_kind: &'static str,
    pub target_id: String,
    pub success: bool,
    pub ip: String,
    pub request_id: String,
    pub details: serde_json::Value,
}

impl Entry {
    pub fn new(tenant_id: &str, action: &'static str) -> Entry {
        Entry {
            tenant_id: tenant_id.to_string(),
            action,
            actor_kind: ActorKind::System,
            actor_id: String::new(),
            target_kind: "",
            target_id: String::new(),
            success: true,
            ip: String::new(),
            request_id: String::new(),
            details: serde_json::json!({}),
        }
    }
    pub fn actor(mut self, kind: ActorKind, id: &str) -> Self {
        self.actor_kind = kind;
        self.actor_id = id.to_string();
        self
    }
    pub fn target(mut self, kind: &'static str, id: &str) -> Self {
        self.target_kind = kind;
        self.target_id = id.to_string();
        self
    }
    pub fn ctx(mut self, ctx: &RequestCtx) -> Self {
        self.ip = ctx.ip.clone();
        self.request_id = ctx.request_id.clone();
        self
    }
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
    pub fn failed(mut self) -> Self {
        self.success = false;
        self
    }
}

/// A stored entry.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Row {
    pub tenant_id: String,
    pub seq: i64,
    pub id: String,
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub outcome: String,
    pub ip: String,
    pub request_id: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry over a canonical, unambiguous encoding of every field but `hash`.
pub fn entry_hash(r: &Row) -> String {
    let canonical = serde_json::json!([
        r.prev_hash,
        r.tenant_id,
        r.seq,
        r.id,
        r.at,
        r.actor_kind,
        r.actor_id,
        r.action,
        r.target_kind,
        r.target_id,
        r.outcome,
        r.ip,
        r.request_id,
        r.details
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Append an entry inside the caller's transaction. On PostgreSQL the `update … returning` on
/// the tenant row serialises appends per tenant, so sequence numbers have no gaps or forks.
pub async fn record(conn: &mut AnyConnection, e: Entry) -> Result<(), sqlx::Error> {
    let (seq, prev_hash): (i64, String) = sqlx::query_as(
        "update tenants set audit_seq = audit_seq + 1 where id = $1 returning audit_seq, audit_head",
    )
    .bind(&e.tenant_id)
    .fetch_one(&mut *conn)
    .await?;
    let mut row = Row {
        tenant_id: e.tenant_id,
        seq,
        id: new_id(),
        at: now_ms(),
        actor_kind: e.actor_kind.as_str().to_string(),
        actor_id: e.actor_id,
        action: e.action.to_string(),
        target_kind: e.target_kind.to_string(),
        target_id: e.target_id,
        outcome: if e.success { "success" } else { "failure" }.to_string(),
        ip: e.ip,
        request_id: e.request_id,
        details: e.details.to_string(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = entry_hash(&row);
    store::insert(&mut *conn, &row).await?;
    sqlx::query("update tenants set audit_head = $1 where id = $2")
        .bind(&row.hash)
        .bind(&row.tenant_id)
        .execute(&mut *conn)
        .await?;
    outbox::enqueue(
        conn,
        &row.tenant_id,
        mirror::TOPIC,
        &serde_json::json!({ "seq": row.seq }),
    )
    .await
}

/// Why a chain failed verification.
#[derive(Debug, PartialEq, Eq)]
pub struct ChainBreak {
    /// The first sequence number that is missing, altered or out of place.
    pub seq: i64,
    pub reason: String,
}

/// Checks a tenant's chain one entry at a time, in sequence order, with constant memory.
#[derive(Debug, Default)]
pub struct Verifier {
    prev: String,
    count: i64,
}

impl Verifier {
    pub fn push(&mut self, r: &Row) -> Result<(), ChainBreak> {
        let expected_seq = self.count + 1;
        if r.seq != expected_seq {
            return Err(ChainBreak {
                seq: expected_seq,
                reason: format!(
                    "entry {expected_seq} is missing (next present is {})",
                    r.seq
                ),
            });
        }
        if r.prev_hash != self.prev {
            return Err(ChainBreak {
                seq: r.seq,
                reason: "its link to the previous entry does not match".into(),
            });
        }
        if entry_hash(r) != r.hash {
            return Err(ChainBreak {
                seq: r.seq,
                reason: "its content was altered (hash mismatch)".into(),
            });
        }
        self.prev = r.hash.clone();
        self.count = r.seq;
        Ok(())
    }

    /// Compare the end of the chain with the head stored on the tenant row, which catches
    /// entries removed from the end.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<u64, ChainBreak> {
        if self.count != head_seq {
            return Err(ChainBreak {
                seq: self.count + 1,
                reason: format!(
                    "the chain ends at {} but the tenant head says {head_seq}",
                    self.count
                ),
            });
        }
        if self.prev != head_hash {
            return Err(ChainBreak {
                seq: self.count,
                reason: "the last entry does not match the tenant head".into(),
            });
        }
        Ok(self.count as u64)
    }
}

/// Check a whole chain held in memory.
pub fn verify_chain(rows: &[Row], head_seq: i64, head_hash: &str) -> Result<u64, ChainBreak> {
    let mut v = Verifier::default();
    for r in rows {
        v.push(r)?;
    }
    v.finish(head_seq, head_hash)
}

/// Verify a tenant's chain in the database, page by page.
pub async fn verify_tenant(
    db: &crate::db::Db,
    tenant_id: &str,
) -> Result<Result<u64, ChainBreak>, sqlx::Error> {
    let mut conn = db.conn().await?;
    let (head_seq, head_hash) = store::head(&mut conn, tenant_id).await?;
    let mut v = Verifier::default();
    let mut after = 0;
    loop {
        let rows = store::chain_page(&mut conn, tenant_id, after, 1000).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for r in &rows {
            if let Err(b) = v.push(r) {
                return Ok(Err(b));
            }
        }
    }
    Ok(v.finish(head_seq, &head_hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Row> {
        let mut prev = String::new();
        (1..=n)
            .map(|seq| {
                let mut r = Row {
                    tenant_id: "t".into(),
                    seq,
                    id: format!("id{seq}"),
                    at: 1000 + seq,
                    actor_kind: "user".into(),
                    actor_id: "u".into(),
                    action: "user.created".into(),
                    target_kind: "user".into(),
                    target_id: format!("x{seq}"),
                    outcome: "success".into(),
                    ip: "127.0.0.1".into(),
                    request_id: "r".into(),
                    details: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                r.hash = entry_hash(&r);
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        let rows = chain(5);
        let head = rows[4].hash.clone();
        assert_eq!(verify_chain(&rows, 5, &head), Ok(5));
        assert_eq!(verify_chain(&[], 0, ""), Ok(0));
    }

    #[test]
    fn altered_field_is_named() {
        let mut rows = chain(5);
        let head = rows[4].hash.clone();
        rows[2].action = "user.deleted".into();
        assert_eq!(verify_chain(&rows, 5, &head).unwrap_err().seq, 3);
    }

    #[test]
    fn rehashed_row_breaks_the_next_link() {
        let mut rows = chain(5);
        let head = rows[4].hash.clone();
        rows[1].target_id = "forged".into();
        rows[1].hash = entry_hash(&rows[1]);
        assert_eq!(verify_chain(&rows, 5, &head).unwrap_err().seq, 3);
    }

    #[test]
    fn removed_rows_are_found() {
        let mut rows = chain(5);
        let head = rows[4].hash.clone();
        rows.remove(1);
        assert_eq!(verify_chain(&rows, 5, &head).unwrap_err().seq, 2);
        let mut rows = chain(5);
        rows.pop();
        assert_eq!(verify_chain(&rows, 5, &head).unwrap_err().seq, 5);
    }
}
