//! The tamper-evident audit log.
//!
//! Each tenant's entries form a hash chain: entry `n` stores the hash of entry `n-1` and its own
//! hash over a canonical JSON encoding of its fields. `audit_heads` keeps each tenant's head (last
//! sequence number and hash), so removing entries from the end is detected too. Each entry also carries
//! an anchor, an HMAC of its hash under a key kept outside the database ([`anchor`]), so the
//! chain cannot be rewritten consistently by someone who can only write the database. An entry
//! is written in the same transaction as the change it records, and announces itself on the
//! outbox (`audit.appended`) for the mirror consumer.

pub mod anchor;
pub mod api;
pub mod lifecycle;
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
    /// HMAC of `hash` under the anchor key; empty for entries written before anchoring.
    pub anchor: String,
    /// Random salt of [`pii_digest`](Row::pii_digest); empty once the entry's personal fields
    /// were erased (and for entries written before personal fields were digested).
    #[serde(skip)]
    pub pii_salt: String,
    /// SHA-256 over the salt, the address and the details: what the hash covers instead of
    /// those fields, so erasing them keeps the chain whole. Empty for older entries, whose
    /// hash covers the fields themselves.
    #[serde(skip)]
    pub pii_digest: String,
}

/// What an entry's details read once its personal fields were erased.
pub const ERASED_DETAILS: &str = r#"{"erased":true}"#;

