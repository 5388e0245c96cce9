//! The meetings' SQL, over their own tables only. Every function takes the tenant id.
//! Rooms, resources and booked slots are in [`resources`]; reminders sent in [`reminders`];
//! replies and changed occurrences in their own files, re-exported here.

mod exceptions;
pub mod reminders;
mod replies;
pub mod resources;

pub use exceptions::*;
pub use replies::*;

use crate::db::Backend;
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MeetingRow {
    pub id: String,
    pub organiser_id: String,
    pub title: String,
    pub description: String,
    pub location: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub online_url: Option<String>,
    pub all_day: i64,
    pub time_zone: String,
    pub start_at: i64,
    pub end_at: i64,
    pub rrule: Option<String>,
    pub last_end_at: Option<i64>,
    pub visibility: String,
    pub reminders: String,
    pub remind_gen: i64,
    pub sequence: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttendeeRow {
    pub meeting_id: String,
    pub token: String,
    pub optional: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReplyRow {
    pub user_id: String,
    pub occurrence: i64,
    pub status: String,
    pub comment: String,
    pub reminders: Option<String>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExceptionRow {
    pub meeting_id: String,
    pub original_start: i64,
    pub cancelled: i64,
    pub start_at: Option<i64>,
    pub end_at: Option<i64>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub updated_at: i64,
}

const COLUMNS: &str = "m.id, m.organiser_id, m.title, m.description, m.location, m.latitude, \
    m.longitude, m.online_url, m.all_day, m.time_zone, m.start_at, m.end_at, m.rrule, \
    m.last_end_at, m.visibility, m.reminders, m.remind_gen, m.sequence, m.created_at, \
    m.updated_at";

pub(super) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    m: &MeetingRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into meetings (tenant_id, id, organiser_id, title, description, location,
             latitude, longitude, online_url, all_day, time_zone, start_at, end_at, rrule,
             last_end_at, visibility, reminders, remind_gen, sequence, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
             $18, $19, $20, $21)",
    )
    .bind(tenant_id)
    .bind(&m.id)
    .bind(&m.organiser_id)
    .bind(&m.title)
    .bind(&m.description)
    .bind(&m.location)
    .bind(m.latitude)
    .bind(m.longitude)
    .bind(&m.online_url)
    .bind(m.all_day)
    .bind(&m.time_zone)
    .bind(m.start_at)
    .bind(m.end_at)
    .bind(&m.rrule)
    .bind(m.last_end_at)
    .bind(&m.visibility)
    .bind(&m.reminders)
    .bind(m.remind_gen)
    .bind(m.sequence)
    .bind(m.created_at)
    .bind(m.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Write back everything an edit may change.
pub async fn update(
    conn: &mut AnyConnection,
    tenant_id: &str,
    m: &MeetingRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update meetings set organiser_id = $1, title = $2, description = $3, location = $4,
             latitude = $5, longitude = $6, online_url = $7, all_day = $8, time_zone = $9,
             start_at = $10, end_at = $11, rrule = $12, last_end_at = $13, visibility = $14,
             reminders = $15, remind_gen = $16, sequence = $17, updated_at = $18
         where tenant_id = $19 and id = $20",
    )
    .bind(&m.organiser_id)
    .bind(&m.title)
    .bind(&m.description)
    .bind(&m.location)
    .bind(m.latitude)
    .bind(m.longitude)
    .bind(&m.online_url)
    .bind(m.all_day)
    .bind(&m.time_zone)
    .bind(m.start_at)
    .bind(m.end_at)
    .bind(&m.rrule)
    .bind(m.last_end_at)
    .bind(&m.visibility)
    .bind(&m.reminders)
    .bind(m.remind_gen)
    .bind(m.sequence)
    .bind(m.updated_at)
    .bind(tenant_id)
    .bind(&m.id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<MeetingRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from meetings m where m.tenant_id = $1 and m.id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The meeting, locked for a change (PostgreSQL; SQLite's writer lock is held already).
pub async fn get_for_update(
    conn: &mut AnyConnection,
    backend: Backend,
    tenant_id: &str,
    id: &str,
) -> Result<Option<MeetingRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from meetings m where m.tenant_id = $1 and m.id = $2{}",
        backend.for_update()
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Meetings organised by the person or addressed to one of their tokens that may have an
/// occurrence in `[from, to)`: first start before `to`, last end (if any) after `from`.
pub async fn for_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    tokens: &[String],
    from: i64,
    to: i64,
) -> Result<Vec<MeetingRow>, sqlx::Error> {
    let sql = format!(
        "select {COLUMNS} from meetings m
         where m.tenant_id = $1 and m.start_at < $2
           and (m.last_end_at is null or m.last_end_at > $3)
           and (m.organiser_id = $4 or exists (
               select 1 from meeting_attendees a
               where a.tenant_id = m.tenant_id and a.meeting_id = m.id
                 and a.token in ({})))
         order by m.start_at, m.id",
        placeholders(5, tokens.len().max(1))
    );
    let mut q = sqlx::query_as(&sql)
        .bind(tenant_id)
        .bind(to)
        .bind(from)
        .bind(user_id);
    if tokens.is_empty() {
        q = q.bind("");
    }
    for t in tokens {
        q = q.bind(t);
    }
    q.fetch_all(conn).await
}

/// Meetings the person organises.
pub async fn organised_by(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<MeetingRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from meetings m where m.tenant_id = $1 and m.organiser_id = $2
         order by m.start_at, m.id"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// Whether one of the tokens is among the meeting's attendees.
pub async fn addressed_to(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
    tokens: &[String],
) -> Result<bool, sqlx::Error> {
    if tokens.is_empty() {
        return Ok(false);
    }
    let sql = format!(
        "select count(*) from meeting_attendees
         where tenant_id = $1 and meeting_id = $2 and token in ({})",
        placeholders(3, tokens.len())
    );
    let mut q = sqlx::query_scalar(&sql).bind(tenant_id).bind(meeting_id);
    for t in tokens {
        q = q.bind(t);
    }
    let n: i64 = q.fetch_one(conn).await?;
    Ok(n > 0)
}

pub async fn attendees(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
) -> Result<Vec<AttendeeRow>, sqlx::Error> {
    sqlx::query_as(
        "select meeting_id, token, optional from meeting_attendees
         where tenant_id = $1 and meeting_id = $2 order by token",
    )
    .bind(tenant_id)
    .bind(meeting_id)
    .fetch_all(conn)
    .await
}

pub async fn set_attendees(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
    rows: &[(String, bool)],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from meeting_attendees where tenant_id = $1 and meeting_id = $2")
        .bind(tenant_id)
        .bind(meeting_id)
        .execute(&mut *conn)
        .await?;
    for (token, optional) in rows {
        sqlx::query(
            "insert into meeting_attendees (tenant_id, meeting_id, token, optional)
             values ($1, $2, $3, $4)",
        )
        .bind(tenant_id)
        .bind(meeting_id)
        .bind(token)
        .bind(i64::from(*optional))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn attachments(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select file_id from meeting_attachments where tenant_id = $1 and meeting_id = $2
         order by file_id",
    )
    .bind(tenant_id)
    .bind(meeting_id)
    .fetch_all(conn)
    .await
}

pub async fn set_attachments(
    conn: &mut AnyConnection,
    tenant_id: &str,
    meeting_id: &str,
    files: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from meeting_attachments where tenant_id = $1 and meeting_id = $2")
        .bind(tenant_id)
        .bind(meeting_id)
        .execute(&mut *conn)
        .await?;
    for f in files {
        sqlx::query(
            "insert into meeting_attachments (tenant_id, meeting_id, file_id) values ($1, $2, $3)",
        )
        .bind(tenant_id)
        .bind(meeting_id)
        .bind(f)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Meetings that attach the file.
pub async fn meetings_with_file(
    conn: &mut AnyConnection,
    tenant_id: &str,
    file_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select meeting_id from meeting_attachments where tenant_id = $1 and file_id = $2",
    )
    .bind(tenant_id)
    .bind(file_id)
    .fetch_all(conn)
    .await
}

/// The condition under which the `files` class treats a file as used (`f` is `files`).
pub const FILE_IN_USE: &str = "exists (select 1 from meeting_attachments ma
    where ma.tenant_id = f.tenant_id and ma.file_id = f.id)";

/// Delete a meeting and everything that hangs on it.
pub async fn delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<u64, sqlx::Error> {
    let mut n = 0;
    for table in [
        "meeting_slots",
        "meeting_bookings",
        "meeting_reminders_sent",
        "meeting_attachments",
        "meeting_exceptions",
        "meeting_replies",
        "meeting_attendees",
        "meetings",
    ] {
        let col = if table == "meetings" {
            "id"
        } else {
            "meeting_id"
        };
        let r = sqlx::query(&format!(
            "delete from {table} where tenant_id = $1 and {col} = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
        n += r.rows_affected();
    }
    Ok(n)
}

/// Erasure: the person's replies and reminders, and their own attendee row.
pub async fn erase_attendee(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    let mut n = 0;
    for (sql, v) in [
        (
            "delete from meeting_replies where tenant_id = $1 and user_id = $2",
            user_id.to_string(),
        ),
        (
            "delete from meeting_reminders_sent where tenant_id = $1 and user_id = $2",
            user_id.to_string(),
        ),
        (
            "delete from meeting_attendees where tenant_id = $1 and token = $2",
            format!("user:{user_id}"),
        ),
    ] {
        n += sqlx::query(sql)
            .bind(tenant_id)
            .bind(v)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(n)
}

/// Hand the person's organised meetings to another.
pub async fn transfer_organised(
    conn: &mut AnyConnection,
    tenant_id: &str,
    from: &str,
    to: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update meetings set organiser_id = $1, updated_at = $2
         where tenant_id = $3 and organiser_id = $4",
    )
    .bind(to)
    .bind(now)
    .bind(tenant_id)
    .bind(from)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Meetings that ended: the `meetings_ended` data class.
pub static ENDED: crate::lifecycle::Source = crate::lifecycle::Source {
    from: "meetings m",
    tenant: "m.tenant_id",
    id: "m.id",
    time: "m.last_end_at",
    container: None,
    people: &["m.organiser_id"],
    bytes: "length(m.title) + length(m.description) + length(m.location)",
    only: "m.last_end_at is not null",
    pinned: None,
};

/// A page of the tenant's meeting ids after `after` (search rebuilds).
pub async fn ids_after(
    conn: &mut AnyConnection,
    tenant_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from meetings where tenant_id = $1 and id > $2 order by id limit $3",
    )
    .bind(tenant_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}
