-- Approval requests (`approvals/requests/`): a request made under one template version, its
-- chain of approvers frozen at submit time with how far it got (`flow_state`, the state
-- machine's JSON), the append-only record of every action on it, and who it waits for and who
-- is copied (for the lists "waiting for me" and "copied to me").
create table approval_requests (
    tenant_id text not null references tenants (id),
    id text not null,
    template_id text not null,
    -- the template version it was submitted under (kept for good)
    version bigint not null,
    -- the submitter's user id (kept as a pseudonymous id when the account is erased)
    submitter_id text not null,
    -- the template version's name, for lists
    title text not null,
    -- JSON: the form's answers as checked and normalised
    answers text not null,
    -- pending | approved | rejected | withdrawn
    state text not null,
    -- JSON: the frozen chain (nodes, modes, approvers, CC) and each node's progress
    flow_state text not null,
    -- bumped by every action: the compare-and-set that makes two deciders race safely
    revision bigint not null,
    created_at bigint not null,
    updated_at bigint not null,
    finished_at bigint,
    constraint approval_requests_pkey primary key (tenant_id, id),
    constraint approval_requests_version_fkey foreign key (tenant_id, template_id, version)
        references approval_template_versions (tenant_id, template_id, version),
    constraint approval_requests_state_check
        check (state in ('pending', 'approved', 'rejected', 'withdrawn'))
);
create index approval_requests_submitter_idx on approval_requests (tenant_id, submitter_id, id);
create index approval_requests_template_idx on approval_requests (tenant_id, template_id, id);

-- Every action on a request, append-only: who, what, when, the comment. `seq` is the
-- request's revision the action made.
create table approval_request_actions (
    tenant_id text not null,
    request_id text not null,
    seq bigint not null,
    -- null: Stoa itself
    actor_id text,
    -- submit | approve | reject | withdraw | comment | transfer | urge
    action text not null,
    -- the node acted on (approve, reject, transfer)
    node_id text,
    -- the person a transfer handed the decision to
    target_id text,
    comment text,
    created_at bigint not null,
    constraint approval_request_actions_pkey primary key (tenant_id, request_id, seq),
    constraint approval_request_actions_request_fkey foreign key (tenant_id, request_id)
        references approval_requests (tenant_id, id)
);
create index approval_request_actions_actor_idx
    on approval_request_actions (tenant_id, actor_id, request_id);

-- Who a request waits for now (`waiting`, rewritten on every step) and who is copied (`cc`).
create table approval_request_people (
    tenant_id text not null,
    request_id text not null,
    -- waiting | cc
    role text not null,
    user_id text not null,
    constraint approval_request_people_pkey primary key (tenant_id, request_id, role, user_id),
    constraint approval_request_people_request_fkey foreign key (tenant_id, request_id)
        references approval_requests (tenant_id, id),
    constraint approval_request_people_role_check check (role in ('waiting', 'cc'))
);
create index approval_request_people_user_idx
    on approval_request_people (tenant_id, user_id, role, request_id);
