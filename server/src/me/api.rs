//! `/me`: self-service for every signed-in person; no permission needed beyond a session.

use crate::{
    authn::{self, Session},
    error::ApiResult,
    http::{ApiTags, NoContent},
    roles::api::RoleRef,
    users::{
        self,
        api::{SessionInfo, UpdateUser, User},
    },
    AppState,
};
use poem::web::Data;
use poem_openapi::{param::Path, payload::Json, Object, OpenApi};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct TenantRef {
    pub id: String,
    pub slug: String,
}

/// Who I am, what I hold and what I may do.
#[derive(Debug, Object)]
pub struct Me {
    pub user: User,
    pub tenant: TenantRef,
    pub session_id: String,
    pub roles: Vec<RoleRef>,
    /// Effective permission keys, sorted.
    pub permissions: Vec<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Default)]
pub struct MeApi;

#[OpenApi(tag = "ApiTags::Me")]
impl MeApi {
    /// My account, roles and permissions
    #[oai(path = "/me", method = "get", operation_id = "me_get")]
    async fn me(&self, state: Data<&Arc<AppState>>, auth: Session) -> ApiResult<Json<Me>> {
        let p = &auth.0;
        let user = {
            let mut conn = state.db.conn().await?;
            users::service::load(&mut conn, &p.tenant_id, &p.user_id).await?
        };
        let roles = crate::users::roles::user_roles(&state, p, &p.user_id).await?;
        let mut permissions: Vec<String> =
            state.authz.permissions(p).await?.iter().cloned().collect();
        permissions.sort();
        Ok(Json(Me {
            user: user.into(),
            tenant: TenantRef {
                id: p.tenant_id.clone(),
                slug: p.tenant_slug.clone(),
            },
            session_id: p.session_id.clone(),
            roles: roles.into_iter().map(RoleRef::from).collect(),
            permissions,
        }))
    }

    /// Edit my profile
    ///
    /// Name, title and department. Email and phone (the sign-in identifiers) may be removed
    /// (`""`) while the other remains; setting a new one is an admin's task.
    #[oai(path = "/me", method = "patch", operation_id = "me_update")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<UpdateUser>,
    ) -> ApiResult<Json<User>> {
        Ok(Json(
            users::service::update_self(&state, &auth.0, body.0.into())
                .await?
                .into(),
        ))
    }

    /// Change my password
    ///
    /// Every other session of mine ends.
    #[oai(path = "/me/password", method = "post", operation_id = "me_password")]
    async fn password(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<ChangePassword>,
    ) -> ApiResult<NoContent> {
        crate::signin::service::change_password(
            &state,
            &auth.0,
            &body.0.current_password,
            &body.0.new_password,
        )
        .await?;
        Ok(NoContent::Done)
    }

    /// My sessions
    #[oai(path = "/me/sessions", method = "get", operation_id = "me_sessions")]
    async fn sessions(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<Vec<SessionInfo>>> {
        let rows = authn::service::sessions(&state, &auth.0).await?;
        Ok(Json(
            rows.into_iter()
                .map(|s| SessionInfo::of(s, &auth.0.session_id))
                .collect(),
        ))
    }

    /// End one of my sessions
    #[oai(
        path = "/me/sessions/:id",
        method = "delete",
        operation_id = "me_session_revoke"
    )]
    async fn revoke(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        authn::service::revoke_session(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }
}
