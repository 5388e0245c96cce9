//! `/bulletin/posts`: the tenant's lost-and-found board.

use super::service;
use crate::{
    authn::Session,
    authz::perm,
    db::rfc3339,
    error::ApiResult,
    http::{instant_param, ApiTags, NoContent},
    AppState,
};
use poem::web::Data;
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

/// Where the thing was lost or found.
#[derive(Debug, Object)]
pub struct Place {
    /// Province or city (`Hà Nội`).
    pub province: String,
    /// District; empty when not given.
    pub district: String,
    /// Commune or ward; empty when not given.
    pub commune: String,
    /// Free text: the street, the building, the bus line…; empty when not given.
    pub detail: String,
}

/// A photo of a post: a file, read at `/files/{file_id}` and its thumbnail (JPEG, at most 256
/// pixels) at `/files/{file_id}/thumbnail`, by whoever may read the post.
#[derive(Debug, Object)]
pub struct Photo {
    pub file_id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// The thumbnail: `pending`, `done`, `failed` or `none`.
    pub thumbnail: String,
}

/// The author, while an active person of the tenant.
#[derive(Debug, Object)]
pub struct Author {
    pub id: String,
    /// Absent once the account is disabled or erased.
    pub display_name: Option<String>,
}

#[derive(Debug, Object)]
pub struct Post {
    pub id: String,
    /// `lost` or `found`.
    pub kind: String,
    /// One of `documents`, `wallet`, `keys`, `phone`, `electronics`, `bag`, `clothing`,
    /// `jewelry`, `pet`, `vehicle`, `other`.
    pub category: String,
    /// The day it was lost or found (`YYYY-MM-DD`).
    pub occurred_on: String,
    pub place: Place,
    pub title: String,
    pub description: String,
    pub photos: Vec<Photo>,
    /// How the author wants to be reached: `message` (in Stoa), `phone` or `email`.
    pub contact_preference: String,
    /// What the author adds about contacting them; empty when nothing.
    pub contact_note: String,
    /// `open`, or `resolved` once the author marked it so.
    pub status: String,
    pub resolved_at: Option<String>,
    /// After this instant the post is off the board (and later purged by retention).
    pub expires_at: String,
    pub author: Author,
    /// Whether the caller wrote it (and so may edit, resolve and withdraw it).
    pub mine: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<service::Post> for Post {
    fn from(p: service::Post) -> Self {
        let r = p.row;
        Post {
            id: r.id,
            kind: r.kind,
            category: r.category,
            occurred_on: r.occurred_on,
            place: Place {
                province: r.province,
                district: r.district,
                commune: r.commune,
                detail: r.place_detail,
            },
            title: r.title,
            description: r.description,
            photos: p
                .photos
                .into_iter()
                .map(|f| Photo {
                    file_id: f.id,
                    name: f.name,
                    content_type: f.content_type,
                    size: f.size,
                    thumbnail: f.preview_status,
                })
                .collect(),
            contact_preference: r.contact_preference,
            contact_note: r.contact_note,
            status: r.status,
            resolved_at: r.resolved_at.map(rfc3339),
            expires_at: rfc3339(r.expires_at),
            author: Author {
                id: r.author_id,
                display_name: p.author_name,
            },
            mine: p.mine,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Object)]
pub struct PostPage {
    pub items: Vec<Post>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewPost {
    /// `lost` or `found`.
    #[oai(validator(max_length = 20))]
    pub kind: String,
    /// One of `documents`, `wallet`, `keys`, `phone`, `electronics`, `bag`, `clothing`,
    /// `jewelry`, `pet`, `vehicle`, `other`.
    #[oai(validator(max_length = 40))]
    pub category: String,
    /// The day it was lost or found (`YYYY-MM-DD`), not in the future.
    #[oai(validator(max_length = 20))]
    pub occurred_on: String,
    /// Province or city: 1 to 100 characters.
    #[oai(validator(max_length = 400))]
    pub province: String,
    /// District: up to 100 characters.
    #[oai(validator(max_length = 400))]
    pub district: Option<String>,
    /// Commune or ward: up to 100 characters.
    #[oai(validator(max_length = 400))]
    pub commune: Option<String>,
    /// Free text about the place: up to 300 characters.
    #[oai(validator(max_length = 1200))]
    pub place_detail: Option<String>,
    /// 1 to 200 characters.
    #[oai(validator(max_length = 800))]
    pub title: String,
    /// 1 to 4000 characters.
    #[oai(validator(max_length = 16000))]
    pub description: String,
    /// `message`, `phone` or `email`.
    #[oai(validator(max_length = 20))]
    pub contact_preference: String,
    /// Up to 200 characters.
    #[oai(validator(max_length = 800))]
    pub contact_note: Option<String>,
    /// Images (JPEG, PNG, GIF, WebP) the caller uploaded with `POST /files`, at most 6, each
    /// on one post only.
    #[oai(default, validator(max_items = 50))]
    pub photo_ids: Vec<String>,
    /// RFC 3339; in the future, at most 180 days away. Absent: 30 days from now.
    #[oai(validator(max_length = 64))]
    pub expires_at: Option<String>,
}

/// A change to one's own post: absent fields stay; an empty `district`, `commune`,
/// `place_detail` or `contact_note` clears it; `photo_ids` replaces the photos (those taken
/// off are deleted).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PostPatch {
    #[oai(validator(max_length = 20))]
    pub kind: Option<String>,
    #[oai(validator(max_length = 40))]
    pub category: Option<String>,
    #[oai(validator(max_length = 20))]
    pub occurred_on: Option<String>,
    #[oai(validator(max_length = 400))]
    pub province: Option<String>,
    #[oai(validator(max_length = 400))]
    pub district: Option<String>,
    #[oai(validator(max_length = 400))]
    pub commune: Option<String>,
    #[oai(validator(max_length = 1200))]
    pub place_detail: Option<String>,
    #[oai(validator(max_length = 800))]
    pub title: Option<String>,
    #[oai(validator(max_length = 16000))]
    pub description: Option<String>,
    #[oai(validator(max_length = 20))]
    pub contact_preference: Option<String>,
    #[oai(validator(max_length = 800))]
    pub contact_note: Option<String>,
    #[oai(validator(max_items = 50))]
    pub photo_ids: Option<Vec<String>>,
    /// RFC 3339; in the future, at most 180 days away.
    #[oai(validator(max_length = 64))]
    pub expires_at: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct Removal {
    /// Why the post is removed (1 to 500 characters): kept in the audit log.
    #[oai(validator(max_length = 2000))]
    pub reason: String,
}

#[derive(ApiResponse)]
pub enum PostCreated {
    #[oai(status = 201)]
    Created(Json<Post>),
}

#[derive(Default)]
pub struct BulletinApi;

#[OpenApi(tag = "ApiTags::Bulletin")]
impl BulletinApi {
    /// The board
    ///
    /// Posts not expired, newest first. Filters: `kind` (`lost`, `found`), `category`,
    /// `status` (`open`, `resolved`), `province`, `district`, `commune` (each the whole name,
    /// ignoring case and accents: `ha noi` finds `Hà Nội`), `q` (words in the title,
    /// description or place, ignoring case and accents), `mine=true` (the caller's own).
    /// Needs `bulletin.post`.
    #[oai(
        path = "/bulletin/posts",
        method = "get",
        operation_id = "bulletin_posts_list"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        kind: Query<Option<String>>,
        category: Query<Option<String>>,
        status: Query<Option<String>>,
        province: Query<Option<String>>,
        district: Query<Option<String>>,
        commune: Query<Option<String>>,
        q: Query<Option<String>>,
        mine: Query<Option<bool>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<PostPage>> {
        let (items, next_cursor) = service::list(
            &state,
            &auth.0,
            service::Browse {
                kind: kind.0,
                category: category.0,
                status: status.0,
                province: province.0,
                district: district.0,
                commune: commune.0,
                q: q.0,
                mine: mine.0.unwrap_or(false),
                limit: limit.0,
                cursor: cursor.0,
            },
        )
        .await?;
        Ok(Json(PostPage {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// Post on the board
    ///
    /// A lost or found thing, with photos the caller uploaded first (`POST /files`). Needs
    /// `bulletin.post`.
    #[oai(
        path = "/bulletin/posts",
        method = "post",
        operation_id = "bulletin_posts_create"
    )]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<NewPost>,
    ) -> ApiResult<PostCreated> {
        let g = state.authz.require(&auth.0, perm::BULLETIN_POST).await?;
        let b = body.0;
        let expires_at = instant_param("expires_at", b.expires_at)?;
        let post = service::create(
            &state,
            &g,
            service::Draft {
                kind: b.kind,
                category: b.category,
                occurred_on: b.occurred_on,
                province: b.province,
                district: b.district,
                commune: b.commune,
                place_detail: b.place_detail,
                title: b.title,
                description: b.description,
                contact_preference: b.contact_preference,
                contact_note: b.contact_note,
                photo_ids: b.photo_ids,
                expires_at,
            },
        )
        .await?;
        Ok(PostCreated::Created(Json(post.into())))
    }

    /// A post
    ///
    /// Expired posts answer 404. Needs `bulletin.post`.
    #[oai(
        path = "/bulletin/posts/:id",
        method = "get",
        operation_id = "bulletin_posts_get"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Post>> {
        Ok(Json(service::get(&state, &auth.0, &id.0).await?.into()))
    }

    /// Edit one's own post
    ///
    /// Only the author (403 for others who can see it). Needs `bulletin.post`.
    #[oai(
        path = "/bulletin/posts/:id",
        method = "patch",
        operation_id = "bulletin_posts_update"
    )]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<PostPatch>,
    ) -> ApiResult<Json<Post>> {
        let g = state.authz.require(&auth.0, perm::BULLETIN_POST).await?;
        let b = body.0;
        let expires_at = instant_param("expires_at", b.expires_at)?;
        let post = service::update(
            &state,
            &g,
            &id.0,
            service::Patch {
                kind: b.kind,
                category: b.category,
                occurred_on: b.occurred_on,
                province: b.province,
                district: b.district,
                commune: b.commune,
                place_detail: b.place_detail,
                title: b.title,
                description: b.description,
                contact_preference: b.contact_preference,
                contact_note: b.contact_note,
                photo_ids: b.photo_ids,
                expires_at,
            },
        )
        .await?;
        Ok(Json(post.into()))
    }

    /// Mark one's own post resolved
    ///
    /// The thing was returned or found; the post stays on the board as `resolved` until it
    /// expires. Only the author. Needs `bulletin.post`.
    #[oai(
        path = "/bulletin/posts/:id/resolve",
        method = "post",
        operation_id = "bulletin_posts_resolve"
    )]
    async fn resolve(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Post>> {
        let g = state.authz.require(&auth.0, perm::BULLETIN_POST).await?;
        Ok(Json(service::resolve(&state, &g, &id.0).await?.into()))
    }

    /// Withdraw one's own post
    ///
    /// It goes from every store, with its photos. Only the author (a moderator removes others'
    /// posts with `POST /bulletin/posts/{id}/removal`); 409 `legal_hold` while a hold covers
    /// it. Needs `bulletin.post`.
    #[oai(
        path = "/bulletin/posts/:id",
        method = "delete",
        operation_id = "bulletin_posts_delete"
    )]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        let g = state.authz.require(&auth.0, perm::BULLETIN_POST).await?;
        service::delete(&state, &g, &id.0).await?;
        Ok(NoContent::Done)
    }

    /// Remove a post (moderation)
    ///
    /// Anyone's post, expired or not, goes from every store with its photos; the audit log
    /// keeps the reason. 409 `legal_hold` while a hold covers it. Needs `bulletin.moderate`.
    #[oai(
        path = "/bulletin/posts/:id/removal",
        method = "post",
        operation_id = "bulletin_posts_remove"
    )]
    async fn remove(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<Removal>,
    ) -> ApiResult<NoContent> {
        let g = state
            .authz
            .require(&auth.0, perm::BULLETIN_MODERATE)
            .await?;
        service::remove(&state, &g, &id.0, &body.0.reason).await?;
        Ok(NoContent::Done)
    }
}
