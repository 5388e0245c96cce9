-- Identity: each person's language and which contact details they proved they own, one-time
-- codes (phone and email codes, password-reset links) with their hourly quotas, and each
-- tenant's registration settings.

alter table users add column locale text;
-- when a code sent to the email (phone) proved that it reaches this person; cleared when the
-- address changes by any other path
alter table users add column email_verified_at bigint;
alter table users add column phone_verified_at bigint;

-- One live code per purpose, destination and holder (the person asking, or '' when nobody is
-- signed in): a new code replaces the old one. A row exists even when the destination has no
-- account (user_id null, nothing is sent), so cool-downs and quotas answer the same either way.
create table one_time_codes (
    tenant_id text not null,
    -- register | sign_in | verify | password_reset
    purpose text not null,
    -- `email:<address>` or `phone:<E.164>`
    destination text not null,
    holder text not null default '',
    -- the account the code acts on; null: the code can never succeed
    user_id text,
    -- HMAC-SHA256 of the code under a key derived from the install's master key
    code_hash text not null,
    created_at bigint not null,
    expires_at bigint not null,
    -- wrong guesses; the code dies at `codes.max_attempts`
    attempts bigint not null default 0,
    consumed_at bigint,
    constraint one_time_codes_pkey primary key (tenant_id, purpose, destination, holder)
);
create index one_time_codes_hash_idx on one_time_codes (code_hash);
create index one_time_codes_user_idx on one_time_codes (tenant_id, user_id);

-- Fixed one-hour windows of code sends per key (digests of destination, client network and
-- tenant: no addresses stored). Old windows are deleted by the periodic cleanup.
create table code_quota (
    key text not null,
    window_start bigint not null,
    sent bigint not null default 0,
    constraint code_quota_pkey primary key (key, window_start)
);

create table registration_settings (
    tenant_id text not null references tenants (id),
    -- invitation (only admins add people) | open (anyone may register with a code)
    mode text not null default 'invitation',
    by_email bigint not null default 0,
    by_phone bigint not null default 0,
    -- space-separated email domains allowed to register; empty: any
    email_domains text not null default '',
    -- role given to people who register themselves; null: the built-in staff role
    default_role_id text,
    -- people may sign in with their phone number and a code instead of the password
    phone_sign_in bigint not null default 0,
    updated_by text not null default '',
    updated_at bigint not null default 0,
    constraint registration_settings_pkey primary key (tenant_id),
    constraint registration_settings_mode_check check (mode in ('invitation', 'open'))
);
