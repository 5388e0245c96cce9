//! Configuration: typed defaults < `stoa.toml` (`--config PATH`) < `STOA_*` environment.
//!
//! Unknown keys in the file are an error. Environment variables map onto keys by upper-casing
//! the path and joining nested tables with `__` (`STOA_SESSION__IDLE_TIMEOUT_SECS`). Secrets are
//! wrapped in [`Secret`], which never prints its value.

use serde::{Deserialize, Serialize};
use std::{fmt, path::PathBuf};

/// A string that must never reach a log line.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("\"***\"")
        }
    }
}

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP API listens on. Port 0 picks a free port.
    pub listen: String,
    /// Directory for the embedded database, blobs, index and key files.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means `sqlite://<data_dir>/stoa.db`.
    pub database_url: Secret,
    /// Largest pool size.
    pub database_max_connections: u32,
    /// The URL people use to reach this server; used in invitation links.
    pub public_url: String,
    /// `pretty` for development, `json` for production log shipping.
    pub log_format: String,
    /// A tracing filter such as `info` or `stoa=debug,info`.
    pub log_level: String,
    /// Serve Prometheus metrics on this separate address (for example a loopback or management
    /// interface). Empty: `/metrics` is served on `listen` only when `metrics_token` is set.
    pub metrics_listen: String,
    /// Bearer token a scrape must present (`Authorization: Bearer …`), wherever `/metrics` is
    /// served. Empty: no token (then only `metrics_listen` serves metrics).
    pub metrics_token: Secret,
    /// Peers (IP or CIDR) whose `X-Forwarded-For` header is believed.
    pub trusted_proxies: Vec<String>,
    /// Largest JSON request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// One-time setup token for `POST /api/v1/setup`; empty generates one and logs it.
    pub setup_token: Secret,
    pub session: SessionConfig,
    pub login: LoginConfig,
    pub operator: OperatorConfig,
    pub outbox: OutboxConfig,
    pub audit: AuditConfig,
    pub invitation: InvitationConfig,
    pub storage: StorageConfig,
    pub search: SearchConfig,
    pub realtime: RealtimeConfig,
    pub documents: DocumentsConfig,
    pub convert: ConvertConfig,
}

/// The child processes that parse untrusted files (thumbnails, text extraction): see
/// `jobs::convert`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConvertConfig {
    /// Conversions running at once (each one a child process).
    pub workers: usize,
    /// Address space a converter may use beyond what it starts with, in MiB.
    pub memory_mb: u64,
    /// Wall-clock (and CPU) limit for a thumbnail.
    pub thumbnail_timeout_secs: u64,
    /// Largest output a converter may return, in bytes.
    pub max_output_bytes: u64,
}

