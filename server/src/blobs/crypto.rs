//! Encryption at rest: blobs sealed in 64 KiB chunks with AES-256-GCM, so that uploads stream and
//! range reads decrypt only the chunks they touch. The cipher is `ring`'s (already linked for
//! TLS): its assembly AES-GCM measured 2–3× RustCrypto's `aes-gcm` on this machine, and sealing
//! sits on every uploaded and downloaded byte.
//!
//! Object layout: a 16-byte header `b"STB1" | key version (u32 BE) | nonce prefix (7) | 0`, then
//! chunk after chunk, each `CHUNK` plaintext bytes (the last may be shorter, possibly empty)
//! followed by its 16-byte tag. Chunk `i` is sealed with the nonce `prefix | i (u32 BE) | last`
//! (the STREAM construction: reordering, truncation and extension are detected) and the header
//! plus the object key as associated data (a blob cannot be swapped for another).
//!
//! Each tenant's data key is random and stored wrapped by the install's master key
//! ([`KeyRing`]); destroying it makes every blob sealed with it unreadable (crypto-shredding).

use super::store;
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use rand::RngCore;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use std::{io, pin::Pin};

/// Plaintext bytes per sealed chunk.
pub const CHUNK: usize = 64 * 1024;
pub const TAG: usize = 16;
pub const HEADER: usize = 16;
const MAGIC: &[u8; 4] = b"STB1";

pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// An AES-256-GCM key.
pub type Cipher = LessSafeKey;

pub fn cipher(key: &[u8]) -> Result<Cipher, KeyError> {
    Ok(LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, key).map_err(|_| KeyError::Unwrap)?,
    ))
}

fn seal_in_place(key: &Cipher, nonce: [u8; 12], aad: &[u8], buf: &mut BytesMut) -> io::Result<()> {
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf)
        .map_err(|_| io::Error::other("encryption failed"))
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the tenant's data key was destroyed; its files can no longer be read")]
    Destroyed,
    #[error("no data key version {0} exists for this tenant")]
    Missing(i64),
    #[error("the tenant's data key was wrapped by master key {found}, but this server has {ours}: configure the same master key on every node")]
    WrongMaster { found: String, ours: String },
    #[error(
        "a wrapped data key failed to decrypt: the master key is wrong or the row was altered"
    )]
    Unwrap,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// The install's master key and the tenant keys it wraps.
pub struct KeyRing {
    master: Cipher,
    /// First 8 bytes of SHA-256 of the master key, hex: names the key without revealing it.
    pub master_id: String,
    /// HMAC key derived from the master key, for digests of short secrets (one-time codes)
    /// that a copy of the database alone must not let anyone try offline.
    mac: ring::hmac::Key,
}

