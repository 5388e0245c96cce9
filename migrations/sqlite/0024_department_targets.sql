-- Departments as audiences of other features.
--
-- Documents: a folder or document can be shared with a department (its members and its
-- sub-departments' members, as they are at each request). SQLite cannot change a check
-- constraint in place, so the shares table is rebuilt with the same columns and names.
create table shares_new (
    tenant_id text not null,
    id text not null,
    space_id text not null,
    -- folder or document
    target_kind text not null,
    target_id text not null,
    -- user, role or department
    grantee_kind text not null,
    grantee_id text not null,
    role text not null,
    created_by text not null,
    created_at bigint not null,
    constraint shares_pkey primary key (tenant_id, id),
    constraint shares_target_grantee_key unique (tenant_id, target_kind, target_id, grantee_kind, grantee_id),
    constraint shares_target_kind_check check (target_kind in ('folder', 'document')),
    constraint shares_grantee_kind_check check (grantee_kind in ('user', 'role', 'department')),
    constraint shares_role_check check (role in ('viewer', 'editor'))
);
insert into shares_new (tenant_id, id, space_id, target_kind, target_id, grantee_kind, grantee_id,
                        role, created_by, created_at)
    select tenant_id, id, space_id, target_kind, target_id, grantee_kind, grantee_id, role,
           created_by, created_at
    from shares;
drop table shares;
alter table shares_new rename to shares;
create index shares_grantee_idx on shares (tenant_id, grantee_kind, grantee_id);

-- Messaging: a group or channel whose members follow a department's (no foreign key to the
-- department: a merge moves the follow to the department it went into, and a room whose
-- department is gone stops following at the next synchronisation).
create table room_follows (
    tenant_id text not null,
    room_id text not null,
    department_id text not null,
    -- 1: the sub-departments' members too
    subtree bigint not null default 0,
    updated_at bigint not null,
    constraint room_follows_pkey primary key (tenant_id, room_id),
    constraint room_follows_room_fkey foreign key (tenant_id, room_id) references rooms (tenant_id, id)
);
create index room_follows_department_idx on room_follows (tenant_id, department_id);

-- The directory: a person's photo in the address book (an image of the files feature; anyone
-- who browses the directory may download it).
alter table directory_people add column photo_file_id text;
create index directory_people_photo_idx on directory_people (tenant_id, photo_file_id);
