//! This node's sockets and what each listens to, so that a frame goes only to the sockets it is
//! for — a room's members, some people — instead of waking every socket to filter it.
//!
//! Measured before (one broadcast channel that every socket read): a message woke every open
//! socket of the node, so with N people online each message cost N task wake-ups; at 2,000
//! people sending every 30 s that was ~130,000 wake-ups a second, growing with the square of the
//! people online. Now a message wakes its room's members' sockets only.
//!
//! Membership follows the room's events, applied here when they are published (so the frames
//! published after a `member.joined` reach the new member's sockets, whatever the order in which
//! the sockets' tasks run): a socket is added to the room before the event goes out, and removed
//! after its `member.left` went out. A socket's full set of rooms is read from the database when
//! it opens and on its periodic re-check; the membership events published while that read ran
//! are recorded and replayed over its result ([`Subscription::reading`],
//! [`Subscription::set_rooms`]), so a read that raced a join cannot undo it.
//!
//! Each socket has a bounded queue; a socket whose queue is full is cut off (its queue closes
//! after what it holds and [`Subscription::lagged`] says why): the client reconnects and catches
//! up by sequence.

use super::Frame;
use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, MutexGuard,
    },
};
use tokio::sync::mpsc;

type Key = (String, String);

struct Socket {
    tenant_id: String,
    user_id: String,
    session_id: String,
    rooms: HashSet<String>,
    /// Membership events about this person published while the rooms were being read.
    log: Option<Vec<(String, bool)>>,
    tx: mpsc::Sender<Arc<Frame>>,
    lagged: Arc<AtomicBool>,
}

#[derive(Default)]
struct Index {
    next: u64,
    all: HashMap<u64, Socket>,
    /// (tenant, room) → the sockets listening to it.
    rooms: HashMap<Key, HashSet<u64>>,
    /// (tenant, person) → their sockets.
    people: HashMap<Key, HashSet<u64>>,
}

impl Index {
    fn subscribe(&mut self, id: u64, room: &str) {
        let Some(s) = self.all.get_mut(&id) else {
            return;
        };
        s.rooms.insert(room.to_string());
        self.rooms
            .entry((s.tenant_id.clone(), room.to_string()))
            .or_default()
            .insert(id);
    }

    fn unsubscribe(&mut self, id: u64, room: &str) {
        let Some(s) = self.all.get_mut(&id) else {
            return;
        };
        s.rooms.remove(room);
        let key = (s.tenant_id.clone(), room.to_string());
        if let Some(set) = self.rooms.get_mut(&key) {
            set.remove(&id);
            if set.is_empty() {
                self.rooms.remove(&key);
            }
        }
    }

    fn remove(&mut self, id: u64) {
        let Some(s) = self.all.remove(&id) else {
            return;
        };
        for room in &s.rooms {
            let key = (s.tenant_id.clone(), room.clone());
            if let Some(set) = self.rooms.get_mut(&key) {
                set.remove(&id);
                if set.is_empty() {
                    self.rooms.remove(&key);
                }
            }
        }
        let key = (s.tenant_id, s.user_id);
        if let Some(set) = self.people.get_mut(&key) {
            set.remove(&id);
            if set.is_empty() {
                self.people.remove(&key);
            }
        }
    }

