//! Data export: every feature writes its part of one person's data into one archive.
//!
//! A feature implements [`Exporter`] (in its own `export.rs`) and `app.rs` registers it in the
//! [`Exporters`] registry; the exports feature builds the archive by running every exporter
//! against one [`Sink`] and stores the result. Lifecycle names no feature: what a section holds
//! is the exporter's business, the archive's layout, its `manifest.json` and its `index.html`
//! are this module's.
//!
//! Layout of an archive:
//!
//! ```text
//! manifest.json                       machine-readable: format, subject, sections, files
//! index.html                          the same for people
//! <section>/<name>.json               records: a JSON array per file
//! <section>/files/<file id>-<name>    original files (attachments, documents, uploads)
//! ```
//!
//! A section that is announced ([`Exporters::announce`]) but whose feature is not registered
//! yet appears in the manifest with `available: false`, so a reader knows it is missing rather
//! than empty.

mod index;

use crate::{AppState, BoxError};
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::Value;
use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::Write,
    sync::Arc,
};

/// Version of the archive format (`manifest.json`'s `version`).
pub const FORMAT_VERSION: u32 = 1;

/// One section of the archive a feature fills.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    /// Folder name in the archive and key in the manifest (`profile`, `messages`, …).
    pub name: &'static str,
    /// What it holds, for the manifest and the index.
    pub description: &'static str,
}

/// Whose data an export gathers: made only by [`Exporters::write_all`], so an exporter cannot
/// be called from anywhere else (the exports feature checks who may ask before it builds).
pub struct Subject {
    tenant_id: String,
    user_id: String,
}

impl Subject {
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

impl crate::authz::proof::Proof for Subject {
    fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
}

/// A stored file to copy into the archive as it was uploaded (decrypted).
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub file_id: String,
    /// The name it was uploaded (or is shown) with.
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub blob_key: String,
    pub key_version: i64,
}

/// A feature's part of a person's data.
#[async_trait]
pub trait Exporter: Send + Sync {
    /// The sections this feature writes.
    fn sections(&self) -> &'static [Section];

    /// Write everything of `subject` this feature keeps into `sink`: records and files, in the
    /// subject's tenant only, and nothing of anyone else (another person's messages, files…).
    async fn export(
        &self,
        state: &AppState,
        subject: &Subject,
        sink: &mut Sink,
    ) -> Result<(), BoxError>;
}

/// Every feature's exporter, in registration order (`app::exporters`).
#[derive(Default, Clone)]
pub struct Exporters {
    features: Vec<Arc<dyn Exporter>>,
    /// Sections announced without an exporter yet.
    announced: Vec<Section>,
}

impl Exporters {
    /// Register a feature. Panics at start-up (never on a request) when a section is taken.
    pub fn register(&mut self, e: impl Exporter + 'static) {
        for s in e.sections() {
            assert!(
                !self.sections().any(|t| t.name == s.name),
                "export section `{}` is declared twice",
                s.name
            );
            self.announced.retain(|a| a.name != s.name);
        }
        self.features.push(Arc::new(e));
    }

    /// A section the archive will hold once its feature registers an exporter: listed in the
    /// manifest as not available until then.
    pub fn announce(&mut self, name: &'static str, description: &'static str) {
        if !self.sections().any(|s| s.name == name) {
            self.announced.push(Section { name, description });
        }
    }

    /// Every registered section, in order.
    pub fn sections(&self) -> impl Iterator<Item = &'static Section> + '_ {
        self.features.iter().flat_map(|f| f.sections().iter())
    }

    /// How many exporters run (for progress).
    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Run every exporter for `user_id` of `tenant_id` into `sink`; `progress` is told after
    /// each one how many have finished.
    pub async fn write_all<F, Fut>(
        &self,
        state: &AppState,
        tenant_id: &str,
        user_id: &str,
        sink: &mut Sink,
        mut progress: F,
    ) -> Result<(), BoxError>
    where
        F: FnMut(usize) -> Fut,
        Fut: std::future::Future<Output = Result<(), BoxError>>,
    {
        let subject = Subject {
            tenant_id: tenant_id.to_string(),
            user_id: user_id.to_string(),
        };
        for s in self.sections() {
            sink.declare(s, true);
        }
        for s in &self.announced {
            sink.declare(s, false);
        }
        for (i, f) in self.features.iter().enumerate() {
            f.export(state, &subject, sink).await?;
            progress(i + 1).await?;
        }
        Ok(())
    }
}

/// One section in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct SectionManifest {
    pub name: &'static str,
    pub description: &'static str,
    /// False: the feature that fills it is not part of this server yet.
    pub available: bool,
    /// Items (records) in the section.
    pub items: u64,
    /// The JSON files of records.
    pub records: Vec<String>,
    /// The original files in it (paths in the archive).
    pub files: Vec<String>,
    /// What a reader should know (e.g. messages kept only as ciphertext).
    pub notes: Vec<String>,
    /// Extra figures (e.g. how many messages are plaintext and how many ciphertext).
    pub details: BTreeMap<String, Value>,
}

