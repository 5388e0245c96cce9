//! Blobs in any S3-compatible store (SeaweedFS, MinIO, Ceph RGW, AWS S3) through `rust-s3`.
//!
//! Uploads stream: under 8 MiB one PUT, above it a multipart upload with at most two parts in
//! flight (about 40 MiB of buffers), completed only when the whole body arrived, so a partial
//! object is never visible. An upload cut off midway leaves an incomplete multipart upload,
//! which [`BlobStore::remove_incomplete`] aborts. Downloads and ranges stream too.

use super::{BlobError, BlobStore, ByteStream, ObjectInfo};
use crate::config::S3Config;
use async_trait::async_trait;
use futures_util::StreamExt;
use s3::{creds::Credentials, error::S3Error, Bucket, BucketConfiguration, Region};
use std::collections::HashMap;

pub struct S3Store {
    bucket: Box<Bucket>,
}

fn backend(e: S3Error) -> BlobError {
    match e {
        S3Error::HttpFailWithBody(404, _) => BlobError::NotFound,
        other => BlobError::Backend(other.to_string()),
    }
}

fn parse_time(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .unwrap_or(0)
}

impl S3Store {
    pub async fn connect(cfg: &S3Config) -> Result<S3Store, crate::BoxError> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let access = if cfg.access_key.is_empty() {
            env("AWS_ACCESS_KEY_ID")
        } else {
            Some(cfg.access_key.expose().to_string())
        };
        let secret = if cfg.secret_key.is_empty() {
            env("AWS_SECRET_ACCESS_KEY")
        } else {
            Some(cfg.secret_key.expose().to_string())
        };
        let (Some(access), Some(secret)) = (access, secret) else {
            return Err("storage.s3: set access_key and secret_key (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)".into());
        };
        let creds = Credentials::new(Some(&access), Some(&secret), None, None, None)?;
        let region = Region::Custom {
            region: cfg.region.clone(),
            endpoint: cfg.endpoint.trim_end_matches('/').to_string(),
        };
        if cfg.create_bucket {
            let created = if cfg.path_style {
                Bucket::create_with_path_style(
                    &cfg.bucket,
                    region.clone(),
                    creds.clone(),
                    BucketConfiguration::default(),
                )
                .await
            } else {
                Bucket::create(
                    &cfg.bucket,
                    region.clone(),
                    creds.clone(),
                    BucketConfiguration::default(),
                )
                .await
            };
            match created {
                Ok(_) => {}
                Err(S3Error::HttpFailWithBody(409, body))
                    if body.contains("BucketAlreadyOwnedByYou")
                        || body.contains("BucketAlreadyExists") => {}
                Err(e) => return Err(format!("cannot create bucket {}: {e}", cfg.bucket).into()),
            }
        }
        let mut bucket = Bucket::new(&cfg.bucket, region, creds)?;
        if cfg.path_style {
            bucket = bucket.with_path_style();
        }
        // The default timeout covers the whole body: a long streamed transfer would be cut off.
        bucket.set_request_timeout(None);
        // Fail at start, not at the first upload, when the bucket or credentials are wrong.
        bucket
            .list_page(String::from("t/"), None, None, None, Some(1))
            .await
            .map_err(|e| {
                format!(
                    "cannot reach bucket {} at {}: {e}",
                    cfg.bucket, cfg.endpoint
                )
            })?;
        Ok(S3Store { bucket })
    }
}

#[async_trait]
impl BlobStore for S3Store {
    fn name(&self) -> &'static str {
        "s3"
    }

    async fn put(&self, key: &str, body: ByteStream) -> Result<u64, BlobError> {
        super::check_key(key)?;
        let mut reader = tokio_util::io::StreamReader::new(body);
        let resp = self
            .bucket
            .put_object_stream_builder(key)
            .with_content_type("application/octet-stream")
            .with_max_concurrent_chunks(2)
            .execute_stream(&mut reader)
            .await
            .map_err(|e| match e {
                // The body stream failed (client gone, size limit): surface it as I/O.
                S3Error::Io(io) => BlobError::Io(io),
                other => backend(other),
            })?;
        Ok(resp.uploaded_bytes() as u64)
    }

    async fn get(&self, key: &str, range: Option<(u64, u64)>) -> Result<ByteStream, BlobError> {
        super::check_key(key)?;
        match range {
            None => {
                let s = self.bucket.get_object_stream(key).await.map_err(backend)?;
                Ok(Box::pin(s.bytes.map(|r| r.map_err(std::io::Error::other))))
            }
            Some((start, end)) => {
                // rust-s3 has no streaming range read: pipe its writer into a stream.
                let (mut w, r) = tokio::io::duplex(256 * 1024);
                let bucket = self.bucket.clone();
                let key = key.to_string();
                // Probe first so that a missing object is an error, not an empty body.
                bucket.head_object(&key).await.map_err(backend)?;
                tokio::spawn(async move {
                    if let Err(e) = bucket
                        .get_object_range_to_writer(&key, start, Some(end), &mut w)
                        .await
                    {
                        tracing::warn!(error = %e, "ranged read from S3 failed");
                    }
                });
                Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(
                    r,
                    256 * 1024,
                )))
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        super::check_key(key)?;
        match self.bucket.delete_object(key).await {
            Ok(_) | Err(S3Error::HttpFailWithBody(404, _)) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        super::check_key(key)?;
        self.bucket.object_exists(key).await.map_err(backend)
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, BlobError> {
        let pages = self
            .bucket
            .list(prefix.to_string(), None)
            .await
            .map_err(backend)?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.contents)
            .map(|o| ObjectInfo {
                modified_ms: parse_time(&o.last_modified),
                key: o.key,
                size: o.size,
            })
            .collect())
    }

    async fn remove_incomplete(&self, older_than_ms: i64, dry_run: bool) -> Result<u64, BlobError> {
        let pages = self
            .bucket
            .list_multiparts_uploads(Some("t/"), None)
            .await
            .map_err(backend)?;
        let mut n = 0;
        for u in pages.into_iter().flat_map(|p| p.uploads) {
            if parse_time(&u.initiated) <= older_than_ms {
                if !dry_run {
                    self.bucket
                        .abort_upload(&u.key, &u.id)
                        .await
                        .map_err(backend)?;
                }
                n += 1;
            }
        }
        Ok(n)
    }

    async fn presign_get(
        &self,
        key: &str,
        expires_secs: u32,
        file_name: &str,
        content_type: &str,
    ) -> Result<Option<String>, BlobError> {
        super::check_key(key)?;
        let mut q = HashMap::new();
        q.insert(
            "response-content-disposition".to_string(),
            crate::files::api::content_disposition(file_name),
        );
        q.insert(
            "response-content-type".to_string(),
            content_type.to_string(),
        );
        let url = self
            .bucket
            .presign_get(key, expires_secs, Some(q))
            .await
            .map_err(backend)?;
        Ok(Some(url))
    }
}
