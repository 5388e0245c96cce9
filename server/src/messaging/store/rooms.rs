//! SQL for rooms: the room rows, channels, avatars.

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

#[derive(sqlx::FromRow)]
struct RoomWithMember {
    #[sqlx(flatten)]
    room: RoomRow,
    m_role: Option<String>,
    m_joined_seq: Option<i64>,
    m_read_seq: Option<i64>,
    m_joined_at: Option<i64>,
    e2e_epoch: Option<i64>,
}

/// A room, the person's membership of it, and its end-to-end key epoch (`None`: not encrypted).
pub type RoomMemberEpoch = (RoomRow, Option<super::MemberRow>, Option<i64>);

/// A room, the person's membership of it and the room's end-to-end key epoch, in one query
/// (the hot path of every send and read).
pub async fn room_with_member(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    user_id: &str,
) -> Result<Option<RoomMemberEpoch>, sqlx::Error> {
    let row: Option<RoomWithMember> = sqlx::query_as(&format!(
        "select r.*, m.role as m_role, m.joined_seq as m_joined_seq, m.read_seq as m_read_seq,
                m.joined_at as m_joined_at, e.key_epoch as e2e_epoch
         from (select {ROOM} from rooms where tenant_id = $1 and id = $2) r
         left join room_members m on m.tenant_id = $1 and m.room_id = $2 and m.user_id = $3
         left join room_encryption e on e.tenant_id = $1 and e.room_id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| {
        let me = match (r.m_role, r.m_joined_seq, r.m_read_seq, r.m_joined_at) {
            (Some(role), Some(joined_seq), Some(read_seq), Some(joined_at)) => {
                Some(super::MemberRow {
                    room_id: id.to_string(),
                    user_id: user_id.to_string(),
                    role,
                    joined_seq,
                    read_seq,
                    joined_at,
                })
            }
            _ => None,
        };
        (r.room, me, r.e2e_epoch)
    }))
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
