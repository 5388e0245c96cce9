//! Messages: send, page, edit, delete, read pointers, catch-up, and what search needs.

use super::{
    access::{self, floor, Joined},
    access::{holder, KIND},
    emit::Change,
    scrub::{self, Scrub},
    service::{audit_room, message_view, visible_message, MessageView},
    store::{self, EventRow, MessageRow},
};
use crate::{
    audit,
    authn::Principal,
    authz::{perm, Granted},
    db::{
        idempotency::{self, Answer},
        new_id, now_ms,
    },
    error::{ApiError, ApiResult, Code},
    files,
    lifecycle::holds,
    search, AppState,
};
use serde_json::json;
use sqlx::AnyConnection;

pub const MAX_BODY_CHARS: usize = 10_000;
pub const MAX_ATTACHMENTS: usize = 20;

pub struct NewMessage {
    pub body: String,
    pub thread_root_id: Option<String>,
    pub mentions: Vec<String>,
    pub mention_room: bool,
    pub attachment_ids: Vec<String>,
    /// Encrypted rooms: the client's ciphertext and its key version, instead of `body`.
    pub ciphertext: Option<String>,
    pub key_version: Option<i64>,
}

/// Send a message (needs `messages.send` and membership). Retried sends carry an
/// `Idempotency-Key` and are answered with the first result by the API middleware; `answer`
/// renders that result, so that it commits with the message.
#[tracing::instrument(skip_all, fields(tenant_id = %g.principal().tenant_id, room_id = %room_id))]
pub async fn send(
    state: &AppState,
    g: &Granted<'_>,
    room_id: &str,
    n: NewMessage,
    answer: impl FnOnce(&MessageView) -> Answer,
) -> ApiResult<MessageView> {
    let p = holder(g, perm::MESSAGES_SEND)?;
    let body = n.body.trim_end().to_string();
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::validation(
            "body",
            format!("at most {MAX_BODY_CHARS} characters"),
        ));
    }
    if body.trim().is_empty() && n.attachment_ids.is_empty() && n.ciphertext.is_none() {
        return Err(ApiError::validation(
            "body",
            "a message needs text or an attachment",
        ));
    }
    if n.attachment_ids.len() > MAX_ATTACHMENTS {
        return Err(ApiError::validation(
            "attachment_ids",
            format!("at most {MAX_ATTACHMENTS}"),
        ));
    }
    let mut ch = Change::begin(state, p).await?;
    let j = access::joined(&mut ch.tx, p, room_id).await?;
    if j.room().archived_at.is_some() {
        return Err(ApiError::conflict(Code::Conflict, "the room is archived"));
    }
    if let Some(root) = &n.thread_root_id {
        let ok = crate::db::is_id(root)
            && store::message(&mut ch.tx, &p.tenant_id, root)
                .await?
                .is_some_and(|m| m.room_id == room_id && m.thread_root_id.is_none());
        if !ok {
            return Err(ApiError::validation(
                "thread_root_id",
                "not a top-level message of this room",
            ));
        }
    }
    let mut mentions = n.mentions.clone();
    mentions.sort();
    mentions.dedup();
    for m in &mentions {
        if !crate::db::is_id(m)
            || store::member(&mut ch.tx, &p.tenant_id, room_id, m)
                .await?
                .is_none()
        {
            return Err(ApiError::validation(
                "mentions",
                "a mentioned id is not a member of this room",
            ));
        }
    }
    let mut attachments = n.attachment_ids.clone();
    attachments.sort();
    attachments.dedup();
    for f in &attachments {
        // Only one's own readable files; another's id is a 422, not a leak.
        // Document content is shared through the document, not attached.
        let ok = files::service::attachable(state, &mut ch.tx, p, f).await;
        if !ok {
            return Err(ApiError::validation(
                "attachment_ids",
                "only files you uploaded (or can read) can be attached",
            ));
        }
    }
    let id = new_id();
    // Encrypted rooms: ciphertext only, under the current key version; never a plaintext.
    let sealed = super::e2e::check_send(
        &mut ch.tx,
        &j,
        &body,
        n.ciphertext.as_deref(),
        n.key_version,
    )
    .await?;
    let (body, key_version) = match sealed {
        Some((ct, v)) => (ct, Some(v)),
        None => (body, None),
    };
    let payload = match key_version {
        Some(v) => json!({
            "id": id, "sender_id": p.user_id, "body": "", "ciphertext": body, "key_version": v,
            "thread_root_id": n.thread_root_id, "mentions": mentions,
            "mention_room": n.mention_room, "attachments": attachments,
        }),
        None => json!({
            "id": id, "sender_id": p.user_id, "body": body, "thread_root_id": n.thread_root_id,
            "mentions": mentions, "mention_room": n.mention_room, "attachments": attachments,
        }),
    };
    let mut message = MessageRow {
        tenant_id: p.tenant_id.clone(),
        id: id.clone(),
        room_id: room_id.to_string(),
        seq: 0,
        sender_id: p.user_id.clone(),
        body,
        thread_root_id: n.thread_root_id,
        mentions: serde_json::to_string(&mentions).unwrap_or_else(|_| "[]".into()),
        mentions_room: i64::from(n.mention_room),
        key_version,
        edited_at: None,
        deleted_at: None,
        created_at: now_ms(),
    };
    // The event, the message and the sender's read and delivered pointers (the sender has read
    // and received what they wrote): one round trip.
    ch.message_created(&mut message, payload).await?;
    for f in &attachments {
        store::attach(&mut ch.tx, &p.tenant_id, &id, room_id, f).await?;
    }
    // Notifications: mentions first (one per person per message), then @room, then direct.
    let mut recipients: Vec<(String, &'static str)> =
        mentions.iter().map(|u| (u.clone(), "mention")).collect();
    let direct = j.room().kind == "direct";
    if n.mention_room || direct {
        let kind = if direct { "direct" } else { "room_mention" };
        for m in store::members(&mut ch.tx, &p.tenant_id, room_id).await? {
            recipients.push((m.user_id, kind));
        }
    }
    super::notifications::notify(&mut ch.tx, &j, &recipients, &id).await?;
    // (Its indexing was queued with the message.)
    let view = MessageView {
        message,
        attachments,
        reactions: Vec::new(),
    };
    // A send with an `Idempotency-Key` records its answer with the message: one transaction.
    idempotency::answer(|| answer(&view));
    ch.commit(state).await?;
    Ok(view)
}

