//! SQL for erasing one person from messaging (account deletion).

use sqlx::AnyConnection;

/// One of the person's messages: id, room, when.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Authored {
    pub id: String,
    pub room_id: String,
    pub created_at: i64,
    pub bytes: i64,
}

/// The person's messages after `after` (by id), at most `limit`.
pub async fn authored(
    conn: &mut AnyConnection,
    tenant_id: &str,
    person: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<Authored>, sqlx::Error> {
    sqlx::query_as(
        "select id, room_id, created_at, length(coalesce(body, '')) as bytes from messages
         where tenant_id = $1 and sender_id = $2 and id > $3 order by id limit $4",
    )
    .bind(tenant_id)
    .bind(person)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Files attached to a message.
pub async fn attached(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select file_id from message_attachments where tenant_id = $1 and message_id = $2",
    )
    .bind(tenant_id)
    .bind(message_id)
    .fetch_all(conn)
    .await
}

/// How many files are attached to the person's messages.
pub async fn attachment_count(
    conn: &mut AnyConnection,
    tenant_id: &str,
    person: &str,
) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from message_attachments a join messages m
           on m.tenant_id = a.tenant_id and m.id = a.message_id
         where a.tenant_id = $1 and m.sender_id = $2",
    )
    .bind(tenant_id)
    .bind(person)
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Group rooms and channels the person owns.
pub async fn owned_rooms(
    conn: &mut AnyConnection,
    tenant_id: &str,
    person: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select m.room_id from room_members m join rooms r
           on r.tenant_id = m.tenant_id and r.id = m.room_id
         where m.tenant_id = $1 and m.user_id = $2 and m.role = 'owner' and r.kind <> 'direct'
         order by m.room_id",
    )
    .bind(tenant_id)
    .bind(person)
    .fetch_all(conn)
    .await
}

/// Another member to own a room: a moderator first, then whoever joined first.
pub async fn heir(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    person: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select user_id from room_members where tenant_id = $1 and room_id = $2 and user_id <> $3
         order by case role when 'owner' then 0 when 'moderator' then 1 else 2 end, joined_at, user_id
         limit 1",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(person)
    .fetch_optional(conn)
    .await
}

/// Make a member an owner.
pub async fn make_owner(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update room_members set role = 'owner' where tenant_id = $1 and room_id = $2 and user_id = $3",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Delete the person's rows from a table keyed by a person column; rows deleted. `table` and
/// `column` are fixed names from this module's callers, never input.
async fn delete_by(
    conn: &mut AnyConnection,
    table: &'static str,
    where_: &'static str,
    tenant_id: &str,
    person: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(&format!(
        "delete from {table} where tenant_id = $1 and ({where_})"
    ))
    .bind(tenant_id)
    .bind(person)
    .execute(conn)
    .await?
    .rows_affected())
}

pub async fn delete_reactions(
    conn: &mut AnyConnection,
    tenant_id: &str,
    person: &str,
) -> Result<u64, sqlx::Error> {
    delete_by(conn, "message_reactions", "user_id = $2", tenant_id, person).await
}

/// Notifications to the person, and about what the person did.
pub async fn delete_notifications(
    conn: &mut AnyConnection,
    tenant_id: &str,
    person: &str,
) -> Result<u64, sqlx::Error> {
    delete_by(
        conn,
        "notifications",
        "user_id = $2 or actor_id = $2",
        tenant_id,
        person,
    )
    .await
}

pub async fn delete_devices(
    conn: &mut AnyConnection,
    tenant_id: &str,
    person: &str,
) -> Result<u64, sqlx::Error> {
    delete_by(conn, "user_devices", "user_id = $2", tenant_id, person).await
}

/// Room keys wrapped for the person's devices.
pub async fn delete_room_keys(
    conn: &mut AnyConnection,
    tenant_id: &str,
    person: &str,
) -> Result<u64, sqlx::Error> {
    delete_by(conn, "room_keys", "user_id = $2", tenant_id, person).await
}

/// The person's read and delivery pointers go with their memberships.
pub async fn delete_membership(
    conn: &mut AnyConnection,
    tenant_id: &str,
    room_id: &str,
    person: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "delete from room_members where tenant_id = $1 and room_id = $2 and user_id = $3",
    )
    .bind(tenant_id)
    .bind(room_id)
    .bind(person)
    .execute(conn)
    .await?
    .rows_affected())
}
