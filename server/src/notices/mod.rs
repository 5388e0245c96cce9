//! Per-person notices: what a feature tells a person ("an announcement was published for you",
//! "please acknowledge it"), with a realtime frame to the person's open sockets.
//!
//! Infrastructure, feature-agnostic: a feature builds a [`Batch`] (its source, kind, subject,
//! actor and a short title) and, **inside its own transaction**, [`write`]s it for a list of
//! recipients — multi-row inserts, so ten thousand people take ten statements — which also
//! tells the other nodes (PostgreSQL `NOTIFY` carrying only the tenant and the batch id; they
//! read the recipients back from the `notices` table through [`Frames`]). After the commit
//! the feature calls [`Written::deliver`], which sends one `notice` frame to this node's
//! sockets of those people. People list their notices and mark them read at `/notices`
//! ([`api`]); the `notices` data class ([`lifecycle`]) lets retention purge them by age and
//! erasure remove a person's.
//!
//! Messaging's mention and direct-message notifications predate this and stay at
//! `/notifications` for now.

pub mod api;
pub mod lifecycle;
pub mod store;

use crate::{
    authn::Principal,
    db::{new_id, now_ms, rfc3339, Backend},
    error::{ApiError, ApiResult},
    realtime::Hub,
    AppState,
};
use async_trait::async_trait;
use sqlx::AnyConnection;
use std::collections::HashSet;

pub use store::NoticeRow;

/// Longest title kept, in characters (longer ones are cut).
pub const MAX_TITLE: usize = 200;

/// What one write tells a list of people.
#[derive(Debug, Clone)]
pub struct Batch {
    pub tenant_id: String,
    /// The feature that writes it (`announcement`).
    pub source: &'static str,
    /// What happened, in the source's terms (`published`, `reminder`, …).
    pub kind: &'static str,
    /// What it is about (an announcement id).
    pub subject_id: String,
    /// Who caused it (`""` for the system).
    pub actor_id: String,
    pub title: String,
}

/// A batch written in a transaction, to deliver once that transaction committed.
#[must_use = "deliver it after the commit"]
pub struct Written {
    tenant_id: String,
    users: HashSet<String>,
    json: String,
}

impl Written {
    /// Nothing to deliver (no recipients).
    pub fn none() -> Written {
        Written {
            tenant_id: String::new(),
            users: HashSet::new(),
            json: String::new(),
        }
    }

    /// How many people it is for.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// After the commit: the frame to this node's sockets of the recipients (other nodes were
    /// told by the `NOTIFY` the transaction carried).
    pub fn deliver(self, hub: &Hub) {
        hub.publish_personal(&self.tenant_id, self.users, self.json);
    }
}

/// The frame a batch's people get: `{"type": "notice", …}` (docs/realtime.md).
fn frame(r: &NoticeRow) -> String {
    serde_json::json!({
        "type": "notice",
        "batch_id": r.batch_id,
        "source": r.source,
        "kind": r.kind,
        "subject_id": r.subject_id,
        "actor_id": r.actor_id,
        "title": r.title,
        "created_at": rfc3339(r.created_at),
    })
    .to_string()
}

fn short(title: &str) -> String {
    let t: String = title.chars().take(MAX_TITLE).collect();
    t
}

