//! The transactional outbox (docs/architecture.md): a change enqueues its consequences in the same
//! transaction; `jobs::outbox` drains them at least once.

use super::{now_ms, Backend};
use sqlx::AnyConnection;
use std::cell::RefCell;

tokio::task_local! {
    /// The topics the current request enqueued due-now work for (see [`noting`]).
    static NOTED: RefCell<Vec<String>>;
}

/// Run `f` (a request), noting the topics it enqueues due-now work for: after its commit the
/// relay wakes exactly those lanes (`jobs::outbox::Wake::topics`) instead of reading the whole
/// queue to find out which have work.
pub async fn noting<F: std::future::Future>(f: F) -> F::Output {
    NOTED.scope(RefCell::new(Vec::new()), f).await
}

/// The topics noted so far in this [`noting`] scope, taken; `None` outside one (a background
/// job: the caller cannot name its topics).
pub fn take_noted() -> Option<Vec<String>> {
    NOTED
        .try_with(|n| std::mem::take(&mut *n.borrow_mut()))
        .ok()
}

fn note(topic: &str) {
    let _ = NOTED.try_with(|n| {
        let mut n = n.borrow_mut();
        if !n.iter().any(|t| t == topic) {
            n.push(topic.to_string());
        }
    });
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    pub id: i64,
    pub tenant_id: String,
    pub topic: String,
    pub payload: String,
    pub attempts: i64,
}

/// A message, due at once, that another module's statement writes in the same round trip as the
/// change it follows (a sent message and its index work: one statement on PostgreSQL, one batch
/// on SQLite). The outbox keeps its SQL: the caller splices [`Entry::insert_sql`] in, binds
/// [`Entry::topic`] and [`Entry::payload`] where it said, and calls [`Entry::written`] after.
pub struct Entry {
    pub topic: &'static str,
    pub payload: String,
}

impl Entry {
    pub fn new(topic: &'static str, payload: &serde_json::Value) -> Entry {
        Entry {
            topic,
            payload: payload.to_string(),
        }
    }

    /// The insert as SQL over the caller's placeholders (`"$2"`, …) for the tenant, the topic,
    /// the payload and the time; a statement of its own, or a data-modifying part of a `with`.
    pub fn insert_sql(tenant: &str, topic: &str, payload: &str, now: &str) -> String {
        format!(
            "insert into outbox (tenant_id, topic, payload, created_at, available_at, attempts)
             values ({tenant}, {topic}, {payload}, {now}, {now}, 0)"
        )
    }

    /// The statement that carried it ran: the relay is woken for its topic after the commit.
    pub fn written(&self) {
        note(self.topic);
    }
}

/// Enqueue a message inside the caller's transaction.
pub async fn enqueue(
    conn: &mut AnyConnection,
    tenant_id: &str,
    topic: &str,
    payload: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    enqueue_at(conn, tenant_id, topic, payload, now_ms()).await
}

/// Enqueue a message inside the caller's transaction that the relay hands out no earlier than
/// `available_at` (epoch ms): timed work such as reminders. It survives restarts like any
/// outbox row; delivery is at least once, so the handler makes a second run a no-op (it checks
/// the current state and records that it acted in its own transaction).
pub async fn enqueue_at(
    conn: &mut AnyConnection,
    tenant_id: &str,
    topic: &str,
    payload: &serde_json::Value,
    available_at: i64,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "insert into outbox (tenant_id, topic, payload, created_at, available_at, attempts)
         values ($1, $2, $3, $4, $5, 0)",
    )
    .bind(tenant_id)
    .bind(topic)
    .bind(payload.to_string())
    .bind(now)
    .bind(available_at)
    .execute(conn)
    .await?;
    if available_at <= now {
        note(topic);
    }
    Ok(())
}

/// Whether a topic has a due message, read without a write transaction (a lane's periodic poll
/// usually finds nothing).
pub async fn due(conn: &mut AnyConnection, topic: &str, now: i64) -> Result<bool, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "select id from outbox
         where topic = $1 and done_at is null and dead_at is null and available_at <= $2
           and (claimed_until is null or claimed_until < $2)
         limit 1",
    )
    .bind(topic)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(id.is_some())
}

/// The topics that have a due message (what the relay's dispatcher wakes lanes for).
pub async fn due_topics(conn: &mut AnyConnection, now: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select distinct topic from outbox
         where done_at is null and dead_at is null and available_at <= $1
           and (claimed_until is null or claimed_until < $1)",
    )
    .bind(now)
    .fetch_all(conn)
    .await
}

