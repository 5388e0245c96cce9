//! SQL for the data lifecycle: where messaging's data classes are (the sources the lifecycle
//! registry counts and lists from), and removing notifications by id.

use crate::lifecycle::Source;
use sqlx::AnyConnection;

macro_rules! messages_of_kind {
    ($kind:literal) => {
        Source {
            // The room kind as a set the database builds once, not a join per message: a
            // preview of a million messages reads each row once per class.
            from: "messages m",
            tenant: "m.tenant_id",
            id: "m.id",
            time: "m.created_at",
            container: Some("m.room_id"),
            people: &["m.sender_id"],
            bytes: "length(m.body)",
            only: concat!(
                "m.room_id in (select r.id from rooms r where r.tenant_id = $1 \
                 and r.kind = '",
                $kind,
                "')"
            ),
            pinned: Some(
                "exists (select 1 from room_pins p where p.tenant_id = m.tenant_id \
                 and p.message_id = m.id)",
            ),
        }
    };
}

/// Messages in direct conversations, tombstones included.
pub static MESSAGES_DIRECT: Source = messages_of_kind!("direct");
/// Messages in group rooms.
pub static MESSAGES_GROUP: Source = messages_of_kind!("group");
/// Messages in channels.
pub static MESSAGES_CHANNEL: Source = messages_of_kind!("channel");

/// Files attached to messages, by when the message was sent: the attachment goes, the message
/// stays. The item id is `<message id>:<file id>`.
pub static ATTACHMENTS: Source = Source {
    from: "message_attachments a join messages m on m.tenant_id = a.tenant_id \
           and m.id = a.message_id",
    tenant: "a.tenant_id",
    id: "a.message_id || ':' || a.file_id",
    time: "m.created_at",
    container: Some("a.room_id"),
    people: &["m.sender_id"],
    // File sizes are files' data: a run reports the bytes it released.
    bytes: "0",
    only: "",
    pinned: Some(
        "exists (select 1 from room_pins p where p.tenant_id = m.tenant_id \
         and p.message_id = m.id)",
    ),
};

/// True when messaging uses the file `f` (a `files` row): attached to a message, or a room's
/// avatar.
pub const FILE_IN_USE: &str = "exists (select 1 from message_attachments x \
     where x.tenant_id = f.tenant_id and x.file_id = f.id) \
     or exists (select 1 from rooms x where x.tenant_id = f.tenant_id and x.avatar_file_id = f.id)";

/// Detach one file from one message; rows removed.
pub async fn detach(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
    file_id: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "delete from message_attachments where tenant_id = $1 and message_id = $2 and file_id = $3",
    )
    .bind(tenant_id)
    .bind(message_id)
    .bind(file_id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

/// How many messages still carry a file.
pub async fn carried_by(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from message_attachments where tenant_id = $1 and file_id = $2",
    )
    .bind(tenant_id)
    .bind(file_id)
    .fetch_one(conn)
    .await
}

/// Notifications (mentions, direct messages), by when they were made.
pub static NOTIFICATIONS: Source = Source {
    from: "notifications n",
    tenant: "n.tenant_id",
    id: "n.id",
    time: "n.created_at",
    container: Some("n.room_id"),
    people: &["n.user_id", "n.actor_id"],
    bytes: "0",
    only: "",
    pinned: None,
};

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The files attached to any of these messages.
pub async fn attachments_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let sql = format!(
        "select file_id from message_attachments where tenant_id = $1 and message_id in ({})",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query_scalar(&sql).bind(tenant_id);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(conn).await
}

/// Delete these messages and every row that hangs off them (attachments, edits, reactions,
/// notifications, pins): (rows deleted, messages deleted).
pub async fn delete_messages(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> Result<(u64, u64), sqlx::Error> {
    let list = placeholders(2, ids.len());
    let mut rows = 0;
    let mut messages = 0;
    for (table, column) in [
        ("message_attachments", "message_id"),
        ("message_edits", "message_id"),
        ("message_reactions", "message_id"),
        ("notifications", "message_id"),
        ("room_pins", "message_id"),
        ("messages", "id"),
    ] {
        let sql = format!("delete from {table} where tenant_id = $1 and {column} in ({list})");
        let mut q = sqlx::query(&sql).bind(tenant_id);
        for id in ids {
            q = q.bind(id);
        }
        let n = q.execute(&mut *conn).await?.rows_affected();
        rows += n;
        if table == "messages" {
            messages = n;
        }
    }
    Ok((rows, messages))
}

/// Replace the payload of every event about these messages with `{"id": <message id>,
/// "purged": true}` (the shape `scrub::Scrub::Purged` gives; ids are UUIDs, so plain
/// concatenation makes valid JSON); the events rewritten.
pub async fn purge_event_payloads(
    conn: &mut AnyConnection,
    tenant_id: &str,
    ids: &[String],
) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "update room_events set payload = '{{\"id\":\"' || message_id || '\",\"purged\":true}}'
         where tenant_id = $1 and message_id in ({})",
        placeholders(2, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(tenant_id);
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.execute(conn).await?.rows_affected())
}

/// Remove one notification; the rows removed.
pub async fn delete_notification(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query("delete from notifications where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}

/// Rows that still name a message in any of its tables (tests check a purge left none).
#[cfg(test)]
pub async fn rows_naming_message(
    conn: &mut AnyConnection,
    tenant_id: &str,
    message_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select (select count(*) from messages where tenant_id = $1 and id = $2)
              + (select count(*) from message_edits where tenant_id = $1 and message_id = $2)
              + (select count(*) from message_reactions where tenant_id = $1 and message_id = $2)
              + (select count(*) from message_attachments where tenant_id = $1 and message_id = $2)
              + (select count(*) from room_pins where tenant_id = $1 and message_id = $2)
              + (select count(*) from notifications where tenant_id = $1 and message_id = $2)",
    )
    .bind(tenant_id)
    .bind(message_id)
    .fetch_one(conn)
    .await
}

/// Rooms by name for the retention pickers: these ids, or a page of the group rooms and
/// channels by id (direct conversations have no name to pick them by).
pub async fn rooms_named(
    conn: &mut AnyConnection,
    tenant_id: &str,
    find: crate::lifecycle::Find<'_>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    use crate::lifecycle::Find;
    match find {
        Find::Ids(ids) => {
            let mut out = Vec::new();
            for id in ids {
                let row: Option<(String, String)> =
                    sqlx::query_as("select id, name from rooms where tenant_id = $1 and id = $2")
                        .bind(tenant_id)
                        .bind(id)
                        .fetch_optional(&mut *conn)
                        .await?;
                out.extend(row);
            }
            Ok(out)
        }
        Find::Page { after, limit } => {
            sqlx::query_as(
                "select id, name from rooms where tenant_id = $1 and kind <> 'direct' and id > $2
                 order by id limit $3",
            )
            .bind(tenant_id)
            .bind(after)
            .bind(limit)
            .fetch_all(conn)
            .await
        }
    }
}
