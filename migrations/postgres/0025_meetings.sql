-- Meetings: a series (one meeting, or a recurrence per RFC 5545) in an IANA time zone, with
-- its attendees (audience tokens: `user:<id>`, `dept:<id>`, `tree:<id>`), replies, changed or
-- cancelled occurrences, booked rooms and resources, reminders sent and attachments.
create table meetings (
    tenant_id text not null references tenants (id),
    id text not null,
    organiser_id text not null,
    title text not null,
    description text not null default '',
    location text not null default '',
    latitude double precision,
    longitude double precision,
    online_url text,
    -- 1: dates only (start_at and end_at are midnights in time_zone)
    all_day bigint not null default 0,
    time_zone text not null,
    -- the first occurrence (epoch ms); the wall-clock start in time_zone is what repeats
    start_at bigint not null,
    end_at bigint not null,
    -- the RRULE value (without `RRULE:`), or null for a single meeting
    rrule text,
    -- the end of the last occurrence, or null when the series has no end
    last_end_at bigint,
    -- busy: others see only busy time; public: others see the title too
    visibility text not null default 'busy',
    -- the organiser's default reminders, minutes before (JSON list)
    reminders text not null default '[]',
    -- reminder scheduling: the generation of the one live reminder row in the outbox
    remind_gen bigint not null default 0,
    -- bumped on each change of time or place (the ICS SEQUENCE)
    sequence bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null,
    constraint meetings_pkey primary key (tenant_id, id),
    constraint meetings_visibility_check check (visibility in ('busy', 'public'))
);
create index meetings_organiser_idx on meetings (tenant_id, organiser_id);
create index meetings_time_idx on meetings (tenant_id, start_at, last_end_at);

create table meeting_attendees (
    tenant_id text not null,
    meeting_id text not null,
    token text not null,
    optional bigint not null default 0,
    constraint meeting_attendees_pkey primary key (tenant_id, meeting_id, token),
    constraint meeting_attendees_meeting_fkey foreign key (tenant_id, meeting_id)
        references meetings (tenant_id, id)
);
create index meeting_attendees_token_idx on meeting_attendees (tenant_id, token, meeting_id);

-- A person's answer, for the series (occurrence 0) or one occurrence (its original start);
-- their own reminders (JSON list, null: the organiser's) live on the series row.
create table meeting_replies (
    tenant_id text not null,
    meeting_id text not null,
    user_id text not null,
    occurrence bigint not null default 0,
    -- needs_action | accepted | tentative | declined
    status text not null,
    comment text not null default '',
    reminders text,
    updated_at bigint not null,
    constraint meeting_replies_pkey primary key (tenant_id, meeting_id, user_id, occurrence),
    constraint meeting_replies_meeting_fkey foreign key (tenant_id, meeting_id)
        references meetings (tenant_id, id),
    constraint meeting_replies_status_check
        check (status in ('needs_action', 'accepted', 'tentative', 'declined'))
);
create index meeting_replies_user_idx on meeting_replies (tenant_id, user_id);

-- One occurrence changed or cancelled, keyed by its original start (RECURRENCE-ID).
create table meeting_exceptions (
    tenant_id text not null,
    meeting_id text not null,
    original_start bigint not null,
    cancelled bigint not null default 0,
    start_at bigint,
    end_at bigint,
    title text,
    location text,
    description text,
    updated_at bigint not null,
    constraint meeting_exceptions_pkey primary key (tenant_id, meeting_id, original_start),
    constraint meeting_exceptions_meeting_fkey foreign key (tenant_id, meeting_id)
        references meetings (tenant_id, id)
);

-- Rooms and resources (meeting rooms, projectors, cars), managed with `meetings.manage`.
create table meeting_resources (
    tenant_id text not null references tenants (id),
    id text not null,
    name text not null,
    -- room | equipment | vehicle
    kind text not null,
    capacity bigint,
    location text not null default '',
    created_at bigint not null,
    updated_at bigint not null,
    constraint meeting_resources_pkey primary key (tenant_id, id),
    constraint meeting_resources_kind_check check (kind in ('room', 'equipment', 'vehicle'))
);

create table meeting_bookings (
    tenant_id text not null,
    meeting_id text not null,
    resource_id text not null,
    constraint meeting_bookings_pkey primary key (tenant_id, meeting_id, resource_id),
    constraint meeting_bookings_meeting_fkey foreign key (tenant_id, meeting_id)
        references meetings (tenant_id, id),
    constraint meeting_bookings_resource_fkey foreign key (tenant_id, resource_id)
        references meeting_resources (tenant_id, id)
);
create index meeting_bookings_resource_idx on meeting_bookings (tenant_id, resource_id);

-- Every occurrence of a booking, materialised: what the no-double-booking check reads under
-- the resource's lock.
create table meeting_slots (
    tenant_id text not null,
    resource_id text not null,
    meeting_id text not null,
    start_at bigint not null,
    end_at bigint not null,
    constraint meeting_slots_pkey primary key (tenant_id, resource_id, start_at, meeting_id),
    constraint meeting_slots_meeting_fkey foreign key (tenant_id, meeting_id)
        references meetings (tenant_id, id)
);
create index meeting_slots_meeting_idx on meeting_slots (tenant_id, meeting_id);
create index meeting_slots_end_idx on meeting_slots (tenant_id, resource_id, end_at);

-- Reminders sent, so that none fires twice.
create table meeting_reminders_sent (
    tenant_id text not null,
    meeting_id text not null,
    user_id text not null,
    occurrence bigint not null,
    minutes bigint not null,
    sent_at bigint not null,
    constraint meeting_reminders_sent_pkey
        primary key (tenant_id, meeting_id, user_id, occurrence, minutes)
);

create table meeting_attachments (
    tenant_id text not null,
    meeting_id text not null,
    file_id text not null,
    constraint meeting_attachments_pkey primary key (tenant_id, meeting_id, file_id),
    constraint meeting_attachments_meeting_fkey foreign key (tenant_id, meeting_id)
        references meetings (tenant_id, id)
);
create index meeting_attachments_file_idx on meeting_attachments (tenant_id, file_id);
