//! Configuration: typed defaults < `stoa.toml` (`--config PATH`) < `STOA_*` environment.
//!
//! Unknown keys in the file are an error. Environment variables map onto keys by upper-casing
//! the path and joining nested tables with `__` (`STOA_SESSION__IDLE_TIMEOUT_SECS`). Secrets are
//! wrapped in [`Secret`], which never prints its value.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::{fmt, path::PathBuf};

mod example;
mod sections;
#[cfg(test)]
mod tests;

pub use example::example;
pub use sections::*;

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

/// Secrets are strings in the schema, marked `writeOnly`: the example configuration leaves them
/// commented out (set them from the environment or a file only their server reads).
impl JsonSchema for Secret {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Secret".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "writeOnly": true })
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

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
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
    pub tls: TlsConfig,
    /// After `SIGTERM`, how long the node answers `/readyz` with 503 while still serving,
    /// before it closes its WebSockets and stops accepting: the time a balancer needs to notice
    /// (0 behind nginx or haproxy, which move on by themselves; about 5 on Kubernetes).
    pub shutdown_delay_secs: u64,
    pub session: SessionConfig,
    pub login: LoginConfig,
    pub operator: OperatorConfig,
    pub outbox: OutboxConfig,
    pub audit: AuditConfig,
    pub invitation: InvitationConfig,
    pub storage: StorageConfig,
    pub search: SearchConfig,
    pub realtime: RealtimeConfig,
    pub console: ConsoleConfig,
    pub documents: DocumentsConfig,
    pub convert: ConvertConfig,
    pub retention: RetentionConfig,
    pub exports: ExportsConfig,
    pub outbound: OutboundConfig,
    pub mail: MailConfig,
    pub sms: SmsConfig,
    pub codes: CodesConfig,
    /// A development install: allows what must never run in production (`sms.sender = "log"`,
    /// which writes one-time codes to the log).
    pub development: bool,
    /// Shift this process's clock by this many seconds. For tests and retention drills, which
    /// make data look older by running in the future; keep 0 in production.
    pub clock_offset_secs: i64,
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
            tls: TlsConfig::default(),
            shutdown_delay_secs: 0,
            session: SessionConfig::default(),
            login: LoginConfig::default(),
            operator: OperatorConfig::default(),
            outbox: OutboxConfig::default(),
            audit: AuditConfig::default(),
            invitation: InvitationConfig::default(),
            storage: StorageConfig::default(),
            search: SearchConfig::default(),
            realtime: RealtimeConfig::default(),
            console: ConsoleConfig::default(),
            documents: DocumentsConfig::default(),
            convert: ConvertConfig::default(),
            retention: RetentionConfig::default(),
            exports: ExportsConfig::default(),
            outbound: OutboundConfig::default(),
            mail: MailConfig::default(),
            sms: SmsConfig::default(),
            codes: CodesConfig::default(),
            development: false,
            clock_offset_secs: 0,
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
        if self.session.cache_secs > 3600 {
            return bad("session.cache_secs must be at most 3600");
        }
        if !matches!(self.log_format.as_str(), "pretty" | "json") {
            return bad("log_format must be `pretty` or `json`");
        }
        if self.shutdown_delay_secs > 60 {
            return bad("shutdown_delay_secs is at most 60");
        }
        if self.tls.cert_file.is_empty() != self.tls.key_file.is_empty() {
            return bad("tls.cert_file and tls.key_file go together: set both (HTTPS) or neither");
        }
        let c = &self.console;
        if c.cookie_name.is_empty()
            || c.cookie_name.len() > 64
            || !c
                .cookie_name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        {
            return bad("console.cookie_name must be 1-64 letters, digits, `_` or `-`");
        }
        if !matches!(c.secure_cookie.as_str(), "auto" | "always" | "never") {
            return bad("console.secure_cookie must be `auto`, `always` or `never`");
        }
        if c.cookie_name.starts_with("__Host-") && c.secure_cookie == "never" {
            return bad("a `__Host-` cookie name needs a Secure cookie");
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
        for h in &self.outbound.allow_hosts {
            let h = h.trim();
            if crate::ops::net::Cidr::parse(h).is_none()
                && (h.is_empty()
                    || h.contains('/')
                    || !h
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
            {
                return Err(ConfigError::Invalid(format!(
                    "outbound.allow_hosts: `{h}` is not a host name, IP address or CIDR"
                )));
            }
        }
        if self.outbound.max_response_bytes == 0 {
            return bad("outbound.max_response_bytes must be positive");
        }
        self.validate_delivery()?;
        let url = self.database_url();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres:")
            || url.starts_with("postgresql:"))
        {
            return bad("database_url must start with sqlite: or postgres:");
        }
        Ok(())
    }

    /// Mail, text messages and one-time codes.
    fn validate_delivery(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        let m = &self.mail;
        match m.transport.as_str() {
            "none" => {}
            "smtp" => {
                if m.smtp_host.is_empty() {
                    return bad("mail.smtp_host is required with mail.transport = \"smtp\"");
                }
                if !matches!(m.smtp_security.as_str(), "starttls" | "tls" | "none") {
                    return bad("mail.smtp_security must be `starttls`, `tls` or `none`");
                }
                if m.from.parse::<lettre::message::Mailbox>().is_err() {
                    return bad("mail.from must be an address such as `Stoa <stoa@example.com>`");
                }
            }
            _ => return bad("mail.transport must be `none` or `smtp`"),
        }
        let s = &self.sms;
        match s.sender.as_str() {
            "none" => {}
            "log" if !self.development => {
                return bad("sms.sender = \"log\" writes one-time codes to the log: it is refused unless development = true");
            }
            "log" => {}
            "http" => {
                if !(s.http_url.starts_with("https://") || s.http_url.starts_with("http://")) {
                    return bad("sms.http_url must be an http(s) URL with sms.sender = \"http\"");
                }
                if !matches!(s.http_format.as_str(), "json" | "form") {
                    return bad("sms.http_format must be `json` or `form`");
                }
                if !s.http_body.contains("{to}") || !s.http_body.contains("{text}") {
                    return bad("sms.http_body must contain the {to} and {text} placeholders");
                }
                if s.http_headers.iter().any(|h| !h.expose().contains(':')) {
                    return bad("sms.http_headers entries must be `Name: value`");
                }
            }
            _ => return bad("sms.sender must be `none`, `log` or `http`"),
        }
        let c = &self.codes;
        if !(60..=600).contains(&c.ttl_secs) || !(300..=86_400).contains(&c.reset_link_ttl_secs) {
            return bad("codes.ttl_secs must be 60–600 and codes.reset_link_ttl_secs 300–86400");
        }
        if !(1..=10).contains(&c.max_attempts) {
            return bad("codes.max_attempts must be between 1 and 10");
        }
        if c.resend_cooldown_secs < 0
            || [
                c.per_destination_per_hour,
                c.per_client_per_hour,
                c.per_tenant_per_hour,
            ]
            .iter()
            .any(|v| *v < 1)
        {
            return bad("codes quotas must be positive and the cool-down not negative");
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

impl crate::error::ToProblem for ConfigError {
    fn code(&self) -> crate::error::Code {
        crate::error::Code::Internal
    }
}