fn wrap_aad(tenant_id: &str, version: i64) -> Vec<u8> {
    let mut aad = b"stoa-tenant-key|".to_vec();
    aad.extend_from_slice(tenant_id.as_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

impl KeyRing {
    pub fn new(master_key: &[u8; 32]) -> KeyRing {
        let id = Sha256::digest(master_key);
        KeyRing {
            master: LessSafeKey::new(
                UnboundKey::new(&AES_256_GCM, master_key).unwrap_or_else(|_| unreachable!()),
            ),
            master_id: hex::encode(&id[..8]),
            mac: ring::hmac::Key::new(
                ring::hmac::HMAC_SHA256,
                &Sha256::digest([b"stoa-mac-v1|".as_slice(), master_key].concat()),
            ),
        }
    }

    /// A keyed digest (hex) of `parts`, each length-prefixed so no two inputs collide.
    pub fn mac(&self, parts: &[&[u8]]) -> String {
        let mut ctx = ring::hmac::Context::with_key(&self.mac);
        for p in parts {
            ctx.update(&(p.len() as u64).to_be_bytes());
            ctx.update(p);
        }
        hex::encode(ctx.sign().as_ref())
    }

    /// Load the master key from `key` (base64 of 32 bytes) or else from `file`, creating the file
    /// with a fresh random key (mode 0600) when it does not exist.
    pub fn load(key: &str, file: &std::path::Path) -> Result<KeyRing, crate::BoxError> {
        use base64::Engine;
        let decode = |s: &str, from: &str| -> Result<[u8; 32], crate::BoxError> {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .map_err(|_| format!("{from}: the master key must be base64"))?;
            <[u8; 32]>::try_from(raw.as_slice())
                .map_err(|_| format!("{from}: the master key must be 32 bytes").into())
        };
        if !key.is_empty() {
            return Ok(KeyRing::new(&decode(key, "storage.master_key")?));
        }
        match std::fs::read_to_string(file) {
            Ok(text) => Ok(KeyRing::new(&decode(&text, &file.display().to_string())?)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mut k = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut k);
                crate::write_secret_file(
                    file,
                    &base64::engine::general_purpose::STANDARD.encode(k),
                )?;
                tracing::warn!(path = %file.display(), "created a new master key file: back it up; without it no encrypted file can be read");
                Ok(KeyRing::new(&k))
            }
            Err(e) => Err(format!("cannot read {}: {e}", file.display()).into()),
        }
    }

    fn unwrap_key(
        &self,
        tenant_id: &str,
        version: i64,
        wrapped: &[u8],
        master_id: &str,
    ) -> Result<Cipher, KeyError> {
        if wrapped.is_empty() {
            return Err(KeyError::Destroyed);
        }
        if master_id != self.master_id {
            return Err(KeyError::WrongMaster {
                found: master_id.to_string(),
                ours: self.master_id.clone(),
            });
        }
        if wrapped.len() < 12 {
            return Err(KeyError::Unwrap);
        }
        let (nonce, ct) = wrapped.split_at(12);
        let nonce = <[u8; 12]>::try_from(nonce).map_err(|_| KeyError::Unwrap)?;
        let aad = wrap_aad(tenant_id, version);
        let mut buf = ct.to_vec();
        let key = self
            .master
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut buf,
            )
            .map_err(|_| KeyError::Unwrap)?;
        cipher(key)
    }

    fn wrap_key(&self, tenant_id: &str, version: i64, key: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = wrap_aad(tenant_id, version);
        let mut ct = key.to_vec();
        self.master
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut ct,
            )
            .map_err(|_| KeyError::Unwrap)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// The tenant's current data key, created on first use (and again after a destruction).
    pub async fn current(
        &self,
        db: &crate::db::Db,
        tenant_id: &str,
    ) -> Result<(i64, Cipher), KeyError> {
        for _ in 0..3 {
            let mut conn = db.conn().await?;
            let row = store::current_key(&mut conn, tenant_id).await?;
            drop(conn);
            if let Some((version, wrapped, master_id)) = row {
                return Ok((
                    version,
                    self.unwrap_key(tenant_id, version, &wrapped, &master_id)?,
                ));
            }
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            let mut tx = db.begin().await?;
            let next = store::next_key_version(&mut tx, tenant_id).await?;
            let wrapped = self.wrap_key(tenant_id, next, &key)?;
            let inserted = store::insert_key(
                &mut tx,
                tenant_id,
                next,
                wrapped,
                &self.master_id,
                crate::db::now_ms(),
            )
            .await?;
            tx.commit().await?;
            if inserted {
                return Ok((next, cipher(&key)?));
            }
            // Another request created it first; read theirs.
        }
        Err(KeyError::Missing(0))
    }

    /// A given version of the tenant's data key. Read from the database every time, so a key
    /// destroyed on one node is unusable on every node at once.
    pub async fn get(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        version: i64,
    ) -> Result<Cipher, KeyError> {
        let row = store::key(conn, tenant_id, version).await?;
        let (wrapped, master_id) = row.ok_or(KeyError::Missing(version))?;
        self.unwrap_key(tenant_id, version, &wrapped, &master_id)
    }

    /// Refuse to start with a master key other than the one that wrapped the stored keys.
    pub async fn check(&self, db: &crate::db::Db) -> Result<(), KeyError> {
        let mut conn = db.conn().await?;
        let other = store::other_master(&mut conn, &self.master_id).await?;
        match other {
            Some(found) => Err(KeyError::WrongMaster {
                found,
                ours: self.master_id.clone(),
            }),
            None => Ok(()),
        }
    }
}

