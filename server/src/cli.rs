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
