//! The application state: everything a request or a worker needs, built once by `app` from a
//! configuration (nothing global) and shared by reference; and the [`Registries`] features fill
//! before it is built.

use crate::{
    authn, authz, blobs, config::Config, db, delivery, files, jobs, lifecycle, ops, realtime,
    search,
};
use std::sync::Arc;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What features plug into the infrastructure, collected before [`AppState`] is built: each
/// feature's `hooks::register` adds its parts (`app::registries` calls one a feature), so
/// neither `app.rs` nor the infrastructure names a feature's handlers. The registries whose
/// order runs across features (data classes, export sections) are listed in `app.rs`.
#[derive(Default)]
pub struct Registries {
    /// Outbox topics and their consumers.
    pub topics: jobs::outbox::Topics,
    /// Searchable kinds, and where a rebuild finds the tenants.
    pub searchables: search::Registry,
    /// Who may read a file a feature uses.
    pub file_readers: files::readers::Readers,
    /// Rows that reference blobs (the orphan sweep keeps what they reference).
    pub blob_references: blobs::sweep::References,
    /// Periodic passes.
    pub periodic: jobs::periodic::Schedule,
    /// Parsers of untrusted content, run only in `stoa convert` children.
    pub converters: jobs::convert::Converters,
}

/// Everything a request or a worker needs; built once, shared by reference.
pub struct AppState {
    pub cfg: Arc<Config>,
    pub db: db::Db,
    pub authz: authz::Authz,
    /// The session lookup every request makes, with the consent gate the privacy feature
    /// registers.
    pub session_lookup: authn::store::Lookup,
    /// Recent session lookups on this node (`authn::cache`), dropped by every revocation.
    pub sessions: Arc<authn::cache::SessionCache>,
    pub metrics: ops::metrics::Metrics,
    pub trusted_proxies: Vec<ops::net::Cidr>,
    /// SHA-256 of the operator credential.
    pub operator_token_hash: String,
    /// Wakes the outbox relay after a write.
    pub outbox_wake: crate::jobs::outbox::Wake,
    pub blobs: blobs::Blobs,
    /// The features whose rows reference blobs (the orphan sweep keeps what they reference).
    pub blob_references: blobs::sweep::References,
    pub search: Arc<dyn search::SearchIndex>,
    /// Whether the search backend answers, as the outbox relay last saw it.
    pub search_health: search::health::Health,
    /// What the features make searchable.
    pub searchables: search::Registry,
    /// The features that say who may read a file they use.
    pub file_readers: files::readers::Readers,
    /// Every feature's data classes: what retention, erasure and export reach.
    pub lifecycle: lifecycle::Registry,
    /// Every feature's part of a person's data export.
    pub exporters: lifecycle::export::Exporters,
    /// This node's realtime fan-out to WebSockets.
    pub hub: realtime::Hub,
    /// Child processes that parse untrusted files.
    pub convert: jobs::convert::Pool,
    /// The one client for requests to other servers (refuses private targets unless allowed).
    pub outbound: ops::outbound::Outbound,
    /// OpenID Connect providers discovered so far (metadata and keys, cached per issuer).
    pub oidc: authn::oidc::Providers,
    /// Mail and text-message senders, chosen by the configuration.
    pub senders: delivery::Senders,
    /// Set once the node begins to shut down (`SIGTERM`): it stops being ready and its
    /// WebSockets go away.
    pub drain: ops::drain::Drain,
}

impl AppState {
    /// After the commit that changed a tenant's policies: every node drops its cached session
    /// lookups of the tenant, so the next request reads the new policy version (this node at
    /// once, the others when the notification arrives).
    pub async fn policy_changed(&self, c: authz::PolicyChange) {
        self.hub
            .kick_everywhere(&self.db, realtime::Kick::refresh(&c.tenant_id))
            .await;
    }
}

/// The session cache hears every realtime kick (sign-out, revoked session, disabled account,
/// suspended tenant, new privacy policy, policy change), on this node and from others.
pub struct SessionsHearKicks(pub Arc<authn::cache::SessionCache>);

impl realtime::Observer for SessionsHearKicks {
    fn kicked(&self, k: &realtime::Kick) {
        // The session a kick spares from closing (`keeping`) is read afresh too.
        self.0.forget(&k.tenant_id, &k.user_id, &k.session_id);
    }

    fn listening(&self, connected: bool) {
        self.0.listening(connected);
    }
}
