-- Files attached to an action on an approval request (a comment, an approval, a rejection, …):
-- `seq` is the action's. Read by exactly the request's readers, as the files of its answers
-- (`approval_request_files`) are.
create table approval_action_files (
    tenant_id text not null,
    request_id text not null,
    seq bigint not null,
    file_id text not null,
    constraint approval_action_files_pkey primary key (tenant_id, request_id, seq, file_id)
);
create index approval_action_files_file_idx on approval_action_files (tenant_id, file_id);
