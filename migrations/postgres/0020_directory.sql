-- The organisation directory: departments as a tree (each with an optional head), the tenant's
-- positions, people's department memberships (one primary, others optional), their position,
-- manager and work contact details, and the tenant's address-book visibility rules.

create table directory_settings (
    tenant_id text not null references tenants (id),
    -- who sees a person's work email / phone in the address book:
    -- everyone | same_department | nobody (holders of directory.manage always do)
    email_visibility text not null default 'everyone',
    phone_visibility text not null default 'same_department',
    -- bumped by every change of the tree or the manager links: the row is the tenant's
    -- directory lock, so cycle checks read a tree nobody changes meanwhile
    lock_seq bigint not null default 0,
    updated_by text not null default '',
    updated_at bigint not null default 0,
    constraint directory_settings_pkey primary key (tenant_id),
    constraint directory_settings_email_check
        check (email_visibility in ('everyone', 'same_department', 'nobody')),
    constraint directory_settings_phone_check
        check (phone_visibility in ('everyone', 'same_department', 'nobody'))
);

create table departments (
    tenant_id text not null references tenants (id),
    id text not null,
    -- null: a top-level department
    parent_id text,
    -- the parent's id, '' at the top: sibling names are unique (a null would not be)
    parent_key text not null default '',
    name text not null,
    -- the name folded (case and accents) for the sibling uniqueness
    name_key text not null,
    head_id text,
    created_at bigint not null,
    updated_at bigint not null,
    constraint departments_pkey primary key (tenant_id, id),
    constraint departments_parent_fkey foreign key (tenant_id, parent_id)
        references departments (tenant_id, id),
    constraint departments_head_fkey foreign key (tenant_id, head_id)
        references users (tenant_id, id),
    constraint departments_name_key unique (tenant_id, parent_key, name_key)
);
create index departments_parent_idx on departments (tenant_id, parent_id);
create index departments_head_idx on departments (tenant_id, head_id);

create table positions (
    tenant_id text not null references tenants (id),
    id text not null,
    name text not null,
    name_key text not null,
    created_at bigint not null,
    updated_at bigint not null,
    constraint positions_pkey primary key (tenant_id, id),
    constraint positions_name_key unique (tenant_id, name_key)
);

-- A person's directory record: position, manager and work contact details.
create table directory_people (
    tenant_id text not null,
    user_id text not null,
    position_id text,
    manager_id text,
    work_email text,
    work_phone text,
    updated_at bigint not null,
    constraint directory_people_pkey primary key (tenant_id, user_id),
    constraint directory_people_user_fkey foreign key (tenant_id, user_id)
        references users (tenant_id, id),
    constraint directory_people_position_fkey foreign key (tenant_id, position_id)
        references positions (tenant_id, id),
    constraint directory_people_manager_fkey foreign key (tenant_id, manager_id)
        references users (tenant_id, id)
);
create index directory_people_manager_idx on directory_people (tenant_id, manager_id);
create index directory_people_position_idx on directory_people (tenant_id, position_id);

create table department_members (
    tenant_id text not null,
    department_id text not null,
    user_id text not null,
    -- 1: the person's primary department (at most one per person)
    is_primary bigint not null default 0,
    created_at bigint not null,
    constraint department_members_pkey primary key (tenant_id, department_id, user_id),
    constraint department_members_department_fkey foreign key (tenant_id, department_id)
        references departments (tenant_id, id),
    constraint department_members_user_fkey foreign key (tenant_id, user_id)
        references users (tenant_id, id)
);
create index department_members_user_idx on department_members (tenant_id, user_id);
create unique index department_members_primary_key on department_members (tenant_id, user_id)
    where is_primary = 1;
