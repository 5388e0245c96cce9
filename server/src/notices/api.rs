//! `/notices`: the caller's per-person notices (announcements published for them, reminders).

use crate::{
    authn::Session,
    db::rfc3339,
    error::{ApiError, ApiResult},
    http::{pagination, ApiTags},
    AppState,
};
use poem::web::Data;
use poem_openapi::{param::Query, payload::Json, Object, OpenApi};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct Notice {
    pub id: String,
    /// The feature it comes from: `announcement`.
    pub source: String,
    /// What happened, in the source's terms: for announcements `published`, `edited`,
    /// `reminder`.
    pub kind: String,
    /// What it is about (for announcements: the announcement id).
    pub subject_id: String,
    /// Who caused it; empty for the system.
    pub actor_id: String,
    /// A short title (at most 200 characters).
    pub title: String,
    pub read: bool,
    pub created_at: String,
}

#[derive(Debug, Object)]
pub struct NoticePage {
    pub items: Vec<Notice>,
    /// Unread notices in all.
    pub unread: i64,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct MarkNotices {
    /// Notices to mark read (at most 500).
    #[oai(default)]
    pub ids: Vec<String>,
    /// Mark every notice read.
    #[oai(default)]
    pub all: bool,
    /// Mark the notices about one subject read: with `subject_id`, the `source` it belongs to.
    #[oai(validator(max_length = 64))]
    pub source: Option<String>,
    #[oai(validator(max_length = 64))]
    pub subject_id: Option<String>,
}

#[derive(Debug, Object)]
pub struct MarkedNotices {
    pub marked: u64,
}

#[derive(Default)]
pub struct NoticesApi;

#[OpenApi(tag = "ApiTags::Notices")]
impl NoticesApi {
    /// The caller's notices
    ///
    /// Newest first, with the number unread. Each person sees only their own.
    #[oai(path = "/notices", method = "get", operation_id = "notices_list")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        unread_only: Query<Option<bool>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<NoticePage>> {
        let limit = pagination::limit(limit.0)?;
        let before = pagination::decode(cursor.0.as_deref())?;
        let (rows, unread) = super::list(
            &state,
            &auth.0,
            unread_only.0.unwrap_or(false),
            before.as_deref(),
            limit,
        )
        .await?;
        let (rows, next_cursor) = pagination::page(rows, limit, |n| n.id.clone());
        Ok(Json(NoticePage {
            items: rows
                .into_iter()
                .map(|n| Notice {
                    id: n.id,
                    source: n.source,
                    kind: n.kind,
                    subject_id: n.subject_id,
                    actor_id: n.actor_id,
                    title: n.title,
                    read: n.read_at.is_some(),
                    created_at: rfc3339(n.created_at),
                })
                .collect(),
            unread,
            next_cursor,
        }))
    }

    /// Mark notices read
    ///
    /// Those named in `ids`, every one (`all: true`), or those about one subject (`source` and
    /// `subject_id`). Another person's notice id changes nothing. Answers how many changed.
    #[oai(
        path = "/notices/read",
        method = "post",
        operation_id = "notices_mark_read"
    )]
    async fn read(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<MarkNotices>,
    ) -> ApiResult<Json<MarkedNotices>> {
        let b = body.0;
        let m = match (&b.source, &b.subject_id) {
            _ if b.all => super::Mark::All,
            (Some(source), Some(subject_id)) => super::Mark::Subject { source, subject_id },
            (Some(_), None) => {
                return Err(ApiError::validation(
                    "subject_id",
                    "name the subject with its source",
                ))
            }
            (None, Some(_)) => {
                return Err(ApiError::validation(
                    "source",
                    "name the subject with its source",
                ))
            }
            (None, None) => super::Mark::Ids(&b.ids),
        };
        let marked = super::mark_read(&state, &auth.0, m).await?;
        Ok(Json(MarkedNotices { marked }))
    }
}
