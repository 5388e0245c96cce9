//! `/notes`: a person's own notes (`notes.use`); nobody else sees them.

use super::service::{self, View};
use crate::{
    authn::Session,
    db::rfc3339,
    error::ApiResult,
    http::{ApiTags, NoContent},
    tasks::api::{GpsPoint, TaskAttachment},
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    types::MaybeUndefined,
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct Note {
    pub id: String,
    /// Possibly empty.
    pub title: String,
    /// The Markdown source.
    pub body: String,
    /// The text rendered to HTML and sanitised to a safe subset (as announcements).
    pub body_html: String,
    pub pinned: bool,
    /// Normalised: lower case, no leading `#`, single spaces.
    pub tags: Vec<String>,
    pub location: Option<GpsPoint>,
    pub attachments: Vec<TaskAttachment>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<View> for Note {
    fn from(v: View) -> Self {
        let n = v.row;
        Note {
            id: n.id,
            title: n.title,
            body: n.body,
            body_html: v.body_html,
            pinned: n.pinned == 1,
            tags: v.tags,
            location: GpsPoint::of(n.latitude_e7, n.longitude_e7),
            attachments: v
                .attachments
                .into_iter()
                .map(|f| TaskAttachment {
                    id: f.id,
                    name: f.name,
                    content_type: f.content_type,
                    size: f.size,
                })
                .collect(),
            created_at: rfc3339(n.created_at),
            updated_at: rfc3339(n.updated_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct NotePage {
    pub items: Vec<Note>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewNote {
    /// At most 200 characters; may be empty.
    #[oai(default, validator(max_length = 1000))]
    pub title: String,
    /// Markdown, 1 to 50,000 characters.
    #[oai(validator(max_length = 200000))]
    pub body: String,
    #[oai(default)]
    pub pinned: bool,
    /// At most 20, each 1 to 50 characters.
    #[oai(default, validator(max_items = 100))]
    pub tags: Vec<String>,
    pub location: Option<GpsPoint>,
    /// Files the caller uploaded (at most 10).
    #[oai(default)]
    pub attachment_ids: Vec<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NotePatch {
    #[oai(validator(max_length = 1000))]
    pub title: Option<String>,
    #[oai(validator(max_length = 200000))]
    pub body: Option<String>,
    pub pinned: Option<bool>,
    /// Replaces the tags.
    #[oai(validator(max_items = 100))]
    pub tags: Option<Vec<String>>,
    /// `null` removes it.
    pub location: MaybeUndefined<GpsPoint>,
    /// Replaces the attachments.
    pub attachment_ids: Option<Vec<String>>,
}

#[derive(ApiResponse)]
pub enum Created {
    #[oai(status = 201)]
    Created(Json<Note>),
}

#[derive(Default)]
pub struct NotesApi;

#[OpenApi(tag = "ApiTags::Notes")]
impl NotesApi {
    /// Write a note
    ///
    /// Needs `notes.use`. Only its author ever sees it.
    #[oai(path = "/notes", method = "post", operation_id = "notes_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<NewNote>,
    ) -> ApiResult<Created> {
        let b = body.0;
        let v = service::create(
            &state,
            &auth.0,
            service::NewNote {
                title: b.title,
                body: b.body,
                pinned: b.pinned,
                tags: b.tags,
                location: b.location.map(|g| (g.latitude, g.longitude)),
                attachment_ids: b.attachment_ids,
            },
        )
        .await?;
        Ok(Created::Created(Json(v.into())))
    }

    /// The caller's notes
    ///
    /// Pinned first, then most recently changed. Filters: `tag` (normalised as stored),
    /// `pinned`, `q` (text in the title or body).
    #[oai(path = "/notes", method = "get", operation_id = "notes_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        tag: Query<Option<String>>,
        pinned: Query<Option<bool>>,
        q: Query<Option<String>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<NotePage>> {
        let (items, next_cursor) = service::list(
            &state,
            &auth.0,
            service::Filter {
                tag: tag.0,
                pinned: pinned.0,
                q: q.0,
                limit: limit.0,
                cursor: cursor.0,
            },
        )
        .await?;
        Ok(Json(NotePage {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// A note
    ///
    /// Its author's only; anyone else gets 404.
    #[oai(path = "/notes/:id", method = "get", operation_id = "notes_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Note>> {
        Ok(Json(service::get(&state, &auth.0, &id.0).await?.into()))
    }

    /// Edit a note
    #[oai(path = "/notes/:id", method = "patch", operation_id = "notes_update")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<NotePatch>,
    ) -> ApiResult<Json<Note>> {
        let b = body.0;
        let v = service::update(
            &state,
            &auth.0,
            &id.0,
            service::Edit {
                title: b.title,
                body: b.body,
                pinned: b.pinned,
                tags: b.tags,
                location: match b.location {
                    MaybeUndefined::Undefined => None,
                    MaybeUndefined::Null => Some(None),
                    MaybeUndefined::Value(g) => Some(Some((g.latitude, g.longitude))),
                },
                attachment_ids: b.attachment_ids,
            },
        )
        .await?;
        Ok(Json(v.into()))
    }

    /// Delete a note
    #[oai(path = "/notes/:id", method = "delete", operation_id = "notes_delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        service::delete(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }
}
