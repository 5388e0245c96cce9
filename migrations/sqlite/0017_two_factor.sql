-- Two-factor sign-in with TOTP (RFC 6238): per-tenant policy, each person's factor (its secret
-- sealed with the tenant's key), single-use recovery codes, and the short-lived challenges
-- between a correct password and a session.

create table two_factor_settings (
    tenant_id text not null references tenants (id),
    -- optional | admins (people holding any admin-only permission) | everyone
    policy text not null default 'optional',
    updated_by text not null default '',
    updated_at bigint not null default 0,
    constraint two_factor_settings_pkey primary key (tenant_id),
    constraint two_factor_settings_policy_check check (policy in ('optional', 'admins', 'everyone'))
);

create table totp_factors (
    tenant_id text not null,
    user_id text not null,
    -- `<tenant key version>:<base64 nonce + sealed secret>`
    secret text not null,
    -- null until the first code confirmed it
    confirmed_at bigint,
    -- the last time step a code was accepted for: each code works once
    last_step bigint not null default 0,
    created_at bigint not null,
    constraint totp_factors_pkey primary key (tenant_id, user_id),
    constraint totp_factors_user_fkey foreign key (tenant_id, user_id) references users (tenant_id, id)
);

create table totp_recovery_codes (
    tenant_id text not null,
    user_id text not null,
    -- SHA-256 of the code (the codes carry 50 random bits each, shown once)
    code_hash text not null,
    used_at bigint,
    constraint totp_recovery_codes_pkey primary key (tenant_id, user_id, code_hash),
    constraint totp_recovery_codes_user_fkey foreign key (tenant_id, user_id) references users (tenant_id, id)
);

-- Between a correct password and a session: a second factor to give, or a factor to enrol.
create table sign_in_challenges (
    -- SHA-256 of the challenge token handed to the client
    token_hash text not null,
    tenant_id text not null,
    user_id text not null,
    -- totp (give a code) | enrol (the tenant requires a factor the person has not set up)
    kind text not null,
    device text not null default '',
    attempts bigint not null default 0,
    expires_at bigint not null,
    constraint sign_in_challenges_pkey primary key (token_hash),
    constraint sign_in_challenges_kind_check check (kind in ('totp', 'enrol'))
);
create index sign_in_challenges_user_idx on sign_in_challenges (tenant_id, user_id);
