//! SQL for room members: membership, roles, read and delivery pointers.

use crate::db::now_ms;
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub room_id: String,
    pub user_id: String,
    pub role: String,
    pub joined_seq: i64,
    pub read_seq: i64,
    pub joined_at: i64,
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

/// Move a member's delivery pointer forward (never back).
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

/// The sequence number every member has received (delivered or read); `None` without members.
pub async fn delivered_to_all(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select min(case when delivered_seq > read_seq then delivered_seq else read_seq end)
         from room_members where tenant_id = $1 and room_id = $2",
    )
    .bind(tenant_id)
    .bind(room_id)
    .fetch_one(conn)
    .await
}
