//! `/users`: account administration.

use super::{invitations, roles, service, store::UserRow};
use crate::{
    authn::Session,
    db::rfc3339,
    error::ApiResult,
    http::{ApiTags, NoContent},
    roles::api::RoleRef,
    AppState,
};
use poem::web::Data;
use poem_openapi::{param::Path, param::Query, payload::Json, ApiResponse, Object, OpenApi};
use std::sync::Arc;

/// A person's account.
#[derive(Debug, Object)]
pub struct User {
    pub id: String,
    pub email: Option<String>,
    /// E.164, e.g. `+84912345678`.
    pub phone: Option<String>,
    pub display_name: String,
    pub title: Option<String>,
    pub department: Option<String>,
    /// `invited` (no password yet), `active`, `disabled`, `pending_erasure` (deletion asked
    /// for, in its grace period) or `erased` (only the pseudonym is left).
    pub status: String,
    /// Language of the mail and text messages Stoa sends the person: `en`, `vi` or `zh`
    /// (absent: the language of the request that made the message, else English).
    pub locale: Option<String>,
    /// The person's IANA time zone (`Asia/Ho_Chi_Minh`): the agenda, reminders and calendar
    /// feeds show times in it (absent: UTC).
    pub time_zone: Option<String>,
    /// A code sent to the email came back: password reset by email works.
    pub email_verified: bool,
    /// A code sent to the phone came back.
    pub phone_verified: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<UserRow> for User {
    fn from(u: UserRow) -> Self {
        User {
            id: u.id,
            email: u.email,
            phone: u.phone,
            display_name: u.display_name,
            title: u.title,
            department: u.department,
            status: u.status,
            locale: u.locale,
            time_zone: u.time_zone,
            email_verified: u.email_verified_at.is_some(),
            phone_verified: u.phone_verified_at.is_some(),
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}

/// A one-time link for setting a password; hand it to the person (when mail is configured and
/// the person has an email, it was also mailed to them: `mailed`).
#[derive(Debug, Object)]
pub struct InvitationLink {
    pub token: String,
    pub url: String,
    pub expires_at: String,
    pub mailed: bool,
}

impl From<invitations::Invitation> for InvitationLink {
    fn from(i: invitations::Invitation) -> Self {
        InvitationLink {
            token: i.token,
            url: i.url,
            expires_at: rfc3339(i.expires_at),
            mailed: i.mailed,
        }
    }
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateUser {
    #[oai(validator(max_length = 200))]
    pub display_name: String,
    pub email: Option<String>,
    /// E.164 phone number.
    pub phone: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    /// `en`, `vi` or `zh`: the language of the invitation mail and later messages.
    pub locale: Option<String>,
    /// Role ids; omitted or empty gives the built-in `staff` role (needs `roles.manage` otherwise).
    #[oai(default)]
    pub role_ids: Vec<String>,
}

#[derive(Debug, Object)]
pub struct CreatedUser {
    pub user: User,
    pub invitation: InvitationLink,
}

#[derive(ApiResponse)]
pub enum CreateUserResponse {
    /// The account exists in status `invited`.
    #[oai(status = 201)]
    Created(Json<CreatedUser>),
}

/// Fields to change; omitted fields stay as they are, an empty string clears an optional field.
#[derive(Debug, Object, Default)]
#[oai(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    /// `en`, `vi` or `zh`; `""` clears it.
    pub locale: Option<String>,
    /// An IANA time zone (`Europe/Berlin`); `""` clears it.
    pub time_zone: Option<String>,
}

impl From<UpdateUser> for service::ProfilePatch {
    fn from(u: UpdateUser) -> Self {
        service::ProfilePatch {
            display_name: u.display_name,
            email: u.email,
            phone: u.phone,
            title: u.title,
            department: u.department,
            locale: u.locale,
            time_zone: u.time_zone,
        }
    }
}

#[derive(Debug, Object)]
pub struct UserPage {
    pub items: Vec<User>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SetRoles {
    pub role_ids: Vec<String>,
}

/// How many accounts a tenant has, per status.
#[derive(Debug, Default, Object)]
pub struct UserCounts {
    pub invited: u64,
    pub active: u64,
    pub disabled: u64,
    pub pending_erasure: u64,
    pub erased: u64,
    pub total: u64,
}

#[derive(Default)]
pub struct UsersApi;

#[OpenApi(tag = "ApiTags::Users")]
impl UsersApi {
    /// List and search users
    ///
    /// `q` matches name, email, phone, title and department; `status` filters by the status
    /// shown; `role_id` keeps the holders of that role (who holds a role). Needs `users.read`.
    #[oai(path = "/users", method = "get", operation_id = "users_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        q: Query<Option<String>>,
        status: Query<Option<String>>,
        role_id: Query<Option<String>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<UserPage>> {
        let (rows, next) = service::list(
            &state,
            &auth.0,
            service::ListFilter {
                q: q.0.as_deref(),
                status: status.0.as_deref(),
                role_id: role_id.0.as_deref(),
            },
            cursor.0.as_deref(),
            limit.0,
        )
        .await?;
        Ok(Json(UserPage {
            items: rows.into_iter().map(User::from).collect(),
            next_cursor: next,
        }))
    }

    /// Count people by status
    ///
    /// How many accounts the tenant has in each status shown (`invited`, `active`,
    /// `disabled`, `pending_erasure`, `erased`) and in all. Needs `users.read`.
    #[oai(path = "/users/counts", method = "get", operation_id = "users_counts")]
    async fn counts(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<UserCounts>> {
        let mut c = UserCounts::default();
        for (status, n) in service::counts(&state, &auth.0).await? {
            let n = u64::try_from(n).unwrap_or(0);
            c.total += n;
            match status.as_str() {
                "invited" => c.invited = n,
                "active" => c.active = n,
                "disabled" => c.disabled = n,
                "pending_erasure" => c.pending_erasure = n,
                "erased" => c.erased = n,
                _ => {}
            }
        }
        Ok(Json(c))
    }

    /// Invite a user
    ///
    /// Creates the account and a one-time invitation link. Needs `users.manage`.
    #[oai(path = "/users", method = "post", operation_id = "users_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<CreateUser>,
    ) -> ApiResult<CreateUserResponse> {
        let b = body.0;
        let input = service::NewUser {
            display_name: b.display_name,
            email: b.email,
            phone: b.phone,
            title: b.title,
            department: b.department,
            locale: b.locale,
            role_ids: b.role_ids,
        };
        let (user, inv) = service::create(&state, &auth.0, input).await?;
        Ok(CreateUserResponse::Created(Json(CreatedUser {
            user: user.into(),
            invitation: inv.into(),
        })))
    }

    /// Read a user
    #[oai(path = "/users/:id", method = "get", operation_id = "users_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<User>> {
        Ok(Json(service::get(&state, &auth.0, &id.0).await?.into()))
    }

    /// Edit a user's profile and sign-in identifiers
    #[oai(path = "/users/:id", method = "patch", operation_id = "users_update")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<UpdateUser>,
    ) -> ApiResult<Json<User>> {
        Ok(Json(
            service::update(&state, &auth.0, &id.0, body.0.into())
                .await?
                .into(),
        ))
    }

    /// Disable an account
    ///
    /// Every session of the account ends at once. Refused for the tenant's last active admin.
    #[oai(
        path = "/users/:id/disable",
        method = "post",
        operation_id = "users_disable"
    )]
    async fn disable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<User>> {
        Ok(Json(
            service::set_disabled(&state, &auth.0, &id.0, true)
                .await?
                .into(),
        ))
    }