impl Default for ConvertConfig {
    fn default() -> Self {
        ConvertConfig {
            workers: 2,
            memory_mb: 1024,
            thumbnail_timeout_secs: 20,
            max_output_bytes: 16 * 1024 * 1024,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentsConfig {
    /// Versions kept per document unless a tenant sets its own cap (older ones are purged).
    pub versions_kept: i64,
    /// Days an item stays in the trash unless a tenant sets its own period (0 = purge at the
    /// next sweep).
    pub trash_retention_days: i64,
    /// How often expired trash is purged.
    pub trash_sweep_secs: u64,
    /// Images larger than this are not given a thumbnail.
    pub thumbnail_max_input_bytes: u64,
}

impl Default for DocumentsConfig {
    fn default() -> Self {
        DocumentsConfig {
            versions_kept: 50,
            trash_retention_days: 30,
            trash_sweep_secs: 3600,
            thumbnail_max_input_bytes: 32 * 1024 * 1024,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RealtimeConfig {
    /// Events kept for a WebSocket that falls behind before it is disconnected (4008).
    pub buffer: usize,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        RealtimeConfig { buffer: 4096 }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// `local` (a directory under the data dir) or `s3`.
    pub backend: String,
    /// Directory for the local backend; empty means `<data_dir>/blobs`.
    pub local_dir: String,
    /// Seal blobs with per-tenant keys (AES-256-GCM). Turn off only when the store encrypts.
    pub encrypt: bool,
    /// The master key that wraps tenant keys, base64 of 32 bytes. Empty: read `master_key_file`.
    pub master_key: Secret,
    /// File holding the master key; created on first start. Empty means `<data_dir>/master.key`.
    pub master_key_file: String,
    /// Largest upload accepted from anyone, in bytes (tenants may set a lower limit).
    pub max_upload_bytes: u64,
    /// Storage quota of a tenant that has none of its own, in bytes; 0 = unlimited.
    pub default_tenant_quota_bytes: u64,
    /// Unreferenced objects younger than this are kept by the orphan sweeper.
    pub orphan_grace_secs: i64,
    /// How often the orphan sweeper runs; 0 turns the periodic sweep off.
    pub sweep_interval_secs: u64,
    /// With S3 and `encrypt = false`: answer downloads with a redirect to a presigned URL.
    pub presign_downloads: bool,
    /// Lifetime of a presigned download URL (at most 60).
    pub presign_ttl_secs: u32,
    pub s3: S3Config,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// Endpoint URL, e.g. `http://127.0.0.1:8333` (SeaweedFS) or `https://s3.eu-west-1.amazonaws.com`.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    /// Empty: `AWS_ACCESS_KEY_ID` from the environment.
    pub access_key: Secret,
    /// Empty: `AWS_SECRET_ACCESS_KEY` from the environment.
    pub secret_key: Secret,
    /// Path-style addressing (`endpoint/bucket/key`), as most on-prem stores need.
    pub path_style: bool,
    /// Create the bucket at start when it does not exist.
    pub create_bucket: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// `embedded` (tantivy, in the data dir) or `meilisearch`.
    pub backend: String,
    /// Index directory for the embedded backend; empty means `<data_dir>/index`.
    pub dir: String,
    pub meili_url: String,
    pub meili_api_key: Secret,
    /// Name of the Meilisearch index (one index holds every tenant, filtered server-side).
    pub meili_index: String,
    /// Largest file whose text is extracted for the index, in bytes.
    pub extract_max_input_bytes: u64,
    /// Largest total of unpacked bytes read from an Office or OpenDocument archive.
    pub extract_max_unpacked_bytes: u64,
    /// Most entries an archive may have.
    pub extract_max_entries: usize,
    /// Characters of extracted text kept per file.
    pub extract_max_chars: usize,
    /// Time allowed to extract one file.
    pub extract_timeout_secs: u64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// A session unused for this long ends.
    pub idle_timeout_secs: i64,
    /// A session ends this long after sign-in whatever its use.
    pub absolute_timeout_secs: i64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginConfig {
    /// Failed sign-ins to one account from one client address within `window_secs` before that
    /// address is locked out of that account (other addresses are not).
    pub max_failures_per_account: i64,
    /// Failed sign-ins to one account within `window_secs` from all addresses that never signed
    /// in to it, before only its known addresses may still try.
    pub max_failures_per_account_total: i64,
    /// Distinct accounts failing from one client address within `window_secs` before that
    /// address may try no further accounts (password spraying).
    pub max_failures_per_ip: i64,
    pub window_secs: i64,
    /// How long a lock lasts.
    pub lockout_secs: i64,
    /// A successful sign-in makes its address known to the account for this many days.
    pub known_address_days: i64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OperatorConfig {
    /// The platform operator's bearer credential. Empty: read `token_file`.
    pub token: Secret,
    /// File holding the operator credential; created with a random value when missing.
    /// Empty means `<data_dir>/operator.token`.
    pub token_file: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    /// Attempts before a message is dead-lettered.
    pub max_attempts: i64,
    /// How often the worker looks for work when nothing woke it.
    pub poll_interval_ms: u64,
    /// First retry delay; doubles with each attempt.
    pub retry_base_ms: i64,
    /// How long a worker's claim on a message lasts; a node that dies holding it delays the
    /// message this long (on PostgreSQL; SQLite's single node releases its claims at start).
    pub lease_ms: i64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// When set, every tenant's audit entries are mirrored as JSON Lines into
    /// `<mirror_dir>/<tenant id>.jsonl` (for a SIEM or log shipper).
    pub mirror_dir: String,
    /// The key that anchors the audit chain outside the database, base64 of 32 bytes; the
    /// same on every node. Empty: read `anchor_key_file`.
    pub anchor_key: Secret,
    /// File holding the anchor key; created on first start. Empty means
    /// `<data_dir>/audit-anchor.key`.
    pub anchor_key_file: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct InvitationConfig {
    /// How long an invitation link stays valid.
    pub ttl_secs: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: Secret::default(),
            database_max_connections: 16,
            public_url: "http://127.0.0.1:8080".into(),
            log_format: "pretty".into(),
            log_level: "info".into(),
            metrics_listen: String::new(),
            metrics_token: Secret::default(),
            trusted_proxies: Vec::new(),
            max_body_bytes: 1024 * 1024,
            setup_token: Secret::default(),
            session: SessionConfig::default(),
            login: LoginConfig::default(),
            operator: OperatorConfig::default(),
            outbox: OutboxConfig::default(),
            audit: AuditConfig::default(),
            invitation: InvitationConfig::default(),
            storage: StorageConfig::default(),
            search: SearchConfig::default(),
            realtime: RealtimeConfig::default(),
            documents: DocumentsConfig::default(),
            convert: ConvertConfig::default(),
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            backend: "local".into(),
            local_dir: String::new(),
            encrypt: true,
            master_key: Secret::default(),
            master_key_file: String::new(),
            max_upload_bytes: 2 * 1024 * 1024 * 1024,
            default_tenant_quota_bytes: 0,
            orphan_grace_secs: 24 * 3600,
            sweep_interval_secs: 3600,
            presign_downloads: false,
            presign_ttl_secs: 60,
            s3: S3Config::default(),
        }
    }
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            endpoint: String::new(),
            region: "us-east-1".into(),
            bucket: "stoa".into(),
            access_key: Secret::default(),
            secret_key: Secret::default(),
            path_style: true,
            create_bucket: false,
        }
    }
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            backend: "embedded".into(),
            dir: String::new(),
            meili_url: String::new(),
            meili_api_key: Secret::default(),
            meili_index: "stoa".into(),
            extract_max_input_bytes: 64 * 1024 * 1024,
            extract_max_unpacked_bytes: 256 * 1024 * 1024,
            extract_max_entries: 10_000,
            extract_max_chars: 1_000_000,
            extract_timeout_secs: 20,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_timeout_secs: 14 * 24 * 3600,
            absolute_timeout_secs: 30 * 24 * 3600,
        }
    }
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            max_failures_per_account: 5,
            max_failures_per_account_total: 20,
            max_failures_per_ip: 50,
            window_secs: 900,
            lockout_secs: 900,
            known_address_days: 30,
        }
    }
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            max_attempts: 8,
            poll_interval_ms: 1000,
            retry_base_ms: 1000,
            lease_ms: 60_000,
        }
    }
}