#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %room_id))]
pub async fn messages(
    state: &AppState,
    p: &Principal,
    room_id: &str,
    after: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<MessageView>> {
    let mut conn = state.db.conn().await?;
    let j = access::joined(&mut conn, p, room_id).await?;
    let rows = store::page(
        &mut conn,
        &p.tenant_id,
        room_id,
        after,
        before,
        j.floor(),
        limit,
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        out.push(message_view(&mut conn, &p.tenant_id, m).await?);
    }
    Ok(out)
}

/// Edit one's own message (needs `messages.send`, like sending it did); the previous text is
/// kept for the audit trail (`message_edits`), not in the event log members read.
#[tracing::instrument(skip_all, fields(tenant_id = %g.principal().tenant_id, room_id = %room_id, message_id = %id))]
pub async fn edit(
    state: &AppState,
    g: &Granted<'_>,
    room_id: &str,
    id: &str,
    body: &str,
) -> ApiResult<MessageView> {
    let p = holder(g, perm::MESSAGES_SEND)?;
    let body = body.trim_end().to_string();
    if body.trim().is_empty() || body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::validation(
            "body",
            format!("1 to {MAX_BODY_CHARS} characters"),
        ));
    }
    let mut ch = Change::begin(state, p).await?;
    let j = access::joined(&mut ch.tx, p, room_id).await?;
    let m = visible_message(&mut ch.tx, &j, id).await?;
    if m.sender_id != p.user_id {
        return Err(ApiError::new(
            Code::Forbidden,
            "only the sender edits a message",
        ));
    }
    if m.deleted_at.is_some() {
        return Err(ApiError::conflict(
            Code::Conflict,
            "the message was deleted",
        ));
    }
    if m.key_version.is_some() {
        // The server cannot re-encrypt: clients delete and re-send in encrypted rooms.
        return Err(ApiError::conflict(
            Code::Conflict,
            "messages of encrypted rooms cannot be edited; delete and send again",
        ));
    }
    store::edit_message(&mut ch.tx, &m, &body, &p.user_id).await?;
    let seq = ch
        .event(
            room_id,
            "message.edited",
            Some(id),
            json!({ "id": id, "body": body }),
        )
        .await?;
    // Catch-up must not hand the replaced text to members: only this edit carries text now.
    scrub::message_events(
        &mut ch.tx,
        &p.tenant_id,
        room_id,
        id,
        Scrub::Superseded { latest_seq: seq },
    )
    .await?;
    ch.index(id).await?;
    let m = store::message(&mut ch.tx, &p.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    let v = message_view(&mut ch.tx, &p.tenant_id, m).await?;
    ch.commit(state).await?;
    Ok(v)
}

