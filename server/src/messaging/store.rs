//! SQL for rooms, members, the event log and messages. Every function takes the tenant id.

use crate::db::now_ms;
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoomRow {
    pub tenant_id: String,
    pub id: String,
    pub kind: String,
    pub name: String,
    pub topic: String,
    pub avatar_file_id: Option<String>,
    pub history_visibility: String,
    pub direct_key: Option<String>,
    pub created_by: String,
    pub archived_at: Option<i64>,
    pub last_seq: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const ROOM: &str = "tenant_id, id, kind, name, topic, avatar_file_id, history_visibility, \
                    direct_key, created_by, archived_at, last_seq, created_at, updated_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub room_id: String,
    pub user_id: String,
    pub role: String,
    pub joined_seq: i64,
    pub read_seq: i64,
    pub joined_at: i64,
}

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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub room_id: String,
    pub seq: i64,
    pub kind: String,
    pub actor_id: String,
    pub message_id: Option<String>,
    pub payload: String,
    pub created_at: i64,
}

pub async fn insert_room(conn: &mut AnyConnection, r: &RoomRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "insert into rooms ({ROOM}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(&r.tenant_id)
    .bind(&r.id)
    .bind(&r.kind)
    .bind(&r.name)
    .bind(&r.topic)
    .bind(&r.avatar_file_id)
    .bind(&r.history_visibility)
    .bind(&r.direct_key)
    .bind(&r.created_by)
    .bind(r.archived_at)
    .bind(r.last_seq)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn room(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<RoomRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {ROOM} from rooms where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn room_by_direct_key(
    conn: &mut AnyConnection,
    tenant_id: &str,
    key: &str,
) -> Result<Option<RoomRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {ROOM} from rooms where tenant_id = $1 and direct_key = $2"
    ))
    .bind(tenant_id)
    .bind(key)
    .fetch_optional(conn)
    .await
}

