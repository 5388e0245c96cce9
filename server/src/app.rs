//! Wiring: builds the [`AppState`] from a [`Config`], has each feature register with the
//! infrastructure's registries (one `hooks::register` call a feature; the cross-feature orders
//! of data classes and export sections are listed here), assembles the HTTP surface, and runs
//! the server with its background workers until SIGTERM.

use crate::{
    announcements, api, approvals, attendance, audit, authn, authz, blobs, bulletin, calendar,
    config::Config, console, db, delivery, directory, documents, exports, files, identity, jobs,
    lifecycle, meetings, messaging, mfa, notes, notices, ops, privacy, private_fs, realtime,
    retention, search, setup, sso, tasks, tenants, users, AppState, BoxError, Registries,
};
use poem::{
    endpoint::make_sync,
    listener::{AcceptorExt, TcpAcceptor},
    EndpointExt, IntoEndpoint, Route, Server,
};
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;

/// Every registration: the infrastructure's own, then each feature's `hooks::register`, one
/// line a feature. The call order is the order of search kinds (the search API lists them).
pub fn registries() -> Registries {
    let mut r = Registries::default();
    infrastructure(&mut r);
    files::hooks::register(&mut r);
    messaging::hooks::register(&mut r);
    documents::hooks::register(&mut r);
    bulletin::hooks::register(&mut r);
    tasks::hooks::register(&mut r);
    notes::hooks::register(&mut r);
    meetings::hooks::register(&mut r);
    approvals::requests::hooks::register(&mut r);
    announcements::hooks::register(&mut r);
    directory::hooks::register(&mut r);
    attendance::hooks::register(&mut r);
    tenants::hooks::register(&mut r);
    exports::hooks::register(&mut r);
    calendar::hooks::register(&mut r);
    retention::hooks::register(&mut r);
    users::hooks::register(&mut r);
    directory_changed(&mut r);
    r
}

/// The infrastructure's own topics, passes and parsers.
fn infrastructure(r: &mut Registries) {
    use jobs::outbox::Lane;
    let index = Lane {
        writes_index: true,
        ..Lane::default()
    };
    r.topics.register(
        audit::mirror::TOPIC,
        |s, m| {
            Box::pin(audit::mirror::handle(
                &s.db,
                &s.cfg.audit.mirror_dir,
                &m.tenant_id,
                &m.payload,
            ))
        },
        Lane::default(),
    );
    r.topics.register(
        search::TOPIC_INDEX,
        |s, m| Box::pin(search::indexer::handle_index(s, &m.tenant_id, &m.payload)),
        index,
    );
    r.topics.register(
        search::TOPIC_REINDEX,
        |s, m| Box::pin(search::indexer::handle_reindex(s, &m.tenant_id)),
        index,
    );
    r.topics.register(
        delivery::TOPIC_MAIL,
        |s, m| Box::pin(delivery::handle_mail(s, &m.tenant_id, &m.payload)),
        Lane::default(),
    );
    r.topics.register(
        delivery::TOPIC_SMS,
        |s, m| Box::pin(delivery::handle_sms(s, &m.tenant_id, &m.payload)),
        Lane::default(),
    );
    r.converters
        .register(search::extract::JOB, search::extract::convert);
    r.periodic.register(
        "orphan_sweep",
        |cfg| {
            (cfg.storage.sweep_interval_secs > 0)
                .then(|| Duration::from_secs(cfg.storage.sweep_interval_secs))
        },
        |s| {
            Box::pin(async move {
                let grace_ms = s.cfg.storage.orphan_grace_secs.saturating_mul(1000);
                match blobs::sweep::run(&s.db, &s.blobs, &s.blob_references, grace_ms, false).await
                {
                    Ok(r) => Ok(r.removed.len() as u64),
                    Err(blobs::sweep::SweepError::Busy) => Ok(0),
                    Err(e) => Err(e.into()),
                }
            })
        },
    );
    r.periodic.register(
        "one_time_codes",
        |_| Some(Duration::from_secs(3600)),
        |s| {
            Box::pin(async move {
                let mut conn = s.db.conn().await?;
                Ok(authn::codes::prune(&mut conn).await?)
            })
        },
    );
    r.periodic.register(
        "idempotency_keys",
        |_| Some(Duration::from_secs(3600)),
        |s| Box::pin(async move { Ok(ops::idempotency::prune(&s.db).await?) }),
    );
}

