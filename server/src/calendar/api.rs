//! `/agenda` and `/calendar/…`: the caller's agenda, their secret calendar feed, and importing
//! an iCalendar file.

use super::{agenda, feed, import, store::FeedRow};
use crate::{
    authn::{ctx_of, Session},
    db::rfc3339,
    error::ApiResult,
    http::{ApiTags, NoContent},
    AppState,
};
use poem::{web::Data, Request};
use poem_openapi::{
    param::{Path, Query},
    payload::{Binary, Json, PlainText},
    ApiRequest, ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

/// One thing on the agenda: a meeting occurrence or a task due.
#[derive(Debug, Object)]
pub struct AgendaItem {
    /// `meeting` or `task`.
    pub kind: String,
    /// The meeting's or the task's id.
    pub id: String,
    /// For a meeting occurrence: its key (the start its rule gives it), as used by
    /// `/meetings/{id}/occurrences/{key}`.
    pub occurrence: Option<String>,
    /// Absent when the caller sees busy time only.
    pub title: Option<String>,
    pub location: Option<String>,
    pub start_at: String,
    pub end_at: String,
    /// Wall-clock start and end in the agenda's zone (`YYYY-MM-DDTHH:MM:SS`); for all-day
    /// items the dates in the item's own zone (`YYYY-MM-DD`, `end_local` the last day).
    pub start_local: String,
    pub end_local: String,
    pub all_day: bool,
    /// The zone the item's own times are in (the meeting's; the task's due zone).
    pub time_zone: String,
    /// A meeting: the caller's reply (`accepted`, `tentative`, `declined`, `needs_action`;
    /// absent for the organiser). A task: its status (`todo`, `in_progress`).
    pub status: Option<String>,
    /// A task's priority.
    pub priority: Option<String>,
    pub recurring: bool,
}

#[derive(Debug, Object)]
pub struct AgendaPage {
    /// The IANA zone of `start_local` and `end_local`.
    pub zone: String,
    pub from: String,
    pub to: String,
    pub items: Vec<AgendaItem>,
    pub next_cursor: Option<String>,
}

fn item(zone: chrono_tz::Tz, i: agenda::Item) -> AgendaItem {
    let (start_local, end_local) = if i.all_day {
        (
            agenda::date_in(&i.item_zone, i.start_at),
            agenda::date_in(&i.item_zone, (i.end_at - 1).max(i.start_at)),
        )
    } else {
        (
            agenda::local(zone, i.start_at),
            agenda::local(zone, i.end_at),
        )
    };
    AgendaItem {
        kind: i.kind.to_string(),
        id: i.id,
        occurrence: i.occurrence.map(rfc3339),
        title: i.title,
        location: i.location,
        start_at: rfc3339(i.start_at),
        end_at: rfc3339(i.end_at),
        start_local,
        end_local,
        all_day: i.all_day,
        time_zone: i.item_zone,
        status: i.status,
        priority: i.priority,
        recurring: i.recurring,
    }
}

/// The caller's calendar feed.
#[derive(Debug, Object)]
pub struct CalendarFeed {
    /// Whether the caller has a live feed address.
    pub active: bool,
    pub created_at: Option<String>,
    /// The last time a calendar app fetched it (to the minute).
    pub last_used_at: Option<String>,
}

impl From<Option<FeedRow>> for CalendarFeed {
    fn from(f: Option<FeedRow>) -> Self {
        CalendarFeed {
            active: f.is_some(),
            created_at: f.as_ref().map(|f| rfc3339(f.created_at)),
            last_used_at: f.and_then(|f| f.last_used_at).map(rfc3339),
        }
    }
}

/// A new feed address: shown once, keep it secret (anyone with it reads the calendar).
#[derive(Debug, Object)]
pub struct NewCalendarFeed {
    /// The address to subscribe to in a calendar app.
    pub url: String,
    /// The `webcal://` form of the same address, which opens calendar apps directly.
    pub webcal_url: String,
    pub created_at: String,
}

#[derive(ApiResponse)]
pub enum FeedCreated {
    /// The new address; the previous one (if any) stopped working.
    #[oai(status = 201)]
    Created(Json<NewCalendarFeed>),
}

#[derive(ApiResponse)]
pub enum FeedBody {
    /// iCalendar (RFC 5545) of the person's meetings from 90 days ago to a year ahead.
    #[oai(status = 200, content_type = "text/calendar")]
    Ok(PlainText<String>, #[oai(header = "Cache-Control")] String),
}

#[derive(ApiRequest)]
pub enum IcsBody {
    /// An iCalendar file (RFC 5545) as calendar apps export it, at most 2 MiB.
    #[oai(content_type = "text/calendar")]
    Ics(Binary<Vec<u8>>),
}

#[derive(Debug, Object)]
pub struct CalendarImportedEvent {
    pub uid: String,
    pub title: String,
    pub meeting_id: String,
}

#[derive(Debug, Object)]
pub struct CalendarSkippedEvent {
    pub uid: String,
    pub title: String,
    /// Why it was not imported.
    pub reason: String,
}

#[derive(Debug, Object)]
pub struct CalendarImportReport {
    pub imported: Vec<CalendarImportedEvent>,
    pub skipped: Vec<CalendarSkippedEvent>,
    /// Events an earlier import of the same file already brought in (by UID).
    pub already_imported: u64,
    /// To-dos, journals and other components that are not events (not imported).
    pub other_components: u64,
}

#[derive(Default)]
pub struct CalendarApi;

#[OpenApi(tag = "ApiTags::Calendar")]
impl CalendarApi {
    /// The caller's agenda
    ///
    /// Meeting occurrences (expanded from their rules) and tasks due, in time order over a range
    /// (`from`, `to`: dates in the agenda's zone or RFC 3339 instants; default today and the
    /// six days after; at most 366 days), in the caller's time zone (`zone`, else their profile's
    /// `time_zone`, else UTC). Paged by `cursor`, at most `limit` (≤ 500, default 100) items.
    #[oai(path = "/agenda", method = "get", operation_id = "agenda_get")]
    #[allow(clippy::too_many_arguments)]
    async fn agenda(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        from: Query<Option<String>>,
        to: Query<Option<String>>,
        zone: Query<Option<String>>,
        cursor: Query<Option<String>>,
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<AgendaPage>> {
        let p = &auth.0;
        let tz = agenda::zone_for(&state, p, zone.0.as_deref()).await?;
        let range = agenda::range(tz, from.0.as_deref(), to.0.as_deref(), crate::db::now_ms())?;
        let page = agenda::agenda(&state, p, tz, range, cursor.0.as_deref(), limit.0).await?;
        Ok(Json(AgendaPage {
            zone: page.zone.name().to_string(),
            from: rfc3339(page.from),
            to: rfc3339(page.to),
            items: page.items.into_iter().map(|i| item(page.zone, i)).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    /// The caller's calendar feed
    ///
    /// Whether they have a live feed address, when it was made and last fetched (the address
    /// itself is shown only when it is made).
    #[oai(
        path = "/calendar/feed",
        method = "get",
        operation_id = "calendar_feed_get"
    )]
    async fn feed_get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<CalendarFeed>> {
        Ok(Json(feed::status(&state, &auth.0).await?.into()))
    }

    /// Make a calendar feed address
    ///
    /// A secret address that calendar apps subscribe to (read-only): the caller's meetings
    /// from 90 days ago to a year ahead, as they are at each fetch. A new address replaces the
    /// previous one.
    #[oai(
        path = "/calendar/feed",
        method = "post",
        operation_id = "calendar_feed_create"
    )]
    async fn feed_create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<FeedCreated> {
        let (row, token) = feed::create(&state, &auth.0).await?;
        let url = feed::url(&state, &token);
        let webcal_url = match url.split_once("://") {
            Some((_, rest)) => format!("webcal://{rest}"),
            None => url.clone(),
        };
        Ok(FeedCreated::Created(Json(NewCalendarFeed {
            url,
            webcal_url,
            created_at: rfc3339(row.created_at),
        })))
    }

    /// Revoke the calendar feed address
    ///
    /// Calendar apps subscribed to it get 404 from now on.
    #[oai(
        path = "/calendar/feed",
        method = "delete",
        operation_id = "calendar_feed_revoke"
    )]
    async fn feed_revoke(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<NoContent> {
        feed::revoke(&state, &auth.0).await?;
        Ok(NoContent::Done)
    }

    /// A calendar feed (for calendar apps)
    ///
    /// No session: the secret token in the address is the credential. 404 for an unknown or
    /// revoked address, 401 when its owner's account is no longer active.
    #[oai(
        path = "/calendar/feed/:token",
        method = "get",
        operation_id = "calendar_feed_ics"
    )]
    async fn feed_ics(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        token: Path<String>,
    ) -> ApiResult<FeedBody> {
        let body = feed::serve(&state, &token.0, ctx_of(req)).await?;
        Ok(FeedBody::Ok(
            PlainText(body),
            "private, max-age=300".to_string(),
        ))
    }

    /// Import an iCalendar file
    ///
    /// Each event becomes a meeting the caller organises (no attendees are invited), with its
    /// zone, rule and left-out dates; times without a zone are read in the caller's time zone.
    /// Events already imported (same UID) are skipped; so are events that cannot be carried
    /// over, each with the reason. Needs `meetings.use`.
    #[oai(
        path = "/calendar/import",
        method = "post",
        operation_id = "calendar_import"
    )]
    async fn import(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: IcsBody,
    ) -> ApiResult<Json<CalendarImportReport>> {
        let IcsBody::Ics(bytes) = body;
        let zone = agenda::zone_for(&state, &auth.0, None).await?;
        let r = import::import(&state, &auth.0, zone.name(), bytes.0).await?;
        Ok(Json(CalendarImportReport {
            imported: r
                .imported
                .into_iter()
                .map(|i| CalendarImportedEvent {
                    uid: i.uid,
                    title: i.title,
                    meeting_id: i.meeting_id,
                })
                .collect(),
            skipped: r
                .skipped
                .into_iter()
                .map(|s| CalendarSkippedEvent {
                    uid: s.uid,
                    title: s.title,
                    reason: s.reason,
                })
                .collect(),
            already_imported: r.already_imported as u64,
            other_components: r.other_components as u64,
        }))
    }
}
