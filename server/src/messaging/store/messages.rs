//! SQL for messages, their edits and their attachments.

use crate::db::{now_ms, outbox, Backend};
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub tenant_id: String,
    pub id: String,
    pub room_id: String,
    pub seq: i64,
    pub sender_id: String,
    pub body: String,
    pub thread_root_id: Option<String>,
    pub mentions: String,
    pub mentions_room: i64,
    pub key_version: Option<i64>,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    pub created_at: i64,
}

const MESSAGE: &str = "tenant_id, id, room_id, seq, sender_id, body, thread_root_id, mentions, \
                       mentions_room, key_version, edited_at, deleted_at, created_at";

/// A new message in one round trip: take the room's next sequence number, record the
/// `message.created` event under it (`payload`), insert the message with it (`m.seq` is
/// ignored), move the sender's read and delivered pointers to it (never back) and queue the
/// outbox message `then` (its index work; the outbox's own SQL). Returns the
/// number. The same statements as [`append_event`](super::append_event) followed by an insert
/// and the pointers' update (never back), in that order: on PostgreSQL
/// one statement (data-modifying `with`; the update locks the room row until commit, so numbers
/// are handed out in commit order), on SQLite one batch of statements run by its worker thread
/// in one call, the number read back from the room row the batch updated.
pub async fn insert_sent(
    conn: &mut AnyConnection,
    backend: Backend,
    m: &MessageRow,
    payload: &str,
    then: &outbox::Entry,
) -> Result<i64, sqlx::Error> {
    // $1 now, $2 tenant, $3 room, $4 sender, $5 message id, $6 payload, $7 body,
    // $8 thread root, $9 mentions, $10 @room, $11 key version, $12 outbox topic, $13 its payload.
    let enqueue = outbox::Entry::insert_sql("$2", "$12", "$13", "$1");
    let sql = match backend {
        Backend::Postgres => format!(
            "with r as (update rooms set last_seq = last_seq + 1, updated_at = $1
                        where tenant_id = $2 and id = $3 returning last_seq),
                  e as (insert into room_events
                          (tenant_id, room_id, seq, kind, actor_id, message_id, payload, created_at)
                        select $2, $3, last_seq, 'message.created', $4, $5, $6, $1 from r
                        returning seq),
                  m as (insert into messages ({MESSAGE})
                        select $2, $5, $3, seq, $4, $7, $8, $9, $10, $11, null, null, $1 from e
                        returning seq),
                  p as (update room_members
                        set read_seq = case when read_seq < m.seq then m.seq else read_seq end,
                            delivered_seq = case when delivered_seq < m.seq then m.seq
                                                 else delivered_seq end
                        from m
                        where room_members.tenant_id = $2 and room_members.room_id = $3
                          and room_members.user_id = $4
                        returning 1),
                  o as ({enqueue})
             select seq from m"
        ),
        // Statements after the first read the number from the room row (the single writer
        // holds it). The row comes last: the worker runs the batch while its rows are read.
        Backend::Sqlite => format!(
            "update rooms set last_seq = last_seq + 1, updated_at = $1
               where tenant_id = $2 and id = $3;
             insert into room_events
               (tenant_id, room_id, seq, kind, actor_id, message_id, payload, created_at)
               select $2, $3, last_seq, 'message.created', $4, $5, $6, $1 from rooms
               where tenant_id = $2 and id = $3;
             insert into messages ({MESSAGE})
               select $2, $5, $3, last_seq, $4, $7, $8, $9, $10, $11, null, null, $1 from rooms
               where tenant_id = $2 and id = $3;
             update room_members
               set read_seq = max(read_seq, (select last_seq from rooms
                                             where tenant_id = $2 and id = $3)),
                   delivered_seq = max(delivered_seq, (select last_seq from rooms
                                                       where tenant_id = $2 and id = $3))
               where tenant_id = $2 and room_id = $3 and user_id = $4;
             {enqueue};
             select last_seq from rooms where tenant_id = $2 and id = $3"
        ),
    };
    let seqs: Vec<i64> = sqlx::query_scalar(&sql)
        .bind(m.created_at)
        .bind(&m.tenant_id)
        .bind(&m.room_id)
        .bind(&m.sender_id)
        .bind(&m.id)
        .bind(payload)
        .bind(&m.body)
        .bind(&m.thread_root_id)
        .bind(&m.mentions)
        .bind(m.mentions_room)
        .bind(m.key_version)
        .bind(then.topic)
        .bind(&then.payload)
        .fetch_all(conn)
        .await?;
    let seq = seqs.last().copied().ok_or(sqlx::Error::RowNotFound)?;
    then.written();
    Ok(seq)
}

