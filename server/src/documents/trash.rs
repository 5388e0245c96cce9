//! The trash: trashing documents and folders (with everything below), restoring, purging now
//! (the space's managers) and when the trash period ends (the lifecycle's `trash` class, run
//! by retention).
//!
//! Purging is the one destructive step, and [`purge_document`] takes a [`PurgeRoot`]: the
//! proof that the trash root it belongs to may go, made only here — from a space manager's
//! proof ([`purge_now`]) or from the lifecycle registry's `Purge` proof
//! ([`purge_expired_document`]). Nothing a legal hold covers is purged either way.

use super::{
    access::{self, Checked, SpaceEdit},
    folders::subtree,
    record::{audit_doc, name_taken, save, KIND},
    store::{self, trash::Kind, SpaceRow},
    versions::release_file,
};
use crate::{
    audit,
    authn::Principal,
    authz::Proof,
    db::now_ms,
    error::{ApiError, ApiResult},
    lifecycle::{holds, Container, Purge, Purged},
    search, AppState,
};
use sqlx::AnyConnection;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// The lifecycle data class of the trash (declared in `documents::lifecycle`).
pub const TRASH_CLASS: &str = "trash";

/// Move a document to the trash (the space's editors).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, document_id = %id))]
pub async fn trash_document(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let (mut d, a) = access::document(state, &mut tx, p, id).await?;
    let space = a.checked().space_edit()?;
    space.covers(&d.space_id, "document")?;
    let proof = a.edit()?;
    // A held document is not deleted by hand, not even into the trash.
    refuse_held(&mut tx, &p.tenant_id, &d).await?;
    d.trashed_at = Some(now_ms());
    d.trashed_via = Some(d.id.clone());
    d.trashed_by = Some(p.user_id.clone());
    save(&mut tx, &proof, &d).await?;
    audit_doc(&mut tx, p, "document.trashed", &d).await?;
    search::enqueue_delete(&mut tx, &p.tenant_id, KIND, &d.id).await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(())
}

/// 409 `legal_hold` when an active hold covers the document (its owner or its space, within
/// the hold's range of its time: when it was trashed, or made).
async fn refuse_held(
    conn: &mut AnyConnection,
    tenant_id: &str,
    d: &store::DocRow,
) -> ApiResult<()> {
    let item = holds::Item {
        people: &[d.owner_id.as_str()],
        room: None,
        space: Some(&d.space_id),
        at: d.trashed_at.unwrap_or(d.created_at),
    };
    holds::refuse(conn, tenant_id, &item).await
}

/// Move a folder and everything below it to the trash (the space's editors).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, folder_id = %id))]
pub async fn trash_folder(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let (f, a) = access::folder(state, &mut tx, p, id).await?;
    let proof = a.checked().space_edit()?;
    proof.covers(&f.space_id, "folder")?;
    let tenant_id = proof.tenant_id();
    let now = now_ms();
    for sub in subtree(&mut tx, tenant_id, &f.id).await? {
        store::folders::mark_trashed(&mut tx, tenant_id, &sub, now, &f.id, &p.user_id).await?;
        for d in store::docs::live_ids_in_folder(&mut tx, tenant_id, &sub).await? {
            if let Some(row) = store::docs::get(&mut tx, tenant_id, &d).await? {
                refuse_held(&mut tx, tenant_id, &row).await?;
            }
            store::docs::mark_trashed(&mut tx, tenant_id, &d, now, &f.id, &p.user_id).await?;
            search::enqueue_delete(&mut tx, tenant_id, KIND, &d).await?;
        }
    }
    audit::record(&mut tx, p.audit("folder.trashed").target("folder", &f.id)).await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(())
}

/// One item in a space's trash: something a person trashed (what it took with it is restored
/// and purged with it).
#[derive(Debug, Clone)]
pub struct TrashItem {
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    pub trashed_at: i64,
    pub trashed_by: String,
    /// When the trash period ends and it is purged (`None`: kept until purged by hand).
    pub purge_at: Option<i64>,
}