/// Destroy every data key of a tenant (crypto-shredding): the wrapped keys are emptied, so no
/// master key can recover them. Returns how many keys were destroyed.
pub async fn destroy_tenant_keys(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<u64, sqlx::Error> {
    store::destroy_keys(conn, tenant_id, crate::db::now_ms()).await
}

fn nonce(prefix: &[u8; 7], index: u64, last: bool) -> io::Result<[u8; 12]> {
    let index = u32::try_from(index).map_err(|_| io::Error::other("object too large"))?;
    let mut n = [0u8; 12];
    n[..7].copy_from_slice(prefix);
    n[7..11].copy_from_slice(&index.to_be_bytes());
    n[11] = u8::from(last);
    Ok(n)
}

fn aad(header: &[u8], object_key: &str) -> Vec<u8> {
    let mut a = header.to_vec();
    a.extend_from_slice(object_key.as_bytes());
    a
}

/// How many chunks a plaintext of `size` bytes seals into (an empty one still has one).
pub fn chunk_count(size: u64) -> u64 {
    size.div_ceil(CHUNK as u64).max(1)
}

/// Stored size of a sealed plaintext of `size` bytes.
pub fn sealed_size(size: u64) -> u64 {
    HEADER as u64 + size + chunk_count(size) * TAG as u64
}

/// Seal a plaintext stream for `object_key` with `key` (version `key_version`).
pub fn seal(input: ByteStream, key: Cipher, key_version: i64, object_key: &str) -> ByteStream {
    let mut prefix = [0u8; 7];
    rand::rngs::OsRng.fill_bytes(&mut prefix);
    let mut header = [0u8; HEADER];
    header[..4].copy_from_slice(MAGIC);
    header[4..8].copy_from_slice(&(key_version as u32).to_be_bytes());
    header[8..15].copy_from_slice(&prefix);
    let aad = aad(&header, object_key);
    struct St {
        input: ByteStream,
        buf: BytesMut,
        index: u64,
        done: bool,
        header_sent: bool,
    }
    let st = St {
        input,
        buf: BytesMut::new(),
        index: 0,
        done: false,
        header_sent: false,
    };
    Box::pin(futures_util::stream::unfold(st, move |mut st| {
        let key = key.clone();
        let aad = aad.clone();
        async move {
            if st.done {
                return None;
            }
            if !st.header_sent {
                st.header_sent = true;
                return Some((Ok(Bytes::copy_from_slice(&header)), st));
            }
            // A full chunk is sealed as "not last" only once a byte beyond it has arrived.
            while st.buf.len() <= CHUNK {
                match st.input.next().await {
                    Some(Ok(b)) => st.buf.extend_from_slice(&b),
                    Some(Err(e)) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                    None => {
                        st.done = true;
                        let mut chunk = st.buf.split();
                        let out = nonce(&prefix, st.index, true)
                            .and_then(|n| seal_in_place(&key, n, &aad, &mut chunk));
                        return Some((out.map(|()| chunk.freeze()), st));
                    }
                }
            }
            let mut chunk = st.buf.split_to(CHUNK);
            let out = nonce(&prefix, st.index, false)
                .and_then(|n| seal_in_place(&key, n, &aad, &mut chunk));
            st.index += 1;
            Some((out.map(|()| chunk.freeze()), st))
        }
    }))
}

/// Parse a sealed object's header: the key version and the nonce prefix.
pub fn parse_header(h: &[u8]) -> io::Result<(i64, [u8; 7])> {
    if h.len() < HEADER || &h[..4] != MAGIC {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not a sealed object",
        ));
    }
    let version = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    let mut prefix = [0u8; 7];
    prefix.copy_from_slice(&h[8..15]);
    Ok((i64::from(version), prefix))
}

