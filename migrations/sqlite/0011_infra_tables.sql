-- Infrastructure state off the tenants row: the audit chain head belongs to the audit log
-- (`audit_heads`) and the authorization policy version to authz (`authz_versions`). Each row is
-- created on first use (the first audit entry, the first policy change); values are copied from
-- the tenants columns, which are then dropped.

create table audit_heads (
    tenant_id text not null references tenants (id),
    -- last sequence number of this tenant's audit hash chain and that entry's hash
    seq bigint not null,
    head text not null,
    constraint audit_heads_pkey primary key (tenant_id)
);

insert into audit_heads (tenant_id, seq, head)
select id, audit_seq, audit_head from tenants where audit_seq > 0;

create table authz_versions (
    tenant_id text not null references tenants (id),
    -- increases with every change to the tenant's roles or bindings, so every node reloads the
    -- tenant's authorization policies before its next request; a tenant without a row is at 1
    version bigint not null,
    constraint authz_versions_pkey primary key (tenant_id)
);

insert into authz_versions (tenant_id, version)
select id, policy_version from tenants;

alter table tenants drop column audit_seq;
alter table tenants drop column audit_head;
alter table tenants drop column policy_version;