/// The trash of a space (its editors).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, space_id = %space_id))]
pub async fn trash_list(
    state: &AppState,
    p: &Principal,
    space_id: &str,
) -> ApiResult<Vec<TrashItem>> {
    let mut conn = state.db.conn().await?;
    let (s, a) = access::space(state, &mut conn, p, space_id).await?;
    a.need_editor()?;
    let days = crate::retention::service::period(
        state,
        &mut conn,
        &p.tenant_id,
        TRASH_CLASS,
        Some((Container::Space, &s.id)),
    )
    .await?;
    let mut out = Vec::new();
    for (kind, k) in [("folder", Kind::Folders), ("document", Kind::Documents)] {
        let rows = store::trash::roots_in_space(&mut conn, &p.tenant_id, &s.id, k).await?;
        out.extend(rows.into_iter().map(|(id, name, at, by)| TrashItem {
            kind,
            id,
            name,
            trashed_at: at,
            trashed_by: by,
            purge_at: days.map(|d| at + d * DAY_MS),
        }));
    }
    out.sort_by_key(|t| std::cmp::Reverse(t.trashed_at));
    Ok(out)
}

fn kind_of(kind: &str) -> Option<Kind> {
    match kind {
        "documents" => Some(Kind::Documents),
        "folders" => Some(Kind::Folders),
        _ => None,
    }
}

/// A trashed root (a document or folder a person trashed) in a space the caller edits:
/// the space, the caller's checked access, its parent folder and its name.
async fn trashed_root(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    kind: Kind,
    id: &str,
) -> ApiResult<(SpaceRow, Checked, Option<String>, String)> {
    let not_found = || ApiError::not_found("trash item");
    if !crate::db::is_id(id) {
        return Err(not_found());
    }
    let (space_id, parent, name) = store::trash::root(conn, &p.tenant_id, kind, id)
        .await?
        .ok_or_else(not_found)?;
    let s = store::spaces::get(conn, &p.tenant_id, &space_id)
        .await?
        .ok_or_else(not_found)?;
    let a = access::space_top(state, conn, p, &s)
        .await?
        .ok_or_else(not_found)?;
    a.space_edit()?;
    Ok((s, a, parent, name))
}

/// Restore a trashed document or folder (with what was trashed with it). A parent folder that
/// is gone or in the trash puts it at the top of the space.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn restore(state: &AppState, p: &Principal, kind: &str, id: &str) -> ApiResult<()> {
    let k = kind_of(kind).ok_or_else(|| ApiError::not_found("trash item"))?;
    let mut tx = state.db.begin().await?;
    let (s, a, parent, name) = trashed_root(state, &mut tx, p, k, id).await?;
    let proof = a.space_edit()?;
    let parent_live = match &parent {
        Some(pid) => access::live_folder(&mut tx, &p.tenant_id, pid)
            .await?
            .is_some(),
        None => true,
    };
    let parent = if parent_live { parent } else { None };
    untrash(&mut tx, &proof, &s, k, id, parent.as_deref(), &name).await?;
    audit::record(
        &mut tx,
        p.audit("trash.restored").target(
            if k == Kind::Documents {
                "document"
            } else {
                "folder"
            },
            id,
        ),
    )
    .await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(())
}

