//! `POST /events/ticket`: a one-time ticket for opening the WebSocket.

use crate::{
    authn, authn::tokens, authn::Session, db::now_ms, error::ApiResult, http::ApiTags, AppState,
};
use poem::web::Data;
use poem_openapi::{payload::Json, Object, OpenApi};
use std::sync::Arc;

const TICKET_TTL_MS: i64 = 30_000;

#[derive(Debug, Object)]
pub struct Ticket {
    /// Open `GET /api/v1/events?ticket=<ticket>` (WebSocket) within 30 seconds; it works once.
    pub ticket: String,
    pub expires_at: String,
}

#[derive(Default)]
pub struct RealtimeApi;

#[OpenApi(tag = "ApiTags::Messaging")]
impl RealtimeApi {
    /// A one-time, 30-second ticket for the WebSocket at `/api/v1/events`, so that browsers need
    /// not put the session token in a URL. (Other clients may send the `Authorization` header.)
    ///
    /// The socket first sends `{"type":"ready","rooms":{room id: last seq}}`, then
    /// `{"type":"event","room_id","seq","kind",…}` for every event of the person's rooms and
    /// `{"type":"typing","room_id","user_id"}`; it accepts `{"type":"typing","room_id"}` and
    /// `{"type":"ping"}`. Close code 4001: the session ended; 4008: the client fell behind
    /// (reconnect and catch up with `GET /rooms/{id}/events?after_seq=`).
    #[oai(
        path = "/events/ticket",
        method = "post",
        operation_id = "events_ticket"
    )]
    async fn ticket(&self, state: Data<&Arc<AppState>>, auth: Session) -> ApiResult<Json<Ticket>> {
        let p = auth.0;
        let hash = authn::session_token_hash(&state, &p)
            .await?
            .ok_or_else(crate::error::ApiError::unauthenticated)?;
        let ticket = tokens::generate("stoa_ws_");
        let expires_at = now_ms() + TICKET_TTL_MS;
        let mut tx = state.db.begin().await?;
        super::store::insert_ticket(&mut tx, &tokens::hash(&ticket), &hash, expires_at, now_ms())
            .await?;
        tx.commit().await?;
        Ok(Json(Ticket {
            ticket,
            expires_at: crate::db::rfc3339(expires_at),
        }))
    }
}
