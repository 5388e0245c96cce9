//! SQL for a person's data export: their rooms, their own messages (with their attachments
//! and earlier versions), their reactions.

use sqlx::AnyConnection;

/// A room the person belongs to, or has written in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoomOfPerson {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub topic: String,
    pub created_by: String,
    pub created_at: i64,
    pub archived_at: Option<i64>,
    /// Their room role; `None` when they left.
    pub role: Option<String>,
    pub joined_at: Option<i64>,
    /// The last sequence number they read (`None` when they left).
    pub read_seq: Option<i64>,
    /// 1: end-to-end encrypted.
    pub encrypted: i64,
}

pub async fn rooms_of_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<RoomOfPerson>, sqlx::Error> {
    sqlx::query_as(
        "select r.id, r.kind, r.name, r.topic, r.created_by, r.created_at, r.archived_at,
                m.role, m.joined_at, m.read_seq,
                case when e.room_id is null then 0 else 1 end as encrypted
         from rooms r
         left join room_members m
           on m.tenant_id = r.tenant_id and m.room_id = r.id and m.user_id = $2
         left join room_encryption e on e.tenant_id = r.tenant_id and e.room_id = r.id
         where r.tenant_id = $1
           and (m.user_id is not null
                or exists (select 1 from messages x where x.tenant_id = r.tenant_id
                           and x.room_id = r.id and x.sender_id = $2))
         order by r.created_at, r.id",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnMessage {
    pub id: String,
    pub seq: i64,
    pub body: String,
    pub thread_root_id: Option<String>,
    pub key_version: Option<i64>,
    pub edited_at: Option<i64>,
    pub created_at: i64,
}

/// A page of the messages a person sent in a room (not deleted), after `after_seq`.
pub async fn own_messages(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    user_id: &str,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<OwnMessage>, sqlx::Error> {
    sqlx::query_as(
        "select id, seq, body, thread_root_id, key_version, edited_at, created_at from messages
         where tenant_id = $1 and room_id = $2 and sender_id = $3 and deleted_at is null
           and seq > $4
         order by seq limit $5",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(user_id)
    .bind(after_seq)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// (message id, file id) of the attachments of a person's messages in a room.
pub async fn own_attachments(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    user_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select a.message_id, a.file_id from message_attachments a
         join messages m on m.tenant_id = a.tenant_id and m.id = a.message_id
         where a.tenant_id = $1 and a.room_id = $2 and m.sender_id = $3 and m.deleted_at is null
         order by a.message_id, a.file_id",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// (message id, earlier body, replaced at) of a person's own edits of their messages in a room.
pub async fn own_edits(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    user_id: &str,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select e.message_id, e.body, e.replaced_at from message_edits e
         join messages m on m.tenant_id = e.tenant_id and m.id = e.message_id
         where e.tenant_id = $1 and m.room_id = $2 and m.sender_id = $3 and e.editor_id = $3
           and m.deleted_at is null
         order by e.message_id, e.replaced_at",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// (message id, room id, emoji, at) of a person's reactions.
pub async fn own_reactions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<(String, String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select r.message_id, m.room_id, r.emoji, r.created_at from message_reactions r
         join messages m on m.tenant_id = r.tenant_id and m.id = r.message_id
         where r.tenant_id = $1 and r.user_id = $2
         order by r.created_at",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// A person's registered devices (for end-to-end encrypted rooms): id, public key, when.
pub async fn devices(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select device_id, public_key, created_at from user_devices
         where tenant_id = $1 and user_id = $2 order by device_id",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}
