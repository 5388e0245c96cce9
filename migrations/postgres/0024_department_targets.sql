-- Departments as audiences of other features.
--
-- Documents: a folder or document can be shared with a department (its members and its
-- sub-departments' members, as they are at each request).
alter table shares drop constraint shares_grantee_kind_check;
alter table shares add constraint shares_grantee_kind_check
    check (grantee_kind in ('user', 'role', 'department'));

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