/// The digest of an entry's personal fields under its salt.
pub fn pii_digest(salt: &str, ip: &str, details: &str) -> String {
    let canonical = serde_json::json!([salt, ip, details]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// The hash of an entry over a canonical, unambiguous encoding of every field but `hash`.
pub fn entry_hash(r: &Row) -> String {
    if !r.pii_digest.is_empty() {
        // The personal fields (address, details) count through their salted digest.
        let canonical = serde_json::json!([
            "v2",
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
            r.request_id,
            r.pii_digest
        ]);
        return hex::encode(Sha256::digest(canonical.to_string().as_bytes()));
    }
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

/// Append an entry inside the caller's transaction. On PostgreSQL the upsert of the tenant's
/// head row serialises appends per tenant, so sequence numbers have no gaps or forks.
pub async fn record(conn: &mut AnyConnection, e: Entry) -> Result<(), sqlx::Error> {
    let (seq, prev_hash) = store::next_seq(&mut *conn, &e.tenant_id).await?;
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
        anchor: String::new(),
        pii_salt: uuid::Uuid::new_v4().simple().to_string(),
        pii_digest: String::new(),
    };
    row.pii_digest = pii_digest(&row.pii_salt, &row.ip, &row.details);
    row.hash = entry_hash(&row);
    // No entry without its anchor: a process that did not load the key must not write
    // entries that would later read as stripped of theirs.
    let key = anchor::key().ok_or_else(|| {
        sqlx::Error::Configuration("the audit anchor key is not loaded in this process".into())
    })?;
    row.anchor = anchor::sign(key, &row.tenant_id, row.seq, &row.hash);
    store::insert(&mut *conn, &row).await?;
    store::set_head(&mut *conn, &row.tenant_id, &row.hash).await?;
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

/// Checks a tenant's chain one entry at a time, in sequence order, with constant memory:
/// links, hashes and anchors.
pub struct Verifier {
    key: ring::hmac::Key,
    prev: String,
    count: i64,
    /// An anchored entry was seen: every entry after it must be anchored too.
    anchored: bool,
    /// The newest entry pushed carries a valid anchor.
    last_anchored: bool,
}

impl Verifier {
    pub fn new(key: ring::hmac::Key) -> Verifier {
        Verifier {
            key,
            prev: String::new(),
            count: 0,
            anchored: false,
            last_anchored: false,
        }
    }

    /// Verify a chain whose oldest entries retention removed: it starts after entry `seq`
    /// (hash `hash`), which the pruning anchor must vouch for.
    pub fn resume(
        key: ring::hmac::Key,
        tenant_id: &str,
        seq: i64,
        hash: &str,
        pruned_anchor: &str,
    ) -> Result<Verifier, ChainBreak> {
        if !anchor::verify_pruned(&key, tenant_id, seq, hash, pruned_anchor) {
            return Err(ChainBreak {
                seq: seq + 1,
                reason: "the chain's recorded start (entries removed by retention) carries no \
                         valid anchor: entries were removed from the start"
                    .into(),
            });
        }
        Ok(Verifier {
            key,
            prev: hash.to_string(),
            count: seq,
            anchored: true,
            last_anchored: true,
        })
    }

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
        if !r.pii_salt.is_empty() && pii_digest(&r.pii_salt, &r.ip, &r.details) != r.pii_digest {
            return Err(ChainBreak {
                seq: r.seq,
                reason: "its address or details were altered (digest mismatch)".into(),
            });
        }
        if entry_hash(r) != r.hash {
            return Err(ChainBreak {
                seq: r.seq,
                reason: "its content was altered (hash mismatch)".into(),
            });
        }
        if r.anchor.is_empty() {
            // Written before anchoring existed: covered by the first anchored entry after it
            // (whose hash chains back over it). Once anchors start, none may be missing.
            if self.anchored {
                return Err(ChainBreak {
                    seq: r.seq,
                    reason: "it carries no anchor though the entries before it do (anchors \
                             were removed)"
                        .into(),
                });
            }
            self.last_anchored = false;
        } else if anchor::verify(&self.key, &r.tenant_id, r.seq, &r.hash, &r.anchor) {
            self.anchored = true;
            self.last_anchored = true;
        } else {
            return Err(ChainBreak {
                seq: r.seq,
                reason: "its anchor does not match: the entry was rewritten and the hashes \
                         recomputed (or the anchor key is not the one that wrote it)"
                    .into(),
            });
        }
        self.prev = r.hash.clone();
        self.count = r.seq;
        Ok(())
    }

    /// Compare the end of the chain with the head stored in `audit_heads`, which catches
    /// entries removed from the end, and require the newest entry to be anchored.
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
        if self.count > 0 && !self.last_anchored {
            return Err(ChainBreak {
                seq: self.count,
                reason: "the newest entry carries no anchor: nothing outside the database \
                         vouches for the chain"
                    .into(),
            });
        }
        Ok(self.count as u64)
    }
}

/// Check a whole chain held in memory.
pub fn verify_chain(
    key: &ring::hmac::Key,
    rows: &[Row],
    head_seq: i64,
    head_hash: &str,
) -> Result<u64, ChainBreak> {
    let mut v = Verifier::new(key.clone());
    for r in rows {
        v.push(r)?;
    }
    v.finish(head_seq, head_hash)
}

/// Every tenant with an audit chain (entries, or a head after pruning), for install-wide
/// checks (`stoa backup --verify`).
pub async fn chain_tenants(db: &crate::db::Db) -> Result<Vec<String>, sqlx::Error> {
    let mut conn = db.conn().await?;
    store::chain_tenants(&mut conn).await
}

/// Verify a tenant's chain in the database, page by page, against the anchor key and, when
/// the tenant has a mirror file in `mirror_dir`, against that copy outside the database: an
/// entry that differs from its mirrored copy, or a mirrored entry the database no longer has
/// (the newest entries removed and the head rolled back), breaks the chain.
pub async fn verify_tenant(
    db: &crate::db::Db,
    key: &ring::hmac::Key,
    tenant_id: &str,
    mirror_dir: &str,
) -> Result<Result<u64, ChainBreak>, crate::BoxError> {
    let mut mirrored = mirror::Copy::open(mirror_dir, tenant_id)?;
    let mut conn = db.conn().await?;
    let (head_seq, head_hash) = store::head(&mut conn, tenant_id).await?;
    let (start, start_hash, start_anchor) = store::pruned(&mut conn, tenant_id).await?;
    let mut v = if start > 0 {
        match Verifier::resume(key.clone(), tenant_id, start, &start_hash, &start_anchor) {
            Ok(v) => v,
            Err(b) => return Ok(Err(b)),
        }
    } else {
        Verifier::new(key.clone())
    };
    let mut after = start;
    loop {
        let rows = store::chain_page(&mut conn, tenant_id, after, 1000).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for r in &rows {
            if let Err(b) = v.push(r) {
                return Ok(Err(b));
            }
            if let Some(m) = mirrored.as_mut() {
                if let Err(b) = m.compare(r)? {
                    return Ok(Err(b));
                }
            }
        }
    }
    let n = match v.finish(head_seq, &head_hash) {
        Ok(n) => n,
        Err(b) => return Ok(Err(b)),
    };
    if let Some(m) = mirrored.as_mut() {
        if let Some(b) = m.beyond(n as i64)? {
            return Ok(Err(b));
        }
    }
    Ok(Ok(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ring::hmac::Key {
        anchor::new_key(&[9u8; 32])
    }

    fn verify_chain(rows: &[Row], head_seq: i64, head_hash: &str) -> Result<u64, ChainBreak> {
        super::verify_chain(&key(), rows, head_seq, head_hash)
    }

    fn chain(n: i64) -> Vec<Row> {
        chain_with(n, false)
    }

    /// `digested`: entries as written since personal fields are digested (salt and digest).
    fn chain_with(n: i64, digested: bool) -> Vec<Row> {
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
                    anchor: String::new(),
                    pii_salt: String::new(),
                    pii_digest: String::new(),
                };
                if digested {
                    r.pii_salt = format!("salt{seq}");
                    r.pii_digest = pii_digest(&r.pii_salt, &r.ip, &r.details);
                }
                r.hash = entry_hash(&r);
                r.anchor = anchor::sign(&key(), &r.tenant_id, r.seq, &r.hash);
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
    fn erasing_personal_fields_keeps_the_chain_and_altering_them_does_not() {
        let rows = chain_with(4, true);
        let head = rows[3].hash.clone();
        assert_eq!(verify_chain(&rows, 4, &head), Ok(4));
        // Altered (salt kept): the digest no longer matches.
        let mut altered = rows.clone();
        altered[1].details = r#"{"name":"forged"}"#.into();
        assert_eq!(verify_chain(&altered, 4, &head).unwrap_err().seq, 2);
        // Erased as an erasure does (address, details and salt): the chain still verifies.
        let mut erased = rows.clone();
        erased[1].ip.clear();
        erased[1].details = ERASED_DETAILS.into();
        erased[1].pii_salt.clear();
        assert_eq!(verify_chain(&erased, 4, &head), Ok(4));
        // The rest of an erased entry is still covered by its hash.
        erased[1].action = "user.forged".into();
        assert_eq!(verify_chain(&erased, 4, &head).unwrap_err().seq, 2);
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
        // Its own anchor gives it away before the next link does.
        assert_eq!(verify_chain(&rows, 5, &head).unwrap_err().seq, 2);
        rows[1].anchor = anchor::sign(&key(), &rows[1].tenant_id, 2, &rows[1].hash);
        assert_eq!(verify_chain(&rows, 5, &head).unwrap_err().seq, 3);
    }

    #[test]
    fn consistent_rewrites_are_found_by_their_anchors() {
        // An attacker edits entry 3 and recomputes every hash and the head: the chain links,
        // but entry 3's anchor (made with a key the attacker lacks) no longer matches.
        let mut rows = chain(5);
        rows[2].target_id = "forged".into();
        for i in 2..rows.len() {
            rows[i].prev_hash = rows[i - 1].hash.clone();
            rows[i].hash = entry_hash(&rows[i]);
        }
        let head = rows[4].hash.clone();
        let b = verify_chain(&rows, 5, &head).unwrap_err();
        assert_eq!(b.seq, 3, "{b:?}");
        // Stripping the anchors from there on does not help.
        for r in rows.iter_mut().skip(2) {
            r.anchor.clear();
        }
        assert_eq!(verify_chain(&rows, 5, &head).unwrap_err().seq, 3);
        // Nor does signing them with another key.
        let other = anchor::new_key(&[1u8; 32]);
        for r in rows.iter_mut().skip(2) {
            r.anchor = anchor::sign(&other, &r.tenant_id, r.seq, &r.hash);
        }
        assert_eq!(verify_chain(&rows, 5, &head).unwrap_err().seq, 3);
    }

    #[test]
    fn entries_from_before_anchoring_are_covered_by_the_next_anchor() {
        let mut rows = chain(5);
        for r in rows.iter_mut().take(3) {
            r.anchor.clear();
        }
        let head = rows[4].hash.clone();
        assert_eq!(verify_chain(&rows, 5, &head), Ok(5));
        // A chain whose newest entry is unanchored has nothing vouching for it.
        let mut rows = chain(2);
        for r in &mut rows {
            r.anchor.clear();
        }
        let head = rows[1].hash.clone();
        assert_eq!(verify_chain(&rows, 2, &head).unwrap_err().seq, 2);
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