pub async fn message(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<MessageRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {MESSAGE} from messages where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

#[derive(sqlx::FromRow)]
struct MessageWithRoomName {
    #[sqlx(flatten)]
    message: MessageRow,
    room_name: Option<String>,
}

/// A message and the name of its room, in one query (what the search index needs).
pub async fn message_with_room_name(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<(MessageRow, Option<String>)>, sqlx::Error> {
    let cols = MESSAGE
        .split(", ")
        .map(|c| format!("m.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let row: Option<MessageWithRoomName> = sqlx::query_as(&format!(
        "select {cols}, r.name as room_name from messages m
         left join rooms r on r.tenant_id = m.tenant_id and r.id = m.room_id
         where m.tenant_id = $1 and m.id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.message, r.room_name)))
}

/// A page of a room's messages by sequence: after `after` ascending, or before `before`
/// descending (returned oldest first either way), never at or below `floor`.
pub async fn page(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    after: Option<i64>,
    before: Option<i64>,
    floor: i64,
    limit: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    let mut rows: Vec<MessageRow> = match (after, before) {
        (Some(a), _) => {
            sqlx::query_as(&format!(
                "select {MESSAGE} from messages where tenant_id = $1 and room_id = $2
                 and seq > $3 order by seq limit $4"
            ))
            .bind(tenant_id)
            .bind(room_id)
            .bind(a.max(floor))
            .bind(limit)
            .fetch_all(conn)
            .await?
        }
        (None, b) => {
            let mut r: Vec<MessageRow> = sqlx::query_as(&format!(
                "select {MESSAGE} from messages where tenant_id = $1 and room_id = $2
                 and seq > $3 and seq < $4 order by seq desc limit $5"
            ))
            .bind(tenant_id)
            .bind(room_id)
            .bind(floor)
            .bind(b.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(conn)
            .await?;
            r.reverse();
            r
        }
    };
    rows.truncate(limit.max(0) as usize);
    Ok(rows)
}

pub async fn edit_message(
    conn: &mut AnyConnection,
    m: &MessageRow,
    new_body: &str,
    editor_id: &str,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "insert into message_edits (tenant_id, message_id, body, replaced_at, editor_id)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(&m.tenant_id)
    .bind(&m.id)
    .bind(&m.body)
    .bind(now)
    .bind(editor_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("update messages set body = $1, edited_at = $2 where tenant_id = $3 and id = $4")
        .bind(new_body)
        .bind(now)
        .bind(&m.tenant_id)
        .bind(&m.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Tombstone: the body is gone, the place in the timeline stays.
pub async fn delete_message(conn: &mut AnyConnection, m: &MessageRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update messages set body = '', mentions = '[]', mentions_room = 0, deleted_at = $1
         where tenant_id = $2 and id = $3",
    )
    .bind(now_ms())
    .bind(&m.tenant_id)
    .bind(&m.id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("delete from message_attachments where tenant_id = $1 and message_id = $2")
        .bind(&m.tenant_id)
        .bind(&m.id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn attach(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
    room_id: &str,
    file_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into message_attachments (tenant_id, message_id, file_id, room_id)
         values ($1, $2, $3, $4) on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(message_id)
    .bind(file_id)
    .bind(room_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn attachments(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select file_id from message_attachments where tenant_id = $1 and message_id = $2
         order by file_id",
    )
    .bind(tenant_id)
    .bind(message_id)
    .fetch_all(conn)
    .await
}

/// Whether `user_id` may see a message the file is attached to: they belong to its room and,
/// in a room whose history starts when one joins (`joined`), the message came after they
/// joined — the same rule as for reading the messages themselves (`messages::floor`).
pub async fn file_shared_with(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from message_attachments a
         join room_members m on m.tenant_id = a.tenant_id and m.room_id = a.room_id
         join rooms r on r.tenant_id = a.tenant_id and r.id = a.room_id
         join messages msg on msg.tenant_id = a.tenant_id and msg.id = a.message_id
         where a.tenant_id = $1 and a.file_id = $2 and m.user_id = $3
           and (r.history_visibility <> 'joined' or msg.seq > m.joined_seq)",
    )
    .bind(tenant_id)
    .bind(file_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// A page of a tenant's message ids after `after` (reindexing).
pub async fn message_ids_after(
    conn: &mut AnyConnection,
    tenant_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from messages where tenant_id = $1 and id > $2 and deleted_at is null
         order by id limit $3",
    )
    .bind(tenant_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Messages of a room at or below `seq`, or created before `created_before`, oldest first.
pub async fn due_in_room(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    seq: i64,
    created_before: i64,
    limit: i64,
) -> Result<Vec<(String, i64, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select id, seq, sender_id, created_at from messages where tenant_id = $1 and room_id = $2
         and (seq <= $3 or created_at < $4) order by seq limit $5",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(seq)
    .bind(created_before)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Forget which files a message carried.
pub async fn delete_attachments(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query("delete from message_attachments where tenant_id = $1 and message_id = $2")
        .bind(tenant_id)
        .bind(message_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}

/// Remove a message's edit history (the texts it replaced).
pub async fn delete_edits(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query("delete from message_edits where tenant_id = $1 and message_id = $2")
        .bind(tenant_id)
        .bind(message_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}

/// Remove the message row itself (not a tombstone: nothing stays).
pub async fn delete_row(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query("delete from messages where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(message_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}
