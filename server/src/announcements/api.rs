//! `/announcements`: publishing (`announcements.publish`), the reader's list, reading,
//! acknowledging and dismissing, versions, and receipts with reminders
//! (`announcements.receipts.read`).

use super::{
    reading,
    receipts::{self, Act, Status},
    service::{self, Kind, View},
};
use crate::{
    authn::Session,
    db::rfc3339,
    directory::audience::AudienceTarget,
    error::ApiResult,
    http::{instant_param, ApiTags, NoContent},
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    types::MaybeUndefined,
    ApiResponse, Enum, Object, OpenApi,
};
use std::sync::Arc;

/// A file shown with an announcement (download it at `/files/{id}/content`).
#[derive(Debug, Object)]
pub struct AnnouncementAttachment {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Debug, Object)]
pub struct Announcement {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    /// The Markdown source.
    pub body: String,
    /// The text rendered to HTML and sanitised to a safe subset (structure, emphasis, code,
    /// tables, `http`/`https`/`mailto` links; no images, scripts, styles or event handlers).
    pub body_html: String,
    pub author_id: String,
    /// The author's name now (an erased author's pseudonym); absent when unknown.
    pub author_name: Option<String>,
    pub audience: Vec<AudienceTarget>,
    pub attachments: Vec<AnnouncementAttachment>,
    pub pinned: bool,
    pub ack_required: bool,
    pub ack_due_at: Option<String>,
    pub expires_at: Option<String>,
    /// The current version of the text (1 until edited).
    pub version: i64,
    /// The title or text was edited after publishing (see `/versions`).
    pub edited: bool,
    pub edited_at: Option<String>,
    pub published_at: String,
    pub updated_at: String,
    /// When the caller first read it.
    pub read_at: Option<String>,
    /// The caller acknowledged the current version.
    pub acknowledged: bool,
    pub acknowledged_at: Option<String>,
    pub dismissed: bool,
}

impl From<View> for Announcement {
    fn from(v: View) -> Self {
        let acknowledged = v.acknowledged();
        let kind = v.kind();
        let r = v.row;
        let a = r.a;
        Announcement {
            id: a.id,
            kind,
            title: a.title,
            body: a.body,
            body_html: v.body_html,
            author_id: a.author_id,
            author_name: v.author_name,
            audience: v.audience.iter().map(AudienceTarget::of).collect(),
            attachments: v
                .attachments
                .into_iter()
                .map(|f| AnnouncementAttachment {
                    id: f.id,
                    name: f.name,
                    content_type: f.content_type,
                    size: f.size,
                })
                .collect(),
            pinned: a.pinned == 1,
            ack_required: a.ack_required == 1,
            ack_due_at: a.ack_due_at.map(rfc3339),
            expires_at: a.expires_at.map(rfc3339),
            version: a.version,
            edited: a.edited_at.is_some(),
            edited_at: a.edited_at.map(rfc3339),
            published_at: rfc3339(a.published_at),
            updated_at: rfc3339(a.updated_at),
            read_at: r.read_at.map(rfc3339),
            acknowledged,
            acknowledged_at: r.acked_at.filter(|_| acknowledged).map(rfc3339),
            dismissed: r.dismissed_at.is_some(),
        }
    }
}

#[derive(Debug, Object)]
pub struct AnnouncementPage {
    pub items: Vec<Announcement>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewAnnouncement {
    /// `normal` (default), `policy` or `breach`. Policy and breach notices go to everyone
    /// (whatever `audience` says) and always ask for an acknowledgement.
    pub kind: Option<Kind>,
    /// 1 to 200 characters.
    #[oai(validator(max_length = 1000))]
    pub title: String,
    /// Markdown, 1 to 20,000 characters.
    #[oai(validator(max_length = 100000))]
    pub body: String,
    /// Who it is for (at most 100 targets); required for `normal`.
    #[oai(default)]
    pub audience: Vec<AudienceTarget>,
    /// Files the publisher uploaded (at most 10).
    #[oai(default)]
    pub attachment_ids: Vec<String>,
    /// Shown before the others.
    #[oai(default)]
    pub pinned: bool,
    /// Ask each person to acknowledge it.
    #[oai(default)]
    pub ack_required: bool,
    /// By when (RFC 3339, in the future; needs `ack_required`; not after the expiry).
    pub ack_due_at: Option<String>,
    /// When it leaves the lists (RFC 3339, in the future).
    pub expires_at: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AnnouncementPatch {
    /// A new title: a new version.
    #[oai(validator(max_length = 1000))]
    pub title: Option<String>,
    /// A new text: a new version.
    #[oai(validator(max_length = 100000))]
    pub body: Option<String>,
    pub pinned: Option<bool>,
    /// Not for policy and breach notices, which always ask for it.
    pub ack_required: Option<bool>,
    /// `null` removes the due date.
    pub ack_due_at: MaybeUndefined<String>,
    /// `null` removes the expiry.
    pub expires_at: MaybeUndefined<String>,
    /// Replaces the attachments.
    pub attachment_ids: Option<Vec<String>>,
}

#[derive(ApiResponse)]
pub enum Published {
    #[oai(status = 201)]
    Created(Json<Announcement>),
}

#[derive(Debug, Object)]
pub struct AnnouncementVersion {
    pub version: i64,
    pub title: String,
    pub body: String,
    pub body_html: String,
    /// Who published (version 1) or edited it.
    pub editor_id: String,
    pub created_at: String,
}

#[derive(Debug, Object)]
pub struct AnnouncementVersions {
    /// Newest first.
    pub items: Vec<AnnouncementVersion>,
}

/// Where a person of the audience stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ReceiptStatus {
    Unread,
    Read,
    /// Acknowledged the current version.
    Acknowledged,
}

impl From<Status> for ReceiptStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Unread => ReceiptStatus::Unread,
            Status::Read => ReceiptStatus::Read,
            Status::Acknowledged => ReceiptStatus::Acknowledged,
        }
    }
}

