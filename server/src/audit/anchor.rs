//! Anchoring the audit chain outside the database.
//!
//! The hash chain alone shows that entries were changed *unless* whoever changed them also
//! recomputed every hash after them and the chain head (`audit_heads`): anyone who can write the
//! database can do that. So every entry also carries an *anchor*, an HMAC-SHA256 over its
//! chain hash keyed by a secret the database never holds (`audit.anchor_key`, or the key file,
//! created once with mode 0600 in the data directory). Rewriting an entry changes its hash and
//! the hashes after it; without the key their anchors cannot be redone, and `stoa audit
//! verify` names the first entry whose anchor fails (or is missing).
//!
//! Entries written before anchoring existed (migration 0009) carry none; the first anchored
//! entry after them covers them through its chain hash. When that migration is applied, the
//! newest entry of each tenant is anchored once ([`seal_legacy`]), so a chain with no activity
//! since is covered too. Removing the newest entries and rolling the head back leaves a valid
//! shorter chain: the audit mirror, outside the database, is what shows those (verify compares
//! it when `audit.mirror_dir` is set).
//!
//! The key is installed once per process ([`install`]) because entries are appended from
//! every feature's transaction through [`super::record`], which takes only a connection. Every
//! node of an install must use the same key (set `audit.anchor_key` or share the file).

use ring::hmac;
use std::sync::OnceLock;

static KEY: OnceLock<hmac::Key> = OnceLock::new();

/// Domain separation: these bytes are signed nowhere else.
const CONTEXT: &[u8] = b"stoa-audit-anchor-v1\0";

/// Make `key` the process's anchor key; the first one installed stays.
pub fn install(key: hmac::Key) {
    let _ = KEY.set(key);
}

/// The installed key.
pub fn key() -> Option<&'static hmac::Key> {
    KEY.get()
}

pub fn new_key(raw: &[u8; 32]) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, raw)
}

/// A fingerprint of the key that reveals nothing of it (nodes compare theirs: `db::keys`).
pub fn fingerprint(key: &hmac::Key) -> String {
    hex::encode(&hmac::sign(key, b"stoa-audit-anchor-fingerprint").as_ref()[..8])
}

/// The anchor of an entry with chain hash `hash` (hex).
pub fn sign(key: &hmac::Key, tenant_id: &str, seq: i64, hash: &str) -> String {
    hex::encode(hmac::sign(key, &message(tenant_id, seq, hash)).as_ref())
}

/// Whether `anchor` is the anchor of that entry (compared in constant time).
pub fn verify(key: &hmac::Key, tenant_id: &str, seq: i64, hash: &str, anchor: &str) -> bool {
    match hex::decode(anchor) {
        Ok(tag) => hmac::verify(key, &message(tenant_id, seq, hash), &tag).is_ok(),
        Err(_) => false,
    }
}

fn message(tenant_id: &str, seq: i64, hash: &str) -> Vec<u8> {
    let mut m = CONTEXT.to_vec();
    m.extend_from_slice(tenant_id.as_bytes());
    m.push(0);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash.as_bytes());
    m
}

/// Load the anchor key: `audit.anchor_key` (base64 of 32 bytes), else the key file. With
/// `create`, a missing file is made with a fresh random key (mode 0600); without it (the
/// verifier), a missing key is an error, since a new key would fail every anchor.
pub fn load(cfg: &crate::config::Config, create: bool) -> Result<hmac::Key, crate::BoxError> {
    use base64::Engine;
    let decode = |s: &str, from: &str| -> Result<[u8; 32], crate::BoxError> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map_err(|_| format!("{from}: the audit anchor key must be base64"))?;
        <[u8; 32]>::try_from(raw.as_slice())
            .map_err(|_| format!("{from}: the audit anchor key must be 32 bytes").into())
    };
    if !cfg.audit.anchor_key.is_empty() {
        return Ok(new_key(&decode(
            cfg.audit.anchor_key.expose(),
            "audit.anchor_key",
        )?));
    }
    let file = cfg.audit_anchor_key_file();
    match std::fs::read_to_string(&file) {
        Ok(text) => Ok(new_key(&decode(&text, &file.display().to_string())?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let mut k = [0u8; 32];
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut k)
                .map_err(|_| "no randomness for the audit anchor key")?;
            crate::write_secret_file(&file, &base64::engine::general_purpose::STANDARD.encode(k))?;
            tracing::warn!(path = %file.display(), "created the audit anchor key file: back it up, and give every node the same key; without it the audit chain cannot be verified");
            Ok(new_key(&k))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "no audit anchor key: set audit.anchor_key or provide {}",
            file.display()
        )
        .into()),
        Err(e) => Err(format!("cannot read {}: {e}", file.display()).into()),
    }
}

/// Apply the migrations; when this run applied the one that introduced anchors, anchor the
/// newest entry of every tenant's chain as it stands (once: never again, so that an attacker
/// who strips anchors cannot have the server sign a rewritten chain on its next start).
/// Several nodes starting at once take turns (`db::migrate`): the check and the sealing happen
/// under the same lock as the migrations, so exactly one process seals.
pub async fn migrate(db: &crate::db::Db, key: &hmac::Key) -> Result<(), crate::BoxError> {
    let mut lock = db.migration_lock().await?;
    let done = migrate_locked(db, key, &mut lock).await;
    lock.release().await;
    done
}

async fn migrate_locked(
    db: &crate::db::Db,
    key: &hmac::Key,
    lock: &mut crate::db::migrate::MigrationLock,
) -> Result<(), crate::BoxError> {
    let before = super::store::anchors_migrated(db).await;
    lock.apply(db).await?;
    if !before {
        let n = seal_legacy(db, key).await?;
        if n > 0 {
            tracing::info!(
                tenants = n,
                "anchored the audit chains written before anchoring"
            );
        }
    }
    Ok(())
}

/// Anchor the newest entry of each tenant whose newest entry has none; the tenants sealed.
pub async fn seal_legacy(db: &crate::db::Db, key: &hmac::Key) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let heads = super::store::unanchored_heads(&mut tx).await?;
    let n = heads.len() as u64;
    for (tenant_id, seq, hash) in heads {
        let anchor = sign(key, &tenant_id, seq, &hash);
        super::store::set_anchor(&mut tx, &tenant_id, seq, &anchor).await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// The anchor of a chain's new start after retention removed its oldest entries, up to `seq`
/// with hash `hash`: signed apart from entry anchors, so an entry's anchor cannot vouch for a
/// truncation.
pub fn sign_pruned(key: &hmac::Key, tenant_id: &str, seq: i64, hash: &str) -> String {
    sign(key, &format!("{tenant_id}/pruned"), seq, hash)
}

pub fn verify_pruned(key: &hmac::Key, tenant_id: &str, seq: i64, hash: &str, anchor: &str) -> bool {
    verify(key, &format!("{tenant_id}/pruned"), seq, hash, anchor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_bind_key_tenant_seq_and_hash() {
        let k = new_key(&[7u8; 32]);
        let a = sign(&k, "t", 3, "abc");
        assert!(verify(&k, "t", 3, "abc", &a));
        assert!(!verify(&k, "t", 3, "abd", &a));
        assert!(!verify(&k, "t", 4, "abc", &a));
        assert!(!verify(&k, "u", 3, "abc", &a));
        assert!(!verify(&new_key(&[8u8; 32]), "t", 3, "abc", &a));
        assert!(!verify(&k, "t", 3, "abc", ""));
        assert!(!verify(&k, "t", 3, "abc", "zz"));
    }
}
