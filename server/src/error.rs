//! One error type for the whole API and one table mapping each stable code to its HTTP status.
//!
//! Every failure leaves the server as `application/problem+json` (RFC 9457) with a stable
//! machine-readable `code`. Internal causes are logged with the request id; the client only sees
//! a generic message for them.

use poem::{error::ResponseError, http::StatusCode, Response};
use poem_openapi::{
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::Type,
    ApiResponse, Object,
};

/// Stable error codes. Adding one means adding its row to [`Code::status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    BadRequest,
    ValidationFailed,
    Unauthenticated,
    InvalidCredentials,
    Forbidden,
    Containment,
    ConsentRequired,
    CsrfFailed,
    NotFound,
    MethodNotAllowed,
    Conflict,
    EmailTaken,
    PhoneTaken,
    SlugTaken,
    RoleNameTaken,
    BuiltinRole,
    LastAdmin,
    LegalHold,
    ConfirmationRequired,
    SetupDone,
    InvitationInvalid,
    PayloadTooLarge,
    QuotaExceeded,
    EmptyFile,
    RangeNotSatisfiable,
    KeyDestroyed,
    UnsupportedMediaType,
    IdempotencyKeyReused,
    IdempotencyInProgress,
    RateLimited,
    InvalidCode,
    RegistrationClosed,
    DeliveryNotConfigured,
    CheckinRejected,
    MembershipManaged,
    BookingConflict,
    Internal,
    Unavailable,
}

impl Code {
    /// The single table: code → (HTTP status, stable string, title).
    pub fn row(self) -> (StatusCode, &'static str, &'static str) {
        use Code::*;
        match self {
            BadRequest => (StatusCode::BAD_REQUEST, "bad_request", "Bad request"),
            ValidationFailed => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Validation failed",
            ),
            Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            ),
            InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "Invalid credentials",
            ),
            Forbidden => (StatusCode::FORBIDDEN, "forbidden", "Permission denied"),
            Containment => (
                StatusCode::FORBIDDEN,
                "containment",
                "Beyond your own permissions",
            ),
            ConsentRequired => (
                StatusCode::FORBIDDEN,
                "consent_required",
                "Consent to the privacy policy required",
            ),
            CsrfFailed => (
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "Cross-site request refused",
            ),
            NotFound => (StatusCode::NOT_FOUND, "not_found", "Not found"),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
            ),
            Conflict => (StatusCode::CONFLICT, "conflict", "Conflict"),
            EmailTaken => (StatusCode::CONFLICT, "email_taken", "Email already in use"),
            PhoneTaken => (StatusCode::CONFLICT, "phone_taken", "Phone already in use"),
            SlugTaken => (
                StatusCode::CONFLICT,
                "slug_taken",
                "Tenant slug already in use",
            ),
            RoleNameTaken => (
                StatusCode::CONFLICT,
                "role_name_taken",
                "Role name already in use",
            ),
            BuiltinRole => (
                StatusCode::CONFLICT,
                "builtin_role",
                "Built-in roles cannot be changed",
            ),
            LastAdmin => (
                StatusCode::CONFLICT,
                "last_admin",
                "The tenant needs an active admin",
            ),
            CheckinRejected => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "checkin_rejected",
                "Check-in rejected",
            ),
            LegalHold => (StatusCode::CONFLICT, "legal_hold", "Under legal hold"),
            ConfirmationRequired => (
                StatusCode::CONFLICT,
                "confirmation_required",
                "Confirmation required",
            ),
            SetupDone => (
                StatusCode::CONFLICT,
                "setup_done",
                "Setup already completed",
            ),
            InvitationInvalid => (
                StatusCode::GONE,
                "invitation_invalid",
                "Invitation invalid or expired",
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Payload too large",
            ),
            QuotaExceeded => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "quota_exceeded",
                "Storage quota exceeded",
            ),
            EmptyFile => (StatusCode::BAD_REQUEST, "empty_file", "Empty file"),
            RangeNotSatisfiable => (
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                "Range not satisfiable",
            ),
            KeyDestroyed => (StatusCode::GONE, "content_destroyed", "Content destroyed"),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
            ),
            RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests",
            ),
            InvalidCode => (
                StatusCode::BAD_REQUEST,
                "invalid_code",
                "The code is wrong, used or expired",
            ),
            RegistrationClosed => (
                StatusCode::FORBIDDEN,
                "registration_closed",
                "Registration is not open",
            ),
            DeliveryNotConfigured => (
                StatusCode::CONFLICT,
                "delivery_not_configured",
                "No mail or text-message sender is configured",
            ),
            BookingConflict => (
                StatusCode::CONFLICT,
                "booking_conflict",
                "The room or resource is booked then",
            ),
            MembershipManaged => (
                StatusCode::CONFLICT,
                "membership_managed",
                "Membership follows a department",
            ),
            IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "Idempotency key reused for another request",
            ),
            IdempotencyInProgress => (
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "A request with this idempotency key is running",
            ),
            Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
            ),
            Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
        }
    }
}

