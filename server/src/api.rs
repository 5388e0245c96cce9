//! The API surface: every feature's `#[OpenApi]` impl merged in one place, the spec, tags and
//! the small response types shared by all of them.

use poem_openapi::{ApiResponse, OpenApiService, Tags};

#[derive(Tags)]
pub enum ApiTags {
    /// First-run setup of an empty install.
    Setup,
    /// Sign-in, sign-out and invitations.
    Auth,
    /// The signed-in person's own account.
    Me,
    /// User accounts of the tenant (admins).
    Users,
    /// Roles and the permission catalogue (admins).
    Roles,
    /// The tenant's tamper-evident audit log (admins).
    Audit,
    /// Rooms, members, messages, read state and catch-up.
    Messaging,
    /// Document spaces, folders, documents, versions, sharing, trash and storage.
    Documents,
    /// Uploaded files: upload, download, delete, storage usage.
    Files,
    /// Search across everything the caller may read.
    Search,
    /// Install-wide tenant management by the platform operator.
    Operator,
}

/// An optional RFC 3339 instant from a query parameter, as epoch milliseconds; a 422 naming
/// `field` when it does not parse.
pub fn instant_param(
    field: &str,
    v: Option<String>,
) -> Result<Option<i64>, crate::error::ApiError> {
    v.map(|s| {
        crate::db::parse_rfc3339(&s).ok_or_else(|| {
            crate::error::ApiError::validation(
                field,
                "expected an RFC 3339 instant, e.g. 2026-01-31T08:00:00Z",
            )
        })
    })
    .transpose()
}

/// An empty success.
#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

pub type Apis = (
    crate::setup::api::SetupApi,
    crate::authn::api::AuthApi,
    crate::me::api::MeApi,
    crate::users::api::UsersApi,
    crate::roles::api::RolesApi,
    crate::audit::api::AuditApi,
    crate::files::api::FilesApi,
    (
        crate::documents::api::DocumentsApi,
        crate::documents::doc_api::DocumentFilesApi,
    ),
    (
        crate::messaging::api::RoomsApi,
        crate::messaging::notifications::NotificationsApi,
        crate::messaging::e2e::E2eApi,
        crate::realtime::api::RealtimeApi,
    ),
    crate::search::api::SearchApi,
    crate::tenants::api::OperatorApi,
);

pub fn service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        Apis::default(),
        "Stoa",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "On-prem, multi-tenant collaboration server. Errors are application/problem+json with a \
         stable `code`; lists use cursor pagination (`limit`, `cursor` → `items`, `next_cursor`).",
    )
    .server("/api/v1")
}

/// The spec as YAML, exactly as `stoa openapi` prints it and `openapi/stoa.yaml` stores it.
pub fn spec_yaml() -> String {
    service().spec_yaml()
}