    fn person(&self, tenant_id: &str, user_id: &str) -> Vec<u64> {
        self.people
            .get(&(tenant_id.to_string(), user_id.to_string()))
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    fn room(&self, tenant_id: &str, room_id: &str) -> Vec<u64> {
        self.rooms
            .get(&(tenant_id.to_string(), room_id.to_string()))
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Queue `frame` for `ids`; a socket whose queue is full (or gone) is cut off.
    fn deliver(&mut self, ids: &[u64], frame: &Arc<Frame>) {
        let mut cut = Vec::new();
        for id in ids {
            if let Some(s) = self.all.get(id) {
                match s.tx.try_send(frame.clone()) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        s.lagged.store(true, Ordering::SeqCst);
                        cut.push(*id);
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => cut.push(*id),
                }
            }
        }
        for id in cut {
            self.remove(id);
        }
    }

    /// A membership event about `user_id` in `room_id`: their sockets join or leave it, and
    /// sockets reading their rooms record it.
    fn membership(&mut self, tenant_id: &str, user_id: &str, room_id: &str, joined: bool) {
        for id in self.person(tenant_id, user_id) {
            if joined {
                self.subscribe(id, room_id);
            } else {
                self.unsubscribe(id, room_id);
            }
            if let Some(log) = self.all.get_mut(&id).and_then(|s| s.log.as_mut()) {
                log.push((room_id.to_string(), joined));
            }
        }
    }
}

/// The registry the hub routes frames through.
#[derive(Clone, Default)]
pub(super) struct Sockets(Arc<Mutex<Index>>);

impl Sockets {
    fn lock(&self) -> MutexGuard<'_, Index> {
        // A panic elsewhere while holding the lock leaves the index consistent enough (every
        // change to it is a few map operations): keep serving.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_empty(&self) -> bool {
        self.lock().all.is_empty()
    }

    /// A new socket of a session, listening to no room yet (see [`Subscription::reading`]).
    pub fn attach(
        &self,
        tenant_id: &str,
        user_id: &str,
        session_id: &str,
        buffer: usize,
    ) -> Subscription {
        let (tx, rx) = mpsc::channel(buffer.max(1));
        let lagged = Arc::new(AtomicBool::new(false));
        let mut ix = self.lock();
        ix.next += 1;
        let id = ix.next;
        ix.all.insert(
            id,
            Socket {
                tenant_id: tenant_id.to_string(),
                user_id: user_id.to_string(),
                session_id: session_id.to_string(),
                rooms: HashSet::new(),
                log: None,
                tx,
                lagged: lagged.clone(),
            },
        );
        ix.people
            .entry((tenant_id.to_string(), user_id.to_string()))
            .or_default()
            .insert(id);
        Subscription {
            id,
            rx,
            lagged,
            sockets: self.clone(),
        }
    }

    /// Route one frame to the sockets it is for.
    pub fn route(&self, frame: Frame) {
        let frame = Arc::new(frame);
        let mut ix = self.lock();
        match &*frame {
            Frame::Event {
                tenant_id,
                room_id,
                member,
                joined,
                ..
            } => {
                if let (Some(m), true) = (member, *joined) {
                    ix.membership(tenant_id, m, room_id, true);
                }
                let mut ids = ix.room(tenant_id, room_id);
                if let Some(m) = member {
                    // The person whose membership changed hears of it even when their sockets
                    // did not listen to the room (yet).
                    for id in ix.person(tenant_id, m) {
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                }
                ix.deliver(&ids, &frame);
                if let (Some(m), false) = (member, *joined) {
                    ix.membership(tenant_id, m, room_id, false);
                }
            }
            Frame::Typing {
                tenant_id, room_id, ..
            } => {
                let ids = ix.room(tenant_id, room_id);
                ix.deliver(&ids, &frame);
            }
            Frame::Personal {
                tenant_id, users, ..
            } => {
                let mut ids = Vec::new();
                for u in users {
                    ids.extend(ix.person(tenant_id, u));
                }
                ix.deliver(&ids, &frame);
            }
            Frame::Kick(k) => {
                let ids: Vec<u64> = ix
                    .all
                    .iter()
                    .filter(|(_, s)| k.hits(&s.tenant_id, &s.user_id, &s.session_id))
                    .map(|(id, _)| *id)
                    .collect();
                ix.deliver(&ids, &frame);
            }
        }
    }
}

/// One socket's place in the registry; leaving it (drop) removes the socket.
pub struct Subscription {
    id: u64,
    /// The frames for this socket, in the order they were published. Closed when the socket
    /// was cut off ([`Subscription::lagged`]).
    pub rx: mpsc::Receiver<Arc<Frame>>,
    lagged: Arc<AtomicBool>,
    sockets: Sockets,
}

impl Subscription {
    /// The socket is about to read its rooms from the database: record the membership events
    /// published meanwhile, for [`Subscription::set_rooms`] to replay.
    pub fn reading(&self) {
        if let Some(s) = self.sockets.lock().all.get_mut(&self.id) {
            s.log = Some(Vec::new());
        }
    }

