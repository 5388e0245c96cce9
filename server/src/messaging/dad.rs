//! Delete-after-delivery rooms (a seed promise: "messages are deleted from the server once
//! received"). A message, its attachments, its edits, its notifications and its index entry are
//! removed once every member has acknowledged receiving it (`POST /rooms/{id}/delivered`, or
//! reading past it), or when the room's maximum lifetime has passed — whichever comes first. The
//! room's event log keeps the sequence (so clients stay gap-free) with the content scrubbed.
//! The removal itself is [`purge::messages`](super::purge::messages), shared with the lifecycle.

use super::{access::Joined, emit::Change, purge, store};
use crate::{db::now_ms, lifecycle::holds, AppState};
use sqlx::AnyConnection;

/// `None` when the room keeps its messages; `Some(max lifetime in seconds, if any)` otherwise.
pub async fn settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<Option<Option<i64>>, sqlx::Error> {
    store::dad::settings(conn, tenant_id, room_id).await
}

/// Make a new room delete-after-delivery (in its creation's transaction).
pub(super) async fn enable(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    max_lifetime_secs: Option<i64>,
) -> Result<(), sqlx::Error> {
    store::dad::enable(conn, tenant_id, room_id, max_lifetime_secs).await
}

/// The member has received the room's events up to `seq` (never beyond the room's last).
pub(super) async fn set_delivered(
    conn: &mut AnyConnection,
    j: &Joined<'_>,
    seq: i64,
) -> Result<(), sqlx::Error> {
    let p = j.principal();
    store::set_delivered(
        conn,
        &p.tenant_id,
        j.room_id(),
        &p.user_id,
        seq.min(j.room().last_seq),
    )
    .await
}

/// What is due in one delete-after-delivery room: (message id, seq), at most 1000.
async fn due(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let Some(lifetime) = settings(conn, tenant_id, room_id).await? else {
        return Ok(Vec::new());
    };
    let delivered = store::delivered_to_all(&mut *conn, tenant_id, room_id)
        .await?
        .unwrap_or(i64::MAX);
    let expired_before = lifetime
        .map(|s| now_ms() - s.saturating_mul(1000))
        .unwrap_or(i64::MIN);
    let due = store::due_in_room(
        &mut *conn,
        tenant_id,
        room_id,
        delivered,
        expired_before,
        1000,
    )
    .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    // A legal hold keeps what it covers, whatever the room's setting.
    let holds = holds::active(conn, tenant_id).await?;
    Ok(due
        .into_iter()
        .filter(|(_, _, sender, at)| {
            let item = holds::Item {
                people: &[sender.as_str()],
                room: Some(room_id),
                space: None,
                at: *at,
            };
            !holds.iter().any(|h| h.covers(&item))
        })
        .map(|(id, seq, _, _)| (id, seq))
        .collect())
}

/// This pass's proof: messages are due (every member has them, or the room's lifetime is over)
/// by the room's own setting; made only here.
struct Pass {
    tenant_id: String,
}

impl crate::authz::Proof for Pass {
    fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
}

/// Remove what is due in one delete-after-delivery room; returns how many messages went.
#[tracing::instrument(skip_all, fields(tenant_id = %tenant_id, room_id = %room_id))]
pub async fn purge_room(
    state: &AppState,
    tenant_id: &str,
    room_id: &str,
) -> Result<u64, sqlx::Error> {
    {
        // A read first: most passes find nothing to do and take no write lock.
        let mut conn = state.db.conn().await?;
        if due(&mut conn, tenant_id, room_id).await?.is_empty() {
            return Ok(0);
        }
    }
    let pass = Pass {
        tenant_id: tenant_id.to_string(),
    };
    let mut ch = Change::on(state.db.begin().await?, tenant_id, "");
    let due = due(&mut ch.tx, tenant_id, room_id).await?;
    let ids: Vec<String> = due.iter().map(|(id, _)| id.clone()).collect();
    purge::messages(&pass, &mut ch, &ids).await?;
    ch.commit(state).await?;
    Ok(due.len() as u64)
}

/// Every delete-after-delivery room (lifetimes expire without anyone acting).
pub async fn purge_all(state: &AppState) -> Result<u64, sqlx::Error> {
    let rooms = {
        let mut conn = state.db.conn().await?;
        store::dad::rooms(&mut conn).await?
    };
    let mut n = 0;
    for (t, r) in rooms {
        n += purge_room(state, &t, &r).await?;
    }
    Ok(n)
}
