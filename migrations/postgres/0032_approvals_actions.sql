-- Approval request actions (`approvals/requests/`): the files a request's answers attach (so
-- that exactly the request's readers may download them), and the answers a resubmission
-- replaced (every round of a request sent back to its submitter stays in its history).
create table approval_request_files (
    tenant_id text not null,
    request_id text not null,
    file_id text not null,
    constraint approval_request_files_pkey primary key (tenant_id, request_id, file_id)
);
create index approval_request_files_file_idx on approval_request_files (tenant_id, file_id);

-- resubmit: JSON, the answers as they were before this round
alter table approval_request_actions add column answers text;
