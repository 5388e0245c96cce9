//! The API surface: every feature's `#[OpenApi]` impl merged in one place, and the spec (made
//! exact). The pieces features share (tags, `NoContent`, time parameters) live in `http`.

use poem_openapi::OpenApiService;

pub type Apis = (
    crate::setup::api::SetupApi,
    (
        crate::signin::api::AuthApi,
        crate::identity::api::IdentityApi,
        crate::console::api::BrowserApi,
    ),
    (
        crate::me::api::MeApi,
        crate::identity::api::ContactApi,
        crate::mfa::api::TwoFactorApi,
        crate::mfa::api::TwoFactorAdminApi,
        crate::sso::api::SsoApi,
    ),
    (
        crate::users::api::UsersApi,
        crate::users::deletion::api::DeletionApi,
        crate::identity::api::RegistrationApi,
    ),
    (
        crate::roles::api::RolesApi,
        crate::directory::api::DirectoryApi,
        crate::directory::people_api::DirectoryPeopleApi,
    ),
    (
        (crate::audit::api::AuditApi, crate::ops::status::HealthApi),
        crate::attendance::api::AttendanceApi,
        crate::attendance::settings_api::AttendanceSettingsApi,
    ),
    (
        crate::files::api::FilesApi,
        crate::bulletin::api::BulletinApi,
    ),
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
    (
        crate::search::api::SearchApi,
        crate::announcements::api::AnnouncementsApi,
        crate::meetings::api::MeetingsApi,
        crate::meetings::resources_api::MeetingResourcesApi,
        crate::notices::api::NoticesApi,
        (
            crate::tasks::api::TasksApi,
            crate::notes::api::NotesApi,
            crate::calendar::api::CalendarApi,
        ),
    ),
    (
        crate::retention::api::RetentionApi,
        crate::exports::api::ExportsApi,
        crate::privacy::api::PrivacyApi,
        // Approvals: templates and preview, and requests.
        (
            crate::approvals::api::ApprovalTemplatesApi,
            crate::approvals::requests::api::ApprovalRequestsApi,
        ),
    ),
    crate::tenants::api::OperatorApi,
);

/// The spec's description (Markdown, rendered by `/docs`). The WebSocket is no operation of the
/// spec, so its protocol is summarised here; docs/realtime.md has the full version.
const DESCRIPTION: &str = r##"On-prem, multi-tenant collaboration server. Errors are application/problem+json with a stable `code`; lists use cursor pagination (`limit`, `cursor` → `items`, `next_cursor`).

## Realtime: the `/api/v1/events` WebSocket

One socket per client session delivers the committed events of every room the person belongs to, and typing notices. Open `GET /api/v1/events?ticket=<ticket>` with a one-time ticket from `POST /events/ticket` (valid 30 seconds, works once; for browsers), or send `Authorization: Bearer <session token>` on the upgrade request. A missing or bad credential answers `401` problem+json instead of upgrading; a person who must first accept the tenant's privacy policy gets `403` problem+json with code `consent_required` (from the ticket endpoint too). Every frame is a JSON text frame with a `type`; ignore types and fields you do not know.

Server → client:

* `{"type":"ready","user_id":…,"rooms":{<room id>:<last seq>,…}}`: first, once.
* `{"type":"event","room_id","seq","kind","actor_id","message_id","payload","created_at"}`: a `RoomEvent` (as in `GET /rooms/{id}/events`), for every room the person belongs to now; joining or being added starts a room's frames, the `member.left` about the person ends them.
* `{"type":"notice","batch_id","source","kind","subject_id","actor_id","title","created_at"}`: a notice for this person (as listed by `GET /notices`, e.g. an announcement published for them), sent to their sockets only.
* `{"type":"typing","room_id","user_id"}`: ephemeral, never stored; also sent to the typist's own sockets.
* `{"type":"pong"}`: the answer to `ping`.

Client → server: `{"type":"typing","room_id":…}` (rooms the person belongs to) and `{"type":"ping"}` (a keepalive; send one every 30 seconds or so). Anything else, or a text frame over 4096 bytes, is ignored.

Close codes: `4001` the session ended (signed out, revoked, expired, account disabled, tenant suspended): sign in again, do not reconnect. `4003` a privacy policy took effect that the person must accept: read and accept it (`GET /privacy/policy`, `POST /privacy/policy/accept`), then reconnect. `4008` the client fell more than `realtime.buffer` frames behind: reconnect and catch up. Any other close (restart, network, proxy): reconnect with backoff and catch up.

Catch-up: the socket never replays; the event log does. Keep a cursor (room id → last applied `seq`). After every `ready`, `POST /sync` with that cursor (repeat while a room has `more`; drop the rooms in `left`). Drop frames whose `seq` is at or below the cursor; when a frame's `seq` skips ahead, fetch `GET /rooms/{id}/events?after_seq=<cursor>` first. The full protocol is in `docs/realtime.md` of the source tree."##;

pub fn service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(Apis::default(), "Stoa", env!("CARGO_PKG_VERSION"))
        .description(DESCRIPTION)
        .server("/api/v1")
}

/// The spec as JSON, as served at `/api/v1/openapi.json`.
pub fn spec_json() -> String {
    serde_json::to_string_pretty(&spec_value()).unwrap_or_default()
}

/// The spec as YAML, exactly as `stoa openapi` prints it, `openapi/stoa.yaml` stores it and
/// `/api/v1/openapi.yaml` serves it.
pub fn spec_yaml() -> String {
    serde_yaml::to_string(&spec_value()).unwrap_or_default()
}

/// The generated spec, made exact where poem-openapi's is not: an `Option` field is serialized
/// as `null` when empty, so every property that is not required is also `nullable` (generated
/// clients otherwise reject those responses).
fn spec_value() -> serde_json::Value {
    let mut doc: serde_json::Value =
        serde_json::from_str(&service().spec()).unwrap_or(serde_json::Value::Null);
    mark_nullable(&mut doc);
    doc
}

fn mark_nullable(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let required: Vec<String> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                for (name, prop) in props.iter_mut() {
                    if required.contains(name) {
                        continue;
                    }
                    if let Value::Object(p) = prop {
                        // `$ref` takes no siblings in OpenAPI 3.0: wrap it.
                        if let Some(r) = p.remove("$ref") {
                            p.insert(
                                "allOf".into(),
                                Value::Array(vec![serde_json::json!({ "$ref": r })]),
                            );
                        }
                        p.insert("nullable".into(), Value::Bool(true));
                    }
                }
            }
            for (_, child) in map.iter_mut() {
                mark_nullable(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mark_nullable),
        _ => {}
    }
}
