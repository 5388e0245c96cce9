-- Privacy-policy versions and recorded consent (issue 15).
--
-- A tenant's admins publish versions of the privacy policy; a version becomes current at its
-- effective instant and is never edited afterwards (a change is a new version). The consent
-- gate (authn's session lookup, with the condition `privacy::store::pending_condition` writes)
-- reads both tables on every request, hence the indexes below.
create table privacy_policies (
    tenant_id text not null references tenants (id),
    id text not null,
    -- what people see, e.g. "2026-11" or "v3"; unique within the tenant
    label text not null,
    -- the policy text, Markdown
    body text not null,
    -- when it becomes current (epoch milliseconds); one version per instant
    effective_at bigint not null,
    -- 1: consents to earlier versions no longer count once this one is current
    requires_reconsent bigint not null default 0,
    published_by text not null,
    published_at bigint not null,
    constraint privacy_policies_pkey primary key (tenant_id, id),
    constraint privacy_policies_label_key unique (tenant_id, label),
    constraint privacy_policies_effective_key unique (tenant_id, effective_at)
);

-- Who consented to which version, when, and from where. One row per person and version.
create table privacy_consents (
    tenant_id text not null references tenants (id),
    id text not null,
    policy_id text not null,
    user_id text not null,
    accepted_at bigint not null,
    -- the client address and user agent of the request that consented, and its session
    ip text not null default '',
    user_agent text not null default '',
    session_id text not null default '',
    constraint privacy_consents_pkey primary key (tenant_id, id),
    constraint privacy_consents_once_key unique (tenant_id, user_id, policy_id),
    constraint privacy_consents_policy_fkey foreign key (tenant_id, policy_id)
        references privacy_policies (tenant_id, id),
    constraint privacy_consents_user_fkey foreign key (tenant_id, user_id)
        references users (tenant_id, id)
);
create index privacy_consents_policy_idx on privacy_consents (tenant_id, policy_id);