/// The byte range of the stored object that holds plaintext `[start, end]` (inclusive), and
/// the index of its first chunk.
pub fn sealed_range(start: u64, end: u64, size: u64) -> (u64, u64, u64) {
    let c = CHUNK as u64;
    let first = start / c;
    let last = end / c;
    let from = HEADER as u64 + first * (c + TAG as u64);
    let to = (HEADER as u64 + (last + 1) * (c + TAG as u64)).min(sealed_size(size)) - 1;
    (from, to, first)
}

/// Open the chunks of `input` (starting with chunk `first_chunk`, as returned by
/// [`sealed_range`]) and yield plaintext `[start, end]` of an object of plaintext `size`.
#[allow(clippy::too_many_arguments)]
pub fn open(
    input: ByteStream,
    key: Cipher,
    header: [u8; HEADER],
    object_key: &str,
    size: u64,
    first_chunk: u64,
    start: u64,
    end: u64,
) -> io::Result<ByteStream> {
    let (_, prefix) = parse_header(&header)?;
    let aad = aad(&header, object_key);
    let chunks = chunk_count(size);
    let c = CHUNK as u64;
    struct St {
        input: ByteStream,
        buf: BytesMut,
        index: u64,
        done: bool,
    }
    let st = St {
        input,
        buf: BytesMut::new(),
        index: first_chunk,
        done: false,
    };
    Ok(Box::pin(futures_util::stream::unfold(st, move |mut st| {
        let key = key.clone();
        let aad = aad.clone();
        async move {
            if st.done || st.index >= chunks || st.index * c > end {
                return None;
            }
            let last = st.index + 1 == chunks;
            let want = if last {
                (size - st.index * c) as usize + TAG
            } else {
                CHUNK + TAG
            };
            while st.buf.len() < want {
                match st.input.next().await {
                    Some(Ok(b)) => st.buf.extend_from_slice(&b),
                    Some(Err(e)) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                    None => {
                        st.done = true;
                        return Some((
                            Err(io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "sealed object is truncated",
                            )),
                            st,
                        ));
                    }
                }
            }
            let mut plain = st.buf.split_to(want);
            let opened = nonce(&prefix, st.index, last).and_then(|n| {
                key.open_in_place(
                    Nonce::assume_unique_for_key(n),
                    Aad::from(&aad),
                    &mut plain[..],
                )
                .map(|p| p.len())
                .map_err(|_| {
                    io::Error::new(io::ErrorKind::InvalidData, "sealed chunk failed to open")
                })
            });
            match opened {
                Ok(len) => plain.truncate(len),
                Err(e) => {
                    st.done = true;
                    return Some((Err(e), st));
                }
            }
            let chunk_start = st.index * c;
            let lo = start.saturating_sub(chunk_start) as usize;
            let hi = ((end + 1 - chunk_start) as usize).min(plain.len());
            st.index += 1;
            let piece = plain.freeze().slice(lo.min(hi)..hi);
            Some((Ok(piece), st))
        }
    })))
}

