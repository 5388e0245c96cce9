-- Documents, first part: spaces (personal, team, company), their members, folders.

create table spaces (
    tenant_id text not null references tenants (id),
    id text not null,
    -- personal, team, company
    kind text not null,
    name text not null,
    -- personal: 'p:<user id>'; company: 'company'; team: null (so one of each per tenant/person)
    unique_key text,
    created_by text not null,
    created_at bigint not null,
    updated_at bigint not null,
    constraint spaces_pkey primary key (tenant_id, id),
    constraint spaces_unique_key unique (tenant_id, unique_key),
    constraint spaces_kind_check check (kind in ('personal', 'team', 'company'))
);

create table space_members (
    tenant_id text not null,
    space_id text not null,
    user_id text not null,
    -- viewer, editor, manager
    role text not null,
    added_at bigint not null,
    constraint space_members_pkey primary key (tenant_id, space_id, user_id),
    constraint space_members_space_fkey foreign key (tenant_id, space_id) references spaces (tenant_id, id),
    constraint space_members_role_check check (role in ('viewer', 'editor', 'manager'))
);
create index space_members_user_idx on space_members (tenant_id, user_id);

create table folders (
    tenant_id text not null,
    id text not null,
    space_id text not null,
    -- null: at the top of the space
    parent_id text,
    name text not null,
    created_by text not null,
    created_at bigint not null,
    updated_at bigint not null,
    trashed_at bigint,
    constraint folders_pkey primary key (tenant_id, id),
    constraint folders_space_fkey foreign key (tenant_id, space_id) references spaces (tenant_id, id)
);
create index folders_parent_idx on folders (tenant_id, space_id, parent_id, name);
