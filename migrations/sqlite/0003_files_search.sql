-- Blobs, encryption keys, files and search: storage infrastructure shared by messaging and
-- documents.

-- Storage settings per tenant; null means the install-wide default from the configuration.
alter table tenants add column storage_quota_bytes bigint;
alter table tenants add column max_upload_bytes bigint;
-- Bytes of file content the tenant stores (plaintext sizes); kept in the same transaction as
-- the rows that reference blobs, and checked against the quota there.
alter table tenants add column storage_used_bytes bigint not null default 0;

-- Per-tenant data keys, wrapped (AES-256-GCM) by the install's master key. Destroying a key
-- (wrapped_key emptied, destroyed_at set) makes every blob sealed with it unreadable.
create table tenant_keys (
    tenant_id text not null references tenants (id),
    version bigint not null,
    wrapped_key blob not null,
    -- fingerprint of the master key that wrapped it
    master_key_id text not null,
    created_at bigint not null,
    destroyed_at bigint,
    constraint tenant_keys_pkey primary key (tenant_id, version)
);

-- Uploaded file content. The blob is written first, then this row; the orphan sweeper removes
-- blobs no row references.
create table files (
    tenant_id text not null references tenants (id),
    id text not null,
    uploader_id text not null,
    name text not null,
    -- detected from the content, not taken from the client
    content_type text not null,
    size bigint not null,
    sha256 text not null,
    blob_key text not null,
    -- version of the tenant key that sealed the blob; 0 = stored in the clear
    key_version bigint not null,
    -- the client's Idempotency-Key, so a retried upload returns the first file
    idempotency_key text,
    -- text extraction for the search index: pending, done, failed, none (no text in this type)
    extract_status text not null default 'pending',
    extract_error text,
    created_at bigint not null,
    constraint files_pkey primary key (tenant_id, id),
    constraint files_blob_key unique (blob_key),
    constraint files_idempotency_key unique (tenant_id, uploader_id, idempotency_key),
    constraint files_extract_status_check check (extract_status in ('pending', 'done', 'failed', 'none'))
);
create index files_uploader_idx on files (tenant_id, uploader_id, id);

-- Extracted text of a file, for (re)indexing without reading and parsing the blob again.
create table file_texts (
    tenant_id text not null,
    file_id text not null,
    body text not null,
    constraint file_texts_pkey primary key (tenant_id, file_id),
    constraint file_texts_file_fkey foreign key (tenant_id, file_id) references files (tenant_id, id) on delete cascade
);

-- Install-wide job leases, so that one node at a time runs a sweep.
create table job_locks (
    name text primary key,
    holder text not null,
    expires_at bigint not null
);