async fn untrash(
    conn: &mut AnyConnection,
    proof: &SpaceEdit,
    s: &SpaceRow,
    kind: Kind,
    id: &str,
    parent: Option<&str>,
    name: &str,
) -> ApiResult<()> {
    proof.covers(&s.id, "trash item")?;
    let tenant_id = proof.tenant_id();
    if kind == Kind::Documents {
        if store::docs::by_name(conn, tenant_id, &s.id, parent, name)
            .await?
            .is_some()
        {
            return Err(name_taken());
        }
        store::docs::untrash(conn, tenant_id, id, parent).await?;
        search::enqueue_index(conn, tenant_id, KIND, id).await?;
    } else {
        store::folders::set_parent(conn, tenant_id, id, parent).await?;
        let ids = store::trash::ids_via(conn, tenant_id, Kind::Documents, id).await?;
        for k in [Kind::Folders, Kind::Documents] {
            store::trash::untrash_via(conn, tenant_id, k, id).await?;
        }
        for d in ids {
            search::enqueue_index(conn, tenant_id, KIND, &d).await?;
        }
    }
    Ok(())
}

/// Proof that a trash root may be purged (with everything trashed with it): made only here,
/// for a manager of its space or for the lifecycle's purge once the trash period is over.
pub struct PurgeRoot {
    tenant_id: String,
    root_id: String,
}

impl crate::authz::Proof for PurgeRoot {
    fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
}

impl PurgeRoot {
    fn by_manager(m: &access::SpaceManage, root_id: &str) -> PurgeRoot {
        PurgeRoot {
            tenant_id: m.tenant_id().to_string(),
            root_id: root_id.to_string(),
        }
    }

    fn erasure(e: &crate::lifecycle::erase::Erasure, root_id: &str) -> PurgeRoot {
        PurgeRoot {
            tenant_id: e.tenant_id().to_string(),
            root_id: root_id.to_string(),
        }
    }

    fn expired(p: &Purge, root_id: &str) -> PurgeRoot {
        PurgeRoot {
            tenant_id: p.tenant_id().to_string(),
            root_id: root_id.to_string(),
        }
    }
}

/// Purge a trashed item now (the space's managers): every version's content leaves every
/// store.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, id = %id))]
pub async fn purge_now(state: &AppState, p: &Principal, kind: &str, id: &str) -> ApiResult<()> {
    let k = kind_of(kind).ok_or_else(|| ApiError::not_found("trash item"))?;
    let mut tx = state.db.begin().await?;
    let (s, a, _, _) = trashed_root(state, &mut tx, p, k, id).await?;
    let manager = a.space_manage()?;
    manager.covers(&s.id, "trash item")?;
    // Nothing a legal hold covers is purged by hand.
    for d in store::trash::ids_via(&mut tx, &p.tenant_id, Kind::Documents, id).await? {
        if let Some(d) = store::docs::get(&mut tx, &p.tenant_id, &d).await? {
            refuse_held(&mut tx, &p.tenant_id, &d).await?;
        }
    }
    let n = purge_root(&mut tx, &PurgeRoot::by_manager(&manager, id)).await?;
    audit::record(
        &mut tx,
        p.audit("trash.purged")
            .target(
                if k == Kind::Documents {
                    "document"
                } else {
                    "folder"
                },
                id,
            )
            .details(serde_json::json!({ "documents": n })),
    )
    .await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(())
}

/// Remove a trashed document for good: its versions, shares, row; files no one else uses are
/// purged. The document must belong to the trash root of the proof.
pub(crate) async fn purge_document(
    conn: &mut AnyConnection,
    proof: &PurgeRoot,
    id: &str,
) -> ApiResult<Purged> {
    let tenant_id = proof.tenant_id.as_str();
    let d = store::docs::get(conn, tenant_id, id).await?;
    if d.as_ref().and_then(|d| d.trashed_via.as_deref()) != Some(proof.root_id.as_str()) {
        return Err(ApiError::not_found("trash item"));
    }
    let mut out = Purged::default();
    let versions = store::versions::all(conn, tenant_id, id).await?;
    out.rows += versions.len() as u64;
    store::versions::delete_all(conn, tenant_id, id).await?;
    let mut files: Vec<String> = versions.into_iter().map(|(_, f)| f).collect();
    files.sort();
    files.dedup();
    for f in files {
        out += release_file(conn, proof, &f).await?;
    }
    store::shares::delete_on_target(conn, tenant_id, "document", id).await?;
    store::docs::delete(conn, tenant_id, id).await?;
    search::enqueue_delete(conn, tenant_id, KIND, id).await?;
    out.items += 1;
    out.rows += 1;
    out.index_entries += 1;
    Ok(out)
}

