-- Feature settings move off `tenants` and `users` into tables their feature owns (data kept):
-- documents owns `document_settings`, files owns `storage_limits` (per tenant) and
-- `storage_usage` (per person). A missing row means the defaults (null settings, nothing
-- used); rows are created on first write.

-- Document settings per tenant; null means the install-wide default from the configuration.
create table document_settings (
    tenant_id text not null,
    doc_versions_kept bigint,
    trash_retention_days bigint,
    constraint document_settings_pkey primary key (tenant_id),
    constraint document_settings_tenant_fkey foreign key (tenant_id) references tenants (id)
);
insert into document_settings (tenant_id, doc_versions_kept, trash_retention_days)
    select id, doc_versions_kept, trash_retention_days from tenants;

-- Storage limits per tenant (null: the install default; 0: no limit) and the bytes of file
-- content it stores (plaintext sizes), kept in the same transaction as the rows that
-- reference blobs and checked against the quota there.
create table storage_limits (
    tenant_id text not null,
    storage_quota_bytes bigint,
    max_upload_bytes bigint,
    -- storage each person may use unless they have their own quota (null or 0: no limit)
    user_quota_bytes bigint,
    storage_used_bytes bigint not null default 0,
    constraint storage_limits_pkey primary key (tenant_id),
    constraint storage_limits_tenant_fkey foreign key (tenant_id) references tenants (id)
);
insert into storage_limits (tenant_id, storage_quota_bytes, max_upload_bytes, user_quota_bytes, storage_used_bytes)
    select id, storage_quota_bytes, max_upload_bytes, user_quota_bytes, storage_used_bytes from tenants;

-- Storage per person: their own quota (null: the tenant's per-person quota) and the bytes of
-- file content they uploaded.
create table storage_usage (
    tenant_id text not null,
    user_id text not null,
    quota_bytes bigint,
    used_bytes bigint not null default 0,
    constraint storage_usage_pkey primary key (tenant_id, user_id),
    constraint storage_usage_user_fkey foreign key (tenant_id, user_id) references users (tenant_id, id)
);
insert into storage_usage (tenant_id, user_id, quota_bytes, used_bytes)
    select tenant_id, id, storage_quota_bytes, storage_used_bytes from users;

alter table tenants drop column doc_versions_kept;
alter table tenants drop column trash_retention_days;
alter table tenants drop column user_quota_bytes;
alter table tenants drop column storage_quota_bytes;
alter table tenants drop column max_upload_bytes;
alter table tenants drop column storage_used_bytes;
alter table users drop column storage_quota_bytes;
alter table users drop column storage_used_bytes;
