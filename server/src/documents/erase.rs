//! Erasing one person from documents (account deletion, through the lifecycle registry).
//!
//! - **Transfer**: the live content of the person's personal space (folders and documents,
//!   with every version and share) moves into a new folder "Transferred from <pseudonym>" at
//!   the top of the successor's personal space (documents then belong to the successor) or of
//!   the company space. What is in the personal space's trash is not transferred.
//! - **Erasure**: whatever is left in the personal space (everything, without a transfer) is
//!   purged as the trash purges it: every version, share, file, blob, thumbnail and index
//!   entry; then its folders and the space itself. A document a legal hold covers stays (and
//!   with it the space). The person's team-space memberships and the shares made to them go.
//!   Documents they own in team spaces or the company space stay with their space (the owner
//!   shown as the pseudonym).

use super::{record::KIND, spaces, store, trash};
use crate::{
    authz::Proof,
    db::{new_id, now_ms},
    lifecycle::{
        erase::{DocumentsTo, Erased, Erasure, Forecast, Foreseen, Transferred},
        holds::Item,
    },
    search, AppState, BoxError,
};

const FEATURE: &str = "documents";

pub async fn transfer(e: &Erasure, state: &AppState) -> Result<Vec<Transferred>, BoxError> {
    let tenant_id = e.tenant_id();
    let Some(to) = e.transfers.documents_to.clone() else {
        return Ok(Vec::new());
    };
    let personal = {
        let mut conn = state.db.conn().await?;
        store::spaces::by_key(&mut conn, tenant_id, &format!("p:{}", e.person)).await?
    };
    let Some(personal) = personal else {
        return Ok(Vec::new());
    };
    let (target, owner, label) = match &to {
        DocumentsTo::Person(s) if s != &e.person => (
            spaces::personal_space(state, tenant_id, s).await?,
            Some(s.clone()),
            format!("person:{s}"),
        ),
        DocumentsTo::Person(_) => return Ok(Vec::new()),
        DocumentsTo::Company => (
            spaces::company_space(state, tenant_id, &e.person).await?,
            None,
            "company".to_string(),
        ),
    };
    let mut tx = state.db.begin().await?;
    let folder = store::folders::FolderRow {
        id: new_id(),
        space_id: target.clone(),
        parent_id: None,
        name: format!("Transferred from {} ({})", e.pseudonym, &new_id()[..8]),
        created_by: owner.clone().unwrap_or_else(|| e.person.clone()),
        created_at: now_ms(),
        updated_at: now_ms(),
    };
    let live = store::erase::live_count(&mut tx, tenant_id, &personal).await?;
    if live == 0 {
        return Ok(Vec::new());
    }
    store::folders::insert(&mut tx, tenant_id, &folder).await?;
    let (docs, _folders) = store::erase::move_live(
        &mut tx,
        tenant_id,
        &personal,
        &target,
        &folder.id,
        owner.as_deref(),
    )
    .await?;
    // Who may read them changed: their index entries are rewritten.
    search::enqueue_index_many(&mut tx, tenant_id, KIND, &docs).await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(vec![Transferred {
        feature: FEATURE.into(),
        what: "documents in the personal space".into(),
        items: docs.len() as u64,
        to: label,
    }])
}