/// A document of an erased person's personal space (account erasure): trashed as its own root
/// if it is not in the trash, then purged with every version, share and file.
pub(super) async fn purge_for_erasure(
    conn: &mut AnyConnection,
    e: &crate::lifecycle::erase::Erasure,
    id: &str,
) -> ApiResult<Purged> {
    let tenant_id = e.tenant_id();
    let Some(d) = store::docs::get(conn, tenant_id, id).await? else {
        return Ok(Purged::default());
    };
    let root = match d.trashed_via {
        Some(r) => r,
        None => {
            store::docs::mark_trashed(conn, tenant_id, id, now_ms(), id, &e.person).await?;
            id.to_string()
        }
    };
    purge_document(conn, &PurgeRoot::erasure(e, &root), id).await
}

/// A folder of an erased person's personal space, once its documents went.
pub(super) async fn purge_folder_for_erasure(
    conn: &mut AnyConnection,
    e: &crate::lifecycle::erase::Erasure,
    id: &str,
) -> ApiResult<()> {
    Ok(purge_folder_row(conn, e.tenant_id(), id).await?)
}

/// A trashed document past the trash period (the lifecycle's purge); nothing when it was
/// restored or purged meanwhile.
pub(super) async fn purge_expired_document(
    conn: &mut AnyConnection,
    proof: &Purge,
    id: &str,
) -> ApiResult<Purged> {
    let Some(root) = store::docs::get(conn, proof.tenant_id(), id)
        .await?
        .and_then(|d| d.trashed_via)
    else {
        return Ok(Purged::default());
    };
    purge_document(conn, &PurgeRoot::expired(proof, &root), id).await
}

/// A trashed folder past the trash period, once the documents in it went (the lifecycle's
/// purge): anything still in it (kept by a legal hold) moves to the top of the space.
pub(super) async fn purge_expired_folder(
    conn: &mut AnyConnection,
    proof: &Purge,
    id: &str,
) -> ApiResult<Purged> {
    let tenant_id = proof.tenant_id();
    if !store::lifecycle::folder_trashed(conn, tenant_id, id).await? {
        return Ok(Purged::default());
    }
    purge_folder_row(conn, tenant_id, id).await?;
    Ok(Purged {
        items: 1,
        rows: 1,
        ..Purged::default()
    })
}

/// Remove a folder's row and shares; what it still holds moves to the top of the space.
async fn purge_folder_row(
    conn: &mut AnyConnection,
    tenant_id: &str,
    f: &str,
) -> Result<(), sqlx::Error> {
    store::docs::detach_from_folder(conn, tenant_id, f).await?;
    store::folders::detach_children(conn, tenant_id, f).await?;
    store::shares::delete_on_target(conn, tenant_id, "folder", f).await?;
    store::folders::delete(conn, tenant_id, f).await
}

/// Purge a trash root and everything trashed with it; the number of documents removed.
async fn purge_root(conn: &mut AnyConnection, proof: &PurgeRoot) -> ApiResult<u64> {
    let (tenant_id, root) = (proof.tenant_id.as_str(), proof.root_id.as_str());
    let docs = store::trash::ids_via(conn, tenant_id, Kind::Documents, root).await?;
    let n = docs.len() as u64;
    for d in docs {
        purge_document(conn, proof, &d).await?;
    }
    for f in store::trash::ids_via(conn, tenant_id, Kind::Folders, root).await? {
        // Something restored into a purged folder since: it moves to the top of the space.
        purge_folder_row(conn, tenant_id, &f).await?;
    }
    Ok(n)
}