/// Delete a message (the sender, a room moderator, or `messages.moderate`): a tombstone stays.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %room_id, message_id = %id))]
pub async fn delete(state: &AppState, p: &Principal, room_id: &str, id: &str) -> ApiResult<()> {
    let moderate = state
        .authz
        .permissions(p)
        .await?
        .contains(perm::MESSAGES_MODERATE);
    let mut ch = Change::begin(state, p).await?;
    let j = access::joined(&mut ch.tx, p, room_id).await?;
    let m = visible_message(&mut ch.tx, &j, id).await?;
    let by_other = m.sender_id != p.user_id;
    if by_other {
        // Someone else's message: only a moderator's.
        access::moderator(&j, moderate)?;
    }
    if m.deleted_at.is_some() {
        return Ok(());
    }
    let item = holds::Item {
        people: &[m.sender_id.as_str()],
        room: Some(room_id),
        space: None,
        at: m.created_at,
    };
    holds::refuse(&mut ch.tx, &p.tenant_id, &item).await?;
    store::delete_message(&mut ch.tx, &m).await?;
    ch.event(
        room_id,
        "message.deleted",
        Some(id),
        json!({ "id": id, "by": p.user_id }),
    )
    .await?;
    // The tombstone holds no text, and neither may the events members catch up from.
    scrub::message_events(&mut ch.tx, &p.tenant_id, room_id, id, Scrub::Deleted).await?;
    if by_other {
        audit::record(
            &mut ch.tx,
            audit_room(p, "message.deleted_by_moderator", room_id)
                .details(json!({ "message_id": id, "sender_id": m.sender_id })),
        )
        .await?;
    }
    ch.index(id).await?;
    ch.commit(state).await?;
    Ok(())
}

/// Move the caller's read pointer forward (never back) to `seq`.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %room_id))]
pub async fn mark_read(state: &AppState, p: &Principal, room_id: &str, seq: i64) -> ApiResult<i64> {
    if seq < 0 {
        return Err(ApiError::validation(
            "seq",
            "a sequence number is 0 or more",
        ));
    }
    let mut ch = Change::begin(state, p).await?;
    let j = access::joined(&mut ch.tx, p, room_id).await?;
    let read_seq = j.member().read_seq;
    let seq = seq.min(j.room().last_seq);
    if seq > read_seq && store::set_read(&mut ch.tx, &p.tenant_id, room_id, &p.user_id, seq).await?
    {
        ch.event(
            room_id,
            "member.read",
            None,
            json!({ "user_id": p.user_id, "seq": seq }),
        )
        .await?;
    }
    let unread = store::unread(
        &mut ch.tx,
        &p.tenant_id,
        room_id,
        &p.user_id,
        seq.max(read_seq),
    )
    .await?;
    ch.commit(state).await?;
    // Reading implies having received: a delete-after-delivery room may now let go.
    super::dad::purge_room(state, &p.tenant_id, room_id).await?;
    Ok(unread)
}

