//! Messaging's HTTP surface, by resource: rooms (rooms, members, settings), messages (the
//! timeline: send, edit, delete, history, reactions, pins, read and delivery pointers, sync),
//! end-to-end encryption keys, notifications. Handlers parse, call the services next door and
//! shape answers; function-level permissions are checked here (`state.authz.require`) and the
//! resulting proof is handed to the service, which cannot run without it.

pub mod e2e;
pub mod messages;
pub mod notifications;
pub mod rooms;

/// Every messaging API, in the order the spec lists them.
pub type MessagingApis = (
    rooms::RoomsApi,
    messages::MessagesApi,
    notifications::NotificationsApi,
    e2e::E2eApi,
);

/// What `api.rs` still names `messaging::api::RoomsApi`: the rooms and the messages APIs (one
/// type before the split). Prefer [`MessagingApis`].
pub type RoomsApi = (rooms::RoomsApi, messages::MessagesApi);