    /// Re-enable an account
    #[oai(
        path = "/users/:id/enable",
        method = "post",
        operation_id = "users_enable"
    )]
    async fn enable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<User>> {
        Ok(Json(
            service::set_disabled(&state, &auth.0, &id.0, false)
                .await?
                .into(),
        ))
    }

    /// Issue a new invitation link
    ///
    /// Replaces any earlier unused link; also how an admin lets someone set a new password.
    #[oai(
        path = "/users/:id/invitation",
        method = "post",
        operation_id = "users_invite"
    )]
    async fn invite(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<InvitationLink>> {
        Ok(Json(
            service::reissue_invitation(&state, &auth.0, &id.0)
                .await?
                .into(),
        ))
    }

    /// Roles a user holds
    #[oai(
        path = "/users/:id/roles",
        method = "get",
        operation_id = "users_roles_get"
    )]
    async fn roles(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Vec<RoleRef>>> {
        let roles = roles::user_roles(&state, &auth.0, &id.0).await?;
        Ok(Json(roles.into_iter().map(RoleRef::from).collect()))
    }

    /// Replace the roles a user holds
    ///
    /// Takes effect on the user's very next request. Needs `roles.manage`.
    #[oai(
        path = "/users/:id/roles",
        method = "put",
        operation_id = "users_roles_set"
    )]
    async fn set_roles(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        body: Json<SetRoles>,
    ) -> ApiResult<Json<Vec<RoleRef>>> {
        let roles = roles::set_user_roles(&state, &auth.0, &id.0, &body.0.role_ids).await?;
        Ok(Json(roles.into_iter().map(RoleRef::from).collect()))
    }

    /// A person's sessions
    ///
    /// Their live sessions (apps and browsers), newest first; `current` marks the caller's own.
    /// Needs `users.manage`, for someone whose permissions are within the caller's.
    #[oai(
        path = "/users/:id/sessions",
        method = "get",
        operation_id = "users_sessions"
    )]
    async fn sessions(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<Json<Vec<SessionInfo>>> {
        let rows = service::sessions(&state, &auth.0, &id.0).await?;
        Ok(Json(
            rows.into_iter()
                .map(|s| SessionInfo::of(s, &auth.0.session_id))
                .collect(),
        ))
    }

    /// End a person's session
    ///
    /// That app or browser is signed out at once (its connections close). Needs
    /// `users.manage`, for someone whose permissions are within the caller's.
    #[oai(
        path = "/users/:id/sessions/:session_id",
        method = "delete",
        operation_id = "users_session_revoke"
    )]
    async fn revoke_session(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
        session_id: Path<String>,
    ) -> ApiResult<NoContent> {
        service::revoke_session(&state, &auth.0, &id.0, &session_id.0).await?;
        Ok(NoContent::Done)
    }
}

/// A signed-in session as shown to its owner (`/me/sessions`) and to an admin
/// (`/users/{id}/sessions`).
#[derive(Debug, Object)]
pub struct SessionInfo {
    pub id: String,
    /// Device name given at sign-in, or the browser's user agent.
    pub device: String,
    pub ip: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    /// True for the session making this request.
    pub current: bool,
}

impl SessionInfo {
    /// A stored session as shown; `current` when it is the one making the request.
    pub fn of(s: crate::authn::store::SessionRow, current_session: &str) -> Self {
        SessionInfo {
            current: s.id == current_session,
            id: s.id,
            device: s.device,
            ip: s.ip,
            created_at: rfc3339(s.created_at),
            last_seen_at: rfc3339(s.last_seen_at),
            expires_at: rfc3339(s.expires_at),
        }
    }
}