    /// The rooms read since [`Subscription::reading`], with the membership events published
    /// since then applied over them: what the socket listens to from now on. Returns that set.
    pub fn set_rooms(&self, read: HashSet<String>) -> HashSet<String> {
        let mut ix = self.sockets.lock();
        let Some(s) = ix.all.get_mut(&self.id) else {
            return read;
        };
        let old = std::mem::take(&mut s.rooms);
        let log = s.log.take().unwrap_or_default();
        for room in &old {
            ix.unsubscribe(self.id, room);
        }
        for room in &read {
            ix.subscribe(self.id, room);
        }
        for (room, joined) in log {
            if joined {
                ix.subscribe(self.id, &room);
            } else {
                ix.unsubscribe(self.id, &room);
            }
        }
        ix.all
            .get(&self.id)
            .map(|s| s.rooms.clone())
            .unwrap_or_default()
    }

    /// The socket was cut off because its queue was full.
    pub fn lagged(&self) -> bool {
        self.lagged.load(Ordering::SeqCst)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.sockets.lock().remove(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(room: &str, member: Option<&str>, joined: bool) -> Frame {
        Frame::Event {
            tenant_id: "t".into(),
            room_id: room.into(),
            member: member.map(str::to_string),
            joined,
            json: format!("{room}:{member:?}:{joined}"),
        }
    }

    /// A socket of person `user` that has read its rooms (`rooms`).
    fn listening(hub: &Sockets, user: &str, rooms: &[&str], buffer: usize) -> Subscription {
        let s = hub.attach("t", user, "s", buffer);
        s.reading();
        s.set_rooms(rooms.iter().map(|r| r.to_string()).collect());
        s
    }

    fn drain(s: &mut Subscription) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(f) = s.rx.try_recv() {
            if let Frame::Event { json, .. } = &*f {
                out.push(json.clone());
            }
        }
        out
    }

    #[test]
    fn frames_reach_only_their_rooms_members() {
        let hub = Sockets::default();
        let mut a = listening(&hub, "a", &["r1"], 16);
        let mut b = listening(&hub, "b", &["r2"], 16);
        hub.route(event("r1", None, false));
        assert_eq!(drain(&mut a).len(), 1);
        assert!(drain(&mut b).is_empty());
        // Another tenant's room of the same id reaches nobody here.
        hub.route(Frame::Event {
            tenant_id: "u".into(),
            room_id: "r1".into(),
            member: None,
            joined: false,
            json: String::new(),
        });
        assert!(drain(&mut a).is_empty());
    }

    #[test]
    fn a_join_routes_the_next_frames_and_a_leave_is_the_last() {
        let hub = Sockets::default();
        let mut b = listening(&hub, "b", &[], 16);
        hub.route(event("r", Some("b"), true));
        hub.route(event("r", None, false));
        hub.route(event("r", Some("b"), false));
        hub.route(event("r", None, false));
        assert_eq!(drain(&mut b).len(), 3);
    }

    #[test]
    fn a_read_that_raced_a_join_does_not_undo_it() {
        let hub = Sockets::default();
        let mut b = hub.attach("t", "b", "s", 16);
        b.reading();
        // The join is published while the (older) read runs.
        hub.route(event("new", Some("b"), true));
        let rooms = b.set_rooms(["old".to_string()].into());
        assert!(rooms.contains("new") && rooms.contains("old"));
        drain(&mut b);
        hub.route(event("new", None, false));
        assert_eq!(drain(&mut b).len(), 1);
    }

    #[test]
    fn a_full_queue_cuts_the_socket_off() {
        let hub = Sockets::default();
        let mut a = listening(&hub, "a", &["r"], 2);
        for _ in 0..3 {
            hub.route(event("r", None, false));
        }
        assert!(a.lagged());
        assert_eq!(drain(&mut a).len(), 2);
        assert!(hub.is_empty());
    }
}