impl crate::error::ToProblem for KeyError {
    fn code(&self) -> crate::error::Code {
        match self {
            KeyError::Destroyed => crate::error::Code::KeyDestroyed,
            _ => crate::error::Code::Internal,
        }
    }
    fn detail(&self) -> String {
        match self {
            KeyError::Destroyed => {
                "this file's content was destroyed and can no longer be read".into()
            }
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_of(data: Vec<u8>, piece: usize) -> ByteStream {
        let parts: Vec<io::Result<Bytes>> = data
            .chunks(piece.max(1))
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        Box::pin(futures_util::stream::iter(parts))
    }

    async fn collect(s: ByteStream) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut s = s;
        while let Some(b) = s.next().await {
            out.extend_from_slice(&b?);
        }
        Ok(out)
    }

    async fn roundtrip(size: usize, start: u64, end: u64) {
        let key = cipher(&[7u8; 32]).unwrap();
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        let sealed = collect(seal(stream_of(data.clone(), 10_000), key.clone(), 3, "k"))
            .await
            .unwrap();
        assert_eq!(sealed.len() as u64, sealed_size(size as u64));
        let mut header = [0u8; HEADER];
        header.copy_from_slice(&sealed[..HEADER]);
        assert_eq!(parse_header(&header).unwrap().0, 3);
        if size == 0 {
            return;
        }
        let (from, to, first) = sealed_range(start, end, size as u64);
        let body = sealed[from as usize..=to as usize].to_vec();
        let plain = collect(
            open(
                stream_of(body, 7_000),
                key,
                header,
                "k",
                size as u64,
                first,
                start,
                end,
            )
            .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(plain, data[start as usize..=end as usize]);
    }

    #[tokio::test]
    async fn seal_and_open_ranges() {
        roundtrip(0, 0, 0).await;
        roundtrip(1, 0, 0).await;
        roundtrip(CHUNK, 0, CHUNK as u64 - 1).await;
        roundtrip(CHUNK * 3, 10, CHUNK as u64 * 2 + 5).await;
        roundtrip(CHUNK * 3 + 17, CHUNK as u64 * 3, CHUNK as u64 * 3 + 16).await;
        roundtrip(200_000, 65_535, 65_536).await;
        roundtrip(200_000, 0, 199_999).await;
    }

    #[tokio::test]
    async fn tampering_and_truncation_are_detected() {
        let key = cipher(&[9u8; 32]).unwrap();
        let data = vec![5u8; CHUNK * 2];
        let sealed = collect(seal(stream_of(data, 4096), key.clone(), 1, "obj"))
            .await
            .unwrap();
        let mut header = [0u8; HEADER];
        header.copy_from_slice(&sealed[..HEADER]);
        let size = (CHUNK * 2) as u64;
        let open_all = |body: Vec<u8>, object: &str| {
            open(
                stream_of(body, 9000),
                key.clone(),
                header,
                object,
                size,
                0,
                0,
                size - 1,
            )
            .unwrap()
        };
        // Truncated: the first chunk alone is not accepted as the last one.
        let cut = sealed[HEADER..HEADER + CHUNK + TAG].to_vec();
        assert!(collect(open_all(cut, "obj")).await.is_err());
        // Flipped bit.
        let mut bad = sealed[HEADER..].to_vec();
        bad[100] ^= 1;
        assert!(collect(open_all(bad, "obj")).await.is_err());
        // Same bytes under another object's name.
        assert!(collect(open_all(sealed[HEADER..].to_vec(), "other"))
            .await
            .is_err());
        assert!(collect(open_all(sealed[HEADER..].to_vec(), "obj"))
            .await
            .is_ok());
    }

    #[test]
    fn keys_wrap_and_unwrap() {
        let ring = KeyRing::new(&[1u8; 32]);
        let wrapped = ring.wrap_key("t1", 1, &[2u8; 32]).unwrap();
        assert!(ring.unwrap_key("t1", 1, &wrapped, &ring.master_id).is_ok());
        assert!(matches!(
            ring.unwrap_key("t2", 1, &wrapped, &ring.master_id),
            Err(KeyError::Unwrap)
        ));
        assert!(matches!(
            ring.unwrap_key("t1", 1, &[], &ring.master_id),
            Err(KeyError::Destroyed)
        ));
        let other = KeyRing::new(&[3u8; 32]);
        assert!(matches!(
            other.unwrap_key("t1", 1, &wrapped, &ring.master_id),
            Err(KeyError::WrongMaster { .. })
        ));
    }
}
