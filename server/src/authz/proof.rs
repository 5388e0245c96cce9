//! What every proof has in common. A proof is a value only a check makes (its fields are
//! private): [`super::Granted`] for a permission, object-level proofs that features make
//! (document access, room membership), and a system pass's own token (the trash sweeper,
//! lifecycle purges). This file imports nothing, so the
//! lifecycle registry can make a proof without depending on authorization. Destructive helpers that serve several features — files'
//! `purge` — take any proof, and act only in the tenant the proof was made for.

/// A check that was made, in one tenant.
pub trait Proof: Send + Sync {
    /// The tenant the check was made in: a proof never reaches into another tenant.
    fn tenant_id(&self) -> &str;
}
