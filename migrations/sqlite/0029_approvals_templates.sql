-- Approval templates (`approvals/`): a template's identity and state, and its immutable
-- versions (form, flow, who may submit, attendance link). Every edit adds a version; requests
-- keep the version they were submitted under. Starter templates are seeded once per tenant
-- (`approval_seeds` records that it happened, so a tenant that deletes or archives them never
-- gets them back).
create table approval_templates (
    tenant_id text not null references tenants (id),
    id text not null,
    -- the starter this template began as: leave | expense | purchase | trip (null: made by an admin)
    starter text,
    -- active | archived
    state text not null,
    -- the current version
    version bigint not null,
    -- the current version's name and category, for lists
    name text not null,
    category text not null,
    created_at bigint not null,
    updated_at bigint not null,
    constraint approval_templates_pkey primary key (tenant_id, id),
    constraint approval_templates_starter_key unique (tenant_id, starter),
    constraint approval_templates_state_check check (state in ('active', 'archived'))
);
create index approval_templates_state_idx on approval_templates (tenant_id, state, category, name);

create table approval_template_versions (
    tenant_id text not null,
    template_id text not null,
    version bigint not null,
    name text not null,
    category text not null,
    description text not null default '',
    icon text not null,
    -- JSON list of audience tokens (all, dept:<id>, tree:<id>, role:<id>)
    submitters text not null,
    -- JSON: the form's fields
    form text not null,
    -- JSON: the flow's nodes, CC rules and rules for empty nodes and the submitter
    flow text not null,
    -- JSON: {"kind": "leave"|"trip", "field": <date range field id>} or null
    attendance text,
    -- who made this version (null: Stoa, for starter templates)
    created_by text,
    created_at bigint not null,
    constraint approval_template_versions_pkey primary key (tenant_id, template_id, version),
    constraint approval_template_versions_template_fkey foreign key (tenant_id, template_id)
        references approval_templates (tenant_id, id)
);

create table approval_seeds (
    tenant_id text not null references tenants (id),
    seeded_at bigint not null,
    constraint approval_seeds_pkey primary key (tenant_id)
);
