-- Approval requests: `returned` (sent back to the submitter for changes) becomes a state of its
-- own in the `state` column, so lists can filter on it; until now a returned request was stored
-- as `pending` and only its flow state said it was returned.
--
-- SQLite cannot change a check constraint in place, so the table is rebuilt with the same
-- columns, constraints and indexes. Its actions and people reference it: foreign keys are
-- checked at the commit (`defer_foreign_keys`, reset by the commit), by when every row is back.
pragma defer_foreign_keys = on;
create table approval_requests_copy as select * from approval_requests;
drop table approval_requests;
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
    -- pending | returned | approved | rejected | withdrawn
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
        check (state in ('pending', 'returned', 'approved', 'rejected', 'withdrawn'))
);
insert into approval_requests (tenant_id, id, template_id, version, submitter_id, title, answers,
                               state, flow_state, revision, created_at, updated_at, finished_at)
    select tenant_id, id, template_id, version, submitter_id, title, answers,
           case when state = 'pending' and flow_state like '%"status":"returned"%'
                then 'returned' else state end,
           flow_state, revision, created_at, updated_at, finished_at
    from approval_requests_copy;
drop table approval_requests_copy;
create index approval_requests_submitter_idx on approval_requests (tenant_id, submitter_id, id);
create index approval_requests_template_idx on approval_requests (tenant_id, template_id, id);
