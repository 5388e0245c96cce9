-- Documents, second part: documents and their versions on the files layer, sharing, trash,
-- per-user quotas, previews.

-- Tenant settings for documents; null means the install-wide default from the configuration.
alter table tenants add column doc_versions_kept bigint;
alter table tenants add column trash_retention_days bigint;
-- Storage each person may use (0 = no per-person limit); a person's own setting wins.
alter table tenants add column user_quota_bytes bigint;
alter table users add column storage_quota_bytes bigint;
-- Bytes of file content a person uploaded; kept with the files in the same transaction.
alter table users add column storage_used_bytes bigint not null default 0;
update users set storage_used_bytes = (select coalesce(sum(f.size), 0) from files f
    where f.tenant_id = users.tenant_id and f.uploader_id = users.id);

-- `user`: a plain upload its uploader reads; `document`: content of document versions, read
-- through the documents that use it.
alter table files add column scope text not null default 'user';

-- A small preview of a file (an image thumbnail), made when its text is extracted.
create table file_previews (
    tenant_id text not null,
    file_id text not null,
    content_type text not null,
    data blob not null,
    created_at bigint not null,
    constraint file_previews_pkey primary key (tenant_id, file_id),
    constraint file_previews_file_fkey foreign key (tenant_id, file_id) references files (tenant_id, id) on delete cascade
);

-- Folders trashed with a folder point at the folder the person trashed (the trash root).
alter table folders add column trashed_via text;
alter table folders add column trashed_by text;

create table documents (
    tenant_id text not null,
    id text not null,
    space_id text not null,
    -- null: at the top of the space
    folder_id text,
    name text not null,
    title text not null default '',
    description text not null default '',
    -- JSON array of strings
    keywords text not null default '[]',
    -- optional location, in ten-millionths of a degree (about a centimetre); integers keep
    -- the value exact on both databases
    latitude_e7 bigint,
    longitude_e7 bigint,
    -- the current version's file
    file_id text not null,
    version bigint not null,
    owner_id text not null,
    created_at bigint not null,
    updated_at bigint not null,
    updated_by text not null,
    trashed_at bigint,
    trashed_via text,
    trashed_by text,
    constraint documents_pkey primary key (tenant_id, id),
    constraint documents_space_fkey foreign key (tenant_id, space_id) references spaces (tenant_id, id)
);
create index documents_folder_idx on documents (tenant_id, space_id, folder_id, name);
create unique index documents_name_key on documents (tenant_id, space_id, coalesce(folder_id, ''), name)
    where trashed_at is null;
create index documents_file_idx on documents (tenant_id, file_id);
create index documents_trash_idx on documents (tenant_id, trashed_at);

create table document_versions (
    tenant_id text not null,
    document_id text not null,
    number bigint not null,
    file_id text not null,
    author_id text not null,
    created_at bigint not null,
    -- set when this version restores an earlier one
    restored_from bigint,
    constraint document_versions_pkey primary key (tenant_id, document_id, number),
    constraint document_versions_document_fkey foreign key (tenant_id, document_id) references documents (tenant_id, id)
);
create index document_versions_file_idx on document_versions (tenant_id, file_id);

-- A folder or document shared with a person or a role, as viewer or editor; a folder's shares
-- reach everything below it.
create table shares (
    tenant_id text not null,
    id text not null,
    space_id text not null,
    -- folder or document
    target_kind text not null,
    target_id text not null,
    -- user or role
    grantee_kind text not null,
    grantee_id text not null,
    role text not null,
    created_by text not null,
    created_at bigint not null,
    constraint shares_pkey primary key (tenant_id, id),
    constraint shares_target_grantee_key unique (tenant_id, target_kind, target_id, grantee_kind, grantee_id),
    constraint shares_target_kind_check check (target_kind in ('folder', 'document')),
    constraint shares_grantee_kind_check check (grantee_kind in ('user', 'role')),
    constraint shares_role_check check (role in ('viewer', 'editor'))
);
create index shares_grantee_idx on shares (tenant_id, grantee_kind, grantee_id);
