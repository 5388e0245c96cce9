//! Blob storage: one [`BlobStore`] trait with a local-directory and an S3 implementation, and
//! [`Blobs`], which streams content through hashing, size limits and encryption at rest.
//!
//! Object keys are generated here (`t/<tenant id>/<shard>/<id>`), never derived from a file
//! name. Content is written first and the referencing row second; [`sweep`] removes objects
//! that no row references after a grace period.

pub mod crypto;
pub mod local;
pub mod s3;
pub mod seal;
pub mod store;
pub mod sweep;

use async_trait::async_trait;
use bytes::Bytes;
pub use crypto::ByteStream;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::{
    io,
    sync::{Arc, Mutex},
};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("object not found")]
    NotFound,
    #[error("invalid object key")]
    InvalidKey,
    #[error("content exceeds the limit of {0} bytes")]
    TooLarge(u64),
    #[error(transparent)]
    Key(#[from] crypto::KeyError),
    #[error("storage I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("storage backend error: {0}")]
    Backend(String),
}

#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub key: String,
    /// Stored size (sealed objects are larger than their content).
    pub size: u64,
    pub modified_ms: i64,
}

/// Where blobs live. Implementations make `put` atomic: an object is visible complete or not
/// at all.
#[async_trait]
pub trait BlobStore: Send + Sync {
    fn name(&self) -> &'static str;
    /// Store the stream under `key`; returns the bytes stored. An error from the stream aborts
    /// the upload and leaves nothing visible.
    async fn put(&self, key: &str, body: ByteStream) -> Result<u64, BlobError>;
    /// Read the object, or the inclusive byte range of it.
    async fn get(&self, key: &str, range: Option<(u64, u64)>) -> Result<ByteStream, BlobError>;
    /// Remove the object; removing a missing object succeeds.
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    async fn exists(&self, key: &str) -> Result<bool, BlobError>;
    /// Every complete object whose key starts with `prefix`.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, BlobError>;
    /// Remove uploads that never completed (temporary files, multipart uploads) started before
    /// `older_than_ms`; returns how many (would have been) removed.
    async fn remove_incomplete(&self, older_than_ms: i64, dry_run: bool) -> Result<u64, BlobError>;
    /// A URL that lets a client fetch the object directly for `expires_secs`, when the store
    /// can make one.
    async fn presign_get(
        &self,
        _key: &str,
        _expires_secs: u32,
        _file_name: &str,
        _content_type: &str,
    ) -> Result<Option<String>, BlobError> {
        Ok(None)
    }
}

/// Keys are made by [`Blobs::new_key`]; refuse anything else before it reaches a path or URL.
pub fn check_key(key: &str) -> Result<(), BlobError> {
    let ok = !key.is_empty()
        && key.len() <= 200
        && key
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(BlobError::InvalidKey)
    }
}

/// What a completed upload produced.
#[derive(Debug, Clone)]
pub struct Stored {
    pub key: String,
    /// Plaintext size.
    pub size: u64,
    /// Hex SHA-256 of the plaintext.
    pub sha256: String,
    /// Tenant key version that sealed it; 0 = stored in the clear.
    pub key_version: i64,
    /// The first bytes of the content, for type detection.
    pub head: Vec<u8>,
}

/// Bytes kept from the start of an upload for content-type detection.
pub const HEAD_BYTES: usize = 8192;

#[derive(Default)]
struct Meter {
    size: u64,
    head: Vec<u8>,
    too_large: bool,
}

/// SHA-256 on its own thread, fed chunk by chunk: hashing (~1.4 GB/s here) then overlaps with
/// sealing and writing instead of adding to them. The digest arrives once every sender is gone.
fn start_hasher() -> (
    std::sync::mpsc::SyncSender<Bytes>,
    std::sync::mpsc::Receiver<String>,
) {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Bytes>(32);
    let (done_tx, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut h = Sha256::new();
        for chunk in rx {
            h.update(&chunk);
        }
        let _ = done_tx.send(hex::encode(h.finalize()));
    });
    (tx, done)
}

/// The blob store with encryption at rest and streaming accounting.
pub struct Blobs {
    pub store: Arc<dyn BlobStore>,
    pub keys: crypto::KeyRing,
    pub encrypt: bool,
}

impl Blobs {
    /// A fresh object key for a tenant.
    pub fn new_key(tenant_id: &str) -> String {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let shard = &id[id.len() - 2..];
        format!("t/{}/{shard}/{id}", tenant_id.replace('-', ""))
    }

    /// Stream `body` into a new object for `tenant_id`, refusing more than `limit` bytes.
    pub async fn put(
        &self,
        db: &crate::db::Db,
        tenant_id: &str,
        body: ByteStream,
        limit: u64,
    ) -> Result<Stored, BlobError> {
        let key = Self::new_key(tenant_id);
        let meter = Arc::new(Mutex::new(Meter::default()));
        let (h, digest) = start_hasher();
        let m = meter.clone();
        let measured: ByteStream = Box::pin(body.map(move |chunk| {
            let chunk = chunk?;
            let mut g = m
                .lock()
                .map_err(|_| io::Error::other("meter lock poisoned"))?;
            g.size += chunk.len() as u64;
            if g.size > limit {
                g.too_large = true;
                return Err(io::Error::other("content exceeds the size limit"));
            }
            if g.head.len() < HEAD_BYTES {
                let take = (HEAD_BYTES - g.head.len()).min(chunk.len());
                g.head.extend_from_slice(&chunk[..take]);
            }
            drop(g);
            h.send(chunk.clone())
                .map_err(|_| io::Error::other("hasher stopped"))?;
            Ok::<Bytes, io::Error>(chunk)
        }));
        let (stream, key_version) = if self.encrypt {
            let (version, cipher) = self.keys.current(db, tenant_id).await?;
            (crypto::seal(measured, cipher, version, &key), version)
        } else {
            (measured, 0)
        };
        let result = self.store.put(&key, stream).await;
        let (size, head, too_large) = {
            let mut g = meter
                .lock()
                .map_err(|_| BlobError::Backend("meter lock poisoned".into()))?;
            (g.size, std::mem::take(&mut g.head), g.too_large)
        };
        if too_large {
            return Err(BlobError::TooLarge(limit));
        }
        result?;
        // The store dropped the stream, and with it the sender: the digest is on its way.
        let sha256 = tokio::task::spawn_blocking(move || digest.recv())
            .await
            .map_err(|e| BlobError::Backend(e.to_string()))?
            .map_err(|_| BlobError::Backend("hasher failed".into()))?;
        Ok(Stored {
            key,
            size,
            sha256,
            key_version,
            head,
        })
    }