/// The problem+json body.
#[derive(Debug, Object, serde::Serialize)]
#[oai(rename = "Problem")]
pub struct Problem {
    /// A URI naming the problem type: `urn:stoa:problem:<code>`.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// The request id, to quote when reporting a problem.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The input field at fault, when there is one.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: Code,
    pub detail: String,
    pub field: Option<String>,
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.row().1, self.detail)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        ApiError {
            code,
            detail: detail.into(),
            field: None,
            retry_after: None,
        }
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(Code::BadRequest, detail)
    }
    pub fn validation(field: &str, detail: impl Into<String>) -> Self {
        ApiError {
            field: Some(field.to_string()),
            ..Self::new(Code::ValidationFailed, detail)
        }
    }
    pub fn with_code(mut self, code: Code) -> Self {
        self.code = code;
        self
    }
    pub fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }
    pub fn unauthenticated() -> Self {
        Self::new(Code::Unauthenticated, "a valid session is required")
    }
    pub fn forbidden(permission: &str) -> Self {
        Self::new(
            Code::Forbidden,
            format!("this requires the `{permission}` permission"),
        )
    }
    /// The consent gate: the person must accept the tenant's privacy policy first.
    pub fn consent_required() -> Self {
        Self::new(
            Code::ConsentRequired,
            "accept the current privacy policy first: read it at GET /api/v1/privacy/policy \
             and accept it at POST /api/v1/privacy/policy/accept",
        )
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(Code::NotFound, format!("{what} not found"))
    }
    pub fn conflict(code: Code, detail: impl Into<String>) -> Self {
        Self::new(code, detail)
    }
    pub fn rate_limited(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(Code::RateLimited, "too many attempts; try again later")
        }
    }
    /// An unexpected failure: the cause is logged, the client gets a generic message.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            Code::Internal,
            "an internal error occurred; quote the request id",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.code.row().0
    }

    /// The message for a command-line user: the detail and the field at fault.
    pub fn detail_with_field(&self) -> String {
        match &self.field {
            Some(f) => format!("{f}: {}", self.detail),
            None => self.detail.clone(),
        }
    }

    pub fn to_problem(&self, request_id: Option<String>) -> Problem {
        let (status, code, title) = self.code.row();
        Problem {
            type_: format!("urn:stoa:problem:{code}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: self.detail.clone(),
            code: code.to_string(),
            request_id,
            field: self.field.clone(),
        }
    }

    pub fn into_response_with(self, request_id: Option<String>) -> Response {
        let body = serde_json::to_vec(&self.to_problem(request_id)).unwrap_or_default();
        let mut resp = Response::builder()
            .status(self.status())
            .content_type("application/problem+json")
            .body(body);
        if self.status() == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                "www-authenticate",
                poem::http::HeaderValue::from_static("Bearer realm=\"stoa\""),
            );
        }
        if let Some(secs) = self.retry_after {
            if let Ok(v) = poem::http::HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
        }
        resp
    }

    /// Turn any error that left an endpoint (ours, or one raised by poem / poem-openapi while
    /// parsing the request) into an [`ApiError`].
    pub fn from_poem(err: &poem::Error) -> ApiError {
        if let Some(api) = err.downcast_ref::<ApiError>() {
            return api.clone();
        }
        let status = err.status();
        let code = match status {
            StatusCode::UNAUTHORIZED => return ApiError::unauthenticated(),
            StatusCode::NOT_FOUND => return ApiError::new(Code::NotFound, "no such route"),
            StatusCode::METHOD_NOT_ALLOWED => Code::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Code::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Code::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => Code::ValidationFailed,
            s if s.is_client_error() => Code::BadRequest,
            _ => return ApiError::internal(err),
        };
        ApiError::new(code, err.to_string())
    }
}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        ApiError::status(self)
    }
    fn as_response(&self) -> Response {
        self.clone().into_response_with(None)
    }
}

/// A failure with its row in the code table: every error type the API can answer with (the
/// database, blobs and keys, search, sweeps, configuration, outbox handlers) implements this one
/// trait, and the blanket `From` below turns it into an [`ApiError`], so `?` works everywhere
/// and no error type carries its own conversion.
pub trait ToProblem: std::fmt::Display {
    /// The row of the code table this failure answers with. [`Code::Internal`] logs the
    /// failure and shows the client a generic message.
    fn code(&self) -> Code;
    /// What the client reads (ignored for internal errors).
    fn detail(&self) -> String {
        self.to_string()
    }
    /// The input field at fault, when there is one.
    fn field(&self) -> Option<&'static str> {
        None
    }
}

