-- Data retention (issue: per-tenant policies, overrides, legal holds, previews, purge runs).
--
-- Retention policies per tenant and data class (the class names come from the lifecycle
-- registry); a missing row means the class's default. `days` null: keep forever.
create table retention_policies (
    tenant_id text not null references tenants (id),
    class text not null,
    days bigint,
    updated_by text not null,
    updated_at bigint not null,
    constraint retention_policies_pkey primary key (tenant_id, class)
);

-- Overrides for one room or team space (precedence: legal hold > override > tenant policy).
create table retention_overrides (
    tenant_id text not null references tenants (id),
    -- room or space
    container_kind text not null,
    container_id text not null,
    class text not null,
    days bigint,
    updated_by text not null,
    updated_at bigint not null,
    constraint retention_overrides_pkey primary key (tenant_id, container_kind, container_id, class),
    constraint retention_overrides_kind_check check (container_kind in ('room', 'space'))
);

-- Switches of a tenant's retention; a missing row means the defaults.
create table retention_settings (
    tenant_id text not null references tenants (id),
    -- pinned messages are kept whatever the policy
    exempt_pinned bigint not null default 0,
    -- room owners may set their own room's periods, no shorter than this (null: they may not)
    owner_min_days bigint,
    -- saving a policy that removes more items than this needs the previewed counts confirmed
    confirm_threshold bigint not null default 1000,
    constraint retention_settings_pkey primary key (tenant_id)
);

-- Legal holds: while active, nothing in scope is purged or deleted by hand.
create table legal_holds (
    tenant_id text not null references tenants (id),
    id text not null,
    name text not null,
    reason text not null,
    -- optional date range of the items held (by their own time)
    from_at bigint,
    until_at bigint,
    created_by text not null,
    created_at bigint not null,
    updated_at bigint not null,
    released_at bigint,
    released_by text,
    constraint legal_holds_pkey primary key (tenant_id, id)
);

create table legal_hold_scopes (
    tenant_id text not null,
    hold_id text not null,
    -- person (what they authored or own), room or space
    kind text not null,
    target_id text not null,
    constraint legal_hold_scopes_pkey primary key (tenant_id, hold_id, kind, target_id),
    constraint legal_hold_scopes_hold_fkey foreign key (tenant_id, hold_id) references legal_holds (tenant_id, id),
    constraint legal_hold_scopes_kind_check check (kind in ('person', 'room', 'space'))
);
create index legal_hold_scopes_target_idx on legal_hold_scopes (tenant_id, kind, target_id);

-- One purge run of a tenant (scheduled, asked for, or from the command line) and its report.
create table retention_runs (
    tenant_id text not null references tenants (id),
    id text not null,
    -- schedule, api, cli
    trigger text not null,
    dry_run bigint not null default 0,
    -- running, done, failed
    status text not null,
    started_at bigint not null,
    finished_at bigint,
    -- the instant the run measured ages from
    as_of bigint not null,
    requested_by text not null default '',
    -- JSON: per data class and store, counts, bytes, held back, errors
    report text not null default '{}',
    error text not null default '',
    constraint retention_runs_pkey primary key (tenant_id, id)
);
create index retention_runs_started_idx on retention_runs (tenant_id, started_at);

-- Finding items by age, per tenant, without reading every row.
create index messages_created_idx on messages (tenant_id, created_at);
create index notifications_created_idx on notifications (tenant_id, created_at);
create index sessions_seen_idx on sessions (tenant_id, last_seen_at);
create index document_versions_created_idx on document_versions (tenant_id, created_at);
create index audit_log_at_idx on audit_log (tenant_id, at);
-- A purge deletes a batch's notifications and pins by message.
create index notifications_message_idx on notifications (tenant_id, message_id);
create index room_pins_message_idx on room_pins (tenant_id, message_id);

-- The trash period moves from document settings to the retention policy (class `trash`),
-- keeping its value.
insert into retention_policies (tenant_id, class, days, updated_by, updated_at)
    select tenant_id, 'trash', trash_retention_days, 'migration', 0 from document_settings
    where trash_retention_days is not null;
alter table document_settings drop column trash_retention_days;

-- The audit log may lose its oldest entries to retention: the chain then starts after the
-- last purged entry, whose sequence number and hash (with an anchor) are kept here.
alter table audit_heads add column pruned_seq bigint not null default 0;
alter table audit_heads add column pruned_hash text not null default '';
alter table audit_heads add column pruned_anchor text not null default '';