impl From<ReceiptStatus> for Status {
    fn from(s: ReceiptStatus) -> Self {
        match s {
            ReceiptStatus::Unread => Status::Unread,
            ReceiptStatus::Read => Status::Read,
            ReceiptStatus::Acknowledged => Status::Acknowledged,
        }
    }
}

#[derive(Debug, Object)]
pub struct PersonReceipt {
    pub user_id: String,
    pub display_name: String,
    pub status: ReceiptStatus,
    pub read_at: Option<String>,
    pub acknowledged_at: Option<String>,
    /// The version last acknowledged (an earlier one when the text changed since).
    pub acknowledged_version: Option<i64>,
}

#[derive(Debug, Object)]
pub struct ReceiptPage {
    /// People the audience covers now.
    pub audience: i64,
    /// Of them: read it (acknowledging counts as reading).
    pub read: i64,
    /// Of them: acknowledged the current version.
    pub acknowledged: i64,
    /// Of them: not read, or (where asked) not acknowledged: whom a reminder reaches.
    pub pending: i64,
    pub items: Vec<PersonReceipt>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
pub struct Reminded {
    /// People reminded.
    pub reminded: u64,
}

#[derive(Default)]
pub struct AnnouncementsApi;

#[OpenApi(tag = "ApiTags::Announcements")]
impl AnnouncementsApi {
    /// Publish an announcement
    ///
    /// Everyone the audience covers (but the author) gets a notice (`/notices`) and a
    /// realtime `notice` frame. Needs `announcements.publish`.
    #[oai(
        path = "/announcements",
        method = "post",
        operation_id = "announcements_publish"
    )]
    async fn publish(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<NewAnnouncement>,
    ) -> ApiResult<Published> {
        let b = body.0;
        let v = service::publish(
            &state,
            &auth.0,
            service::NewAnnouncement {
                kind: b.kind.unwrap_or(Kind::Normal),
                title: b.title,
                body: b.body,
                audience: b.audience,
                attachment_ids: b.attachment_ids,
                pinned: b.pinned,
                ack_required: b.ack_required,
                ack_due_at: instant_param("ack_due_at", b.ack_due_at)?,
                expires_at: instant_param("expires_at", b.expires_at)?,
            },
        )
        .await?;
        Ok(Published::Created(Json(v.into())))
    }

    /// The caller's announcements
    ///
    /// Those whose audience includes the caller now and that have not expired (nor been
    /// dismissed, unless `include_dismissed`): pinned first, then newest first. With `all`
    /// (holders of `announcements.publish` or `announcements.receipts.read`): every
    /// announcement of the tenant, expired ones included.
    #[oai(
        path = "/announcements",
        method = "get",
        operation_id = "announcements_list"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        all: Query<Option<bool>>,
        include_dismissed: Query<Option<bool>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<AnnouncementPage>> {
        let (items, next_cursor) = reading::list(
            &state,
            &auth.0,
            all.0.unwrap_or(false),
            include_dismissed.0.unwrap_or(false),
            limit.0,
            cursor.0.as_deref(),
        )
        .await?;
        Ok(Json(AnnouncementPage {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// An announcement
    ///
    /// For the people of its audience while it has not expired, and for holders of
    /// `announcements.publish` or `announcements.receipts.read`.
    #[oai(
        path = "/announcements/:id",
        method = "get",
        operation_id = "announcements_get"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Announcement>> {
        Ok(Json(reading::get(&state, &auth.0, &id.0).await?.into()))
    }

    /// Edit an announcement
    ///
    /// A new title or text is a new version (the previous ones stay, see `/versions`) and
    /// marks it edited; where an acknowledgement is asked, people acknowledge the current
    /// version, so they are told again. The audience cannot change. Needs
    /// `announcements.publish`.
    #[oai(
        path = "/announcements/:id",
        method = "patch",
        operation_id = "announcements_update"
    )]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<AnnouncementPatch>,
    ) -> ApiResult<Json<Announcement>> {
        let b = body.0;
        let date = |field: &str, v: MaybeUndefined<String>| -> ApiResult<Option<Option<i64>>> {
            Ok(match v {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(s) => Some(instant_param(field, Some(s))?),
            })
        };
        let e = service::Edit {
            title: b.title,
            body: b.body,
            pinned: b.pinned,
            ack_required: b.ack_required,
            ack_due_at: date("ack_due_at", b.ack_due_at)?,
            expires_at: date("expires_at", b.expires_at)?,
            attachment_ids: b.attachment_ids,
        };
        Ok(Json(service::edit(&state, &auth.0, &id.0, e).await?.into()))
    }

    /// Delete an announcement
    ///
    /// With its versions, receipts and notices. Policy and breach notices cannot be deleted
    /// (409): set an expiry instead. Needs `announcements.publish`.
    #[oai(
        path = "/announcements/:id",
        method = "delete",
        operation_id = "announcements_delete"
    )]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        service::delete(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }

    /// An announcement's versions
    ///
    /// Every version of the title and text, newest first; for whoever may read it.
    #[oai(
        path = "/announcements/:id/versions",
        method = "get",
        operation_id = "announcements_versions"
    )]
    async fn versions(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<AnnouncementVersions>> {
        let rows = reading::versions(&state, &auth.0, &id.0).await?;
        Ok(Json(AnnouncementVersions {
            items: rows
                .into_iter()
                .map(|v| AnnouncementVersion {
                    body_html: super::markdown::render(&v.body),
                    version: v.version,
                    title: v.title,
                    body: v.body,
                    editor_id: v.editor_id,
                    created_at: rfc3339(v.created_at),
                })
                .collect(),
        }))
    }

    /// Mark an announcement read
    ///
    /// For the people of its audience (the first time is kept); their notices about it are
    /// marked read too.
    #[oai(
        path = "/announcements/:id/read",
        method = "post",
        operation_id = "announcements_read"
    )]
    async fn read(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Announcement>> {
        Ok(Json(
            receipts::act(&state, &auth.0, &id.0, Act::Read)
                .await?
                .into(),
        ))
    }

    /// Acknowledge an announcement
    ///
    /// Its current version, for the people of its audience; only where an acknowledgement is
    /// asked (409 otherwise). Acknowledging a policy or breach notice is recorded in the audit
    /// log.
    #[oai(
        path = "/announcements/:id/acknowledge",
        method = "post",
        operation_id = "announcements_acknowledge"
    )]
    async fn acknowledge(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Announcement>> {
        Ok(Json(
            receipts::act(&state, &auth.0, &id.0, Act::Acknowledge)
                .await?
                .into(),
        ))
    }

    /// Dismiss an announcement
    ///
    /// It leaves the caller's list (`include_dismissed` shows it again). One that asks for an
    /// acknowledgement — every policy and breach notice — must be acknowledged first (409).
    #[oai(
        path = "/announcements/:id/dismiss",
        method = "post",
        operation_id = "announcements_dismiss"
    )]
    async fn dismiss(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Announcement>> {
        Ok(Json(
            receipts::act(&state, &auth.0, &id.0, Act::Dismiss)
                .await?
                .into(),
        ))
    }

    /// Who has read and acknowledged
    ///
    /// Over the people the audience covers now, by id (optionally only those with `status`),
    /// with the totals. Needs `announcements.receipts.read`.
    #[oai(
        path = "/announcements/:id/receipts",
        method = "get",
        operation_id = "announcements_receipts"
    )]
    async fn receipts(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        status: Query<Option<ReceiptStatus>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<ReceiptPage>> {
        let r = receipts::receipts(
            &state,
            &auth.0,
            &id.0,
            status.0.map(Into::into),
            limit.0,
            cursor.0.as_deref(),
        )
        .await?;
        Ok(Json(ReceiptPage {
            audience: r.audience,
            read: r.read,
            acknowledged: r.acknowledged,
            pending: r.pending,
            items: r
                .items
                .into_iter()
                .map(|i| PersonReceipt {
                    user_id: i.user_id,
                    display_name: i.display_name,
                    status: i.status.into(),
                    read_at: i.read_at.map(rfc3339),
                    acknowledged_at: i.acked_at.map(rfc3339),
                    acknowledged_version: i.acked_version,
                })
                .collect(),
            next_cursor: r.next_cursor,
        }))
    }

    /// Remind those who have not read or acknowledged
    ///
    /// A notice (and realtime frame) to each person of the audience who has not read it, or
    /// where an acknowledgement is asked, not acknowledged the current version. At most once
    /// an hour per announcement: 429 with `Retry-After` otherwise. Needs
    /// `announcements.receipts.read`.
    #[oai(
        path = "/announcements/:id/remind",
        method = "post",
        operation_id = "announcements_remind"
    )]
    async fn remind(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Reminded>> {
        let reminded = receipts::remind(&state, &auth.0, &id.0).await?;
        Ok(Json(Reminded { reminded }))
    }
}
