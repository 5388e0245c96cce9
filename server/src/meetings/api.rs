//! `/meetings`: scheduling (`meetings.use`), the caller's occurrences in a range, reading
//! (organiser and attendees), changing and cancelling (organiser), one occurrence changed or
//! cancelled, this-and-following, replies and the attendee's own reminders.
//! Rooms and resources and free/busy are in [`super::resources_api`].

use super::{
    occurrences, recur, rsvp,
    service::{self, AttendeeIn, Occurrence, Role, View},
};
use crate::{
    authn::Session,
    db::rfc3339,
    directory::audience::Target,
    error::{ApiError, ApiResult},
    http::{instant_param, ApiTags, NoContent},
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::{Json, PlainText},
    types::MaybeUndefined,
    ApiResponse, Enum, Object, OpenApi,
};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "MeetingAttendeeKind", rename_all = "snake_case")]
pub enum AttendeeKind {
    Person,
    /// The department's members now (with `subtree`, its sub-departments' too).
    Department,
}

/// An attendee: a person, or a department's members.
#[derive(Debug, Clone, Object)]
pub struct MeetingAttendee {
    pub kind: AttendeeKind,
    pub id: String,
    /// For a department: its sub-departments' members too.
    #[oai(default)]
    pub subtree: bool,
    /// Invited as optional.
    #[oai(default)]
    pub optional: bool,
}