impl Default for InvitationConfig {
    fn default() -> Self {
        InvitationConfig {
            ttl_secs: 7 * 24 * 3600,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Load defaults, then the file (if any), then `STOA_*` variables from `env`.
    pub fn load(
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut value = toml::Value::try_from(Config::default())
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.display().to_string(),
                source,
            })?;
            let file_value: toml::Value = toml::from_str(&text)
                .map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))?;
            merge(&mut value, file_value);
        }
        for (key, raw) in env {
            let Some(rest) = key.strip_prefix("STOA_") else {
                continue;
            };
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            apply_env(&mut value, &path, &raw, &key)?;
        }
        let cfg: Config = value
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.message().to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        if self.session.idle_timeout_secs <= 0 || self.session.absolute_timeout_secs <= 0 {
            return bad("session timeouts must be positive");
        }
        if !matches!(self.log_format.as_str(), "pretty" | "json") {
            return bad("log_format must be `pretty` or `json`");
        }
        if !(1..=1_000_000).contains(&self.realtime.buffer) {
            return bad("realtime.buffer must be between 1 and 1000000");
        }
        let l = &self.login;
        if [
            l.max_failures_per_account,
            l.max_failures_per_account_total,
            l.max_failures_per_ip,
            l.window_secs,
            l.lockout_secs,
        ]
        .iter()
        .any(|v| *v < 1)
            || l.known_address_days < 0
        {
            return bad("login limits, window and lockout must be positive");
        }
        if !self.metrics_token.is_empty() && self.metrics_token.expose().len() < 16 {
            return bad("metrics_token must be at least 16 characters");
        }
        if self.outbox.lease_ms < 1000 {
            return bad("outbox.lease_ms must be at least 1000");
        }
        if self.outbox.max_attempts < 1 {
            return bad("outbox.max_attempts must be at least 1");
        }
        for p in &self.trusted_proxies {
            if crate::ops::net::Cidr::parse(p).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "trusted_proxies: `{p}` is not an IP address or CIDR"
                )));
            }
        }
        if !matches!(self.storage.backend.as_str(), "local" | "s3") {
            return bad("storage.backend must be `local` or `s3`");
        }
        if self.storage.backend == "s3" && self.storage.s3.endpoint.is_empty() {
            return bad("storage.s3.endpoint is required with storage.backend = \"s3\"");
        }
        if self.storage.presign_downloads && (self.storage.backend != "s3" || self.storage.encrypt)
        {
            return bad("storage.presign_downloads needs storage.backend = \"s3\" and storage.encrypt = false (the store would hand out sealed bytes)");
        }
        if !(1..=60).contains(&self.storage.presign_ttl_secs) {
            return bad("storage.presign_ttl_secs must be between 1 and 60");
        }
        if self.storage.max_upload_bytes == 0 {
            return bad("storage.max_upload_bytes must be positive");
        }
        if !matches!(self.search.backend.as_str(), "embedded" | "meilisearch") {
            return bad("search.backend must be `embedded` or `meilisearch`");
        }
        if self.search.backend == "meilisearch" && self.search.meili_url.is_empty() {
            return bad("search.meili_url is required with search.backend = \"meilisearch\"");
        }
        let url = self.database_url();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres:")
            || url.starts_with("postgresql:"))
        {
            return bad("database_url must start with sqlite: or postgres:");
        }
        Ok(())
    }

    /// The effective database URL.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}/stoa.db?mode=rwc", self.data_dir.display())
        } else {
            self.database_url.expose().to_string()
        }
    }

    pub fn blobs_dir(&self) -> PathBuf {
        if self.storage.local_dir.is_empty() {
            self.data_dir.join("blobs")
        } else {
            PathBuf::from(&self.storage.local_dir)
        }
    }

    pub fn master_key_file(&self) -> PathBuf {
        if self.storage.master_key_file.is_empty() {
            self.data_dir.join("master.key")
        } else {
            PathBuf::from(&self.storage.master_key_file)
        }
    }

    pub fn index_dir(&self) -> PathBuf {
        if self.search.dir.is_empty() {
            self.data_dir.join("index")
        } else {
            PathBuf::from(&self.search.dir)
        }
    }

    pub fn audit_anchor_key_file(&self) -> PathBuf {
        if self.audit.anchor_key_file.is_empty() {
            self.data_dir.join("audit-anchor.key")
        } else {
            PathBuf::from(&self.audit.anchor_key_file)
        }
    }

    pub fn operator_token_file(&self) -> PathBuf {
        if self.operator.token_file.is_empty() {
            self.data_dir.join("operator.token")
        } else {
            PathBuf::from(&self.operator.token_file)
        }
    }
}

