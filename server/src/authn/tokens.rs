//! Opaque secrets (session tokens, invitation tokens, the setup token): 256 random bits,
//! shown once, stored only as a SHA-256 digest. A fast digest is right here because the input
//! has full entropy; passwords use argon2id instead.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new secret with a readable prefix (`stoa_s_…` for sessions, etc.).
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a secret.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time comparison of two digests.
pub fn digests_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let a = generate("stoa_s_");
        let b = generate("stoa_s_");
        assert_ne!(a, b);
        assert!(a.starts_with("stoa_s_") && a.len() >= 7 + 43);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&a).len(), 64);
        assert!(!hash(&a).contains(&a[7..]));
        assert!(digests_equal(&hash(&a), &hash(&a)));
        assert!(!digests_equal(&hash(&a), &hash(&b)));
    }
}
