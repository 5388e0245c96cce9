-- Account lifecycle (issue: admin-controlled deletion with a grace period, offboarding
-- transfer, erasure from every store with a report, an erasure ledger for replays).
--
-- An account's status stays `disabled` from the deletion request on (sign-in and every
-- session refuse it); the request below says whether it is pending erasure or erased. This
-- keeps the users table's check constraint (changing it would rebuild `users` on SQLite,
-- with every foreign key that points at it).

-- A tenant's account-deletion settings; a missing row means the defaults.
create table account_settings (
    tenant_id text not null references tenants (id),
    -- days between the request and the erasure (0: at once)
    grace_days bigint not null default 14,
    -- what happens to messages an erased person wrote
    authored_messages text not null default 'pseudonymise',
    -- signing in during the grace period cancels a request the person made themselves
    sign_in_cancels bigint not null default 1,
    updated_by text not null default '',
    updated_at bigint not null default 0,
    constraint account_settings_pkey primary key (tenant_id),
    constraint account_settings_messages_check check (authored_messages in ('delete', 'pseudonymise'))
);

-- Deletion requests: pending (grace period), cancelled, erasing (claimed), erased.
create table account_deletions (
    tenant_id text not null references tenants (id),
    id text not null,
    user_id text not null,
    requested_by text not null,
    -- the person asked for it themselves
    self_service bigint not null default 0,
    reason text not null default '',
    requested_at bigint not null,
    erase_at bigint not null,
    status text not null,
    -- the account's status before the request (what a cancellation restores at most)
    prior_status text not null,
    -- JSON: where documents and rooms go
    transfers text not null default '{}',
    authored_messages text not null,
    cancelled_by text,
    cancelled_at bigint,
    -- the node erasing it holds it until then
    lease_until bigint not null default 0,
    erased_at bigint,
    report_id text,
    constraint account_deletions_pkey primary key (tenant_id, id),
    constraint account_deletions_status_check check (status in ('pending', 'cancelled', 'erasing', 'erased'))
);
create unique index account_deletions_live on account_deletions (tenant_id, user_id)
    where status in ('pending', 'erasing', 'erased');
create index account_deletions_due on account_deletions (status, erase_at);

-- What each erasure removed, store by store (JSON), and what it transferred to whom.
create table erasure_reports (
    tenant_id text not null references tenants (id),
    id text not null,
    deletion_id text not null,
    -- the erased person's id, now pseudonymous
    user_id text not null,
    pseudonym text not null,
    requested_by text not null,
    requested_at bigint not null,
    started_at bigint not null,
    finished_at bigint not null,
    report text not null,
    constraint erasure_reports_pkey primary key (tenant_id, id)
);
create index erasure_reports_time on erasure_reports (tenant_id, finished_at);

-- The erasure ledger in the database (its copy in the blob store survives a database restore).
create table erasure_ledger (
    tenant_id text not null references tenants (id),
    user_id text not null,
    deletion_id text not null,
    erased_at bigint not null,
    authored_messages text not null,
    constraint erasure_ledger_pkey primary key (tenant_id, user_id)
);

-- Audit entries keep their chain through an erasure: the hash covers a salted digest of the
-- personal fields (address, details) instead of the fields, so erasing them (salt and all)
-- leaves the chain verifiable. Empty for entries written before this migration.
alter table audit_log add column pii_salt text not null default '';
alter table audit_log add column pii_digest text not null default '';
