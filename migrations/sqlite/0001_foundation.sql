-- Foundation: tenants, users, sessions, invitations, roles (casbin policy storage), audit chain,
-- outbox, login throttling, install state.

create table tenants (
    id text primary key,
    slug text not null,
    name text not null,
    status text not null default 'active',
    -- head of this tenant's audit hash chain
    audit_seq bigint not null default 0,
    audit_head text not null default '',
    -- increases with every change to the tenant's roles or bindings, so every node reloads the
    -- tenant's authorization policies before its next request
    policy_version bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null,
    constraint tenants_slug_key unique (slug),
    constraint tenants_status_check check (status in ('active', 'suspended'))
);

create table users (
    tenant_id text not null references tenants (id),
    id text not null,
    email text,
    phone text,
    display_name text not null,
    title text,
    department text,
    status text not null,
    password_hash text,
    -- lower-cased display name, email and phone, for search
    search_text text not null default '',
    created_at bigint not null,
    updated_at bigint not null,
    constraint users_pkey primary key (tenant_id, id),
    constraint users_email_key unique (tenant_id, email),
    constraint users_phone_key unique (tenant_id, phone),
    constraint users_status_check check (status in ('invited', 'active', 'disabled'))
);

create table sessions (
    tenant_id text not null,
    id text not null,
    user_id text not null,
    token_hash text not null,
    device text not null default '',
    ip text not null default '',
    created_at bigint not null,
    last_seen_at bigint not null,
    expires_at bigint not null,
    revoked_at bigint,
    constraint sessions_pkey primary key (tenant_id, id),
    constraint sessions_token_key unique (token_hash),
    constraint sessions_user_fkey foreign key (tenant_id, user_id) references users (tenant_id, id)
);
create index sessions_user_idx on sessions (tenant_id, user_id);

create table invitations (
    tenant_id text not null,
    id text not null,
    user_id text not null,
    token_hash text not null,
    created_by text,
    created_at bigint not null,
    expires_at bigint not null,
    used_at bigint,
    constraint invitations_pkey primary key (tenant_id, id),
    constraint invitations_token_key unique (token_hash),
    constraint invitations_user_fkey foreign key (tenant_id, user_id) references users (tenant_id, id)
);
create index invitations_user_idx on invitations (tenant_id, user_id);

create table roles (
    tenant_id text not null references tenants (id),
    id text not null,
    name text not null,
    description text not null default '',
    -- 'admin' or 'staff' for the built-in roles, '' for custom roles
    builtin text not null default '',
    created_at bigint not null,
    updated_at bigint not null,
    constraint roles_pkey primary key (tenant_id, id),
    constraint roles_name_key unique (tenant_id, name)
);

create table role_permissions (
    tenant_id text not null,
    role_id text not null,
    permission text not null,
    constraint role_permissions_pkey primary key (tenant_id, role_id, permission),
    constraint role_permissions_role_fkey foreign key (tenant_id, role_id) references roles (tenant_id, id)
);

create table role_bindings (
    tenant_id text not null,
    user_id text not null,
    role_id text not null,
    created_at bigint not null,
    constraint role_bindings_pkey primary key (tenant_id, user_id, role_id),
    constraint role_bindings_user_fkey foreign key (tenant_id, user_id) references users (tenant_id, id),
    constraint role_bindings_role_fkey foreign key (tenant_id, role_id) references roles (tenant_id, id)
);
create index role_bindings_role_idx on role_bindings (tenant_id, role_id);

create table audit_log (
    tenant_id text not null references tenants (id),
    seq bigint not null,
    id text not null,
    at bigint not null,
    actor_kind text not null,
    actor_id text not null default '',
    action text not null,
    target_kind text not null default '',
    target_id text not null default '',
    outcome text not null default 'success',
    ip text not null default '',
    request_id text not null default '',
    details text not null default '{}',
    prev_hash text not null,
    hash text not null,
    constraint audit_log_pkey primary key (tenant_id, seq)
);
create index audit_log_action_idx on audit_log (tenant_id, action, seq);
create index audit_log_actor_idx on audit_log (tenant_id, actor_id, seq);
create index audit_log_target_idx on audit_log (tenant_id, target_id, seq);

create table outbox (
    id integer primary key autoincrement,
    tenant_id text not null default '',
    topic text not null,
    payload text not null,
    created_at bigint not null,
    available_at bigint not null,
    attempts bigint not null default 0,
    claimed_until bigint,
    done_at bigint,
    dead_at bigint,
    last_error text
);
create index outbox_pending_idx on outbox (done_at, dead_at, available_at);

create table login_throttle (
    key text primary key,
    failures bigint not null,
    window_start bigint not null,
    locked_until bigint not null
);

create table install_state (
    key text primary key,
    value text not null,
    updated_at bigint not null
);