/// Claim up to `limit` due messages of one topic for `lease_ms`. A claimed message that is
/// neither completed nor failed (the node died) becomes due again when its lease expires.
pub async fn claim(
    conn: &mut AnyConnection,
    backend: Backend,
    topic: &str,
    limit: i64,
    lease_ms: i64,
) -> Result<Vec<Message>, sqlx::Error> {
    let now = now_ms();
    let sql = format!(
        "update outbox set claimed_until = $1, attempts = attempts + 1
         where id in (select id from outbox
                      where topic = $4 and done_at is null and dead_at is null
                        and available_at <= $2
                        and (claimed_until is null or claimed_until < $2)
                      order by id limit $3{})
         returning id, tenant_id, topic, payload, attempts",
        backend.skip_locked()
    );
    let mut rows: Vec<Message> = sqlx::query_as(&sql)
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .bind(topic)
        .fetch_all(conn)
        .await?;
    rows.sort_by_key(|m| m.id);
    Ok(rows)
}

pub async fn complete(conn: &mut AnyConnection, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update outbox set done_at = $1, claimed_until = null, last_error = null where id = $2",
    )
    .bind(now_ms())
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// [`complete`] for many messages in one statement (a lane's batch: one round trip).
pub async fn complete_many(conn: &mut AnyConnection, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let list = (2..ids.len() + 2)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "update outbox set done_at = $1, claimed_until = null, last_error = null where id in ({list})"
    );
    let mut q = sqlx::query(&sql).bind(now_ms());
    for id in ids {
        q = q.bind(*id);
    }
    q.execute(conn).await?;
    Ok(())
}

/// Record a failed attempt: retry after `retry_at`, or dead-letter when `dead`.
pub async fn fail(
    conn: &mut AnyConnection,
    id: i64,
    error: &str,
    retry_at: i64,
    dead: bool,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "update outbox set claimed_until = null, last_error = $1, available_at = $2,
                dead_at = case when $3 = 1 then $4 else null end
         where id = $5",
    )
    .bind(error)
    .bind(retry_at)
    .bind(i64::from(dead))
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub pending: i64,
    pub dead: i64,
    /// Age in milliseconds of the oldest message not yet delivered.
    pub lag_ms: i64,
}

pub async fn stats(conn: &mut AnyConnection) -> Result<Stats, sqlx::Error> {
    let (pending, oldest): (i64, Option<i64>) = sqlx::query_as(
        "select count(*), min(created_at) from outbox where done_at is null and dead_at is null",
    )
    .fetch_one(&mut *conn)
    .await?;
    let dead: i64 = sqlx::query_scalar("select count(*) from outbox where dead_at is not null")
        .fetch_one(&mut *conn)
        .await?;
    Ok(Stats {
        pending,
        dead,
        lag_ms: oldest.map(|o| (now_ms() - o).max(0)).unwrap_or(0),
    })
}

/// One topic's messages of one tenant that are not delivered yet.
#[derive(Debug, Clone)]
pub struct TopicStats {
    pub topic: String,
    /// Waiting for delivery (including retries waiting out their backoff).
    pub pending: i64,
    /// Given up on after their last attempt (dead letters).
    pub dead: i64,
    /// When the oldest waiting message was written.
    pub oldest_pending_at: Option<i64>,
}

/// A tenant's undelivered messages, per topic (delivered ones are not counted).
pub async fn tenant_stats(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<TopicStats>, sqlx::Error> {
    let rows: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as(
        "select topic,
                cast(sum(case when dead_at is null then 1 else 0 end) as bigint),
                cast(sum(case when dead_at is not null then 1 else 0 end) as bigint),
                min(case when dead_at is null then created_at end)
         from outbox where tenant_id = $1 and done_at is null
         group by topic order by topic",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(topic, pending, dead, oldest_pending_at)| TopicStats {
            topic,
            pending,
            dead,
            oldest_pending_at,
        })
        .collect())
}

/// Make a topic's waiting retries due now (a service they wait for is back): the messages
/// that failed at least once and wait out a backoff. Returns how many.
pub async fn retry_now(conn: &mut AnyConnection, topic: &str) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let r = sqlx::query(
        "update outbox set available_at = $1
         where topic = $2 and done_at is null and dead_at is null and attempts > 0
           and available_at > $1",
    )
    .bind(now)
    .bind(topic)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// How many messages of a topic are not yet delivered (nor dead-lettered).
pub async fn pending(conn: &mut AnyConnection, topic: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from outbox where topic = $1 and done_at is null and dead_at is null",
    )
    .bind(topic)
    .fetch_one(conn)
    .await
}

/// Put dead-lettered messages back in the queue (after the cause was fixed).
pub async fn retry_dead(conn: &mut AnyConnection) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "update outbox set dead_at = null, attempts = 0, available_at = $1 where dead_at is not null",
    )
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// Delete delivered messages older than `before`.
pub async fn prune(conn: &mut AnyConnection, before: i64) -> Result<u64, sqlx::Error> {
    let r = sqlx::query("delete from outbox where done_at is not null and done_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// Give back every claim (at start: claims held by a process that died are void).
pub async fn release_claims(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("update outbox set claimed_until = null where done_at is null and dead_at is null")
        .execute(conn)
        .await?;
    Ok(())
}