fn attendees_in(raw: Vec<MeetingAttendee>) -> Vec<AttendeeIn> {
    raw.into_iter()
        .map(|a| AttendeeIn {
            target: match a.kind {
                AttendeeKind::Person => Target::Person(a.id),
                AttendeeKind::Department => Target::Department {
                    id: a.id,
                    subtree: a.subtree,
                },
            },
            optional: a.optional,
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "MeetingRole", rename_all = "snake_case")]
pub enum MeetingRole {
    Organiser,
    Attendee,
}

/// A file attached to a meeting (download it at `/files/{id}/content`).
#[derive(Debug, Object)]
pub struct MeetingAttachment {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

/// One occurrence changed or cancelled.
#[derive(Debug, Object)]
pub struct OccurrenceChange {
    /// The start the rule gives it (RECURRENCE-ID).
    pub original_start: String,
    pub cancelled: bool,
    pub start_at: Option<String>,
    pub end_at: Option<String>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Object)]
pub struct Meeting {
    pub id: String,
    pub organiser_id: String,
    pub title: String,
    pub description: String,
    pub location: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub online_url: Option<String>,
    /// IANA zone the meeting's wall-clock times are in.
    pub time_zone: String,
    pub all_day: bool,
    /// The first occurrence's start: wall-clock in `time_zone` (a date when all-day).
    pub start: String,
    /// Its end: wall-clock (the last day, inclusive, when all-day).
    pub end: String,
    pub start_at: String,
    pub end_at: String,
    /// RFC 5545 RRULE value, when recurring.
    pub rrule: Option<String>,
    /// The end of the last occurrence; absent for a series without end.
    pub last_end_at: Option<String>,
    /// `busy` (others see busy time only) or `public` (others see the title in free/busy).
    pub visibility: String,
    /// The organiser's reminders, minutes before.
    pub reminders: Vec<i64>,
    pub attendees: Vec<MeetingAttendee>,
    pub resource_ids: Vec<String>,
    pub attachments: Vec<MeetingAttachment>,
    /// Occurrences changed or cancelled (EXDATEs are cancelled ones).
    pub exceptions: Vec<OccurrenceChange>,
    /// Bumped by each change of time or place.
    pub sequence: i64,
    pub my_role: MeetingRole,
    /// The caller's answer for the series: needs_action, accepted, tentative, declined.
    pub my_status: String,
    pub my_comment: String,
    /// The caller's own reminders, when set (else the organiser's apply).
    pub my_reminders: Option<Vec<i64>>,
    pub created_at: String,
    pub updated_at: String,
}

impl Meeting {
    fn from_view(v: View) -> ApiResult<Meeting> {
        let m = v.m;
        let tz = recur::zone("time_zone", &m.time_zone)?;
        let all_day = m.all_day == 1;
        let (start, end) = if all_day {
            (
                recur::local_date(tz, m.start_at).to_string(),
                (recur::local_date(tz, m.end_at) - chrono::Duration::days(1)).to_string(),
            )
        } else {
            (
                recur::local_string(tz, m.start_at),
                recur::local_string(tz, m.end_at),
            )
        };
        Ok(Meeting {
            attendees: v
                .attendees
                .iter()
                .filter_map(|a| {
                    let (kind, id, subtree) = match Target::from_token(&a.token)? {
                        Target::Person(id) => (AttendeeKind::Person, id, false),
                        Target::Department { id, subtree } => {
                            (AttendeeKind::Department, id, subtree)
                        }
                        _ => return None,
                    };
                    Some(MeetingAttendee {
                        kind,
                        id,
                        subtree,
                        optional: a.optional == 1,
                    })
                })
                .collect(),
            attachments: v
                .attachments
                .into_iter()
                .map(|f| MeetingAttachment {
                    id: f.id,
                    name: f.name,
                    content_type: f.content_type,
                    size: f.size,
                })
                .collect(),
            exceptions: v
                .exceptions
                .into_iter()
                .map(|x| OccurrenceChange {
                    original_start: rfc3339(x.original_start),
                    cancelled: x.cancelled == 1,
                    start_at: x.start_at.map(rfc3339),
                    end_at: x.end_at.map(rfc3339),
                    title: x.title,
                    location: x.location,
                    description: x.description,
                })
                .collect(),
            resource_ids: v.resource_ids,
            my_role: match v.role {
                Role::Organiser => MeetingRole::Organiser,
                Role::Attendee => MeetingRole::Attendee,
            },
            my_status: v.my_status,
            my_comment: v.my_comment,
            my_reminders: v.my_reminders,
            reminders: service::parse_reminders(&m.reminders),
            id: m.id,
            organiser_id: m.organiser_id,
            title: m.title,
            description: m.description,
            location: m.location,
            latitude: m.latitude,
            longitude: m.longitude,
            online_url: m.online_url,
            time_zone: m.time_zone,
            all_day,
            start,
            end,
            start_at: rfc3339(m.start_at),
            end_at: rfc3339(m.end_at),
            rrule: m.rrule,
            last_end_at: m.last_end_at.map(rfc3339),
            visibility: m.visibility,
            sequence: m.sequence,
            created_at: rfc3339(m.created_at),
            updated_at: rfc3339(m.updated_at),
        })
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewMeeting {
    /// 1 to 200 characters.
    #[oai(validator(max_length = 1000))]
    pub title: String,
    #[oai(validator(max_length = 50000))]
    pub description: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub location: Option<String>,
    /// With `longitude`: -90 to 90.
    pub latitude: Option<f64>,
    /// With `latitude`: -180 to 180.
    pub longitude: Option<f64>,
    /// An http or https link to the online meeting.
    #[oai(validator(max_length = 4000))]
    pub online_url: Option<String>,
    /// IANA zone, e.g. Europe/Berlin.
    #[oai(validator(max_length = 100))]
    pub time_zone: String,
    #[oai(default)]
    pub all_day: bool,
    /// Wall-clock in `time_zone` (`2026-03-02T09:00`) or an RFC 3339 instant; a date
    /// (`2026-03-02`) when all-day.
    #[oai(validator(max_length = 100))]
    pub start: String,
    /// As `start`; for all-day meetings the last day (inclusive).
    #[oai(validator(max_length = 100))]
    pub end: String,
    /// RFC 5545 RRULE value: FREQ (DAILY, WEEKLY, MONTHLY, YEARLY), INTERVAL, COUNT or
    /// UNTIL, BYDAY (`2TU`, `-1FR`), BYMONTHDAY, BYMONTH, BYSETPOS, WKST.
    #[oai(validator(max_length = 1000))]
    pub rrule: Option<String>,
    /// Occurrences left out (EXDATE): their starts, as `start`.
    #[oai(default)]
    pub exdates: Vec<String>,
    #[oai(default)]
    pub attendees: Vec<MeetingAttendee>,
    /// `busy` (default) or `public`.
    pub visibility: Option<String>,
    /// Minutes before each occurrence (at most 5, each 0 to 40,320).
    #[oai(default)]
    pub reminders: Vec<i64>,
    /// Rooms and resources to book (409 `booking_conflict` when taken).
    #[oai(default)]
    pub resource_ids: Vec<String>,
    /// Files the organiser uploaded (at most 10); attendees may download them.
    #[oai(default)]
    pub attachment_ids: Vec<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct MeetingPatch {
    #[oai(validator(max_length = 1000))]
    pub title: Option<String>,
    #[oai(validator(max_length = 50000))]
    pub description: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub location: Option<String>,
    /// `null` (with `longitude` null) removes the coordinates.
    pub latitude: MaybeUndefined<f64>,
    pub longitude: MaybeUndefined<f64>,
    /// `null` removes the link.
    pub online_url: MaybeUndefined<String>,
    pub time_zone: Option<String>,
    pub all_day: Option<bool>,
    /// A new time gives `start` and `end` together.
    pub start: Option<String>,
    pub end: Option<String>,
    /// `null` makes it a single meeting.
    pub rrule: MaybeUndefined<String>,
    /// Replaces the attendees.
    pub attendees: Option<Vec<MeetingAttendee>>,
    pub visibility: Option<String>,
    pub reminders: Option<Vec<i64>>,
    /// Replaces the booked rooms and resources.
    pub resource_ids: Option<Vec<String>>,
    /// Replaces the attachments.
    pub attachment_ids: Option<Vec<String>>,
}

fn patch(b: MeetingPatch) -> ApiResult<service::Patch> {
    let coordinates = match (b.latitude, b.longitude) {
        (MaybeUndefined::Undefined, MaybeUndefined::Undefined) => None,
        (MaybeUndefined::Null, MaybeUndefined::Null) => Some(None),
        (MaybeUndefined::Value(a), MaybeUndefined::Value(o)) => Some(Some((a, o))),
        _ => {
            return Err(ApiError::validation(
                "latitude",
                "give latitude and longitude together",
            ))
        }
    };
    Ok(service::Patch {
        title: b.title,
        description: b.description,
        location: b.location,
        coordinates,
        online_url: match b.online_url {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(u) => Some(Some(u)),
        },
        time_zone: b.time_zone,
        all_day: b.all_day,
        start: b.start,
        end: b.end,
        rrule: match b.rrule {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(r) => Some(Some(r)),
        },
        attendees: b.attendees.map(attendees_in),
        visibility: b.visibility,
        reminders: b.reminders,
        resource_ids: b.resource_ids,
        attachment_ids: b.attachment_ids,
    })
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct OccurrencePatch {
    /// Wall-clock in the meeting's zone or RFC 3339; with `end`.
    pub start: Option<String>,
    pub end: Option<String>,
    #[oai(validator(max_length = 1000))]
    pub title: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub location: Option<String>,
    #[oai(validator(max_length = 50000))]
    pub description: Option<String>,
}

#[derive(Debug, Object)]
pub struct MeetingOccurrence {
    pub meeting_id: String,
    /// Its key for changes and replies (RECURRENCE-ID).
    pub original_start: String,
    pub start_at: String,
    pub end_at: String,
    /// Wall-clock start in `time_zone`.
    pub start_local: String,
    pub time_zone: String,
    pub all_day: bool,
    pub title: Option<String>,
    pub location: Option<String>,
    pub recurring: bool,
    /// The caller's answer (absent for the organiser).
    pub my_status: Option<String>,
}

impl From<Occurrence> for MeetingOccurrence {
    fn from(o: Occurrence) -> Self {
        let start_local = recur::zone("time_zone", &o.time_zone)
            .map(|tz| recur::local_string(tz, o.start_at))
            .unwrap_or_default();
        MeetingOccurrence {
            meeting_id: o.meeting_id,
            original_start: rfc3339(o.original_start),
            start_at: rfc3339(o.start_at),
            end_at: rfc3339(o.end_at),
            start_local,
            time_zone: o.time_zone,
            all_day: o.all_day,
            title: o.title,
            location: o.location,
            recurring: o.recurring,
            my_status: o.my_status,
        }
    }
}

#[derive(Debug, Object)]
pub struct MeetingOccurrences {
    pub items: Vec<MeetingOccurrence>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct MeetingReply {
    /// accepted, tentative or declined.
    #[oai(validator(max_length = 50))]
    pub status: String,
    #[oai(validator(max_length = 5000))]
    pub comment: Option<String>,
    /// One occurrence only: its original start (RFC 3339).
    pub occurrence: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct OwnReminders {
    /// Minutes before; `null` goes back to the organiser's.
    pub reminders: Option<Vec<i64>>,
}

#[derive(Debug, Object)]
pub struct AttendeeReply {
    pub user_id: String,
    pub display_name: String,
    pub optional: bool,
    /// Absent: the series; else the occurrence's original start.
    pub occurrence: Option<String>,
    pub status: String,
    pub comment: String,
    pub updated_at: Option<String>,
}

#[derive(Debug, Object)]
pub struct MeetingReplies {
    pub items: Vec<AttendeeReply>,
}

#[derive(ApiResponse)]
pub enum IcsResponse {
    /// iCalendar (RFC 5545): VTIMEZONE, the VEVENT with RRULE and EXDATE, a VEVENT per changed
    /// occurrence (RECURRENCE-ID).
    #[oai(status = 200, content_type = "text/calendar")]
    Ok(
        PlainText<String>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

#[derive(ApiResponse)]
pub enum Created {
    #[oai(status = 201)]
    Created(Json<Meeting>),
}

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