/// Inside the caller's transaction: one notice per recipient (each once), and the cross-node
/// announcement of the batch. Deliver the answer after the commit.
pub async fn write(
    conn: &mut AnyConnection,
    backend: Backend,
    hub: &Hub,
    b: &Batch,
    recipients: &[String],
) -> Result<Written, sqlx::Error> {
    let mut seen = HashSet::with_capacity(recipients.len());
    let rows: Vec<(String, String)> = recipients
        .iter()
        .filter(|u| seen.insert(u.as_str()))
        .map(|u| (new_id(), u.clone()))
        .collect();
    if rows.is_empty() {
        return Ok(Written::none());
    }
    let batch_id = new_id();
    let title = short(&b.title);
    let created_at = now_ms();
    store::insert_batch(
        conn,
        &store::BatchRow {
            tenant_id: &b.tenant_id,
            batch_id: &batch_id,
            source: b.source,
            kind: b.kind,
            subject_id: &b.subject_id,
            actor_id: &b.actor_id,
            title: &title,
            created_at,
        },
        &rows,
    )
    .await?;
    hub.announce_personal_in(conn, backend, &b.tenant_id, &batch_id)
        .await?;
    let json = frame(&NoticeRow {
        id: String::new(),
        user_id: String::new(),
        source: b.source.to_string(),
        kind: b.kind.to_string(),
        subject_id: b.subject_id.clone(),
        actor_id: b.actor_id.clone(),
        title,
        batch_id,
        created_at,
        read_at: None,
    });
    Ok(Written {
        tenant_id: b.tenant_id.clone(),
        users: rows.into_iter().map(|(_, u)| u).collect(),
        json,
    })
}

/// Inside the caller's transaction: a person's notices about a subject are read (they opened
/// it).
pub async fn mark_subject_read(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    source: &str,
    subject_id: &str,
) -> Result<u64, sqlx::Error> {
    store::mark_subject_read(conn, tenant_id, user_id, source, subject_id, now_ms()).await
}

/// Inside the caller's transaction: every notice about a subject goes (it was deleted).
pub async fn delete_subject(
    conn: &mut AnyConnection,
    tenant_id: &str,
    source: &str,
    subject_id: &str,
) -> Result<u64, sqlx::Error> {
    store::delete_subject(conn, tenant_id, source, subject_id).await
}

/// The caller's notices, newest first (one more than `limit`, for paging), and how many are
/// unread in all.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn list(
    state: &AppState,
    p: &Principal,
    unread_only: bool,
    before: Option<&str>,
    limit: i64,
) -> ApiResult<(Vec<NoticeRow>, i64)> {
    let mut conn = state.db.conn().await?;
    let rows = store::list(
        &mut conn,
        &p.tenant_id,
        &p.user_id,
        unread_only,
        before,
        limit + 1,
    )
    .await?;
    let unread = store::unread(&mut conn, &p.tenant_id, &p.user_id).await?;
    Ok((rows, unread))
}

/// Which of the caller's notices to mark read.
pub enum Mark<'a> {
    Ids(&'a [String]),
    All,
    Subject {
        source: &'a str,
        subject_id: &'a str,
    },
}

/// Mark the caller's notices read (another person's id changes nothing); how many changed.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn mark_read(state: &AppState, p: &Principal, m: Mark<'_>) -> ApiResult<u64> {
    if let Mark::Ids(ids) = m {
        if ids.is_empty() {
            return Err(ApiError::validation(
                "ids",
                "name notices, a subject, or send `all: true`",
            ));
        }
        if ids.len() > 500 {
            return Err(ApiError::validation("ids", "at most 500 at a time"));
        }
    }
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let n = match m {
        Mark::All => store::mark_all_read(&mut tx, &p.tenant_id, &p.user_id, now).await?,
        Mark::Subject { source, subject_id } => {
            store::mark_subject_read(&mut tx, &p.tenant_id, &p.user_id, source, subject_id, now)
                .await?
        }
        Mark::Ids(ids) => {
            let mut n = 0;
            for id in ids {
                n += store::mark_read(&mut tx, &p.tenant_id, &p.user_id, id, now).await?;
            }
            n
        }
    };
    tx.commit().await?;
    Ok(n)
}

/// Another node's batches, for realtime (`app.rs` hands this to the hub).
pub struct Frames;

#[async_trait]
impl crate::realtime::Personal for Frames {
    async fn batch(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        batch_id: &str,
    ) -> Result<Option<(Vec<String>, String)>, sqlx::Error> {
        let (users, row) = store::batch(conn, tenant_id, batch_id).await?;
        Ok(row.map(|r| (users, frame(&r))))
    }
}