/// The room's events after `after` (catch-up after a reconnect), within what the caller may see.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %room_id))]
pub async fn events(
    state: &AppState,
    p: &Principal,
    room_id: &str,
    after: i64,
    limit: i64,
) -> ApiResult<(Vec<EventRow>, i64)> {
    let mut conn = state.db.conn().await?;
    let j = access::joined(&mut conn, p, room_id).await?;
    let rows = store::events(
        &mut conn,
        &p.tenant_id,
        room_id,
        after.max(j.floor()),
        limit,
    )
    .await?;
    Ok((rows, j.room().last_seq))
}

/// The search document for a message, `None` when it is gone or deleted.
pub async fn search_doc(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<search::Doc>, sqlx::Error> {
    // The message and its room's name in one query: this runs for every message indexed.
    let Some((m, room_name)) = store::message_with_room_name(conn, tenant_id, id).await? else {
        return Ok(None);
    };
    if m.deleted_at.is_some() || m.key_version.is_some() {
        // Deleted, or ciphertext: end-to-end encrypted messages are never indexed.
        return Ok(None);
    }
    Ok(Some(search::Doc {
        tenant_id: m.tenant_id,
        kind: KIND.into(),
        id: m.id,
        owner_id: m.sender_id,
        readers: vec![room_token(&m.room_id)],
        tags: Vec::new(),
        title: room_name.unwrap_or_default(),
        body: m.body,
        created_at: m.created_at,
    }))
}

pub fn room_token(room_id: &str) -> String {
    format!("r:{room_id}")
}

/// The room of a message the caller may read now (not deleted, within their history), or
/// `None`: what another feature asks before it keeps a link to the message (a task made from
/// it) and each time it shows that link.
pub async fn readable_room(
    conn: &mut AnyConnection,
    p: &Principal,
    id: &str,
) -> ApiResult<Option<String>> {
    if !crate::db::is_id(id) || !can_read(conn, p, id).await? {
        return Ok(None);
    }
    Ok(store::message(conn, &p.tenant_id, id)
        .await?
        .map(|m| m.room_id))
}

/// Whether the caller may read the message now (search's last word).
pub async fn can_read(conn: &mut AnyConnection, p: &Principal, id: &str) -> ApiResult<bool> {
    let Some(m) = store::message(conn, &p.tenant_id, id).await? else {
        return Ok(false);
    };
    let Some(room) = store::room(conn, &p.tenant_id, &m.room_id).await? else {
        return Ok(false);
    };
    Ok(
        match store::member(conn, &p.tenant_id, &m.room_id, &p.user_id).await? {
            Some(me) => m.deleted_at.is_none() && m.seq > floor(&room, &me),
            None => false,
        },
    )
}

/// Acknowledge delivery up to `seq`; in delete-after-delivery rooms what everyone has is removed.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id, room_id = %room_id))]
pub async fn mark_delivered(
    state: &AppState,
    p: &Principal,
    room_id: &str,
    seq: i64,
) -> ApiResult<()> {
    if seq < 0 {
        return Err(ApiError::validation(
            "seq",
            "a sequence number is 0 or more",
        ));
    }
    let mut tx = state.db.begin().await?;
    let j = access::joined(&mut tx, p, room_id).await?;
    super::dad::set_delivered(&mut tx, &j, seq).await?;
    tx.commit().await?;
    super::dad::purge_room(state, &p.tenant_id, room_id).await?;
    Ok(())
}

/// The joined member's proof, for the reactions and pins next door.
pub(super) async fn joined_message<'a>(
    conn: &mut AnyConnection,
    p: &'a Principal,
    room_id: &str,
    id: &str,
) -> ApiResult<(Joined<'a>, MessageRow)> {
    let j = access::joined(conn, p, room_id).await?;
    let m = visible_message(conn, &j, id).await?;
    Ok((j, m))
}
