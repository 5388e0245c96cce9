//! Rules for folders: creating, listing, breadcrumbs, renaming and moving within a space.

use super::{
    access::{self, Access, FolderEdit, PlaceEdit},
    meta::{after_key, clean_name},
    record::KIND,
    store::{self, FolderRow},
};
use crate::{
    audit,
    authn::Principal,
    db::{new_id, now_ms},
    error::{ApiError, ApiResult},
    search, AppState,
};
use sqlx::AnyConnection;

/// Create a folder (editors of the place).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, space_id = %space_id))]
pub async fn create_folder(
    state: &AppState,
    p: &Principal,
    space_id: &str,
    name: &str,
    parent_id: Option<&str>,
) -> ApiResult<FolderRow> {
    let mut tx = state.db.begin().await?;
    let (_, place) = access::place(state, &mut tx, p, space_id, parent_id, "parent_id").await?;
    let proof = place.edit()?;
    let name = clean_name("name", name)?;
    let f = insert(&mut tx, &proof, &p.user_id, name).await?;
    audit::record(&mut tx, p.audit("folder.created").target("folder", &f.id)).await?;
    tx.commit().await?;
    Ok(f)
}

async fn insert(
    conn: &mut AnyConnection,
    proof: &PlaceEdit,
    by: &str,
    name: String,
) -> ApiResult<FolderRow> {
    let now = now_ms();
    let f = FolderRow {
        id: new_id(),
        space_id: proof.space_id().to_string(),
        parent_id: proof.folder_id().map(str::to_string),
        name,
        created_by: by.to_string(),
        created_at: now,
        updated_at: now,
    };
    store::folders::insert(conn, proof.tenant_id(), &f).await?;
    Ok(f)
}

/// Child folders of `parent_id` (top level when `None`), by name, after the `(name, id)` of
/// the cursor (the sort key of the last folder the caller was shown).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, space_id = %space_id))]
pub async fn list_folders(
    state: &AppState,
    p: &Principal,
    space_id: &str,
    parent_id: Option<&str>,
    after: Option<Vec<String>>,
    limit: i64,
) -> ApiResult<Vec<FolderRow>> {
    let mut conn = state.db.conn().await?;
    let (s, place) = access::place(state, &mut conn, p, space_id, parent_id, "parent_id").await?;
    Ok(store::folders::children(
        &mut conn,
        &p.tenant_id,
        &s.id,
        place.folder_id().map(str::to_string),
        after_key(after),
        limit + 1,
    )
    .await?)
}

/// The folders from the top of the space down to `f` (inclusive).
pub async fn breadcrumbs(
    conn: &mut AnyConnection,
    tenant_id: &str,
    f: &FolderRow,
) -> ApiResult<Vec<FolderRow>> {
    let mut chain = vec![f.clone()];
    let mut next = f.parent_id.clone();
    while let Some(id) = next {
        if chain.len() > 1000 {
            break;
        }
        let Some(parent) = access::live_folder(conn, tenant_id, &id).await? else {
            break;
        };
        next = parent.parent_id.clone();
        chain.push(parent);
    }
    chain.reverse();
    Ok(chain)
}

/// The breadcrumbs a caller may see for a folder they read: the whole path for members of the
/// space, and for someone whose access comes from a share, the path from the highest folder
/// a share gives them down to `f` — the names of folders above it are not theirs to read.
async fn visible_breadcrumbs(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    f: &FolderRow,
    a: &Access,
) -> ApiResult<Vec<FolderRow>> {
    let chain = breadcrumbs(conn, &p.tenant_id, f).await?;
    if a.in_space() {
        return Ok(chain);
    }
    let Some(space) = store::spaces::get(conn, &p.tenant_id, &f.space_id).await? else {
        return Ok(vec![f.clone()]);
    };
    // A share reaches the folder it is on and everything below: what the caller reads is a
    // tail of the path, starting at the highest folder they have access to.
    for (i, c) in chain.iter().enumerate() {
        if access::reaches_folder(state, conn, p, &space, &c.id).await? {
            return Ok(chain[i..].to_vec());
        }
    }
    Ok(vec![f.clone()])
}

