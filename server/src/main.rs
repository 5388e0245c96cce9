//! The `stoa` command line: serve, migrate, configuration, the OpenAPI spec, and offline
//! operator tasks (tenants, audit verification, outbox).

use clap::{Parser, Subcommand};
use std::{io::Read, path::PathBuf, process::ExitCode};
use stoa::{config::Config, ops::ctx::RequestCtx, BoxError};

// glibc malloc took ~12 % of the server's CPU under the W7 load (perf); mimalloc is measured in
// docs/benchmarks.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "stoa", version, about = "Stoa collaboration server")]
struct Cli {
    /// Configuration file (TOML). Environment variables STOA_* override it.
    #[arg(long, global = true, env = "STOA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve,
    /// Apply database migrations and exit (several nodes may run it at once: one applies, the
    /// others wait).
    Migrate {
        /// List applied and pending migrations instead; change nothing.
        #[arg(long)]
        status: bool,
    },
    /// Ask this node's `/healthz` (on the `listen` address) and exit 0 when it answers: the
    /// container image's health check.
    Healthcheck {
        /// Ask this URL instead, e.g. `http://127.0.0.1:8080/readyz`.
        #[arg(long)]
        url: Option<String>,
        #[arg(long, default_value_t = 5)]
        timeout_secs: u64,
    },
    /// Back up an embedded install (SQLite, local blobs, key files) while it serves, into a new
    /// or empty directory; or, with `--verify`, check any install's consistency (blobs rows
    /// name exist, no old orphans, audit chains intact) and exit 1 on a problem.
    Backup {
        /// The directory to write the backup into (new or empty).
        #[arg(long, required_unless_present = "verify", conflicts_with = "verify")]
        to: Option<PathBuf>,
        /// Check the configured install instead (either backend), e.g. after a restore.
        #[arg(long)]
        verify: bool,
        /// With `--verify`: objects no row names are orphans once older than this; default
        /// `storage.orphan_grace_secs`.
        #[arg(long, requires = "verify")]
        grace_secs: Option<i64>,
    },
    /// Restore a backup made by `stoa backup --to` into the configured, empty data directory:
    /// every checksum is checked first (nothing is written when one fails); then erasures on
    /// the erasure ledger are applied again and the search index is rebuilt.
    Restore {
        /// The backup directory (with its manifest.json).
        #[arg(long)]
        from: PathBuf,
        /// The replaced install's data directory (or blob directory): its erasure ledger is
        /// carried over, so that people erased after the backup was taken stay erased.
        #[arg(long)]
        erasure_ledger: Option<PathBuf>,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the OpenAPI spec (YAML) to stdout.
    Openapi,
    /// Manage tenants offline (the operator API does the same over HTTP).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Outbox tools.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// Blob store tools.
    Blobs {
        #[command(subcommand)]
        command: BlobsCommand,
    },
    /// Search index tools.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// The data lifecycle: replaying erasures after a database restore.
    Lifecycle {
        #[command(subcommand)]
        command: LifecycleCommand,
    },
    /// Data retention: what a tenant's policy removes, and running it.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Internal: parse one untrusted file (from stdin) in a locked-down child process. The
    /// server starts these itself; see `jobs::convert`.
    #[command(hide = true)]
    Convert {
        job: String,
        #[arg(long)]
        args: String,
        #[arg(long)]
        memory_mb: u64,
        #[arg(long)]
        cpu_secs: u64,
    },
}

#[derive(Subcommand)]
enum BlobsCommand {
    /// Remove stored objects no row references (and uploads that never completed), once older
    /// than the grace period. Prints what was removed as JSON.
    Sweep {
        /// Report without removing anything.
        #[arg(long)]
        dry_run: bool,
        /// Keep unreferenced objects younger than this; default `storage.orphan_grace_secs`.
        #[arg(long)]
        grace_secs: Option<i64>,
    },
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Rebuild the search index from the database, for one tenant or all. With the embedded
    /// index and a server running, the server does it (the request goes through the outbox).
    Reindex {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Count a tenant's entries in the index (of one kind, or one item with `--id`): to check
    /// that an erasure reached the index. The embedded index must not be held by a server.
    Count {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        id: Option<String>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented example stoa.toml.
    Example,
    /// Print the effective configuration (secrets redacted).
    Show,
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant and its first admin.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
        #[arg(long, default_value = "")]
        admin_name: String,
        /// Read the admin's password from standard input; without it an invitation link is printed.
        #[arg(long)]
        admin_password_stdin: bool,
    },
    /// List tenants.
    List,
    /// Suspend a tenant: sessions end, sign-in is refused.
    Suspend { slug: String },
    /// Resume a suspended tenant.
    Resume { slug: String },
    /// Set a tenant's storage quota and largest upload, in bytes (`default` = the install's).
    Storage {
        slug: String,
        #[arg(long)]
        quota_bytes: Option<String>,
        #[arg(long)]
        max_upload_bytes: Option<String>,
    },
    /// Destroy a tenant's encryption keys: its stored files become unreadable everywhere.
    ShredKeys {
        slug: String,
        /// Confirm: this cannot be undone.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify a tenant's audit chain (links, hashes, anchors, and the audit mirror when
    /// configured); exits 1 naming the first altered, unanchored or missing entry.
    Verify {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum LifecycleCommand {
    /// After restoring a database backup: erase again everyone on the erasure ledger (kept in
    /// the blob store) whom the restored database does not know as erased; prints what it did
    /// (JSON). Run it before the server takes traffic again.
    Replay {
        /// Only this tenant (slug); all tenants when omitted.
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Print (JSON) what the next run would remove from the tenant, per data class and per
    /// room or space, and what legal holds keep back.
    Preview {
        #[arg(long)]
        tenant: String,
    },
    /// Apply the tenant's policy now and print the run's report (JSON). Blobs and index
    /// entries go through the outbox, which a running server drains.
    Run {
        #[arg(long)]
        tenant: String,
        /// Measure and report only; remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// Show pending and dead-lettered message counts.
    Status,
    /// Requeue dead-lettered messages.
    RetryDead,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Config {
            command: ConfigCommand::Example,
        } => {
            print!("{}", stoa::config::example());
            return ExitCode::SUCCESS;
        }
        Command::Openapi => {
            print!("{}", stoa::api::spec_yaml());
            return ExitCode::SUCCESS;
        }
        // Before any configuration, logging or runtime: the child locks itself down first.
        Command::Convert {
            job,
            args,
            memory_mb,
            cpu_secs,
        } => {
            return stoa::jobs::convert::child_main(
                &stoa::converters(),
                &job,
                &args,
                memory_mb,
                cpu_secs,
            )
        }
        _ => {}
    }
    let cfg = match Config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("stoa: {e}");
            return ExitCode::from(2);
        }
    };
    stoa::init_tracing(&cfg);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("stoa: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, cfg)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("stoa: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, cfg: Config) -> Result<ExitCode, BoxError> {
    let ctx = RequestCtx {
        request_id: "cli".into(),
        ..Default::default()
    };
    match command {
        Command::Serve => stoa::serve(cfg).await?,
        Command::Migrate { status: true } => {
            let db = stoa::db::Db::connect(&cfg.database_url(), 2).await?;
            let all = db.migration_status().await?;
            for m in &all {
                println!("{:04}\t{}\t{}", m.version, m.state.name(), m.description);
            }
            let count = |s| all.iter().filter(|m| m.state == s).count();
            use stoa::db::migrate::State;
            println!(
                "{} applied, {} pending ({})",
                count(State::Applied),
                count(State::Pending),
                db.backend.name()
            );
        }
        Command::Healthcheck { url, timeout_secs } => {
            let url = url.unwrap_or_else(|| stoa::ops::health::local_url(&cfg.listen, "/healthz"));
            stoa::ops::health::probe(&url, std::time::Duration::from_secs(timeout_secs)).await?;
            println!("ok");
        }
        Command::Migrate { status: false } => {
            let db = stoa::db::Db::connect(&cfg.database_url(), 2).await?;
            let key = stoa::audit::anchor::load(&cfg, true)?;
            stoa::audit::anchor::migrate(&db, &key).await?;
            println!("migrations applied ({})", db.backend.name());
        }
        Command::Backup {
            to: Some(to),
            verify: false,
            ..
        } => println!("{}", stoa::cli::backup_command(cfg, &to).await?),
        Command::Backup { grace_secs, .. } => {
            let (report, ok) = stoa::cli::verify_command(cfg, grace_secs).await?;
            println!("{report}");
            if !ok {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Restore {
            from,
            erasure_ledger,
        } => println!(
            "{}",
            stoa::cli::restore_command(cfg, &from, erasure_ledger.as_deref()).await?
        ),
        Command::Config {
            command: ConfigCommand::Show,
        } => println!("{cfg:#?}"),
        Command::Config {
            command: ConfigCommand::Example,
        }
        | Command::Openapi
        | Command::Convert { .. } => {}
        Command::Tenant { command } => {
            let state = stoa::build_cli_state(cfg).await?;
            // The command line acts as the operator: it holds the install's credential.
            let op = stoa::authn::OperatorProof::command_line(&state, ctx)
                .map_err(|e| e.detail_with_field())?;
            match command {
                TenantCommand::Create {
                    slug,
                    name,
                    admin_email,
                    admin_name,
                    admin_password_stdin,
                } => {
                    let admin_password = if admin_password_stdin {
                        let mut s = String::new();
                        std::io::stdin().read_to_string(&mut s)?;
                        Some(s.trim_end_matches(['\n', '\r']).to_string())
                    } else {
                        None
                    };
                    let input = stoa::tenants::service::NewTenant {
                        slug,
                        name,
                        admin_email,
                        admin_name,
                        admin_password,
                    };
                    let created = stoa::tenants::service::create(
                        &state,
                        stoa::authn::InstallActor::Operator(&op),
                        input,
                    )
                    .await
                    .map_err(|e| e.detail_with_field())?;
                    println!(
                        "tenant {} ({}) created; admin {}",
                        created.tenant.slug, created.tenant.id, created.admin.id
                    );
                    if let Some(inv) = created.invitation {
                        println!(
                            "invitation link for the admin (valid until {}): {}",
                            stoa::db::rfc3339(inv.expires_at),
                            inv.url
                        );
                    }
                }
                TenantCommand::List => {
                    let mut cursor: Option<String> = None;
                    loop {
                        let (rows, next) =
                            stoa::tenants::service::list(&state, &op, cursor.as_deref(), Some(200))
                                .await
                                .map_err(|e| e.detail_with_field())?;
                        for (t, users) in rows {
                            println!(
                                "{}\t{}\t{}\t{}\t{} users",
                                t.id, t.slug, t.status, t.name, users
                            );
                        }
                        match next {
                            Some(n) => cursor = Some(n),
                            None => break,
                        }
                    }
                }
                TenantCommand::Suspend { slug } => {
                    let t = stoa::tenants::service::set_suspended(&state, &op, &slug, true)
                        .await
                        .map_err(|e| e.detail_with_field())?;
                    println!("tenant {} suspended", t.slug);
                }
                TenantCommand::Storage {
                    slug,
                    quota_bytes,
                    max_upload_bytes,
                } => {
                    let parse = |v: Option<String>| -> Result<Option<Option<i64>>, BoxError> {
                        match v.as_deref() {
                            None => Ok(None),
                            Some("default") => Ok(Some(None)),
                            Some(n) => Ok(Some(Some(n.parse().map_err(|_| {
                                format!("`{n}` is not a byte count (or `default`)")
                            })?))),
                        }
                    };
                    let (q, m, used) = stoa::files::operator::set_limits(
                        &state,
                        &op,
                        &slug,
                        parse(quota_bytes)?,
                        parse(max_upload_bytes)?,
                    )
                    .await
                    .map_err(|e| e.detail_with_field())?;
                    let show = |v: Option<i64>| v.map_or("default".to_string(), |n| n.to_string());
                    println!(
                        "tenant {slug}: quota {} bytes, max upload {} bytes, {used} bytes used",
                        show(q),
                        show(m)
                    );
                }
                TenantCommand::ShredKeys { slug, yes } => {
                    if !yes {
                        eprintln!("stoa: destroying keys cannot be undone; add --yes");
                        return Ok(ExitCode::from(2));
                    }
                    let n = stoa::files::operator::shred_keys(&state, &op, &slug)
                        .await
                        .map_err(|e| e.detail_with_field())?;
                    println!("tenant {slug}: {n} data keys destroyed; its stored files can no longer be read");
                }
                TenantCommand::Resume { slug } => {
                    let t = stoa::tenants::service::set_suspended(&state, &op, &slug, false)
                        .await
                        .map_err(|e| e.detail_with_field())?;
                    println!("tenant {} resumed", t.slug);
                }
            }
        }
        Command::Audit {
            command: AuditCommand::Verify { tenant },
        } => {
            // The key is read, never created here: a new key would fail every anchor.
            let key = match stoa::audit::anchor::load(&cfg, false) {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("stoa: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let db = stoa::db::Db::connect(&cfg.database_url(), 2).await?;
            let mut conn = db.conn().await?;
            let Some(t) = stoa::tenants::service::by_slug(&mut conn, &tenant).await? else {
                eprintln!("stoa: no tenant with slug `{tenant}`");
                return Ok(ExitCode::from(2));
            };
            drop(conn);
            match stoa::audit::verify_tenant(&db, &key, &t.id, &cfg.audit.mirror_dir).await? {
                Ok(n) => println!("audit chain of {} intact: {n} entries", t.slug),
                Err(b) => {
                    eprintln!(
                        "audit chain of {} BROKEN at entry {}: {}",
                        t.slug, b.seq, b.reason
                    );
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Command::Blobs {
            command:
                BlobsCommand::Sweep {
                    dry_run,
                    grace_secs,
                },
        } => {
            let state = stoa::build_cli_state(cfg).await?;
            let grace = grace_secs.unwrap_or(state.cfg.storage.orphan_grace_secs);
            let report = stoa::blobs::sweep::run(
                &state.db,
                &state.blobs,
                &state.blob_references,
                grace.saturating_mul(1000),
                dry_run,
            )
            .await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::Search {
            command: SearchCommand::Reindex { tenant },
        } => {
            let done = stoa::cli::reindex_command(cfg, tenant.as_deref()).await?;
            println!("{done}");
        }
        Command::Search {
            command: SearchCommand::Count { tenant, kind, id },
        } => {
            let n = stoa::cli::count_command(cfg, &tenant, kind.as_deref(), id.as_deref()).await?;
            println!("{n}");
        }
        Command::Lifecycle {
            command: LifecycleCommand::Replay { tenant },
        } => {
            println!(
                "{}",
                stoa::cli::lifecycle_replay_command(cfg, tenant.as_deref()).await?
            );
        }
        Command::Retention {
            command: RetentionCommand::Preview { tenant },
        } => {
            println!(
                "{}",
                stoa::cli::retention_preview_command(cfg, &tenant).await?
            );
        }
        Command::Retention {
            command: RetentionCommand::Run { tenant, dry_run },
        } => {
            println!(
                "{}",
                stoa::cli::retention_run_command(cfg, &tenant, dry_run).await?
            );
        }
        Command::Outbox { command } => {
            let db = stoa::db::Db::connect(&cfg.database_url(), 2).await?;
            let key = stoa::audit::anchor::load(&cfg, true)?;
            stoa::audit::anchor::migrate(&db, &key).await?;
            let mut tx = db.begin().await?;
            match command {
                OutboxCommand::Status => {
                    let s = stoa::db::outbox::stats(&mut tx).await?;
                    println!(
                        "pending {}\tdead {}\toldest pending {} ms",
                        s.pending, s.dead, s.lag_ms
                    );
                }
                OutboxCommand::RetryDead => {
                    let n = stoa::db::outbox::retry_dead(&mut tx).await?;
                    println!("{n} dead-lettered messages requeued");
                }
            }
            tx.commit().await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
