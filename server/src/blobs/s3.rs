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

impl S3Store {
    /// Multipart uploads begun and never completed: (key, upload id, initiated).
    ///
    /// rust-s3's own listing insists on a `StorageClass` element that SeaweedFS (and other
    /// S3-compatible stores) leave out, so the request is signed by rust-s3 (a presigned GET of
    /// `?uploads`) and the answer parsed here.
    async fn incomplete_uploads(&self) -> Result<Vec<(String, String, String)>, BlobError> {
        let http = reqwest::Client::new();
        let mut out = Vec::new();
        let mut markers: Option<(String, String)> = None;
        for _ in 0..1000 {
            let mut q = HashMap::new();
            q.insert("uploads".to_string(), String::new());
            q.insert("prefix".to_string(), "t/".to_string());
            if let Some((k, u)) = &markers {
                q.insert("key-marker".to_string(), k.clone());
                q.insert("upload-id-marker".to_string(), u.clone());
            }
            let url = self
                .bucket
                .presign_get("/", 60, Some(q))
                .await
                .map_err(backend)?;
            let resp = http
                .get(&url)
                .send()
                .await
                .map_err(|e| BlobError::Backend(e.to_string()))?;
            if !resp.status().is_success() {
                return Err(BlobError::Backend(format!(
                    "listing multipart uploads: HTTP {}",
                    resp.status()
                )));
            }
            let xml = resp
                .text()
                .await
                .map_err(|e| BlobError::Backend(e.to_string()))?;
            let page = parse_uploads(&xml)?;
            out.extend(page.uploads);
            match (page.truncated, page.next_key, page.next_upload) {
                (true, Some(k), Some(u)) => markers = Some((k, u)),
                _ => return Ok(out),
            }
        }
        Ok(out)
    }
}

struct UploadsPage {
    uploads: Vec<(String, String, String)>,
    truncated: bool,
    next_key: Option<String>,
    next_upload: Option<String>,
}

/// Parse a `ListMultipartUploadsResult`.
fn parse_uploads(xml: &str) -> Result<UploadsPage, BlobError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut page = UploadsPage {
        uploads: Vec::new(),
        truncated: false,
        next_key: None,
        next_upload: None,
    };
    let mut path: Vec<String> = Vec::new();
    let (mut key, mut id, mut initiated) = (String::new(), String::new(), String::new());
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                path.push(e.local_name().as_ref().to_string());
            }
            Ok(Event::End(_)) => {
                if path.last().map(String::as_str) == Some("Upload") {
                    page.uploads.push((
                        std::mem::take(&mut key),
                        std::mem::take(&mut id),
                        std::mem::take(&mut initiated),
                    ));
                }
                path.pop();
            }
            Ok(Event::Text(t)) => {
                let text = t.xml10_content().into_owned();
                let in_upload = path.iter().any(|p| p == "Upload");
                match path.last().map(String::as_str) {
                    Some("Key") if in_upload => key.push_str(&text),
                    Some("UploadId") if in_upload => id.push_str(&text),
                    Some("Initiated") if in_upload => initiated.push_str(&text),
                    Some("IsTruncated") => page.truncated = text.trim() == "true",
                    Some("NextKeyMarker") => page.next_key = Some(text),
                    Some("NextUploadIdMarker") => page.next_upload = Some(text),
                    _ => {}
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(BlobError::Backend(format!("multipart listing: {e}"))),
            _ => {}
        }
    }
    Ok(page)
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
        let mut n = 0;
        for (key, upload_id, initiated) in self.incomplete_uploads().await? {
            if parse_time(&initiated) <= older_than_ms {
                if !dry_run {
                    self.bucket
                        .abort_upload(&key, &upload_id)
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
            crate::http::content_disposition(file_name),
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

#[cfg(test)]
mod tests {
    #[test]
    fn multipart_listing_parses_without_storage_class() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>b</Bucket><KeyMarker></KeyMarker>
  <NextKeyMarker>t/x/2</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>
  <IsTruncated>true</IsTruncated>
  <Upload><Key>t/x/1</Key><UploadId>u1</UploadId><Initiated>2026-11-22T10:00:00Z</Initiated></Upload>
  <Upload><Key>t/x/2</Key><UploadId>u2</UploadId><Initiated>2026-11-22T11:00:00.000Z</Initiated><StorageClass>STANDARD</StorageClass></Upload>
</ListMultipartUploadsResult>"#;
        let p = super::parse_uploads(xml).unwrap();
        assert_eq!(p.uploads.len(), 2);
        assert_eq!(
            p.uploads[0],
            ("t/x/1".into(), "u1".into(), "2026-11-22T10:00:00Z".into())
        );
        assert!(p.truncated);
        assert_eq!(p.next_key.as_deref(), Some("t/x/2"));
        assert!(super::parse_time(&p.uploads[1].2) > 0);
    }
}
