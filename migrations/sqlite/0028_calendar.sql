-- The calendar (feature `calendar`): each person's secret feed address and what they imported.

-- A person's calendar feed: the digest of the secret token in the address calendar apps
-- subscribe to (one live address per person; a new one replaces it, deleting revokes it).
create table calendar_feeds (
    tenant_id text not null references tenants (id),
    id text not null,
    user_id text not null,
    token_hash text not null,
    created_at bigint not null,
    last_used_at bigint,
    constraint calendar_feeds_pkey primary key (tenant_id, id),
    constraint calendar_feeds_user_key unique (tenant_id, user_id),
    constraint calendar_feeds_token_key unique (token_hash)
);

-- Events imported from iCalendar files, by their UID: importing the same file again skips
-- what is already there.
create table calendar_imports (
    tenant_id text not null references tenants (id),
    user_id text not null,
    uid text not null,
    meeting_id text not null,
    imported_at bigint not null,
    constraint calendar_imports_pkey primary key (tenant_id, user_id, uid)
);
create index calendar_imports_meeting_idx on calendar_imports (tenant_id, meeting_id);
