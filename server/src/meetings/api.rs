//! `/meetings`: scheduling (`meetings.use`), the caller's occurrences in a range, reading
//! (organiser and attendees), changing and cancelling (organiser), one occurrence changed or
//! cancelled, this-and-following, replies and the attendee's own reminders.
//! Rooms and resources and free/busy are in [`super::resources_api`].

use super::{
    dto::{
        attendees_in, patch, AttendeeReply, Created, IcsResponse, Meeting, MeetingOccurrences,
        MeetingPatch, MeetingReplies, MeetingReply, NewMeeting, OccurrencePatch, OwnReminders,
    },
    occurrences, rsvp,
    service::{self, View},
};
use crate::{
    authn::Session,
    db::rfc3339,
    error::ApiResult,
    http::{instant_param, ApiTags, NoContent},
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::{Json, PlainText},
    OpenApi,
};
use std::sync::Arc;

fn json(v: View) -> ApiResult<Json<Meeting>> {
    Ok(Json(Meeting::from_view(v)?))
}

#[derive(Default)]
pub struct MeetingsApi;

#[OpenApi(tag = "ApiTags::Meetings")]
impl MeetingsApi {
    /// Schedule a meeting
    ///
    /// Attendees (people, departments) get a notice. Booked rooms and resources are checked
    /// against every other booking: 409 `booking_conflict` names the meeting and slot in the
    /// way. Needs `meetings.use`.
    #[oai(path = "/meetings", method = "post", operation_id = "meetings_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<NewMeeting>,
    ) -> ApiResult<Created> {
        let b = body.0;
        let v = service::create(
            &state,
            &auth.0,
            service::Input {
                title: b.title,
                description: b.description,
                location: b.location,
                latitude: b.latitude,
                longitude: b.longitude,
                online_url: b.online_url,
                time_zone: b.time_zone,
                all_day: b.all_day,
                start: b.start,
                end: b.end,
                rrule: b.rrule,
                exdates: b.exdates,
                attendees: attendees_in(b.attendees),
                visibility: b.visibility,
                reminders: b.reminders,
                resource_ids: b.resource_ids,
                attachment_ids: b.attachment_ids,
            },
        )
        .await?;
        Ok(Created::Created(json(v)?))
    }

    /// The caller's occurrences in a range
    ///
    /// Every meeting the caller organises or attends, expanded in its zone between `from`
    /// and `to` (RFC 3339, at most 366 days apart), changed occurrences where they moved,
    /// cancelled ones left out; earliest first, at most `limit` (default 500, at most 2,000).
    #[oai(
        path = "/meetings",
        method = "get",
        operation_id = "meetings_occurrences"
    )]
    async fn occurrences(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        from: Query<String>,
        to: Query<String>,
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<MeetingOccurrences>> {
        let from = instant_param("from", Some(from.0))?.unwrap_or_default();
        let to = instant_param("to", Some(to.0))?.unwrap_or_default();
        let items = occurrences::occurrences_for(
            &state,
            &auth.0,
            from,
            to,
            limit.0.unwrap_or(500) as usize,
        )
        .await?;
        Ok(Json(MeetingOccurrences {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// A meeting
    ///
    /// For its organiser and attendees; 404 for anyone else.
    #[oai(path = "/meetings/:id", method = "get", operation_id = "meetings_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Meeting>> {
        json(service::get(&state, &auth.0, &id.0).await?)
    }

    /// Change a meeting
    ///
    /// The organiser only (attendees 403). A change of time or place resets every reply to
    /// needs-action and notifies the attendees.
    #[oai(
        path = "/meetings/:id",
        method = "patch",
        operation_id = "meetings_update"
    )]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<MeetingPatch>,
    ) -> ApiResult<Json<Meeting>> {
        json(service::update(&state, &auth.0, &id.0, patch(body.0)?).await?)
    }

    /// Cancel a meeting
    ///
    /// The whole series, by its organiser: attendees are told, bookings released.
    #[oai(
        path = "/meetings/:id",
        method = "delete",
        operation_id = "meetings_delete"
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

    /// Change one occurrence
    ///
    /// `start` is the occurrence's original start (RFC 3339). Its new time, title, place or
    /// description; attendees are told.
    #[oai(
        path = "/meetings/:id/occurrences/:start",
        method = "patch",
        operation_id = "meetings_occurrence_update"
    )]
    async fn occurrence_update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        start: Path<String>,
        body: Json<OccurrencePatch>,
    ) -> ApiResult<Json<Meeting>> {
        let b = body.0;
        json(
            occurrences::edit_occurrence(
                &state,
                &auth.0,
                &id.0,
                &start.0,
                occurrences::OccurrencePatch {
                    start: b.start,
                    end: b.end,
                    title: b.title,
                    location: b.location,
                    description: b.description,
                    cancelled: false,
                },
            )
            .await?,
        )
    }

    /// Cancel one occurrence
    ///
    /// The organiser only; it becomes an EXDATE.
    #[oai(
        path = "/meetings/:id/occurrences/:start",
        method = "delete",
        operation_id = "meetings_occurrence_cancel"
    )]
    async fn occurrence_cancel(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        start: Path<String>,
    ) -> ApiResult<Json<Meeting>> {
        json(
            occurrences::edit_occurrence(
                &state,
                &auth.0,
                &id.0,
                &start.0,
                occurrences::OccurrencePatch {
                    cancelled: true,
                    ..Default::default()
                },
            )
            .await?,
        )
    }

    /// This and following
    ///
    /// Split the series at an occurrence (its original start): the series ends before it,
    /// and a new series (returned) starts there with the changes given.
    #[oai(
        path = "/meetings/:id/occurrences/:start/split",
        method = "post",
        operation_id = "meetings_split"
    )]
    async fn split(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        start: Path<String>,
        body: Json<MeetingPatch>,
    ) -> ApiResult<Created> {
        let v = occurrences::split(&state, &auth.0, &id.0, &start.0, patch(body.0)?).await?;
        Ok(Created::Created(json(v)?))
    }

    /// Reply to an invitation
    ///
    /// Accept, tentatively accept or decline, with a comment; for the series or for one
    /// occurrence. The organiser is told.
    #[oai(
        path = "/meetings/:id/reply",
        method = "put",
        operation_id = "meetings_reply"
    )]
    async fn reply(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<MeetingReply>,
    ) -> ApiResult<NoContent> {
        let b = body.0;
        rsvp::reply(
            &state,
            &auth.0,
            &id.0,
            &b.status,
            b.comment.as_deref(),
            b.occurrence.as_deref(),
        )
        .await?;
        Ok(NoContent::Done)
    }

    /// Set one's own reminders
    ///
    /// An attendee's minutes-before instead of the organiser's; `null` goes back to them.
    #[oai(
        path = "/meetings/:id/reminders",
        method = "put",
        operation_id = "meetings_own_reminders"
    )]
    async fn own_reminders(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<OwnReminders>,
    ) -> ApiResult<NoContent> {
        rsvp::own_reminders(&state, &auth.0, &id.0, body.0.reminders).await?;
        Ok(NoContent::Done)
    }

    /// The replies
    ///
    /// The organiser only: every person the attendees cover now, with their answer for the
    /// series (needs_action when none) and for single occurrences.
    #[oai(
        path = "/meetings/:id/replies",
        method = "get",
        operation_id = "meetings_replies"
    )]
    async fn replies(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<MeetingReplies>> {
        let items = rsvp::replies(&state, &auth.0, &id.0).await?;
        Ok(Json(MeetingReplies {
            items: items
                .into_iter()
                .map(|r| AttendeeReply {
                    user_id: r.user_id,
                    display_name: r.display_name,
                    optional: r.optional,
                    occurrence: (r.occurrence != 0).then(|| rfc3339(r.occurrence)),
                    status: r.status,
                    comment: r.comment,
                    updated_at: r.updated_at.map(rfc3339),
                })
                .collect(),
        }))
    }

    /// The meeting as an .ics file
    ///
    /// For its organiser and attendees (`text/calendar`, to import into a calendar app).
    #[oai(
        path = "/meetings/:id/ics",
        method = "get",
        operation_id = "meetings_ics"
    )]
    async fn ics(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<IcsResponse> {
        let body = super::ics::of_meeting(&state, &auth.0, &id.0).await?;
        Ok(IcsResponse::Ok(
            PlainText(body),
            crate::http::content_disposition("meeting.ics"),
        ))
    }
}
