//! Who may do what with spaces, folders and documents, and the proofs of it.
//!
//! A space one cannot see answers 404. Personal spaces are their owner's, the company space is
//! read by everyone (`documents.manage` manages it), team spaces by their members as viewer,
//! editor or manager; shares on a folder (reaching everything below it) or a document add to
//! that. Access is computed on every request, so a revoked share or membership holds at once.
//!
//! The checks here are the only way to make the proof types ([`DocAccess`], [`DocEdit`],
//! [`FolderAccess`], [`FolderEdit`], [`Place`], [`PlaceEdit`], [`SpaceAccess`], [`SpaceEdit`],
//! [`SpaceManage`]): their fields are private, and every function that changes documents
//! takes the proof it needs.

use super::store::{self, DocRow, FolderRow, SpaceRow};
use crate::{
    authn::Principal,
    authz::perm,
    directory,
    error::{ApiError, ApiResult},
    roles, AppState,
};
use sqlx::AnyConnection;

mod proofs;

pub use proofs::*;

/// The caller's role in a space, `None` when they may not see it.
async fn role_in(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    space: &SpaceRow,
) -> ApiResult<Option<Role>> {
    let perms = state.authz.permissions(p).await?;
    if !perms.contains(perm::DOCUMENTS_USE) {
        return Ok(None);
    }
    if perms.contains(perm::DOCUMENTS_MANAGE) && space.kind != "personal" {
        return Ok(Some(Role::Manager));
    }
    Ok(match space.kind.as_str() {
        "personal" => (space.created_by == p.user_id).then_some(Role::Manager),
        "company" => Some(Role::Viewer),
        _ => store::spaces::member_role(conn, &p.tenant_id, &space.id, &p.user_id)
            .await?
            .as_deref()
            .and_then(Role::parse),
    })
}

/// Whether the caller sees the space at all (with a role in it).
pub async fn sees_space(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    space: &SpaceRow,
) -> ApiResult<Option<Role>> {
    role_in(state, conn, p, space).await
}

