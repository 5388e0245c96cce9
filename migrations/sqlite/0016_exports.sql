-- Personal data exports (issue 15): one archive of everything a person owns or authored,
-- built in the background, downloadable by a short-lived link, purged when it expires.
create table data_exports (
    tenant_id text not null references tenants (id),
    id text not null,
    -- whose data
    user_id text not null,
    -- who asked: the person, or an admin holding users.manage
    requested_by text not null,
    -- queued, running, ready, failed, expired
    status text not null,
    -- 0..100 while running
    progress bigint not null default 0,
    -- build attempts: a build cut short by a crash is retried, a few times
    attempts bigint not null default 0,
    -- JSON: items per section of the archive
    counts text not null default '{}',
    items bigint not null default 0,
    files bigint not null default 0,
    -- the archive in the blob store (sealed like every blob); null before ready and once purged
    blob_key text,
    key_version bigint not null default 0,
    size_bytes bigint not null default 0,
    sha256 text not null default '',
    error text not null default '',
    created_at bigint not null,
    started_at bigint,
    ready_at bigint,
    expires_at bigint,
    -- SHA-256 of the current download link's token, who made it and until when it works
    link_hash text,
    link_by text,
    link_expires_at bigint,
    downloads bigint not null default 0,
    constraint data_exports_pkey primary key (tenant_id, id),
    constraint data_exports_user_fkey foreign key (tenant_id, user_id) references users (tenant_id, id),
    constraint data_exports_blob_key unique (blob_key),
    constraint data_exports_link_key unique (link_hash),
    constraint data_exports_status_check check (status in ('queued', 'running', 'ready', 'failed', 'expired'))
);
create index data_exports_user_idx on data_exports (tenant_id, user_id, created_at);
create index data_exports_status_idx on data_exports (status, expires_at);
-- At most one export of a person in the making at a time.
create unique index data_exports_live_key on data_exports (tenant_id, user_id)
    where status in ('queued', 'running');