/// What [`transfer`] and [`erase`] would do, counted: the live documents of the personal space
/// that go to the successor, the documents purged (all of them without a transfer, else what
/// is in the trash) with the bytes of their versions, those a hold keeps, those kept because
/// they are in another space (the company space's transferred ones keep their owner), and the
/// personal space itself.
pub async fn foresee(e: &Erasure, state: &AppState) -> Result<Forecast, BoxError> {
    let tenant_id = e.tenant_id();
    let mut conn = state.db.conn().await?;
    let mut out = Forecast::default();
    let personal = store::spaces::by_key(&mut conn, tenant_id, &format!("p:{}", e.person)).await?;
    let to = match &e.transfers.documents_to {
        Some(DocumentsTo::Person(s)) if s != &e.person => Some(format!("person:{s}")),
        Some(DocumentsTo::Company) => Some("company".to_string()),
        _ => None,
    };
    let mut documents = Foreseen::of(FEATURE, "documents");
    let mut space_gone = 0u64;
    let mut moved = 0u64;
    if let Some(space) = &personal {
        for d in store::erase::docs_in(&mut conn, tenant_id, space).await? {
            if to.is_some() && d.trashed == 0 {
                moved += 1;
                continue;
            }
            let item = Item {
                people: &[d.owner_id.as_str()],
                room: None,
                space: Some(space),
                at: d.created_at,
            };
            if e.held_by(&item).is_some() {
                documents.held += 1;
                continue;
            }
            documents.items += 1;
            let files: Vec<String> = store::versions::all(&mut conn, tenant_id, &d.id)
                .await?
                .into_iter()
                .map(|(_, f)| f)
                .collect();
            let sizes = crate::files::quota::sizes(&mut conn, tenant_id, &files).await?;
            documents.bytes += sizes
                .values()
                .map(|b| u64::try_from(*b).unwrap_or(0))
                .sum::<u64>();
        }
        if documents.held == 0 {
            space_gone = 1;
        }
        if let Some(to) = to.clone().filter(|_| moved > 0) {
            out.transferred.push(Transferred {
                feature: FEATURE.into(),
                what: "documents in the personal space".into(),
                items: moved,
                to,
            });
        }
    }
    let elsewhere = store::erase::owned_elsewhere(
        &mut conn,
        tenant_id,
        &e.person,
        personal.as_deref().unwrap_or(""),
    )
    .await?;
    documents.kept = u64::try_from(elsewhere).unwrap_or(0);
    if matches!(e.transfers.documents_to, Some(DocumentsTo::Company)) {
        // Moved to the company space, they keep their owner: then owned elsewhere.
        documents.kept += moved;
    }
    out.erased.extend([
        documents,
        Foreseen::removed(FEATURE, "personal space", space_gone),
    ]);
    Ok(out)
}

pub async fn erase(e: &Erasure, state: &AppState) -> Result<Vec<Erased>, BoxError> {
    let tenant_id = e.tenant_id();
    let mut documents = Erased::of(FEATURE, "documents");
    let mut spaces_gone = 0u64;
    let personal = {
        let mut conn = state.db.conn().await?;
        store::spaces::by_key(&mut conn, tenant_id, &format!("p:{}", e.person)).await?
    };
    let mut tx = state.db.begin().await?;
    if let Some(space) = &personal {
        let mut any_held = false;
        for d in store::erase::docs_in(&mut tx, tenant_id, space).await? {
            let item = Item {
                people: &[d.owner_id.as_str()],
                room: None,
                space: Some(space),
                at: d.created_at,
            };
            if e.held_by(&item).is_some() {
                documents.held += 1;
                any_held = true;
                continue;
            }
            documents.add(trash::purge_for_erasure(&mut tx, e, &d.id).await?);
        }
        if !any_held {
            for f in store::erase::folders_in(&mut tx, tenant_id, space).await? {
                trash::purge_folder_for_erasure(&mut tx, e, &f).await?;
                documents.rows += 1;
            }
            spaces_gone = store::erase::delete_empty_space(&mut tx, tenant_id, space).await?;
        }
    }
    let elsewhere = store::erase::owned_elsewhere(
        &mut tx,
        tenant_id,
        &e.person,
        personal.as_deref().unwrap_or(""),
    )
    .await?;
    documents.kept += u64::try_from(elsewhere).unwrap_or(0);
    let (members, shares) = store::erase::delete_access(&mut tx, tenant_id, &e.person).await?;
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(vec![
        documents,
        Erased::rows(FEATURE, "personal space", spaces_gone),
        Erased::rows(FEATURE, "space memberships", members),
        Erased::rows(FEATURE, "shares to the person", shares),
    ])
}
