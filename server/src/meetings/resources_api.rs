//! `/meeting-resources` (rooms, equipment, vehicles: managed with `meetings.manage`, listed
//! with `meetings.use`) and `/freebusy` (people and resources over a bounded range).

use super::{
    resources::{self, Busy, ResourceInput},
    store::resources::ResourceRow,
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
    payload::Json,
    types::MaybeUndefined,
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct MeetingResource {
    pub id: String,
    pub name: String,
    /// room, equipment or vehicle.
    pub kind: String,
    pub capacity: Option<i64>,
    pub location: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<ResourceRow> for MeetingResource {
    fn from(r: ResourceRow) -> Self {
        MeetingResource {
            id: r.id,
            name: r.name,
            kind: r.kind,
            capacity: r.capacity,
            location: r.location,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct MeetingResources {
    pub items: Vec<MeetingResource>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewMeetingResource {
    /// 1 to 200 characters.
    #[oai(validator(max_length = 1000))]
    pub name: String,
    /// room (default), equipment or vehicle.
    pub kind: Option<String>,
    /// People it holds (1 to 100,000).
    pub capacity: Option<i64>,
    #[oai(validator(max_length = 2000))]
    pub location: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct MeetingResourcePatch {
    #[oai(validator(max_length = 1000))]
    pub name: Option<String>,
    pub kind: Option<String>,
    /// `null` removes it.
    pub capacity: MaybeUndefined<i64>,
    #[oai(validator(max_length = 2000))]
    pub location: Option<String>,
}

#[derive(ApiResponse)]
pub enum ResourceCreated {
    #[oai(status = 201)]
    Created(Json<MeetingResource>),
}

#[derive(Debug, Object)]
pub struct BusySpan {
    pub start_at: String,
    pub end_at: String,
    /// Only when the caller organises or attends the meeting.
    pub meeting_id: Option<String>,
    /// The caller's own meetings, and public ones.
    pub title: Option<String>,
}

#[derive(Debug, Object)]
pub struct FreeBusyOf {
    /// A person's id (`user_id`) or a resource's (`resource_id`).
    pub id: String,
    pub busy: Vec<BusySpan>,
}

#[derive(Debug, Object)]
pub struct FreeBusy {
    pub people: Vec<FreeBusyOf>,
    pub resources: Vec<FreeBusyOf>,
}

fn spans(list: Vec<(String, Vec<Busy>)>) -> Vec<FreeBusyOf> {
    list.into_iter()
        .map(|(id, busy)| FreeBusyOf {
            id,
            busy: busy
                .into_iter()
                .map(|b| BusySpan {
                    start_at: rfc3339(b.start_at),
                    end_at: rfc3339(b.end_at),
                    meeting_id: b.meeting_id,
                    title: b.title,
                })
                .collect(),
        })
        .collect()
}

fn ids(raw: Option<String>) -> Vec<String> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[derive(Default)]
pub struct MeetingResourcesApi;

#[OpenApi(tag = "ApiTags::Meetings")]
impl MeetingResourcesApi {
    /// Add a room or resource
    ///
    /// Needs `meetings.manage`.
    #[oai(
        path = "/meeting-resources",
        method = "post",
        operation_id = "meeting_resources_create"
    )]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<NewMeetingResource>,
    ) -> ApiResult<ResourceCreated> {
        let b = body.0;
        let r = resources::create(
            &state,
            &auth.0,
            ResourceInput {
                name: Some(b.name),
                kind: b.kind,
                capacity: Some(b.capacity),
                location: b.location,
            },
        )
        .await?;
        Ok(ResourceCreated::Created(Json(r.into())))
    }

    /// Rooms and resources
    ///
    /// Needs `meetings.use`.
    #[oai(
        path = "/meeting-resources",
        method = "get",
        operation_id = "meeting_resources_list"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<MeetingResources>> {
        let items = resources::list(&state, &auth.0).await?;
        Ok(Json(MeetingResources {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// A room or resource
    #[oai(
        path = "/meeting-resources/:id",
        method = "get",
        operation_id = "meeting_resources_get"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<MeetingResource>> {
        Ok(Json(resources::get(&state, &auth.0, &id.0).await?.into()))
    }

    /// Change a room or resource
    ///
    /// Needs `meetings.manage`.
    #[oai(
        path = "/meeting-resources/:id",
        method = "patch",
        operation_id = "meeting_resources_update"
    )]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<MeetingResourcePatch>,
    ) -> ApiResult<Json<MeetingResource>> {
        let b = body.0;
        let r = resources::update(
            &state,
            &auth.0,
            &id.0,
            ResourceInput {
                name: b.name,
                kind: b.kind,
                capacity: match b.capacity {
                    MaybeUndefined::Undefined => None,
                    MaybeUndefined::Null => Some(None),
                    MaybeUndefined::Value(c) => Some(Some(c)),
                },
                location: b.location,
            },
        )
        .await?;
        Ok(Json(r.into()))
    }

    /// Remove a room or resource
    ///
    /// Needs `meetings.manage`; 409 while meetings to come book it.
    #[oai(
        path = "/meeting-resources/:id",
        method = "delete",
        operation_id = "meeting_resources_delete"
    )]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        resources::delete(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }

    /// Free/busy
    ///
    /// Busy spans of people (`user_ids`, comma-separated) and rooms and resources
    /// (`resource_ids`) between `from` and `to` (RFC 3339, at most 366 days apart; at most 20
    /// subjects). A person is busy in the meetings they organise or attend and have not
    /// declined; titles show only for the caller's own meetings and public ones. Needs
    /// `meetings.use`.
    #[oai(path = "/freebusy", method = "get", operation_id = "meetings_freebusy")]
    async fn freebusy(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        from: Query<String>,
        to: Query<String>,
        user_ids: Query<Option<String>>,
        resource_ids: Query<Option<String>>,
    ) -> ApiResult<Json<FreeBusy>> {
        let from = instant_param("from", Some(from.0))?.unwrap_or_default();
        let to = instant_param("to", Some(to.0))?.unwrap_or_default();
        let (people, res) = resources::free_busy(
            &state,
            &auth.0,
            &ids(user_ids.0),
            &ids(resource_ids.0),
            from,
            to,
        )
        .await?;
        Ok(Json(FreeBusy {
            people: spans(people),
            resources: spans(res),
        }))
    }
}
