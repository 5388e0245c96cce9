//! Command-line tasks that act on a configured install (beside the server, not through it).

use crate::{retention, search, tenants, AppState, BoxError};

/// The id of the tenant with this slug.
async fn tenant_id(state: &AppState, slug: &str) -> Result<String, BoxError> {
    let mut conn = state.db.conn().await?;
    Ok(tenants::service::by_slug(&mut conn, slug)
        .await
        .map_err(|e| e.detail_with_field())?
        .ok_or_else(|| format!("no tenant with slug `{slug}`"))?
        .id)
}

/// `stoa search reindex`: rebuild here when the index can be opened; when a running server
/// holds the embedded index, ask it to through the outbox.
pub async fn reindex_command(
    cfg: crate::config::Config,
    tenant_slug: Option<&str>,
) -> Result<String, BoxError> {
    let state = crate::build_cli_state(cfg).await?;
    let tenant_id = match tenant_slug {
        Some(slug) => tenant_id(&state, slug).await?,
        None => String::new(),
    };
    match search::from_config(&state.cfg).await {
        Ok(index) => {
            let tenants: Vec<String> = if tenant_id.is_empty() {
                state.searchables.all_tenants(&state).await?
            } else {
                vec![tenant_id]
            };
            let mut n = 0;
            for t in &tenants {
                n += search::indexer::reindex_tenant(
                    &state.db,
                    &state.searchables,
                    index.as_ref(),
                    t,
                )
                .await
                .map_err(|e| e.message)?;
            }
            Ok(format!(
                "search index rebuilt: {n} documents in {} tenant(s)",
                tenants.len()
            ))
        }
        Err(e) if state.cfg.search.backend == "embedded" => {
            tracing::info!(error = %e, "index busy; handing the rebuild to the server");
            let mut tx = state.db.begin().await?;
            crate::db::outbox::enqueue(
                &mut tx,
                &tenant_id,
                search::TOPIC_REINDEX,
                &serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
            Ok("the running server holds the index: rebuild queued; it runs within seconds".into())
        }
        Err(e) => Err(e),
    }
}

/// `stoa search count`: a tenant's entries in the index, or one item's (0 or 1).
pub async fn count_command(
    cfg: crate::config::Config,
    tenant_slug: &str,
    kind: Option<&str>,
    id: Option<&str>,
) -> Result<u64, BoxError> {
    let state = crate::build_cli_state(cfg).await?;
    let tenant_id = tenant_id(&state, tenant_slug).await?;
    let index = search::from_config(&state.cfg).await?;
    let item = match (kind, id) {
        (Some(k), Some(i)) => Some((k, i)),
        (None, None) => None,
        _ => return Err("give --kind and --id together".into()),
    };
    Ok(index.count(&tenant_id, item).await?)
}

/// `stoa lifecycle replay`: erase again everyone on the erasure ledger (in the blob store)
/// whom this database does not know as erased, after restoring an older backup (JSON).
pub async fn lifecycle_replay_command(
    cfg: crate::config::Config,
    tenant_slug: Option<&str>,
) -> Result<String, BoxError> {
    let state = crate::build_cli_state(cfg).await?;
    let tenant = match tenant_slug {
        Some(s) => Some(tenant_id(&state, s).await?),
        None => None,
    };
    let r = crate::users::deletion::runner::replay(&state, tenant.as_deref()).await?;
    Ok(serde_json::to_string_pretty(&r)?)
}

/// `stoa retention preview`: what the next run would remove from a tenant (JSON).
pub async fn retention_preview_command(
    cfg: crate::config::Config,
    tenant_slug: &str,
) -> Result<String, BoxError> {
    let state = crate::build_cli_state(cfg).await?;
    let tenant_id = tenant_id(&state, tenant_slug).await?;
    let p = retention::service::measure_all(&state, &tenant_id, crate::db::now_ms(), None)
        .await
        .map_err(|e| e.detail_with_field())?;
    let classes: Vec<serde_json::Value> = p
        .classes
        .iter()
        .map(|c| {
            serde_json::json!({
                "class": c.class.name, "days": c.days, "items": c.measure.items,
                "bytes": c.measure.bytes,
                "oldest": c.measure.oldest.map(crate::db::rfc3339),
                "newest": c.measure.newest.map(crate::db::rfc3339),
                "containers": c.measure.containers.iter().map(|(id, n, b)| {
                    serde_json::json!({ "id": id, "items": n, "bytes": b })
                }).collect::<Vec<_>>(),
                "held": c.measure.held.iter().map(|(id, n)| {
                    serde_json::json!({ "hold_id": id, "items": n })
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(serde_json::to_string_pretty(&serde_json::json!({
        "as_of": crate::db::rfc3339(p.as_of), "items": p.items(), "classes": classes,
    }))?)
}

/// `stoa retention run`: apply a tenant's policy now; the run's report (JSON).
pub async fn retention_run_command(
    cfg: crate::config::Config,
    tenant_slug: &str,
    dry_run: bool,
) -> Result<String, BoxError> {
    let state = crate::build_cli_state(cfg).await?;
    let tenant_id = tenant_id(&state, tenant_slug).await?;
    let run = retention::runs::run_now(&state, &tenant_id, retention::runs::Trigger::Cli, dry_run)
        .await?
        .ok_or("a retention run of this tenant is going on; try again when it ends")?;
    let report: serde_json::Value = serde_json::from_str(&run.report)?;
    Ok(serde_json::to_string_pretty(&serde_json::json!({
        "id": run.id, "status": run.status, "error": run.error, "report": report,
    }))?)
}

/// `stoa backup --to DIR`: a consistent online backup of an embedded install (`ops::backup`).
pub async fn backup_command(
    cfg: crate::config::Config,
    to: &std::path::Path,
) -> Result<String, BoxError> {
    let taken = crate::ops::backup::take::run(&cfg, &crate::app::blob_references(), to).await?;
    let m = &taken.manifest;
    let blobs = m.files.iter().filter(|f| f.role == "blob").count();
    let mut out =
        format!(
        "backup written to {}: database (schema {}), {blobs} blob(s), {} key file(s), {} bytes{}",
        to.display(),
        m.schema_version,
        m.files
            .iter()
            .filter(|f| f.role != "blob" && f.role != "database")
            .count(),
        taken.bytes,
        if taken.snapshots > 1 {
            format!(" ({} snapshots: files were deleted during the first)", taken.snapshots)
        } else {
            String::new()
        }
    );
    if !m.keys_in_configuration.is_empty() {
        out.push_str(&format!(
            "\nnot in the backup, set in the configuration (keep them with it): {}",
            m.keys_in_configuration.join(", ")
        ));
    }
    Ok(out)
}

/// `stoa restore --from DIR`: check the backup, place it in the empty data directory, carry
/// over the old install's erasure ledger (`ledger`: its data or blob directory), then open the
/// restored install (migrating it when the backup is older than this binary), erase again
/// everyone on the ledger the backup still holds, and rebuild the search index.
///
/// The ledger that matters is the one of the install being replaced: people erased after the
/// backup was taken are on it and not in the backup. It lives in the old blob directory (the
/// database's own copy is restored with the database, so it knows only older erasures).
pub async fn restore_command(
    cfg: crate::config::Config,
    from: &std::path::Path,
    ledger: Option<&std::path::Path>,
) -> Result<String, BoxError> {
    use crate::users::deletion::runner;
    let restored = crate::ops::backup::restore::run(&cfg, from).await?;
    let mut out = format!(
        "restored the backup of {} into {}: {} file(s), {} blob(s), {} bytes",
        restored.manifest_created_at,
        cfg.data_dir.display(),
        restored.files,
        restored.blobs,
        restored.bytes
    );
    if !restored.keys_in_configuration.is_empty() {
        out.push_str(&format!(
            "\nthe backup's install set these in its configuration; this one must set the same: {}",
            restored.keys_in_configuration.join(", ")
        ));
    }
    if !restored.keys_skipped.is_empty() {
        out.push_str(&format!(
            "\nkey files not placed because this configuration sets the key itself (it must be the same key): {}",
            restored.keys_skipped.join(", ")
        ));
    }
    match ledger {
        Some(source) => {
            let n = crate::ops::backup::restore::carry_ledger(&cfg, source, runner::LEDGER_PREFIX)
                .map_err(|e| format!("{out}\n{e}"))?;
            out.push_str(&format!(
                "\n{n} erasure ledger entr{} carried over from {}",
                if n == 1 { "y" } else { "ies" },
                source.display()
            ));
        }
        None => out.push_str(
            "\nno --erasure-ledger given: people erased after this backup was taken come back \
             unless the old install's ledger is replayed (`stoa lifecycle replay` after copying it)",
        ),
    }
    let state = crate::build_cli_state(cfg.clone())
        .await
        .map_err(|e| format!("{out}\nthe restored install does not open: {e}"))?;
    let replayed = runner::replay(&state, None).await?;
    out.push_str(&format!(
        "\nerasure ledger: {} entr{}, {} person(s) erased again",
        replayed.entries,
        if replayed.entries == 1 { "y" } else { "ies" },
        replayed.erased
    ));
    drop(state);
    // The index is not in a backup: rebuild it here, before a server opens it.
    let indexed = reindex_command(cfg, None).await?;
    out.push_str(&format!("\n{indexed}"));
    Ok(out)
}

/// `stoa backup --verify`: the install's consistency report, and whether it is sound. Reads
/// only: no migration, and no key or blob directory is created.
pub async fn verify_command(
    cfg: crate::config::Config,
    grace_secs: Option<i64>,
) -> Result<(String, bool), BoxError> {
    let anchor = crate::audit::anchor::load(&cfg, false)?;
    let db = crate::db::Db::connect(&cfg.database_url(), 2).await?;
    if !db.is_migrated().await.unwrap_or(false) {
        return Err(
            "the database is not at this binary's schema: run `stoa migrate` first (or \
                    check the configuration points at the restored database)"
                .into(),
        );
    }
    let store = crate::blobs::open_store(&cfg).await?;
    let grace = grace_secs.unwrap_or(cfg.storage.orphan_grace_secs);
    let r = crate::ops::backup::verify::run(
        &db,
        store.as_ref(),
        &crate::app::blob_references(),
        grace.saturating_mul(1000),
        &anchor,
        &cfg.audit.mirror_dir,
    )
    .await?;
    let mut conn = db.conn().await?;
    let mut out = format!(
        "blobs: {} named by rows, {} in the store ({}), {} missing, {} orphaned beyond {grace} s, {} younger unreferenced",
        r.named,
        r.objects,
        store.name(),
        r.missing.len(),
        r.orphans.len(),
        r.young_unreferenced
    );
    for k in r.missing.iter().take(50) {
        out.push_str(&format!(
            "\n  MISSING blob {k}: a row names it, the store does not have it"
        ));
    }
    for k in r.orphans.iter().take(50) {
        out.push_str(&format!(
            "\n  ORPHAN blob {k}: no row names it (`stoa blobs sweep` removes it)"
        ));
    }
    for c in &r.audit {
        let name = match tenants::service::by_id(&mut conn, &c.tenant_id).await {
            Ok(Some(t)) => t.slug,
            _ if c.tenant_id.is_empty() => "the install".to_string(),
            _ => c.tenant_id.clone(),
        };
        match &c.broken {
            None => out.push_str(&format!(
                "\naudit chain of {name}: intact, {} entries",
                c.entries
            )),
            Some(b) => out.push_str(&format!("\naudit chain of {name}: BROKEN {b}")),
        }
    }
    let ok = r.ok();
    out.push_str(if ok {
        "\nconsistent"
    } else {
        "\nPROBLEMS FOUND"
    });
    Ok((out, ok))
}