impl<E: ToProblem> From<E> for ApiError {
    fn from(e: E) -> Self {
        match e.code() {
            Code::Internal => ApiError::internal(&e),
            code => {
                if code == Code::Unavailable {
                    tracing::warn!(error = %e, "a service is unavailable");
                }
                ApiError {
                    code,
                    detail: e.detail(),
                    field: e.field().map(str::to_string),
                    retry_after: None,
                }
            }
        }
    }
}

/// A unique constraint whose violation is the caller's to fix: its name, the columns SQLite
/// names instead (it reports no constraint name), and what the client reads.
struct Unique {
    constraint: &'static str,
    sqlite_columns: &'static str,
    code: Code,
    field: &'static str,
    detail: &'static str,
}

/// Every named unique constraint that maps to a field error. A violation of any other unique
/// constraint answers a generic 409 `conflict`.
const UNIQUE: &[Unique] = &[
    Unique {
        constraint: "users_email_key",
        sqlite_columns: "users.tenant_id, users.email",
        code: Code::EmailTaken,
        field: "email",
        detail: "another account uses this email",
    },
    Unique {
        constraint: "users_phone_key",
        sqlite_columns: "users.tenant_id, users.phone",
        code: Code::PhoneTaken,
        field: "phone",
        detail: "another account uses this phone number",
    },
    Unique {
        constraint: "tenants_slug_key",
        sqlite_columns: "tenants.slug",
        code: Code::SlugTaken,
        field: "slug",
        detail: "a tenant with this slug exists",
    },
    Unique {
        constraint: "roles_name_key",
        sqlite_columns: "roles.tenant_id, roles.name",
        code: Code::RoleNameTaken,
        field: "name",
        detail: "another role has this name",
    },
    Unique {
        constraint: "privacy_policies_label_key",
        sqlite_columns: "privacy_policies.tenant_id, privacy_policies.label",
        code: Code::Conflict,
        field: "label",
        detail: "another version of the policy has this label",
    },
    Unique {
        constraint: "privacy_policies_effective_key",
        sqlite_columns: "privacy_policies.tenant_id, privacy_policies.effective_at",
        code: Code::Conflict,
        field: "effective_at",
        detail: "another version of the policy takes effect at this instant",
    },
    Unique {
        constraint: "bulletin_photos_file_key",
        sqlite_columns: "bulletin_photos.tenant_id, bulletin_photos.file_id",
        code: Code::Conflict,
        field: "photo_ids",
        detail: "a photo is on another post",
    },
];

/// The entry of [`UNIQUE`] a database error violated. PostgreSQL names the constraint
/// (`constraint()`); SQLite only lists its columns in the message (`UNIQUE constraint failed:
/// users.tenant_id, users.email`), which is read here and nowhere else.
fn violated_unique(e: &sqlx::Error) -> Option<&'static Unique> {
    let sqlx::Error::Database(d) = e else {
        return None;
    };
    if !crate::db::is_unique_violation(e) {
        return None;
    }
    if let Some(name) = d.constraint() {
        return UNIQUE.iter().find(|u| u.constraint == name);
    }
    let columns = d.message().strip_prefix("UNIQUE constraint failed: ")?;
    UNIQUE.iter().find(|u| u.sqlite_columns == columns)
}

impl ToProblem for sqlx::Error {
    fn code(&self) -> Code {
        match violated_unique(self) {
            Some(u) => u.code,
            None if crate::db::is_unique_violation(self) => Code::Conflict,
            None => Code::Internal,
        }
    }
    fn detail(&self) -> String {
        violated_unique(self)
            .map_or("the change conflicts with existing data", |u| u.detail)
            .to_string()
    }
    fn field(&self) -> Option<&'static str> {
        violated_unique(self).map(|u| u.field)
    }
}

/// The statuses every operation may answer with, documented once: every status of the code
/// table above (a test checks each response of the black-box suite against the spec).
const DOCUMENTED: &[(u16, &str)] = &[
    (400, "Malformed request"),
    (401, "No valid session"),
    (
        403,
        "Missing permission (`forbidden`), or consent to the privacy policy pending (`consent_required`)",
    ),
    (404, "Not found (or belongs to another tenant)"),
    (409, "Conflicts with the current state"),
    (
        410,
        "Gone for good (an invitation used or expired, content whose key was destroyed)",
    ),
    (413, "Too large (body, upload or quota)"),
    (415, "Unsupported content type"),
    (416, "Requested range not satisfiable"),
    (422, "Input failed validation"),
    (429, "Rate limited"),
    (
        500,
        "Internal error (details in the server log under the request id)",
    ),
    (
        503,
        "A service the operation needs is unavailable; retry later",
    ),
];

impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: DOCUMENTED
                .iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(*status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/problem+json",
                        schema: Problem::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}