/// `directory.changed` has two consumers (documents and messaging) and a topic one handler:
/// it runs both in turn, and a failure retries the message (both are idempotent).
fn directory_changed(r: &mut Registries) {
    r.topics.register(
        directory::service::TOPIC_CHANGED,
        |s, m| {
            Box::pin(async move {
                documents::hooks::on_directory_changed(s, &m.tenant_id, &m.payload).await?;
                messaging::follow::on_directory_change(s, &m.tenant_id, &m.payload)
                    .await
                    .map(|_| ())
                    .map_err(jobs::outbox::HandlerError::retry)
            })
        },
        jobs::outbox::Lane::default(),
    );
}

/// Every outbox topic and its consumer.
pub fn outbox_topics() -> jobs::outbox::Topics {
    registries().topics
}

/// The features whose rows reference blobs.
pub fn blob_references() -> blobs::sweep::References {
    registries().blob_references
}

/// The features that use files, and say who may read them.
pub fn file_readers() -> files::readers::Readers {
    registries().file_readers
}

/// Every feature's data classes (retention, erasure and export reach them through this). The
/// order runs across features, so it is kept here, in one list.
pub fn lifecycle() -> lifecycle::Registry {
    let mut r = lifecycle::Registry::default();
    r.register(messaging::lifecycle::Messaging);
    // Before files: a post's purge removes its photos' files itself.
    r.register(bulletin::lifecycle::Bulletin);
    // After messaging: its attachments class releases the files it detaches itself.
    r.register(files::lifecycle::Files::new(&file_readers()));
    r.register(documents::lifecycle::Documents);
    r.register(retention::lifecycle::Reports);
    r.register(authn::lifecycle::SignInRecords);
    r.register(ops::idempotency::Records);
    r.register(privacy::lifecycle::Consents);
    r.register(mfa::lifecycle::Factors);
    r.register(sso::lifecycle::Links);
    r.register(identity::lifecycle::Codes);
    r.register(directory::lifecycle::Directory);
    r.register(attendance::lifecycle::Attendance);
    // Before notices: a purge of expired announcements takes the notices about them along.
    r.register(announcements::lifecycle::Announcements);
    // Before notices: a purge of done tasks takes the notices about them along.
    r.register(tasks::lifecycle::Tasks);
    r.register(notes::lifecycle::Notes);
    // Before notices: a purge of ended meetings takes the notices about them along.
    r.register(meetings::lifecycle::Meetings);
    // Before notices: a purge of finished requests takes the notices about them along.
    r.register(approvals::requests::lifecycle::Requests);
    r.register(calendar::lifecycle::Calendar);
    // A transfer step only: an erased approver's open decisions go to others.
    r.register(approvals::requests::hooks::Departures);
    r.register(notices::lifecycle::Notices);
    // A person's exports (and their archives) go before the account they belong to.
    r.register(exports::lifecycle::Exports);
    // The account's own record after every feature (they may read it), before the audit log.
    r.register(users::lifecycle::Accounts);
    r.register(audit::lifecycle::AuditEntries);
    r
}

/// Every feature's part of a person's data export, in the order the archive is written.
pub fn exporters() -> lifecycle::export::Exporters {
    let mut r = lifecycle::export::Exporters::default();
    r.register(users::export::Profile);
    r.register(directory::export::Directory);
    r.register(attendance::export::Attendance);
    r.register(authn::export::Sessions);
    r.register(messaging::export::Messaging);
    r.register(documents::export::Documents);
    r.register(bulletin::export::Bulletin);
    r.register(tasks::export::Tasks);
    r.register(notes::export::Notes);
    r.register(meetings::export::Meetings);
    r.register(approvals::requests::export::Requests);
    // Last: uploads that no section above wrote already.
    r.register(files::export::Uploads);
    r.register(privacy::export::Consents);
    r.register(sso::export::Links);
    r
}

