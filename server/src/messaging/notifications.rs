//! In-app notifications for mentions and direct messages: written in the send's transaction,
//! listed and marked read by their person. They are the seam for push delivery (a push gateway
//! will consume the same rows through the outbox).

use crate::{
    authn::{Principal, Session},
    db::{new_id, now_ms, rfc3339},
    error::{ApiError, ApiResult},
    http::ApiTags,
    pagination, AppState,
};
use poem::web::Data;
use poem_openapi::{param::Query, payload::Json, Object, OpenApi};
use sqlx::AnyConnection;
use std::sync::Arc;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: String,
    pub kind: String,
    pub room_id: String,
    pub message_id: String,
    pub actor_id: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// Record one notification per person for a message (a person mentioned twice hears once).
pub async fn notify(
    conn: &mut AnyConnection,
    tenant_id: &str,
    recipients: &[(String, &'static str)],
    room_id: &str,
    message_id: &str,
    actor_id: &str,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    for (user, kind) in recipients {
        if user == actor_id {
            continue;
        }
        sqlx::query(
            "insert into notifications (tenant_id, id, user_id, kind, room_id, message_id, actor_id, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing",
        )
        .bind(tenant_id)
        .bind(new_id())
        .bind(user)
        .bind(*kind)
        .bind(room_id)
        .bind(message_id)
        .bind(actor_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn list(
    state: &AppState,
    p: &Principal,
    unread_only: bool,
    before: Option<&str>,
    limit: i64,
) -> ApiResult<(Vec<NotificationRow>, i64)> {
    let mut conn = state.db.conn().await?;
    let rows = sqlx::query_as(
        "select id, kind, room_id, message_id, actor_id, created_at, read_at from notifications
         where tenant_id = $1 and user_id = $2 and ($3 = 0 or read_at is null)
           and ($4 is null or id < $4)
         order by id desc limit $5",
    )
    .bind(&p.tenant_id)
    .bind(&p.user_id)
    .bind(i64::from(unread_only))
    .bind(before)
    .bind(limit + 1)
    .fetch_all(&mut *conn)
    .await?;
    let unread: i64 = sqlx::query_scalar(
        "select count(*) from notifications where tenant_id = $1 and user_id = $2 and read_at is null",
    )
    .bind(&p.tenant_id)
    .bind(&p.user_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((rows, unread))
}

async fn mark_read(state: &AppState, p: &Principal, ids: &[String], all: bool) -> ApiResult<u64> {
    if !all && ids.is_empty() {
        return Err(ApiError::validation(
            "ids",
            "name notifications, or send `all: true`",
        ));
    }
    if ids.len() > 500 {
        return Err(ApiError::validation("ids", "at most 500 at a time"));
    }
    let mut tx = state.db.begin().await?;
    let mut n = 0;
    if all {
        n = sqlx::query(
            "update notifications set read_at = $1
             where tenant_id = $2 and user_id = $3 and read_at is null",
        )
        .bind(now_ms())
        .bind(&p.tenant_id)
        .bind(&p.user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    } else {
        for id in ids {
            // Only one's own: another person's id changes nothing.
            n += sqlx::query(
                "update notifications set read_at = $1
                 where tenant_id = $2 and user_id = $3 and id = $4 and read_at is null",
            )
            .bind(now_ms())
            .bind(&p.tenant_id)
            .bind(&p.user_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
    }
    tx.commit().await?;
    Ok(n)
}

#[derive(Debug, Object)]
pub struct Notification {
    pub id: String,
    /// `mention`, `room_mention` or `direct`.
    pub kind: String,
    pub room_id: String,
    pub message_id: String,
    pub actor_id: String,
    pub read: bool,
    pub created_at: String,
}

#[derive(Debug, Object)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    /// Unread notifications in all.
    pub unread: i64,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct MarkNotifications {
    #[oai(default)]
    pub ids: Vec<String>,
    /// Mark every notification read.
    #[oai(default)]
    pub all: bool,
}

#[derive(Debug, Object)]
pub struct Marked {
    pub marked: u64,
}

#[derive(Default)]
pub struct NotificationsApi;

#[OpenApi(tag = "ApiTags::Messaging")]
impl NotificationsApi {
    /// The caller's notifications (mentions, direct messages), newest first.
    #[oai(
        path = "/notifications",
        method = "get",
        operation_id = "notifications_list"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        unread_only: Query<Option<bool>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<NotificationPage>> {
        let limit = pagination::limit(limit.0)?;
        let before = pagination::decode(cursor.0.as_deref())?;
        let (rows, unread) = list(
            &state,
            &auth.0,
            unread_only.0.unwrap_or(false),
            before.as_deref(),
            limit,
        )
        .await?;
        let (rows, next_cursor) = pagination::page(rows, limit, |n| n.id.clone());
        Ok(Json(NotificationPage {
            items: rows
                .into_iter()
                .map(|n| Notification {
                    id: n.id,
                    kind: n.kind,
                    room_id: n.room_id,
                    message_id: n.message_id,
                    actor_id: n.actor_id,
                    read: n.read_at.is_some(),
                    created_at: rfc3339(n.created_at),
                })
                .collect(),
            unread,
            next_cursor,
        }))
    }

    /// Mark notifications read (some, or `all`).
    #[oai(
        path = "/notifications/read",
        method = "post",
        operation_id = "notifications_mark_read"
    )]
    async fn read(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<MarkNotifications>,
    ) -> ApiResult<Json<Marked>> {
        let marked = mark_read(&state, &auth.0, &body.0.ids, body.0.all).await?;
        Ok(Json(Marked { marked }))
    }
}