/// Overlay `from` onto `into`, table by table.
fn merge(into: &mut toml::Value, from: toml::Value) {
    match (into, from) {
        (toml::Value::Table(a), toml::Value::Table(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) if existing.is_table() && v.is_table() => merge(existing, v),
                    _ => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// Set one key from an environment variable, coercing the string to the type of the default.
/// Variables that name no known key are ignored (other tools share the `STOA_` prefix).
fn apply_env(
    value: &mut toml::Value,
    path: &[String],
    raw: &str,
    var: &str,
) -> Result<(), ConfigError> {
    let mut cur = value;
    for (i, part) in path.iter().enumerate() {
        let toml::Value::Table(t) = cur else {
            return Ok(());
        };
        let Some(next) = t.get_mut(part) else {
            return Ok(());
        };
        if i + 1 < path.len() {
            cur = next;
            continue;
        }
        let invalid = |what: &str| ConfigError::Invalid(format!("{var}: expected {what}"));
        *next = match next {
            toml::Value::Integer(_) => {
                toml::Value::Integer(raw.trim().parse().map_err(|_| invalid("an integer"))?)
            }
            toml::Value::Boolean(_) => {
                toml::Value::Boolean(raw.trim().parse().map_err(|_| invalid("true or false"))?)
            }
            toml::Value::Array(_) => toml::Value::Array(
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| toml::Value::String(s.to_string()))
                    .collect(),
            ),
            toml::Value::Table(_) => return Err(invalid("a nested key (use `__`)")),
            _ => toml::Value::String(raw.to_string()),
        };
        return Ok(());
    }
    Ok(())
}

/// The commented example printed by `stoa config example`.
pub const EXAMPLE: &str = r#"# stoa.toml — every key is optional; the values shown are the defaults.
# Each key can also be set from the environment: STOA_<KEY>, nested tables joined with `__`
# (for example STOA_SESSION__IDLE_TIMEOUT_SECS=3600).

listen = "127.0.0.1:8080"          # STOA_LISTEN
data_dir = "./data"                 # STOA_DATA_DIR: SQLite file, keys, blobs, index
# database_url = "postgres://stoa@127.0.0.1:5432/stoa"   # STOA_DATABASE_URL; default SQLite in data_dir
database_max_connections = 16
public_url = "http://127.0.0.1:8080" # used to build invitation links
log_format = "pretty"               # or "json"
log_level = "info"                  # tracing filter, e.g. "stoa=debug,info"
metrics_listen = ""                 # e.g. "127.0.0.1:9464": /metrics on its own address
# metrics_token = "…"               # bearer token for scrapes (secret); with an empty metrics_listen,
                                    # /metrics is served on `listen` only when this is set
trusted_proxies = []                # e.g. ["10.0.0.0/8"]: X-Forwarded-For is believed only from these
max_body_bytes = 1048576
# setup_token = "…"                 # fixed one-time setup token; empty: generated and logged

[session]
idle_timeout_secs = 1209600         # 14 days
absolute_timeout_secs = 2592000     # 30 days

[login]
max_failures_per_account = 5        # per (account, client address): that address is locked out of that account
max_failures_per_account_total = 20 # per account, from addresses that never signed in to it
max_failures_per_ip = 50            # distinct accounts failing from one address (password spraying)
window_secs = 900
lockout_secs = 900
known_address_days = 30             # a successful sign-in exempts its address from the account-wide budget

[operator]
# token = "…"                       # platform operator credential (secret)
token_file = ""                     # default <data_dir>/operator.token, created when missing

[outbox]
max_attempts = 8
poll_interval_ms = 1000
retry_base_ms = 1000
lease_ms = 60000                    # a crashed node's claims return after this long (PostgreSQL)

[audit]
mirror_dir = ""                     # mirror audit entries as JSON Lines into this directory
# anchor_key = "…"                  # base64 of 32 bytes; anchors the audit chain, the same on every node (secret)
anchor_key_file = ""                # default <data_dir>/audit-anchor.key, created on first start: back it up

[invitation]
ttl_secs = 604800                   # 7 days

[storage]
backend = "local"                   # or "s3"
local_dir = ""                      # default <data_dir>/blobs
encrypt = true                      # seal blobs with per-tenant keys (AES-256-GCM)
# master_key = "…"                  # base64 of 32 bytes; the same on every node (secret)
master_key_file = ""                # default <data_dir>/master.key, created on first start: back it up
max_upload_bytes = 2147483648       # 2 GiB, install-wide ceiling per upload
default_tenant_quota_bytes = 0      # 0 = unlimited; `stoa tenant storage` sets one per tenant
orphan_grace_secs = 86400           # unreferenced blobs younger than this are kept
sweep_interval_secs = 3600          # 0 = no periodic orphan sweep
presign_downloads = false           # S3 without `encrypt` only: redirect downloads to a presigned URL
presign_ttl_secs = 60

[storage.s3]
endpoint = ""                       # e.g. "http://127.0.0.1:8333" (SeaweedFS)
region = "us-east-1"
bucket = "stoa"
# access_key = "…"                  # default AWS_ACCESS_KEY_ID (secret)
# secret_key = "…"                  # default AWS_SECRET_ACCESS_KEY (secret)
path_style = true
create_bucket = false

[search]
backend = "embedded"                # or "meilisearch"
dir = ""                            # default <data_dir>/index
meili_url = ""                      # e.g. "http://127.0.0.1:7700"
# meili_api_key = "…"               # (secret)
meili_index = "stoa"
extract_max_input_bytes = 67108864  # files larger than this are not text-indexed
extract_max_unpacked_bytes = 268435456
extract_max_entries = 10000
extract_max_chars = 1000000
extract_timeout_secs = 20

[convert]
# Thumbnails and text extraction parse untrusted files in child processes of this binary
# (`stoa convert`), each under these limits; a file that crashes or exceeds them is marked failed.
workers = 2                         # conversions at once
memory_mb = 1024                    # address space a converter may add
thumbnail_timeout_secs = 20         # wall-clock and CPU limit of a thumbnail
max_output_bytes = 16777216

[realtime]
buffer = 4096                       # events a lagging WebSocket may fall behind before it is closed (4008)
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_parses_and_equals_defaults() {
        let dir = std::env::temp_dir().join(format!("stoa-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stoa.toml");
        std::fs::write(&path, EXAMPLE).unwrap();
        let cfg = Config::load(Some(&path), Vec::new()).unwrap();
        let def = Config::default();
        assert_eq!(cfg.listen, def.listen);
        assert_eq!(cfg.session.idle_timeout_secs, def.session.idle_timeout_secs);
        assert_eq!(cfg.login.max_failures_per_ip, def.login.max_failures_per_ip);
    }

    #[test]
    fn env_overrides_file_and_coerces_types() {
        let env = vec![
            ("STOA_LISTEN".to_string(), "127.0.0.1:0".to_string()),
            (
                "STOA_SESSION__IDLE_TIMEOUT_SECS".to_string(),
                "60".to_string(),
            ),
            (
                "STOA_TRUSTED_PROXIES".to_string(),
                "10.0.0.0/8, 127.0.0.1".to_string(),
            ),
            ("STOA_TEST_MEILI_URL".to_string(), "ignored".to_string()),
        ];
        let cfg = Config::load(None, env).unwrap();
        assert_eq!(cfg.listen, "127.0.0.1:0");
        assert_eq!(cfg.session.idle_timeout_secs, 60);
        assert_eq!(cfg.trusted_proxies, vec!["10.0.0.0/8", "127.0.0.1"]);
        let bad = Config::load(
            None,
            vec![("STOA_SESSION__IDLE_TIMEOUT_SECS".into(), "soon".into())],
        );
        assert!(bad.is_err());
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        let dir = std::env::temp_dir().join(format!("stoa-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stoa.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\nlisen = \"typo\"\n").unwrap();
        let err = Config::load(Some(&path), Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("lisen"), "{err}");
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let mut cfg = Config {
            database_url: Secret("postgres://u:hunter2@h/db".into()),
            ..Default::default()
        };
        cfg.operator.token = Secret("op-secret".into());
        cfg.audit.anchor_key = Secret("anchor-secret".into());
        cfg.metrics_token = Secret("scrape-secret-0123".into());
        let s = format!("{cfg:?}");
        assert!(
            !s.contains("hunter2")
                && !s.contains("op-secret")
                && !s.contains("anchor-secret")
                && !s.contains("scrape-secret"),
            "{s}"
        );
    }
}