/// One original file in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct FileManifest {
    pub path: String,
    pub section: &'static str,
    pub file_id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// What a finished archive holds.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Items per section.
    pub counts: BTreeMap<String, u64>,
    pub items: u64,
    pub files: u64,
}

enum Cmd {
    Start { path: String, compress: bool },
    Data(Bytes),
}

/// The archive being written: a zip file on local disk, written by a blocking thread that the
/// async side feeds through a bounded channel, so file content streams through without being
/// held in memory.
pub struct Sink {
    tenant_id: String,
    /// A job lease renewed while content streams in (see [`Sink::keep_lease`]).
    lease: Option<Lease>,
    tx: Option<tokio::sync::mpsc::Sender<Cmd>>,
    writer: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    paths: HashSet<String>,
    by_file_id: HashMap<String, String>,
    sections: Vec<SectionManifest>,
    files: Vec<FileManifest>,
}

struct Lease {
    db: crate::db::Db,
    name: String,
    holder: String,
    ttl_ms: i64,
    renewed: std::time::Instant,
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// A name safe in an archive path: letters, digits, `.`, `-`, `_`; at most 80 characters.
pub fn safe_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() {
        "file".into()
    } else {
        s
    }
}

impl Sink {
    /// Start a new archive in `file` (empty, opened for writing) for a subject of `tenant_id`.
    pub fn create(file: std::fs::File, tenant_id: &str) -> Result<Sink, BoxError> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Cmd>(16);
        let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file)).set_auto_large_file();
            while let Some(cmd) = rx.blocking_recv() {
                match cmd {
                    Cmd::Start { path, compress } => {
                        let method = if compress {
                            zip::CompressionMethod::Deflated
                        } else {
                            zip::CompressionMethod::Stored
                        };
                        let opts = zip::write::SimpleFileOptions::default()
                            .compression_method(method)
                            .unix_permissions(0o644);
                        zip.start_file(path, opts).map_err(io_err)?;
                    }
                    Cmd::Data(b) => zip.write_all(&b)?,
                }
            }
            let mut out = zip.finish().map_err(io_err)?;
            out.flush()?;
            out.into_inner().map_err(io_err)?.sync_all()
        });
        Ok(Sink {
            tenant_id: tenant_id.to_string(),
            lease: None,
            tx: Some(tx),
            writer: Some(writer),
            paths: HashSet::new(),
            by_file_id: HashMap::new(),
            sections: Vec::new(),
            files: Vec::new(),
        })
    }

    /// Renew the job lease `name` (held by `holder`) every third of its time-to-live while
    /// content is written, so that a long archive keeps its build on this node.
    pub fn keep_lease(&mut self, db: &crate::db::Db, name: &str, holder: &str, ttl_ms: i64) {
        self.lease = Some(Lease {
            db: db.clone(),
            name: name.to_string(),
            holder: holder.to_string(),
            ttl_ms,
            renewed: std::time::Instant::now(),
        });
    }

    async fn renew(&mut self) -> Result<(), BoxError> {
        let Some(l) = self.lease.as_mut() else {
            return Ok(());
        };
        let due = u128::try_from(l.ttl_ms / 3).unwrap_or(0);
        if l.renewed.elapsed().as_millis() >= due {
            crate::db::lock::try_acquire(&l.db, &l.name, &l.holder, l.ttl_ms).await?;
            l.renewed = std::time::Instant::now();
        }
        Ok(())
    }

    fn declare(&mut self, s: &Section, available: bool) {
        self.sections.push(SectionManifest {
            name: s.name,
            description: s.description,
            available,
            items: 0,
            records: Vec::new(),
            files: Vec::new(),
            notes: Vec::new(),
            details: BTreeMap::new(),
        });
    }

    fn section(&mut self, name: &str) -> Result<&mut SectionManifest, BoxError> {
        self.sections
            .iter_mut()
            .find(|s| s.name == name && s.available)
            .ok_or_else(|| format!("export section `{name}` is not declared").into())
    }

    async fn send(&mut self, cmd: Cmd) -> Result<(), BoxError> {
        let tx = self.tx.as_ref().ok_or("the archive is closed")?;
        if tx.send(cmd).await.is_err() {
            // The writer stopped: its error says why.
            return Err(self
                .close()
                .await
                .err()
                .unwrap_or_else(|| "the archive writer stopped".into()));
        }
        Ok(())
    }

    fn unique(&mut self, path: String) -> String {
        if self.paths.insert(path.clone()) {
            return path;
        }
        let (stem, ext) = match path.rsplit_once('.') {
            Some((s, e)) if !s.ends_with('/') => (s.to_string(), format!(".{e}")),
            _ => (path.clone(), String::new()),
        };
        let mut n = 2;
        loop {
            let p = format!("{stem}-{n}{ext}");
            if self.paths.insert(p.clone()) {
                return p;
            }
            n += 1;
        }
    }

    async fn put(&mut self, path: String, compress: bool, data: Bytes) -> Result<(), BoxError> {
        self.send(Cmd::Start { path, compress }).await?;
        self.send(Cmd::Data(data)).await
    }

    /// Write `items` as `<section>/<name>.json` (a JSON array); they count as the section's
    /// items. Returns the path in the archive.
    pub async fn records(
        &mut self,
        section: &str,
        name: &str,
        items: &[Value],
    ) -> Result<String, BoxError> {
        self.section(section)?;
        let path = self.unique(format!("{section}/{}.json", safe_name(name)));
        let body = serde_json::to_vec_pretty(items)?;
        self.put(path.clone(), true, Bytes::from(body)).await?;
        let s = self.section(section)?;
        s.items += items.len() as u64;
        s.records.push(path.clone());
        Ok(path)
    }

    /// A note for the reader of the section.
    pub fn note(&mut self, section: &str, text: &str) -> Result<(), BoxError> {
        self.section(section)?.notes.push(text.to_string());
        Ok(())
    }

    /// A figure of the section (`plaintext: 12`).
    pub fn detail(&mut self, section: &str, key: &str, value: Value) -> Result<(), BoxError> {
        self.section(section)?
            .details
            .insert(key.to_string(), value);
        Ok(())
    }

    /// The path a file was already written at, if another section wrote it.
    pub fn written(&self, file_id: &str) -> Option<&str> {
        self.by_file_id.get(file_id).map(String::as_str)
    }

    /// Copy a stored file into `<section>/files/`, decrypted, as it was uploaded; a file
    /// already in the archive is not copied twice (the first path is returned). The caller has
    /// checked the file belongs in the subject's export.
    pub async fn file(
        &mut self,
        state: &AppState,
        section: &str,
        f: &StoredFile,
    ) -> Result<String, BoxError> {
        if let Some(p) = self.by_file_id.get(&f.file_id) {
            return Ok(p.clone());
        }
        self.section(section)?;
        let path = self.unique(format!(
            "{section}/files/{}-{}",
            f.file_id,
            safe_name(&f.name)
        ));
        let size = u64::try_from(f.size).unwrap_or(0);
        let mut body = {
            let mut conn = state.db.conn().await?;
            state
                .blobs
                .open(
                    &mut conn,
                    &self.tenant_id,
                    &f.blob_key,
                    f.key_version,
                    size,
                    None,
                )
                .await?
        };
        let compress = f.content_type.starts_with("text/")
            || f.content_type.contains("json")
            || f.content_type.contains("xml");
        self.send(Cmd::Start {
            path: path.clone(),
            compress,
        })
        .await?;
        while let Some(chunk) = body.next().await {
            self.send(Cmd::Data(chunk?)).await?;
            self.renew().await?;
        }
        self.by_file_id.insert(f.file_id.clone(), path.clone());
        self.files.push(FileManifest {
            path: path.clone(),
            section: self
                .sections
                .iter()
                .find(|s| s.name == section)
                .map(|s| s.name)
                .unwrap_or(""),
            file_id: f.file_id.clone(),
            name: f.name.clone(),
            content_type: f.content_type.clone(),
            size: f.size,
            sha256: f.sha256.clone(),
        });
        self.section(section)?.files.push(path.clone());
        Ok(path)
    }

    async fn close(&mut self) -> Result<(), BoxError> {
        self.tx = None;
        if let Some(w) = self.writer.take() {
            w.await
                .map_err(|e| -> BoxError { e.to_string().into() })??;
        }
        Ok(())
    }

    /// Write `manifest.json` (with `head`'s fields first) and `index.html`, and close the
    /// archive.
    pub async fn finish(
        mut self,
        head: serde_json::Map<String, Value>,
    ) -> Result<Summary, BoxError> {
        let mut summary = Summary::default();
        for s in &self.sections {
            if s.available {
                summary.counts.insert(s.name.to_string(), s.items);
                summary.items += s.items;
            }
        }
        summary.files = self.files.len() as u64;
        let mut manifest = head;
        manifest.insert("format".into(), "stoa-personal-data-export".into());
        manifest.insert("version".into(), FORMAT_VERSION.into());
        manifest.insert("sections".into(), serde_json::to_value(&self.sections)?);
        manifest.insert("files".into(), serde_json::to_value(&self.files)?);
        manifest.insert(
            "totals".into(),
            serde_json::json!({ "items": summary.items, "files": summary.files }),
        );
        let manifest = Value::Object(manifest);
        let index = index::html(&manifest, &self.sections, &self.files);
        self.paths.insert("manifest.json".into());
        self.paths.insert("index.html".into());
        self.put(
            "manifest.json".into(),
            true,
            Bytes::from(serde_json::to_vec_pretty(&manifest)?),
        )
        .await?;
        self.put("index.html".into(), true, Bytes::from(index))
            .await?;
        self.close().await?;
        Ok(summary)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // An archive abandoned half-way: the writer thread ends when the channel closes.
        self.tx = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe() {
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name(""), "file");
        assert_eq!(safe_name("résumé 2024.pdf"), "résumé_2024.pdf");
    }
}
