-- Per-tenant single sign-on with OpenID Connect: the tenant's identity provider settings,
-- the links between a provider's identities and accounts, sign-ins in progress, and the
-- one-time codes a finished sign-in hands back to the browser or app.

create table sso_settings (
    tenant_id text not null references tenants (id),
    enabled bigint not null default 0,
    -- the provider's issuer identifier; discovery at <issuer>/.well-known/openid-configuration
    issuer text not null default '',
    client_id text not null default '',
    -- sealed with the tenant's key (`<key version>:<base64>`); empty: no secret (public client)
    client_secret text not null default '',
    -- space-separated; always includes openid
    scopes text not null default 'openid email profile',
    name_claim text not null default 'name',
    email_claim text not null default 'email',
    phone_claim text not null default 'phone_number',
    -- empty: groups are not read
    groups_claim text not null default '',
    -- JSON: [{"group": "...", "role_id": "..."}]
    role_mapping text not null default '[]',
    -- JSON: ["example.com", ...]; empty: any domain
    allowed_domains text not null default '[]',
    -- just-in-time creation of accounts for people the provider vouches for
    jit bigint not null default 0,
    -- null: the built-in staff role
    default_role_id text,
    -- JSON: where a finished sign-in may return (apps); the built-in page is always allowed
    redirect_uris text not null default '[]',
    -- trust an email claim without `email_verified` (providers that never send it)
    assume_email_verified bigint not null default 0,
    updated_by text not null default '',
    updated_at bigint not null default 0,
    constraint sso_settings_pkey primary key (tenant_id)
);

create table sso_links (
    tenant_id text not null,
    id text not null,
    issuer text not null,
    subject text not null,
    user_id text not null,
    created_at bigint not null,
    last_used_at bigint,
    constraint sso_links_pkey primary key (tenant_id, id),
    constraint sso_links_identity_key unique (tenant_id, issuer, subject),
    constraint sso_links_user_fkey foreign key (tenant_id, user_id) references users (tenant_id, id)
);
create index sso_links_user_idx on sso_links (tenant_id, user_id);

-- A sign-in (or link) between the redirect to the provider and its callback: single use,
-- found by the SHA-256 of its `state`, so it works whichever node the callback reaches.
create table sso_flows (
    state_hash text not null,
    tenant_id text not null,
    -- sign_in | link
    purpose text not null,
    -- the signed-in person who asked to link; '' for a sign-in
    user_id text not null default '',
    issuer text not null,
    nonce text not null,
    pkce_verifier text not null,
    return_to text not null default '',
    client text not null default 'browser',
    -- SHA-256 of the client address that started it: unfinished sign-ins are capped per address
    client_key text not null default '',
    created_at bigint not null,
    expires_at bigint not null,
    constraint sso_flows_pkey primary key (state_hash),
    constraint sso_flows_purpose_check check (purpose in ('sign_in', 'link'))
);
create index sso_flows_tenant_idx on sso_flows (tenant_id, user_id);
create index sso_flows_client_idx on sso_flows (tenant_id, client_key, expires_at);

-- What a finished sign-in hands back: exchanged once, within a minute, for a session.
create table sso_exchange_codes (
    code_hash text not null,
    tenant_id text not null,
    user_id text not null,
    client text not null default 'browser',
    created_at bigint not null,
    expires_at bigint not null,
    constraint sso_exchange_codes_pkey primary key (code_hash)
);
create index sso_exchange_codes_user_idx on sso_exchange_codes (tenant_id, user_id);
