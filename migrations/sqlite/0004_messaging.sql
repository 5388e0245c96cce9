-- Messaging: rooms, members, the per-room event log, messages and their attachments.

create table rooms (
    tenant_id text not null references tenants (id),
    id text not null,
    -- direct (one per pair), group (private, invited), channel (visible to the tenant)
    kind text not null,
    name text not null default '',
    topic text not null default '',
    avatar_file_id text,
    -- what people who join later see: 'full' history or only from when they 'joined'
    history_visibility text not null default 'full',
    -- for direct rooms: the two user ids, ordered, so a pair has one room
    direct_key text,
    created_by text not null,
    archived_at bigint,
    -- the head of the room's event sequence; every event takes the next number
    last_seq bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null,
    constraint rooms_pkey primary key (tenant_id, id),
    constraint rooms_direct_key unique (tenant_id, direct_key),
    constraint rooms_kind_check check (kind in ('direct', 'group', 'channel')),
    constraint rooms_history_check check (history_visibility in ('full', 'joined'))
);

create table room_members (
    tenant_id text not null,
    room_id text not null,
    user_id text not null,
    role text not null,
    -- the room's sequence head when the person joined (for 'joined' history visibility)
    joined_seq bigint not null,
    -- the last sequence number the person has read
    read_seq bigint not null default 0,
    -- the last sequence number the person's client acknowledged receiving
    delivered_seq bigint not null default 0,
    joined_at bigint not null,
    constraint room_members_pkey primary key (tenant_id, room_id, user_id),
    constraint room_members_room_fkey foreign key (tenant_id, room_id) references rooms (tenant_id, id),
    constraint room_members_role_check check (role in ('owner', 'moderator', 'member'))
);
create index room_members_user_idx on room_members (tenant_id, user_id);

-- Every change in a room, numbered in the room: what a client catches up from.
create table room_events (
    tenant_id text not null,
    room_id text not null,
    seq bigint not null,
    kind text not null,
    actor_id text not null,
    -- the message the event is about, if any
    message_id text,
    -- the event's content as JSON
    payload text not null,
    created_at bigint not null,
    constraint room_events_pkey primary key (tenant_id, room_id, seq),
    constraint room_events_room_fkey foreign key (tenant_id, room_id) references rooms (tenant_id, id)
);

create table messages (
    tenant_id text not null,
    id text not null,
    room_id text not null,
    -- the sequence number of the event that created it
    seq bigint not null,
    sender_id text not null,
    body text not null,
    -- the first message of the thread this one replies in
    thread_root_id text,
    -- user ids mentioned, and whether the whole room was, as JSON
    mentions text not null default '[]',
    mentions_room bigint not null default 0,
    -- end-to-end encrypted rooms: the body is the client's ciphertext under this room key version
    key_version bigint,
    edited_at bigint,
    deleted_at bigint,
    created_at bigint not null,
    constraint messages_pkey primary key (tenant_id, id),
    constraint messages_room_fkey foreign key (tenant_id, room_id) references rooms (tenant_id, id)
);
create index messages_room_seq_idx on messages (tenant_id, room_id, seq);
create index messages_thread_idx on messages (tenant_id, thread_root_id, seq);

-- Earlier versions of edited messages, kept for the audit trail.
create table message_edits (
    tenant_id text not null,
    message_id text not null,
    body text not null,
    replaced_at bigint not null,
    editor_id text not null
);
create index message_edits_idx on message_edits (tenant_id, message_id);

-- Files attached to messages: room members may read them.
create table message_attachments (
    tenant_id text not null,
    message_id text not null,
    file_id text not null,
    room_id text not null,
    constraint message_attachments_pkey primary key (tenant_id, message_id, file_id)
);
create index message_attachments_file_idx on message_attachments (tenant_id, file_id);

-- One-time tickets that open a WebSocket without putting the session token in a URL.
create table ws_tickets (
    ticket_hash text primary key,
    -- the session the ticket stands for
    token_hash text not null,
    expires_at bigint not null
);

create table message_reactions (
    tenant_id text not null,
    message_id text not null,
    user_id text not null,
    emoji text not null,
    created_at bigint not null,
    constraint message_reactions_pkey primary key (tenant_id, message_id, user_id, emoji)
);

create table room_pins (
    tenant_id text not null,
    room_id text not null,
    message_id text not null,
    pinned_by text not null,
    pinned_at bigint not null,
    constraint room_pins_pkey primary key (tenant_id, room_id, message_id)
);

-- In-app notifications: mentions and direct messages. The seam for push delivery.
create table notifications (
    tenant_id text not null,
    id text not null,
    user_id text not null,
    -- mention, room_mention, direct
    kind text not null,
    room_id text not null,
    message_id text not null,
    actor_id text not null,
    created_at bigint not null,
    read_at bigint,
    constraint notifications_pkey primary key (tenant_id, id),
    constraint notifications_once unique (tenant_id, user_id, message_id)
);
create index notifications_user_idx on notifications (tenant_id, user_id, id);

-- End-to-end encrypted rooms. The server stores ciphertext and, per member device, the room key
-- wrapped (by the clients) for that device; it never holds a room key itself.
create table room_encryption (
    tenant_id text not null,
    room_id text not null,
    -- the lowest key version senders may use: raised by every membership change
    key_epoch bigint not null default 1,
    constraint room_encryption_pkey primary key (tenant_id, room_id)
);

create table user_devices (
    tenant_id text not null,
    user_id text not null,
    device_id text not null,
    -- X25519 public key, base64
    public_key text not null,
    created_at bigint not null,
    constraint user_devices_pkey primary key (tenant_id, user_id, device_id)
);

create table room_keys (
    tenant_id text not null,
    room_id text not null,
    version bigint not null,
    user_id text not null,
    device_id text not null,
    -- opaque to the server
    wrapped_key text not null,
    created_by text not null,
    created_at bigint not null,
    constraint room_keys_pkey primary key (tenant_id, room_id, version, user_id, device_id)
);

-- Delete-after-delivery rooms: a message is removed from the server once every member has
-- acknowledged receiving it, or after the room's maximum lifetime.
create table room_dad (
    tenant_id text not null,
    room_id text not null,
    max_lifetime_secs bigint,
    constraint room_dad_pkey primary key (tenant_id, room_id)
);