/// A space the caller may see, with the proof of their role; 404 otherwise.
pub async fn space(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<(SpaceRow, SpaceAccess)> {
    let not_found = || ApiError::not_found("space");
    if !crate::db::is_id(id) {
        return Err(not_found());
    }
    let s = store::spaces::get(conn, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    let role = role_in(state, conn, p, &s).await?.ok_or_else(not_found)?;
    let proof = SpaceAccess {
        tenant_id: p.tenant_id.clone(),
        space_id: s.id.clone(),
        role,
    };
    Ok((s, proof))
}

/// Ids of a folder and every folder above it (nearest first).
pub async fn folder_chain(
    conn: &mut AnyConnection,
    tenant_id: &str,
    folder_id: Option<&str>,
) -> Result<Vec<String>, sqlx::Error> {
    let mut chain = Vec::new();
    let mut next = folder_id.map(str::to_string);
    while let Some(id) = next {
        if chain.len() > 1000 || chain.contains(&id) {
            break;
        }
        next = store::folders::parent_of(conn, tenant_id, &id)
            .await?
            .flatten();
        chain.push(id);
    }
    Ok(chain)
}

/// The strongest share reaching a person on these folders or this document (directly or
/// through one of their roles).
async fn share_role(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    folders: &[String],
    document_id: Option<&str>,
) -> ApiResult<Option<Role>> {
    if folders.is_empty() && document_id.is_none() {
        return Ok(None);
    }
    let shares = store::shares::on_targets(conn, tenant_id, folders, document_id).await?;
    // The person's roles are looked up only when a share here is with a role.
    let role_ids = if shares.iter().any(|(kind, _, _)| kind == "role") {
        roles::service::role_ids_of(conn, tenant_id, user_id).await?
    } else {
        Vec::new()
    };
    // A share with a department reaches its members and its sub-departments' members.
    let within = if shares.iter().any(|(kind, _, _)| kind == "department") {
        directory::audience::departments_of(conn, tenant_id, user_id)
            .await?
            .1
    } else {
        Vec::new()
    };
    Ok(shares
        .iter()
        .filter(|(kind, id, _)| match kind.as_str() {
            "user" => id == user_id,
            "role" => role_ids.contains(id),
            "department" => within.contains(id),
            _ => false,
        })
        .filter_map(|(_, _, r)| Role::parse(r))
        .max())
}

/// The caller's access to an item of `space` inside `folder_id` (or to the folder itself),
/// or to the document `document_id`; `None` when they may not see it.
async fn access(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    space: &SpaceRow,
    folder_id: Option<&str>,
    document_id: Option<&str>,
) -> ApiResult<Option<Checked>> {
    let checked = |access| Checked {
        tenant_id: p.tenant_id.clone(),
        space_id: space.id.clone(),
        access,
    };
    let space_role = role_in(state, conn, p, space).await?;
    if space_role == Some(Role::Manager) {
        return Ok(Some(checked(Access {
            role: Role::Manager,
            space_role,
        })));
    }
    if !state
        .authz
        .permissions(p)
        .await?
        .contains(perm::DOCUMENTS_USE)
    {
        return Ok(None);
    }
    let chain = folder_chain(conn, &p.tenant_id, folder_id).await?;
    let shared = share_role(conn, &p.tenant_id, &p.user_id, &chain, document_id).await?;
    Ok(space_role
        .max(shared)
        .map(|role| checked(Access { role, space_role })))
}

/// The caller's access to the top of a space (`None` when they may not see it).
pub async fn space_top(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    space: &SpaceRow,
) -> ApiResult<Option<Checked>> {
    access(state, conn, p, space, None, None).await
}

/// Whether the caller reaches the folder `folder_id` of `space` (its space role or a share on
/// it or above it).
pub async fn reaches_folder(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    space: &SpaceRow,
    folder_id: &str,
) -> ApiResult<bool> {
    Ok(access(state, conn, p, space, Some(folder_id), None)
        .await?
        .is_some())
}

/// A live folder the caller may see, with the proof of their access there (space role or a
/// share on it or a folder above it); 404 otherwise.
pub async fn folder(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<(FolderRow, FolderAccess)> {
    let not_found = || ApiError::not_found("folder");
    if !crate::db::is_id(id) {
        return Err(not_found());
    }
    let f = store::folders::get_live(conn, &p.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    let s = store::spaces::get(conn, &p.tenant_id, &f.space_id)
        .await?
        .ok_or_else(not_found)?;
    let checked = access(state, conn, p, &s, Some(&f.id), None)
        .await?
        .ok_or_else(not_found)?;
    let proof = FolderAccess {
        checked,
        folder_id: f.id.clone(),
    };
    Ok((f, proof))
}

/// The caller's access to a document (live or in the trash).
async fn doc_checked(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    d: &DocRow,
) -> ApiResult<Option<Checked>> {
    let Some(s) = store::spaces::get(conn, &p.tenant_id, &d.space_id).await? else {
        return Ok(None);
    };
    access(state, conn, p, &s, d.folder_id.as_deref(), Some(&d.id)).await
}

/// A live document the caller may read, with the proof of their access; 404 otherwise.
pub async fn document(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<(DocRow, DocAccess)> {
    let not_found = || ApiError::not_found("document");
    if !crate::db::is_id(id) {
        return Err(not_found());
    }
    let d = store::docs::get(conn, &p.tenant_id, id)
        .await?
        .filter(|d| d.trashed_at.is_none())
        .ok_or_else(not_found)?;
    let checked = doc_checked(state, conn, p, &d)
        .await?
        .ok_or_else(not_found)?;
    let proof = DocAccess {
        checked,
        document_id: d.id.clone(),
    };
    Ok((d, proof))
}

/// Whether the caller may read this document row (live or trashed).
pub async fn reads_document(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    d: &DocRow,
) -> ApiResult<bool> {
    Ok(doc_checked(state, conn, p, d).await?.is_some())
}

/// A place in a space: the space, and the place (the top when `folder_id` is `None` or `""`)
/// with the caller's access there. 404 when the caller sees neither; a folder that is not in
/// the space is a validation error on `field` for those who see the space.
pub async fn place(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    space_id: &str,
    folder_id: Option<&str>,
    field: &str,
) -> ApiResult<(SpaceRow, Place)> {
    let not_found = || ApiError::not_found("space");
    if !crate::db::is_id(space_id) {
        return Err(not_found());
    }
    let s = store::spaces::get(conn, &p.tenant_id, space_id)
        .await?
        .ok_or_else(not_found)?;
    let folder = match folder_id.filter(|f| !f.is_empty()) {
        None => None,
        Some(fid) => match live_folder(conn, &p.tenant_id, fid).await? {
            Some(f) if f.space_id == s.id => Some(f.id),
            _ => {
                // Someone who sees the space learns the folder is wrong; others learn nothing.
                return Err(if role_in(state, conn, p, &s).await?.is_some() {
                    ApiError::validation(field, "no such folder in this space")
                } else {
                    not_found()
                });
            }
        },
    };
    let checked = access(state, conn, p, &s, folder.as_deref(), None)
        .await?
        .ok_or_else(not_found)?;
    Ok((
        s,
        Place {
            checked,
            folder_id: folder,
        },
    ))
}

/// The caller's access to a place of `space` they are known to see part of: the top
/// (`folder_id` `None`) or a live folder of it, already checked to be in the space; `None`
/// when they do not reach it.
pub async fn place_in(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    space: &SpaceRow,
    folder_id: Option<String>,
) -> ApiResult<Option<Place>> {
    Ok(access(state, conn, p, space, folder_id.as_deref(), None)
        .await?
        .map(|checked| Place { checked, folder_id }))
}

/// A live folder by id (`None` for ids that are no ids).
pub async fn live_folder(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<FolderRow>, sqlx::Error> {
    if !crate::db::is_id(id) {
        return Ok(None);
    }
    store::folders::get_live(conn, tenant_id, id).await
}
