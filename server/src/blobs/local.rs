//! Blobs in a local directory (the embedded default).
//!
//! `objects/<key>` holds complete objects; uploads are written to `tmp/<random>.part`, synced
//! and renamed into place, so a reader never sees a partial object and a crash leaves only a
//! temporary file, which the sweeper removes.

use super::{BlobError, BlobStore, ByteStream, ObjectInfo};
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

pub struct LocalStore {
    objects: PathBuf,
    tmp: PathBuf,
}

const READ_BUF: usize = 1024 * 1024;

impl LocalStore {
    pub fn open(root: &Path) -> std::io::Result<LocalStore> {
        let objects = root.join("objects");
        let tmp = root.join("tmp");
        // Objects are tenants' files (plaintext when `encrypt` is off): owner-only.
        crate::private_fs::dir(root)?;
        crate::private_fs::dir(&objects)?;
        crate::private_fs::dir(&tmp)?;
        Ok(LocalStore { objects, tmp })
    }

    fn path(&self, key: &str) -> Result<PathBuf, BlobError> {
        super::check_key(key)?;
        Ok(self.objects.join(key))
    }
}

fn mtime_ms(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[async_trait]
impl BlobStore for LocalStore {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn put(&self, key: &str, mut body: ByteStream) -> Result<u64, BlobError> {
        let dest = self.path(key)?;
        let tmp = self
            .tmp
            .join(format!("{}.part", uuid::Uuid::new_v4().simple()));
        // Writes go to a blocking thread through a short queue: the async side keeps reading,
        // hashing and sealing while the previous chunks reach the disk.
        let result = async {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Bytes>(16);
            let path = tmp.clone();
            let writer = tokio::task::spawn_blocking(move || -> std::io::Result<u64> {
                use std::io::Write;
                let mut file = crate::private_fs::options()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&path)?;
                let mut written = 0u64;
                for chunk in rx {
                    written += chunk.len() as u64;
                    file.write_all(&chunk)?;
                }
                file.sync_all()?;
                Ok(written)
            });
            let mut failed = None;
            while let Some(chunk) = body.next().await {
                match chunk {
                    Ok(c) => {
                        let tx = tx.clone();
                        // A full queue blocks: wait for room off the async workers.
                        let sent = match tx.try_send(c) {
                            Ok(()) => true,
                            Err(std::sync::mpsc::TrySendError::Full(c)) => {
                                tokio::task::spawn_blocking(move || tx.send(c).is_ok())
                                    .await
                                    .unwrap_or(false)
                            }
                            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => false,
                        };
                        if !sent {
                            break;
                        }
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            drop(tx);
            let written = writer
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))??;
            if let Some(e) = failed {
                return Err(e);
            }
            if let Some(parent) = dest.parent() {
                let parent = parent.to_path_buf();
                tokio::task::spawn_blocking(move || crate::private_fs::create_dir(&parent))
                    .await
                    .map_err(|e| std::io::Error::other(e.to_string()))??;
            }
            tokio::fs::rename(&tmp, &dest).await?;
            if let Some(parent) = dest.parent() {
                // Make the rename durable.
                if let Ok(dir) = tokio::fs::File::open(parent).await {
                    let _ = dir.sync_all().await;
                }
            }
            Ok::<u64, std::io::Error>(written)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        Ok(result?)
    }

    async fn get(&self, key: &str, range: Option<(u64, u64)>) -> Result<ByteStream, BlobError> {
        let path = self.path(key)?;
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(BlobError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let reader: Box<dyn tokio::io::AsyncRead + Send + Unpin> = match range {
            Some((start, end)) => {
                file.seek(std::io::SeekFrom::Start(start)).await?;
                Box::new(file.take(end.saturating_sub(start) + 1))
            }
            None => Box::new(file),
        };
        Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(
            reader, READ_BUF,
        )))
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        Ok(tokio::fs::try_exists(self.path(key)?).await?)
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, BlobError> {
        let root = self.objects.clone();
        let prefix = prefix.to_string();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let mut stack = vec![root.clone()];
            while let Some(dir) = stack.pop() {
                let entries = match std::fs::read_dir(&dir) {
                    Ok(e) => e,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(BlobError::from(e)),
                };
                for entry in entries {
                    let entry = entry?;
                    let meta = entry.metadata()?;
                    let path = entry.path();
                    if meta.is_dir() {
                        stack.push(path);
                        continue;
                    }
                    let Ok(rel) = path.strip_prefix(&root) else {
                        continue;
                    };
                    let key = rel.to_string_lossy().replace('\\', "/");
                    if key.starts_with(&prefix) {
                        out.push(ObjectInfo {
                            key,
                            size: meta.len(),
                            modified_ms: mtime_ms(&meta),
                        });
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| BlobError::Backend(e.to_string()))?
    }

    async fn remove_incomplete(&self, older_than_ms: i64, dry_run: bool) -> Result<u64, BlobError> {
        let tmp = self.tmp.clone();
        tokio::task::spawn_blocking(move || {
            let mut n = 0;
            for entry in std::fs::read_dir(&tmp)? {
                let entry = entry?;
                let meta = entry.metadata()?;
                if meta.is_file() && mtime_ms(&meta) <= older_than_ms {
                    if !dry_run {
                        std::fs::remove_file(entry.path())?;
                    }
                    n += 1;
                }
            }
            Ok(n)
        })
        .await
        .map_err(|e| BlobError::Backend(e.to_string()))?
    }
}