/// A folder the caller reads, with the breadcrumbs they may see.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, folder_id = %id))]
pub async fn get(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<(FolderRow, Vec<FolderRow>)> {
    let mut conn = state.db.conn().await?;
    let (f, a) = access::folder(state, &mut conn, p, id).await?;
    let crumbs = visible_breadcrumbs(state, &mut conn, p, &f, &a.access()).await?;
    Ok((f, crumbs))
}

/// A parent folder id inside `space_id`, checked.
async fn parent_in(
    conn: &mut AnyConnection,
    tenant_id: &str,
    space_id: &str,
    parent_id: Option<&str>,
) -> ApiResult<Option<String>> {
    match parent_id.filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(pid) => match access::live_folder(conn, tenant_id, pid).await? {
            Some(f) if f.space_id == space_id => Ok(Some(f.id)),
            _ => Err(ApiError::validation(
                "parent_id",
                "no such folder in this space",
            )),
        },
    }
}

/// Rename and/or move a folder within its space (never under itself).
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, folder_id = %id))]
pub async fn update_folder(
    state: &AppState,
    p: &Principal,
    id: &str,
    name: Option<&str>,
    parent_id: Option<&str>,
) -> ApiResult<FolderRow> {
    let mut tx = state.db.begin().await?;
    let (mut f, a) = access::folder(state, &mut tx, p, id).await?;
    let proof = a.edit()?;
    if let Some(n) = name {
        f.name = clean_name("name", n)?;
    }
    if let Some(pid) = parent_id {
        // The destination follows the rule for moving documents: the caller must edit the
        // place it lands in. The top of a space is edited through a space role only, so
        // someone whose access comes from a share cannot lift a folder out from under that
        // share (and away from everyone else it reaches).
        let parent = parent_in(&mut tx, &p.tenant_id, &f.space_id, Some(pid)).await?;
        let space = store::spaces::get(&mut tx, &p.tenant_id, &f.space_id)
            .await?
            .ok_or_else(|| ApiError::not_found("folder"))?;
        let dest = access::place_in(state, &mut tx, p, &space, parent.clone()).await?;
        let dest = match (dest, &parent) {
            (Some(d), _) => d.edit()?,
            // The caller sees the folder being moved, so the space is no secret to them.
            (None, None) => return Err(ApiError::forbidden("editor role in this space")),
            (None, Some(_)) => {
                return Err(ApiError::validation(
                    "parent_id",
                    "no such folder in this space",
                ))
            }
        };
        if let Some(new_parent) = &parent {
            // Walk up from the new parent: meeting the folder itself would make a cycle.
            let target = access::live_folder(&mut tx, &p.tenant_id, new_parent)
                .await?
                .ok_or_else(|| ApiError::validation("parent_id", "no such folder"))?;
            let chain = breadcrumbs(&mut tx, &p.tenant_id, &target).await?;
            if chain.iter().any(|c| c.id == f.id) {
                return Err(ApiError::validation(
                    "parent_id",
                    "a folder cannot move into itself or its own subfolders",
                ));
            }
        }
        f.parent_id = dest.folder_id().map(str::to_string);
    }
    f.updated_at = now_ms();
    save(&mut tx, &proof, &f).await?;
    if parent_id.is_some() {
        // Shares inherited from above may have changed for everything inside.
        reindex_subtree(&mut tx, &p.tenant_id, &f.id).await?;
    }
    audit::record(
        &mut tx,
        p.audit("folder.updated")
            .target("folder", &f.id)
            .details(serde_json::json!({ "name": f.name, "parent_id": f.parent_id })),
    )
    .await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(f)
}

async fn save(conn: &mut AnyConnection, proof: &FolderEdit, f: &FolderRow) -> ApiResult<()> {
    if f.id != proof.folder_id() {
        return Err(ApiError::forbidden("editor role on this folder"));
    }
    Ok(store::folders::update(conn, proof.tenant_id(), f).await?)
}

/// A folder and every folder below it (breadth first).
pub(super) async fn subtree(
    conn: &mut AnyConnection,
    tenant_id: &str,
    folder_id: &str,
) -> ApiResult<Vec<String>> {
    let mut all = vec![folder_id.to_string()];
    let mut seen: std::collections::HashSet<String> = all.iter().cloned().collect();
    let mut i = 0;
    while i < all.len() && all.len() < 100_000 {
        let kids = store::folders::child_ids(conn, tenant_id, &all[i]).await?;
        for k in kids {
            if seen.insert(k.clone()) {
                all.push(k);
            }
        }
        i += 1;
    }
    Ok(all)
}

/// Queue reindexing of every document in a folder's subtree (shares or place changed).
pub(super) async fn reindex_subtree(
    conn: &mut AnyConnection,
    tenant_id: &str,
    folder_id: &str,
) -> ApiResult<()> {
    for f in subtree(conn, tenant_id, folder_id).await? {
        for id in store::docs::ids_in_folder(conn, tenant_id, &f).await? {
            search::enqueue_index(conn, tenant_id, KIND, &id).await?;
        }
    }
    Ok(())
}
