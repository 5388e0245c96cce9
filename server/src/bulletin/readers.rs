//! Who reads the board, for the registries: a post's search document, the re-check of a search
//! hit, the reader tokens the board gives a person, whether a file is a photo they may see, and
//! the expiry pass that takes expired posts out of search.

use super::{
    service::{KIND, READER_TOKEN},
    store,
};
use crate::{
    authn::Principal,
    authz::perm,
    db::{is_id, now_ms},
    error::ApiResult,
    search, AppState,
};
use sqlx::AnyConnection;

/// A post's search document: `None` when it is gone or expired (the index then drops it).
pub async fn search_doc(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<search::Doc>, sqlx::Error> {
    let Some(r) = store::get(conn, tenant_id, id).await? else {
        return Ok(None);
    };
    if r.expires_at <= now_ms() {
        return Ok(None);
    }
    let place = [
        r.place_detail.as_str(),
        &r.commune,
        &r.district,
        &r.province,
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .copied()
    .collect::<Vec<_>>()
    .join(", ");
    Ok(Some(search::Doc {
        tenant_id: r.tenant_id,
        kind: KIND.into(),
        id: r.id,
        owner_id: r.author_id,
        readers: vec![READER_TOKEN.into()],
        tags: vec![
            format!("bulletin_kind:{}", r.kind),
            format!("category:{}", r.category),
            format!("status:{}", r.status),
        ],
        title: r.title,
        body: format!("{}\n{}\n{}", r.description, place, r.category),
        created_at: r.created_at,
    }))
}

/// Whether `p` may read the post now: it is on the board and they hold `bulletin.post`.
pub async fn can_read(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<bool> {
    if !state
        .authz
        .permissions(p)
        .await?
        .contains(perm::BULLETIN_POST)
    {
        return Ok(false);
    }
    if !is_id(id) {
        return Ok(false);
    }
    let now = now_ms();
    Ok(store::get(conn, &p.tenant_id, id)
        .await?
        .is_some_and(|r| r.expires_at > now))
}

/// The reader tokens the board gives `p`: the board's, while they hold `bulletin.post`.
pub async fn reader_tokens(state: &AppState, p: &Principal) -> ApiResult<Vec<String>> {
    Ok(
        if state
            .authz
            .permissions(p)
            .await?
            .contains(perm::BULLETIN_POST)
        {
            vec![READER_TOKEN.to_string()]
        } else {
            Vec::new()
        },
    )
}

/// Whether `p` may read a file through the board: a photo of a post on it, and they hold
/// `bulletin.post`.
pub async fn photo_readable(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    file_id: &str,
) -> ApiResult<bool> {
    if !store::photo_on_board(conn, &p.tenant_id, file_id, now_ms()).await? {
        return Ok(false);
    }
    Ok(state
        .authz
        .permissions(p)
        .await?
        .contains(perm::BULLETIN_POST))
}

/// The expiry pass: expired posts leave the search index (the indexer finds them expired and
/// deletes their entries). Returns how many were swept.
pub async fn sweep_expired(state: &AppState) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let due = {
        let mut conn = state.db.conn().await?;
        store::expired_unswept(&mut conn, now, 500).await?
    };
    if due.is_empty() {
        return Ok(0);
    }
    let mut n = 0;
    let mut tx = state.db.begin_unclaimed().await?;
    for (tenant_id, id) in &due {
        if store::mark_swept(&mut tx, tenant_id, id, now).await? > 0 {
            search::enqueue_index(&mut tx, tenant_id, KIND, id).await?;
            n += 1;
        }
    }
    tx.commit().await?;
    state.outbox_wake.noted();
    Ok(n)
}
