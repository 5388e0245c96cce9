//! Delete-after-delivery rooms (a seed promise: "messages are deleted from the server once
//! received"). A message, its attachments, its edits, its notifications and its index entry are
//! removed once every member has acknowledged receiving it (`POST /rooms/{id}/delivered`, or
//! reading past it), or when the room's maximum lifetime has passed — whichever comes first. The
//! room's event log keeps the sequence (so clients stay gap-free) with the content scrubbed.

use super::store;
use crate::{db::now_ms, files, search, AppState};
use sqlx::AnyConnection;

pub async fn settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<Option<Option<i64>>, sqlx::Error> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(
        "select max_lifetime_secs from room_dad where tenant_id = $1 and room_id = $2",
    )
    .bind(tenant_id)
    .bind(room_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0))
}

pub async fn enable(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    max_lifetime_secs: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into room_dad (tenant_id, room_id, max_lifetime_secs) values ($1, $2, $3)")
        .bind(tenant_id)
        .bind(room_id)
        .bind(max_lifetime_secs)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_delivered(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    user_id: &str,
    seq: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update room_members set delivered_seq = $1
         where tenant_id = $2 and room_id = $3 and user_id = $4 and delivered_seq < $1",
    )
    .bind(seq)
    .bind(tenant_id)
    .bind(room_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Remove what is due in one delete-after-delivery room; returns how many messages went.
async fn due(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let Some(lifetime) = settings(conn, tenant_id, room_id).await? else {
        return Ok(Vec::new());
    };
    let delivered: Option<i64> = sqlx::query_scalar(
        "select min(case when delivered_seq > read_seq then delivered_seq else read_seq end)
         from room_members where tenant_id = $1 and room_id = $2",
    )
    .bind(tenant_id)
    .bind(room_id)
    .fetch_one(&mut *conn)
    .await?;
    let delivered = delivered.unwrap_or(i64::MAX);
    let expired_before = lifetime
        .map(|s| now_ms() - s.saturating_mul(1000))
        .unwrap_or(i64::MIN);
    sqlx::query_as(
        "select id, seq from messages where tenant_id = $1 and room_id = $2
         and (seq <= $3 or created_at < $4) order by seq limit 1000",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(delivered)
    .bind(expired_before)
    .fetch_all(conn)
    .await
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
    let mut tx = state.db.begin().await?;
    let due = due(&mut tx, tenant_id, room_id).await?;
    for (id, _) in &due {
        for file_id in store::attachments(&mut tx, tenant_id, id).await? {
            files::service::purge(&pass, &mut tx, &file_id).await?;
        }
        for sql in [
            "delete from message_attachments where tenant_id = $1 and message_id = $2",
            "delete from message_edits where tenant_id = $1 and message_id = $2",
            "delete from message_reactions where tenant_id = $1 and message_id = $2",
            "delete from notifications where tenant_id = $1 and message_id = $2",
            "delete from room_pins where tenant_id = $1 and message_id = $2",
            "delete from messages where tenant_id = $1 and id = $2",
        ] {
            sqlx::query(sql)
                .bind(tenant_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        // The sequence stays; the content goes.
        super::scrub::message_events(&mut tx, tenant_id, room_id, id, super::scrub::Scrub::Purged)
            .await?;
        search::enqueue_index(&mut tx, tenant_id, super::service::KIND, id).await?;
    }
    tx.commit().await?;
    if !due.is_empty() {
        state.outbox_wake.notify_one();
    }
    Ok(due.len() as u64)
}

/// Every delete-after-delivery room (lifetimes expire without anyone acting).
pub async fn purge_all(state: &AppState) -> Result<u64, sqlx::Error> {
    let rooms: Vec<(String, String)> = {
        let mut conn = state.db.conn().await?;
        sqlx::query_as("select tenant_id, room_id from room_dad limit 100000")
            .fetch_all(&mut *conn)
            .await?
    };
    let mut n = 0;
    for (t, r) in rooms {
        n += purge_room(state, &t, &r).await?;
    }
    Ok(n)
}
