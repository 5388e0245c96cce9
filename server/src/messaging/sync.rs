//! `POST /sync`: everything that changed in all the caller's rooms since the client's cursor,
//! so a client that was away (or whose socket dropped) misses nothing.
//!
//! The cursor is the client's own map of room id → last sequence number it has. Rooms the
//! caller belongs to but the cursor lacks start from what the caller may see (the whole history,
//! or since joining); rooms in the cursor the caller no longer belongs to are listed as `left`.

use super::{
    access::floor,
    store::{self, EventRow, RoomRow},
};
use crate::{authn::Principal, error::ApiError, error::ApiResult, AppState};
use std::collections::HashMap;

pub const MAX_CURSOR_ROOMS: usize = 5000;

pub struct RoomChanges {
    pub room: RoomRow,
    pub events: Vec<EventRow>,
    /// More events remain after the last one returned.
    pub more: bool,
}

pub struct Changes {
    pub rooms: Vec<RoomChanges>,
    pub left: Vec<String>,
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, rooms = cursor.len()))]
pub async fn since(
    state: &AppState,
    p: &Principal,
    cursor: &HashMap<String, i64>,
    per_room: i64,
) -> ApiResult<Changes> {
    if cursor.len() > MAX_CURSOR_ROOMS {
        return Err(ApiError::validation(
            "cursor",
            format!("at most {MAX_CURSOR_ROOMS} rooms"),
        ));
    }
    if cursor.values().any(|s| *s < 0) {
        return Err(ApiError::validation(
            "cursor",
            "sequence numbers are 0 or more",
        ));
    }
    let mut conn = state.db.conn().await?;
    let rooms = store::rooms_of(&mut conn, &p.tenant_id, &p.user_id).await?;
    let mut mine = std::collections::HashSet::new();
    let mut out = Vec::new();
    for room in rooms {
        mine.insert(room.id.clone());
        let Some(me) = store::member(&mut conn, &p.tenant_id, &room.id, &p.user_id).await? else {
            continue;
        };
        let after = cursor
            .get(&room.id)
            .copied()
            .unwrap_or(0)
            .max(floor(&room, &me));
        if room.last_seq <= after {
            continue;
        }
        let mut events =
            store::events(&mut conn, &p.tenant_id, &room.id, after, per_room + 1).await?;
        let more = events.len() as i64 > per_room;
        events.truncate(per_room as usize);
        out.push(RoomChanges { room, events, more });
    }
    let mut left: Vec<String> = cursor
        .keys()
        .filter(|id| !mine.contains(*id))
        .cloned()
        .collect();
    left.sort();
    Ok(Changes { rooms: out, left })
}
