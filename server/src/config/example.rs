//! The commented example configuration.

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
development = false                 # a development install (allows sms.sender = "log")

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

[console]
# The admin console at /admin and its browser sessions (HttpOnly, SameSite=Strict cookie + CSRF token).
cookie_name = "stoa_session"        # e.g. "__Host-stoa_session" on https installs
secure_cookie = "auto"              # "auto": Secure when public_url is https (or a trusted proxy says https);
                                    # "always" or "never"
dir = ""                            # serve the console from this folder (a Vite build) instead of the
                                    # one built into the binary; for console development

[realtime]
buffer = 4096                       # events a lagging WebSocket may fall behind before it is closed (4008)

[exports]
# Personal data exports (POST /api/v1/me/export): built in the background, downloaded by link.
keep_days = 7                       # a finished archive is purged after this many days
link_ttl_secs = 900                 # a download link works this long
lease_secs = 300                    # a build cut short by a crash is taken over after this long
sweep_every_secs = 30               # take over stalled builds and purge expired archives; 0 = never
max_attempts = 3                    # builds of one export before it is marked failed
max_per_day = 5                     # exports of one person asked for in 24 hours; 0 = no limit

[outbound]
# Every request Stoa makes to another server (OIDC discovery, tokens and keys; SMS gateways).
# Only public addresses are reached unless allowed here: private, loopback, link-local,
# unique-local, CGNAT and multicast targets are refused, and redirects are never followed.
allow_private = false               # true: reach any address (a closed network); prefer allow_hosts
allow_hosts = []                    # e.g. ["keycloak.corp.example", "10.20.0.5", "10.30.0.0/16"]
                                    # STOA_OUTBOUND__ALLOW_HOSTS=keycloak.corp.example,10.20.0.5
connect_timeout_secs = 5
timeout_secs = 15                   # a whole request and its answer
max_response_bytes = 1048576        # larger answers are refused

[mail]
# Invitations, sign-up and verification codes, password-reset links. Sent from the outbox: a mail
# server that is down only delays mail.
transport = "none"                  # or "smtp"; "none": admins hand invitation links over
from = "Stoa <stoa@localhost>"
smtp_host = ""                      # e.g. "smtp.example.com"
smtp_port = 0                       # 0: 587 for starttls, 465 for tls, 25 for none
smtp_security = "starttls"          # "starttls" (required), "tls" (implicit) or "none" (local relay only)
smtp_username = ""                  # empty: no authentication
# smtp_password = "…"               # (secret)
timeout_secs = 30

[sms]
# One-time codes by text message (phone registration and sign-in).
sender = "none"                     # "none", "log" (only with development = true) or "http"
http_url = ""                       # the SMS gateway, e.g. "https://sms.example.com/send"
http_format = "json"                # or "form": how http_body is encoded
http_body = '{"to":"{to}","text":"{text}"}'  # {to} and {text} are escaped for the format
http_headers = []                   # e.g. ["Authorization: Bearer …"] (secrets)
timeout_secs = 15

[codes]
ttl_secs = 600                      # a code lives at most 10 minutes
reset_link_ttl_secs = 3600          # a password-reset link
max_attempts = 5                    # wrong guesses, then the code is dead
resend_cooldown_secs = 60           # before the same destination gets another code
per_destination_per_hour = 5        # codes sent to one phone number or email address
per_client_per_hour = 20            # codes asked for from one client address (IPv6: per /64)
per_tenant_per_hour = 500           # codes sent for one tenant
"#;
