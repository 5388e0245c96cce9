//! The configuration's sections, with their defaults.

use super::Secret;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The child processes that parse untrusted files (thumbnails, text extraction): see
/// `jobs::convert`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
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

/// Documents: versions, the trash and thumbnails.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentsConfig {
    /// Versions kept per document unless a tenant sets its own cap (older ones are purged).
    pub versions_kept: i64,
    /// Days an item stays in the trash unless a tenant's retention policy sets its own period
    /// for the `trash` class (0 = purge at the next retention run).
    pub trash_retention_days: i64,
    /// Images larger than this are not given a thumbnail.
    pub thumbnail_max_input_bytes: u64,
}

impl Default for DocumentsConfig {
    fn default() -> Self {
        DocumentsConfig {
            versions_kept: 50,
            trash_retention_days: 30,
            thumbnail_max_input_bytes: 32 * 1024 * 1024,
        }
    }
}

/// The admin console at `/admin` and its browser sessions (docs/admin-console.md).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleConfig {
    /// The name of the browser session cookie (HttpOnly, `SameSite=Strict`, path `/`).
    pub cookie_name: String,
    /// `auto`: the cookie is `Secure` when `public_url` is https, built-in TLS is on, or a
    /// trusted proxy says the request came over https (`X-Forwarded-Proto`); `always`; `never` (plain-http installs
    /// reached by a name other than `public_url`).
    pub secure_cookie: String,
    /// Serve the console from this directory (a Vite build: `index.html`, `assets/`) instead of
    /// the one built into the binary: for working on the console (`vite build --watch`) and
    /// for tests. Empty: the built-in files.
    pub dir: String,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            cookie_name: "stoa_session".into(),
            secure_cookie: "auto".into(),
            dir: String::new(),
        }
    }
}

/// Built-in TLS, for installs without a reverse proxy in front (rustls). Set both files to
/// serve HTTPS on `listen`; send the process `SIGHUP` after renewing them (new connections use
/// the new certificate, open ones are not dropped). Set `public_url` to the `https://` address.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the certificate chain, the server's certificate first. Empty: plain HTTP.
    pub cert_file: String,
    /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: String,
}

impl TlsConfig {
    pub fn enabled(&self) -> bool {
        !self.cert_file.is_empty()
    }
}

/// The WebSocket event stream.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
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

/// Where file contents (blobs) are stored, and how: a local directory or an S3 bucket.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
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

/// The S3 bucket (with `storage.backend = "s3"`): SeaweedFS, MinIO, Ceph, AWS or any
/// S3-compatible store.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// Endpoint URL, e.g. `http://127.0.0.1:8333` (SeaweedFS) or `https://s3.eu-west-1.amazonaws.com`.
    pub endpoint: String,
    /// The bucket's region (most on-prem stores accept any).
    pub region: String,
    /// The bucket; one bucket holds every tenant's objects.
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

/// Full-text search: the embedded index (one node) or Meilisearch (several nodes).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// `embedded` (tantivy, in the data dir) or `meilisearch`.
    pub backend: String,
    /// Index directory for the embedded backend; empty means `<data_dir>/index`.
    pub dir: String,
    /// Meilisearch's URL (with `backend = "meilisearch"`), e.g. `http://127.0.0.1:7700`.
    pub meili_url: String,
    /// Meilisearch's API key (its master key or a key allowed to manage the index).
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

/// Sign-in sessions.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// A session unused for this long ends (default 14 days).
    pub idle_timeout_secs: i64,
    /// A session ends this long after sign-in whatever its use (default 30 days).
    pub absolute_timeout_secs: i64,
    /// How long a node may reuse a session lookup instead of querying the database (default 5
    /// s; 0 turns the cache off). Revocations (sign-out, a revoked session, a disabled account,
    /// a suspended tenant, a role change, a new privacy policy) drop cached lookups at once on
    /// the node that made them and, through PostgreSQL notifications, on every other node; this
    /// is only the bound for a notification that never arrived. At most 3600.
    pub cache_secs: u64,
}

/// Password guessing limits.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
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
    /// The window in which failures are counted.
    pub window_secs: i64,
    /// How long a lock lasts.
    pub lockout_secs: i64,
    /// A successful sign-in makes its address known to the account for this many days.
    pub known_address_days: i64,
}

/// The platform operator (creates and suspends tenants through the operator API).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OperatorConfig {
    /// The platform operator's bearer credential. Empty: read `token_file`.
    pub token: Secret,
    /// File holding the operator credential; created with a random value when missing.
    /// Empty means `<data_dir>/operator.token`.
    pub token_file: String,
}

/// The outbox: side effects (mail, index updates, events) delivered after their transaction.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
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

/// The audit log.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
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

/// Invitations to join a tenant.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct InvitationConfig {
    /// How long an invitation link stays valid (default 7 days).
    pub ttl_secs: i64,
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
            cache_secs: 5,
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

/// Retention runs: each tenant's policies applied in the background (see `retention`).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// How often every tenant's retention run starts (one node at a time); 0 turns the schedule
    /// off (runs asked for through the API or the command line still happen).
    pub run_every_secs: u64,
    /// Items purged per transaction.
    pub batch: u64,
    /// Pause between two batches, so that a large purge leaves the server room to serve.
    pub pause_ms: u64,
    /// How long a run's hold on its tenant lasts without renewal (renewed after every batch):
    /// how long a node that died mid-run keeps others from starting the next one.
    pub lease_secs: u64,
    /// The shortest audit-log retention a tenant may set, in days (install-wide floor).
    pub audit_floor_days: i64,
    /// Days the reports of retention runs are kept unless a tenant sets its own period.
    pub report_days: i64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            run_every_secs: 3600,
            batch: 100,
            pause_ms: 20,
            lease_secs: 120,
            audit_floor_days: 365,
            report_days: 400,
        }
    }
}

