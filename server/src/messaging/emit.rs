//! One change in rooms, from its transaction to what others see of it.
//!
//! Every change in a room takes the room's next sequence number and records an event in the same
//! transaction, so a client that catches up by sequence misses nothing. [`Change`] holds that
//! transaction with the span of events it wrote, and [`Change::commit`] is the one tail every
//! change ends with: commit, announce the new events to this node's sockets, wake the outbox
//! when index (or blob) work was queued.

use super::{
    access::KIND,
    store::{self, MessageRow},
};
use crate::{
    authn::Principal,
    db::{now_ms, Tx},
    error::ApiResult,
    realtime, search, AppState,
};
use serde_json::{json, Value};

pub(super) struct Change {
    pub tx: Tx,
    tenant_id: String,
    actor_id: String,
    /// The room of the events written, and the first and last sequence numbers.
    room_id: String,
    first: i64,
    last: i64,
    /// The events written, published from memory after the commit.
    events: Vec<realtime::StoredEvent>,
    /// Work for the outbox was queued.
    wake: bool,
}

impl Change {
    /// Begin a change made by a person.
    pub async fn begin(state: &AppState, p: &Principal) -> ApiResult<Change> {
        Ok(Change::on(
            state.db.begin().await?,
            &p.tenant_id,
            &p.user_id,
        ))
    }

    /// A change in an open transaction, on behalf of `actor_id` (empty for the system).
    pub fn on(tx: Tx, tenant_id: &str, actor_id: &str) -> Change {
        Change {
            tx,
            tenant_id: tenant_id.to_string(),
            actor_id: actor_id.to_string(),
            room_id: String::new(),
            first: 0,
            last: 0,
            events: Vec::new(),
            wake: false,
        }
    }

    /// Record an event in a room under its next sequence number; returns that number.
    pub async fn event(
        &mut self,
        room_id: &str,
        kind: &str,
        message_id: Option<&str>,
        payload: Value,
    ) -> ApiResult<i64> {
        let payload = payload.to_string();
        let now = now_ms();
        let seq = store::append_event(
            &mut self.tx,
            &self.tenant_id,
            room_id,
            kind,
            &self.actor_id,
            message_id,
            &payload,
            now,
        )
        .await?;
        self.written(room_id, kind, message_id, payload, now, seq);
        Ok(seq)
    }

    /// Record a new message by the actor with its `message.created` event (`payload`) under
    /// the room's next sequence number, the actor's read and delivered pointers moved to it and
    /// its indexing queued, in one round trip; sets `m.seq` and returns it.
    pub async fn message_created(&mut self, m: &mut MessageRow, payload: Value) -> ApiResult<i64> {
        let payload = payload.to_string();
        let backend = self.tx.backend();
        let index = search::index_entry(KIND, &m.id);
        let seq = store::insert_sent(&mut self.tx, backend, m, &payload, &index).await?;
        self.wake = true;
        m.seq = seq;
        self.written(
            &m.room_id,
            "message.created",
            Some(&m.id),
            payload,
            m.created_at,
            seq,
        );
        Ok(seq)
    }

    /// Note an event this change wrote, for the announcement and the publication after commit.
    fn written(
        &mut self,
        room_id: &str,
        kind: &str,
        message_id: Option<&str>,
        payload: String,
        now: i64,
        seq: i64,
    ) {
        if self.first == 0 {
            self.first = seq;
            self.room_id = room_id.to_string();
        }
        self.last = seq;
        self.events.push(realtime::StoredEvent {
            room_id: room_id.to_string(),
            seq,
            kind: kind.to_string(),
            actor_id: self.actor_id.clone(),
            message_id: message_id.map(str::to_string),
            payload,
            created_at: now,
        });
    }

    /// Add a member with its `member.joined` event (`extra` adds to the event's payload); the
    /// member sees the room from that event on.
    pub async fn join(
        &mut self,
        room_id: &str,
        user_id: &str,
        role: &str,
        extra: Option<(&str, &str)>,
    ) -> ApiResult<()> {
        let mut payload = json!({ "user_id": user_id, "role": role });
        if let (Some((k, v)), Some(map)) = (extra, payload.as_object_mut()) {
            map.insert(k.to_string(), Value::String(v.to_string()));
        }
        let seq = self.event(room_id, "member.joined", None, payload).await?;
        store::add_member(
            &mut self.tx,
            &self.tenant_id,
            room_id,
            user_id,
            role,
            seq - 1,
        )
        .await?;
        Ok(())
    }

    /// Queue (re)indexing of a message; the outbox is woken after commit.
    pub async fn index(&mut self, message_id: &str) -> ApiResult<()> {
        search::enqueue_index(&mut self.tx, &self.tenant_id, KIND, message_id).await?;
        self.wake = true;
        Ok(())
    }

    /// Wake the outbox after commit (something else queued work for it).
    pub fn wake_outbox(&mut self) {
        self.wake = true;
    }

    /// The tail of every change: tell other nodes (delivered at commit), commit, publish the
    /// events written to this node's sockets, wake the outbox.
    pub async fn commit(mut self, state: &AppState) -> Result<(), sqlx::Error> {
        if self.first > 0 {
            state
                .hub
                .announce_in(
                    &mut self.tx,
                    state.db.backend,
                    &self.tenant_id,
                    &self.room_id,
                    self.first,
                    self.last,
                )
                .await?;
        }
        self.tx.commit().await?;
        if self.first > 0 {
            state.hub.publish_committed(&self.tenant_id, self.events);
        }
        if self.wake {
            state.outbox_wake.noted();
        }
        Ok(())
    }
}