    /// Read plaintext `[start, end]` (inclusive; `None` = all) of an object of plaintext `size`.
    pub async fn open(
        &self,
        conn: &mut sqlx::AnyConnection,
        tenant_id: &str,
        key: &str,
        key_version: i64,
        size: u64,
        range: Option<(u64, u64)>,
    ) -> Result<ByteStream, BlobError> {
        if key_version == 0 {
            return self.store.get(key, range).await;
        }
        let cipher = self.keys.get(conn, tenant_id, key_version).await?;
        let (start, end) = match range {
            Some(r) => r,
            None if size == 0 => return Ok(Box::pin(futures_util::stream::empty())),
            None => (0, size - 1),
        };
        let (from, to, first) = crypto::sealed_range(start, end, size);
        let mut header = [0u8; crypto::HEADER];
        let body = if from == crypto::HEADER as u64 {
            // One request: header and chunks are adjacent.
            let mut s = self.store.get(key, Some((0, to))).await?;
            let mut got = bytes::BytesMut::new();
            while got.len() < crypto::HEADER {
                match s.next().await {
                    Some(b) => got.extend_from_slice(&b?),
                    None => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
                }
            }
            header.copy_from_slice(&got[..crypto::HEADER]);
            let rest = got.split_off(crypto::HEADER).freeze();
            let head: ByteStream = Box::pin(futures_util::stream::once(async move { Ok(rest) }));
            Box::pin(head.chain(s)) as ByteStream
        } else {
            let mut h = self
                .store
                .get(key, Some((0, crypto::HEADER as u64 - 1)))
                .await?;
            let mut got = Vec::new();
            while let Some(b) = h.next().await {
                got.extend_from_slice(&b?);
            }
            if got.len() < crypto::HEADER {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
            }
            header.copy_from_slice(&got[..crypto::HEADER]);
            self.store.get(key, Some((from, to))).await?
        };
        let (stored_version, _) = crypto::parse_header(&header)?;
        if stored_version != key_version {
            return Err(BlobError::Backend(
                "object header names another key version".into(),
            ));
        }
        Ok(crypto::open(
            body, cipher, header, key, size, first, start, end,
        )?)
    }

    /// Read a whole object into memory, refusing more than `max` bytes (for text extraction).
    pub async fn read_all(
        &self,
        conn: &mut sqlx::AnyConnection,
        tenant_id: &str,
        key: &str,
        key_version: i64,
        size: u64,
        max: u64,
    ) -> Result<Vec<u8>, BlobError> {
        if size > max {
            return Err(BlobError::TooLarge(max));
        }
        let mut s = self
            .open(conn, tenant_id, key, key_version, size, None)
            .await?;
        let mut out = Vec::with_capacity(size as usize);
        while let Some(b) = s.next().await {
            out.extend_from_slice(&b?);
            if out.len() as u64 > max {
                return Err(BlobError::TooLarge(max));
            }
        }
        Ok(out)
    }
}

/// The configured object store alone, without the key ring (which would create a master key
/// file where none is): for checks that list and look up objects but never read them.
pub async fn open_store(
    cfg: &crate::config::Config,
) -> Result<Arc<dyn BlobStore>, crate::BoxError> {
    let s = &cfg.storage;
    Ok(match s.backend.as_str() {
        "s3" => Arc::new(s3::S3Store::connect(&s.s3).await?),
        _ => Arc::new(local::LocalStore::open(&cfg.blobs_dir())?),
    })
}

/// Build the configured store.
pub async fn from_config(cfg: &crate::config::Config) -> Result<Blobs, crate::BoxError> {
    let s = &cfg.storage;
    let store = open_store(cfg).await?;
    let keys = crypto::KeyRing::load(s.master_key.expose(), &cfg.master_key_file())?;
    Ok(Blobs {
        store,
        keys,
        encrypt: s.encrypt,
    })
}

impl crate::error::ToProblem for BlobError {
    fn code(&self) -> crate::error::Code {
        match self {
            BlobError::TooLarge(_) => crate::error::Code::PayloadTooLarge,
            BlobError::Key(k) => k.code(),
            _ => crate::error::Code::Internal,
        }
    }
    fn detail(&self) -> String {
        match self {
            BlobError::Key(k) => k.detail(),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert!(check_key("t/abc/12/0192aa").is_ok());
        for bad in ["", "../x", "t//x", "t/./x", "t/x y", "/abs", "t/x/"] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
        let k = Blobs::new_key("0192-aa");
        assert!(check_key(&k).is_ok(), "{k}");
    }
}