/// Every periodic pass, from the features that own them.
pub fn periodic() -> jobs::periodic::Schedule {
    registries().periodic
}

/// Every parser of untrusted content, by job name: they run only in `stoa convert` children.
pub fn converters() -> jobs::convert::Converters {
    registries().converters
}

/// Write a secret to a new file readable only by its owner.
pub fn write_secret_file(path: &std::path::Path, secret: &str) -> Result<(), BoxError> {
    if let Some(dir) = path.parent() {
        private_fs::create_dir(dir)?;
    }
    let mut opts = private_fs::options();
    opts.write(true).create_new(true);
    use std::io::Write;
    let mut f = opts.open(path)?;
    f.write_all(secret.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

/// The operator credential: from config, else from the token file (created when missing).
fn operator_token(cfg: &Config) -> Result<String, BoxError> {
    if !cfg.operator.token.is_empty() {
        return Ok(cfg.operator.token.expose().to_string());
    }
    let path = cfg.operator_token_file();
    match std::fs::read_to_string(&path) {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_string()),
        _ => {
            let token = authn::tokens::generate("stoa_op_");
            let _ = std::fs::remove_file(&path);
            write_secret_file(&path, &token)?;
            tracing::info!(path = %path.display(), "created the operator credential file");
            Ok(token)
        }
    }
}

/// Connect, migrate and assemble the application state.
pub async fn build_state(cfg: Config) -> Result<Arc<AppState>, BoxError> {
    build_state_with(cfg, true).await
}

/// The state for a command-line tool: the search index is left closed (a running server owns
/// the embedded one), so anything that needs it goes through the outbox.
pub async fn build_cli_state(cfg: Config) -> Result<Arc<AppState>, BoxError> {
    build_state_with(cfg, false).await
}

async fn build_state_with(cfg: Config, open_search: bool) -> Result<Arc<AppState>, BoxError> {
    private_fs::dir(&cfg.data_dir)?;
    db::set_clock_offset_secs(cfg.clock_offset_secs);
    let db = db::Db::connect(&cfg.database_url(), cfg.database_max_connections).await?;
    let anchor_key = audit::anchor::load(&cfg, true)?;
    audit::anchor::install(anchor_key.clone());
    audit::anchor::migrate(&db, &anchor_key).await?;
    db::keys::agree(
        &db,
        "audit.anchor_key",
        &audit::anchor::fingerprint(&anchor_key),
        "audit.anchor_key, STOA_AUDIT__ANCHOR_KEY",
    )
    .await?;
    let authz = authz::Authz::new(db.clone()).await?;
    let trusted_proxies = cfg
        .trusted_proxies
        .iter()
        .filter_map(|p| ops::net::Cidr::parse(p))
        .collect();
    let operator_token_hash = authn::tokens::hash(&operator_token(&cfg)?);
    let blobs = blobs::from_config(&cfg).await?;
    blobs.keys.check(&db).await?;
    db::keys::agree(
        &db,
        "storage.master_key",
        &blobs.keys.master_id,
        "storage.master_key, STOA_STORAGE__MASTER_KEY",
    )
    .await?;
    let Registries {
        searchables,
        file_readers,
        blob_references,
        ..
    } = registries();
    let search: Arc<dyn search::SearchIndex> = if open_search {
        search::from_config(&cfg).await?
    } else {
        Arc::new(search::Closed)
    };
    // One node on SQLite hears every revocation from the start; on PostgreSQL (several nodes
    // may share it) only while its notification listener is connected.
    let sessions = Arc::new(authn::cache::SessionCache::new(
        std::time::Duration::from_secs(cfg.session.cache_secs),
        db.backend == db::Backend::Sqlite,
    ));
    let hub = realtime::Hub::new(cfg.realtime.buffer, Arc::new(messaging::hooks::Rooms))
        .with_personal(Arc::new(notices::Frames))
        .with_observer(Arc::new(crate::state::SessionsHearKicks(sessions.clone())));
    let convert = jobs::convert::Pool::new(std::env::current_exe()?, &cfg.convert);
    let outbound = ops::outbound::Outbound::new(&cfg.outbound)?;
    let senders = delivery::Senders::from_config(&cfg, outbound.clone())?;
    Ok(Arc::new(AppState {
        cfg: Arc::new(cfg),
        db,
        authz,
        session_lookup: authn::store::Lookup::new(Some(privacy::consent_gate())),
        sessions,
        metrics: ops::metrics::Metrics::new()?,
        trusted_proxies,
        operator_token_hash,
        outbox_wake: Default::default(),
        blobs,
        blob_references,
        search,
        search_health: search::health::Health::default(),
        searchables,
        file_readers,
        lifecycle: lifecycle(),
        exporters: exporters(),
        hub,
        convert,
        outbound,
        oidc: authn::oidc::Providers::default(),
        senders,
        drain: ops::drain::Drain::default(),
    }))
}

/// The whole HTTP surface.
pub fn app(state: Arc<AppState>) -> impl poem::Endpoint {
    let api = api::service();
    let yaml = api::spec_yaml();
    let json = api::spec_json();
    let docs = api.swagger_ui();
    let mut route = Route::new()
        .at("/healthz", ops::health::healthz)
        .at("/readyz", ops::health::readyz)
        .at(
            "/api/v1/openapi.yaml",
            make_sync(move |_| {
                poem::Response::builder()
                    .content_type("application/yaml")
                    .body(yaml.clone())
            }),
        )
        .at(
            "/api/v1/openapi.json",
            make_sync(move |_| {
                poem::Response::builder()
                    .content_type("application/json")
                    .body(json.clone())
            }),
        )
        .nest("/docs", docs)
        // Where invitation links point (`users::invitations::issue_invitation`); beside `/api/v1`
        // and relative to it, so a proxy prefix in `public_url` works.
        .at("/invite", poem::get(authn::invite_page::page))
        .at("/reset", poem::get(authn::invite_page::reset_page))
        .at("/invite.js", poem::get(authn::invite_page::script))
        .at("/invite.css", poem::get(authn::invite_page::style))
        // Where single sign-on returns by default (`sso::flow::default_return`).
        .at("/sso/done", poem::get(sso::page::page))
        .at("/sso/sso-done.js", poem::get(sso::page::script))
        .at("/sso/invite.css", poem::get(authn::invite_page::style))
        // The admin console (`console::assets`): outside `/api/v1`, so not in the spec.
        .at("/admin", poem::get(console::assets::serve))
        .at("/admin/*path", poem::get(console::assets::serve))
        .at("/api/v1/events", poem::get(realtime::ws::events))
        .nest("/api/v1", api);
    // Metrics describe the whole install (routes, load, backlog): on the public listener only
    // behind their own bearer token; otherwise on `metrics_listen` or not at all.
    if state.cfg.metrics_listen.is_empty() && !state.cfg.metrics_token.is_empty() {
        route = route.at("/metrics", ops::health::metrics);
    }
    route
        .around(ops::idempotency::around)
        // The console's session cookie becomes the bearer header idempotency and every
        // endpoint read, after its CSRF and origin checks.
        .around(authn::browser::around)
        .around(ops::ctx::around)
        .data(state)
}

/// Serve until SIGTERM or Ctrl-C, then drain in-flight requests and stop the workers.
pub async fn serve(cfg: Config) -> Result<(), BoxError> {
    // A certificate that cannot be served stops the start before anything else happens.
    let certs = if cfg.tls.enabled() {
        Some(ops::tls::Certificates::load(
            std::path::Path::new(&cfg.tls.cert_file),
            std::path::Path::new(&cfg.tls.key_file),
        )?)
    } else {
        None
    };
    let state = build_state(cfg).await?;
    if let Some(token) = setup::prepare(&state.db, state.cfg.setup_token.expose()).await? {
        tracing::warn!(setup_token = %token, "no tenant exists yet: POST /api/v1/setup with this one-time setup token, or run `stoa tenant create`");
    }
    let listener = tokio::net::TcpListener::bind(&state.cfg.listen).await?;
    let addr = listener.local_addr()?;
    let scheme = if certs.is_some() { "https" } else { "http" };
    let acceptor = match certs {
        Some(certs) => {
            certs.reload_on_sighup();
            ops::tls::TlsAcceptor::new(listener, certs)?.boxed()
        }
        None => {
            ops::drain::ignore_sighup();
            TcpAcceptor::from_tokio(listener)?.boxed()
        }
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let outbox = jobs::outbox::spawn(state.clone(), outbox_topics(), stop_rx.clone());
    let periodic = periodic().spawn(state.clone(), stop_rx.clone());
    let listener = realtime::spawn_listener(state.clone(), stop_rx.clone());
    if state.search.rebuilt() {
        let mut tx = state.db.begin().await?;
        db::outbox::enqueue(&mut tx, "", search::TOPIC_REINDEX, &serde_json::json!({})).await?;
        tx.commit().await?;
        tracing::warn!("the search index is being rebuilt from the database");
    }

    let metrics_server = if state.cfg.metrics_listen.is_empty() {
        if state.cfg.metrics_token.is_empty() {
            tracing::info!("metrics are off: set metrics_listen (a separate address) or metrics_token (bearer token on this listener)");
        }
        None
    } else {
        let ml = tokio::net::TcpListener::bind(&state.cfg.metrics_listen).await?;
        tracing::info!(addr = %ml.local_addr()?, "metrics listening");
        let ep = Route::new()
            .at("/metrics", ops::health::metrics)
            .data(state.clone())
            .into_endpoint();
        let mut rx = stop_rx.clone();
        Some(tokio::spawn(async move {
            let _ = Server::new_with_acceptor(TcpAcceptor::from_tokio(ml)?)
                .run_with_graceful_shutdown(
                    ep,
                    async move {
                        let _ = rx.changed().await;
                    },
                    Some(Duration::from_secs(5)),
                )
                .await;
            Ok::<(), std::io::Error>(())
        }))
    };

    tracing::info!(%addr, backend = state.db.backend.name(), "stoa listening");
    // A plain line on stdout, for scripts and tests that started us on port 0.
    println!("stoa listening on {scheme}://{addr}");
    let app = app(state.clone());
    let draining = state.clone();
    let stop = async move {
        ops::drain::shutdown_signal().await;
        draining.drain.start();
        let delay = draining.cfg.shutdown_delay_secs;
        if delay > 0 {
            tracing::info!(
                delay,
                "draining: no longer ready; serving on while balancers notice"
            );
            tokio::time::sleep(Duration::from_secs(delay)).await;
        }
        tracing::info!("draining: WebSockets told to go away, finishing requests in flight");
        draining.drain.close();
    };
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app, stop, Some(ops::drain::DEADLINE))
        .await?;
    tracing::info!("requests drained: stopping the workers");
    let _ = stop_tx.send(true);
    let _ = outbox.await;
    for p in periodic {
        let _ = p.await;
    }
    if let Some(l) = listener {
        let _ = l.await;
    }
    if let Some(m) = metrics_server {
        let _ = m.await;
    }
    state.db.pool.close().await;
    Ok(())
}

/// Set up logging from the configuration: pretty or JSON on stderr.
pub fn init_tracing(cfg: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(&cfg.log_level));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if cfg.log_format == "json" {
        let _ = builder
            .json()
            .with_current_span(true)
            .flatten_event(true)
            .try_init();
    } else {
        let _ = builder.try_init();
    }
}