/// Personal data exports (see `exports`): archives built in the background, downloaded by a
/// short-lived link, purged when they expire.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ExportsConfig {
    /// Days a finished archive can be downloaded before it is purged.
    pub keep_days: i64,
    /// How long a download link works, in seconds.
    pub link_ttl_secs: i64,
    /// How long a build's hold on its export lasts without renewal (renewed as it goes): how
    /// long a node that died mid-build keeps another from taking it over.
    pub lease_secs: u64,
    /// How often every node looks for builds to take over and archives to purge; 0: never.
    pub sweep_every_secs: u64,
    /// Builds of one export before it is marked failed (a crash mid-build counts).
    pub max_attempts: i64,
    /// Exports of one person that may be asked for in 24 hours (each one reads all of their
    /// data); 0: no limit.
    pub max_per_day: i64,
}

impl Default for ExportsConfig {
    fn default() -> Self {
        ExportsConfig {
            keep_days: 7,
            link_ttl_secs: 900,
            lease_secs: 300,
            sweep_every_secs: 30,
            max_attempts: 3,
            max_per_day: 5,
        }
    }
}

/// Requests Stoa makes to other servers (OIDC providers, SMS gateways): see `ops::outbound`.
/// By default only public addresses are reached; private, loopback, link-local, unique-local,
/// CGNAT and multicast targets are refused unless allowed here.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OutboundConfig {
    /// Reach any address, private ones included (a closed network where every server is
    /// private). Prefer `allow_hosts`.
    pub allow_private: bool,
    /// Host names, IP addresses or CIDR networks that may be reached even though they are not
    /// public, e.g. `["keycloak.corp.example", "10.20.0.0/16"]`.
    pub allow_hosts: Vec<String>,
    /// Time to establish a connection.
    pub connect_timeout_secs: u64,
    /// Time for a whole request and its answer.
    pub timeout_secs: u64,
    /// Largest answer read, in bytes.
    pub max_response_bytes: usize,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            allow_private: false,
            allow_hosts: Vec::new(),
            connect_timeout_secs: 5,
            timeout_secs: 15,
            max_response_bytes: 1024 * 1024,
        }
    }
}

/// Outgoing mail (invitations, codes, password-reset links), sent from the outbox.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// `none` (no mail: admins hand invitation links over, password reset by email and
    /// registration by email are off) or `smtp`.
    pub transport: String,
    /// The sender, e.g. `Stoa <stoa@example.com>`.
    pub from: String,
    /// The SMTP server (with `transport = "smtp"`), e.g. `smtp.example.com`.
    pub smtp_host: String,
    /// 0: the usual port for `smtp_security` (587 starttls, 465 tls, 25 none).
    pub smtp_port: u16,
    /// `starttls` (required STARTTLS), `tls` (implicit TLS) or `none` (plain; only for a relay
    /// on the same host or a test sink).
    pub smtp_security: String,
    /// Empty: no authentication.
    pub smtp_username: String,
    /// The SMTP password (with `smtp_username`).
    pub smtp_password: Secret,
    /// Time allowed for one SMTP exchange.
    pub timeout_secs: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            transport: "none".into(),
            from: "Stoa <stoa@localhost>".into(),
            smtp_host: String::new(),
            smtp_port: 0,
            smtp_security: "starttls".into(),
            smtp_username: String::new(),
            smtp_password: Secret::default(),
            timeout_secs: 30,
        }
    }
}

/// Text messages (one-time codes), sent from the outbox.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// `none` (phone registration and phone sign-in are off), `log` (the message goes to the
    /// server log: only with `development = true`) or `http` (the company's SMS gateway).
    pub sender: String,
    /// The gateway's URL (`http`); requests go through the outbound client, which refuses
    /// private and loopback addresses unless the outbound allow-list names them.
    pub http_url: String,
    /// `json` or `form`: how `http_body` is encoded.
    pub http_format: String,
    /// The request body with `{to}` (E.164) and `{text}` placeholders, which are JSON-escaped
    /// (`json`) or URL-encoded (`form`), e.g. `{"to":"{to}","message":"{text}"}`.
    pub http_body: String,
    /// Extra request headers, `Name: value` each (API keys: treated as secrets).
    pub http_headers: Vec<Secret>,
    /// Time allowed for one request to the gateway.
    pub timeout_secs: u64,
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            sender: "none".into(),
            http_url: String::new(),
            http_format: "json".into(),
            http_body: r#"{"to":"{to}","text":"{text}"}"#.into(),
            http_headers: Vec::new(),
            timeout_secs: 15,
        }
    }
}

/// One-time codes sent by mail or text message: lifetime, guesses and hourly quotas.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CodesConfig {
    /// How long a code stays valid (60 to 600 seconds).
    pub ttl_secs: i64,
    /// How long a password-reset link stays valid (300 to 86400 seconds).
    pub reset_link_ttl_secs: i64,
    /// Wrong guesses after which a code is dead.
    pub max_attempts: i64,
    /// Time before the same destination can be sent another code.
    pub resend_cooldown_secs: i64,
    /// Codes sent per hour to one phone number or email address.
    pub per_destination_per_hour: i64,
    /// Codes asked for per hour from one client address (IPv6: per /64).
    pub per_client_per_hour: i64,
    /// Codes sent per hour for one tenant.
    pub per_tenant_per_hour: i64,
}

impl Default for CodesConfig {
    fn default() -> Self {
        CodesConfig {
            ttl_secs: 600,
            reset_link_ttl_secs: 3600,
            max_attempts: 5,
            resend_cooldown_secs: 60,
            per_destination_per_hour: 5,
            per_client_per_hour: 20,
            per_tenant_per_hour: 500,
        }
    }
}