pub async fn update_room(conn: &mut AnyConnection, r: &RoomRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update rooms set name = $1, topic = $2, history_visibility = $3, archived_at = $4,
                updated_at = $5, avatar_file_id = $8 where tenant_id = $6 and id = $7",
    )
    .bind(&r.name)
    .bind(&r.topic)
    .bind(&r.history_visibility)
    .bind(r.archived_at)
    .bind(now_ms())
    .bind(&r.tenant_id)
    .bind(&r.id)
    .bind(&r.avatar_file_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a file is the avatar of a room `user_id` belongs to, or of a channel.
pub async fn avatar_visible_to(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from rooms r where r.tenant_id = $1 and r.avatar_file_id = $2
         and (r.kind = 'channel' or exists (select 1 from room_members m
              where m.tenant_id = r.tenant_id and m.room_id = r.id and m.user_id = $3))",
    )
    .bind(tenant_id)
    .bind(file_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// The caller's rooms (with their membership), most recently active first.
pub async fn rooms_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<RoomRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {} from rooms r join room_members m
           on m.tenant_id = r.tenant_id and m.room_id = r.id
         where r.tenant_id = $1 and m.user_id = $2
         order by r.updated_at desc limit 1000",
        ROOM.split(", ")
            .map(|c| format!("r.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// A page of the tenant's channels by name.
pub async fn channels(
    conn: &mut AnyConnection,
    tenant_id: &str,
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<RoomRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {ROOM} from rooms where tenant_id = $1 and kind = 'channel'
         and archived_at is null and ($2 is null or id > $2) order by id limit $3"
    ))
    .bind(tenant_id)
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn member(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    user_id: &str,
) -> Result<Option<MemberRow>, sqlx::Error> {
    sqlx::query_as(
        "select room_id, user_id, role, joined_seq, read_seq, joined_at from room_members
         where tenant_id = $1 and room_id = $2 and user_id = $3",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

pub async fn members(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<Vec<MemberRow>, sqlx::Error> {
    sqlx::query_as(
        "select room_id, user_id, role, joined_seq, read_seq, joined_at from room_members
         where tenant_id = $1 and room_id = $2 order by joined_at, user_id limit 10000",
    )
    .bind(tenant_id)
    .bind(room_id)
    .fetch_all(conn)
    .await
}

pub async fn add_member(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    user_id: &str,
    role: &str,
    joined_seq: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "insert into room_members (tenant_id, room_id, user_id, role, joined_seq, read_seq, joined_at)
         values ($1, $2, $3, $4, $5, $5, $6) on conflict (tenant_id, room_id, user_id) do nothing",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(user_id)
    .bind(role)
    .bind(joined_seq)
    .bind(now_ms())
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn remove_member(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "delete from room_members where tenant_id = $1 and room_id = $2 and user_id = $3",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn set_read(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    user_id: &str,
    seq: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update room_members set read_seq = $1
         where tenant_id = $2 and room_id = $3 and user_id = $4 and read_seq < $1",
    )
    .bind(seq)
    .bind(tenant_id)
    .bind(room_id)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Messages from others after `read_seq`, not deleted.
pub async fn unread(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    user_id: &str,
    read_seq: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from messages where tenant_id = $1 and room_id = $2 and seq > $3
         and sender_id <> $4 and deleted_at is null",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(read_seq)
    .bind(user_id)
    .fetch_one(conn)
    .await
}

/// Take the room's next sequence number and record the event under it. On PostgreSQL the
/// update locks the room row until commit, so numbers are handed out in commit order.
#[allow(clippy::too_many_arguments)]
pub async fn append_event(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    kind: &str,
    actor_id: &str,
    message_id: Option<&str>,
    payload: &serde_json::Value,
) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    let seq: i64 = sqlx::query_scalar(
        "update rooms set last_seq = last_seq + 1, updated_at = $1
         where tenant_id = $2 and id = $3 returning last_seq",
    )
    .bind(now)
    .bind(tenant_id)
    .bind(room_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "insert into room_events (tenant_id, room_id, seq, kind, actor_id, message_id, payload, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(seq)
    .bind(kind)
    .bind(actor_id)
    .bind(message_id)
    .bind(payload.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(seq)
}

/// Events after `after_seq` (and at or after `from_seq`), oldest first.
pub async fn events(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "select room_id, seq, kind, actor_id, message_id, payload, created_at from room_events
         where tenant_id = $1 and room_id = $2 and seq > $3 order by seq limit $4",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(after_seq)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Every event about one message, oldest first.
pub async fn message_events(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    message_id: &str,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "select room_id, seq, kind, actor_id, message_id, payload, created_at from room_events
         where tenant_id = $1 and message_id = $2 and room_id = $3 order by seq",
    )
    .bind(tenant_id)
    .bind(message_id)
    .bind(room_id)
    .fetch_all(conn)
    .await
}

/// Rewrite one event's payload in place; its sequence number and kind stay.
pub async fn set_event_payload(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    seq: i64,
    payload: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update room_events set payload = $1 where tenant_id = $2 and room_id = $3 and seq = $4",
    )
    .bind(payload.to_string())
    .bind(tenant_id)
    .bind(room_id)
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_message(conn: &mut AnyConnection, m: &MessageRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "insert into messages ({MESSAGE}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(&m.tenant_id)
    .bind(&m.id)
    .bind(&m.room_id)
    .bind(m.seq)
    .bind(&m.sender_id)
    .bind(&m.body)
    .bind(&m.thread_root_id)
    .bind(&m.mentions)
    .bind(m.mentions_room)
    .bind(m.key_version)
    .bind(m.edited_at)
    .bind(m.deleted_at)
    .bind(m.created_at)
    .execute(conn)
    .await?;
    Ok(())
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

/// The rooms a person belongs to (their reader tokens for search).
pub async fn room_ids_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select room_id from room_members where tenant_id = $1 and user_id = $2 limit 10000",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
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

/// Add a reaction; false when the person had already reacted so.
pub async fn add_reaction(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
    user_id: &str,
    emoji: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "insert into message_reactions (tenant_id, message_id, user_id, emoji, created_at)
         values ($1, $2, $3, $4, $5) on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(message_id)
    .bind(user_id)
    .bind(emoji)
    .bind(now_ms())
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn remove_reaction(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
    user_id: &str,
    emoji: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "delete from message_reactions
         where tenant_id = $1 and message_id = $2 and user_id = $3 and emoji = $4",
    )
    .bind(tenant_id)
    .bind(message_id)
    .bind(user_id)
    .bind(emoji)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// (emoji, user id) pairs on a message.
pub async fn reactions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select emoji, user_id from message_reactions where tenant_id = $1 and message_id = $2
         order by created_at, emoji, user_id limit 5000",
    )
    .bind(tenant_id)
    .bind(message_id)
    .fetch_all(conn)
    .await
}

pub async fn pin(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    message_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "insert into room_pins (tenant_id, room_id, message_id, pinned_by, pinned_at)
         values ($1, $2, $3, $4, $5) on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(message_id)
    .bind(user_id)
    .bind(now_ms())
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn unpin(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    message_id: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "delete from room_pins where tenant_id = $1 and room_id = $2 and message_id = $3",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(message_id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn pins(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select message_id from room_pins where tenant_id = $1 and room_id = $2
         order by pinned_at desc limit 1000",
    )
    .bind(tenant_id)
    .bind(room_id)
    .fetch_all(conn)
    .await
}
