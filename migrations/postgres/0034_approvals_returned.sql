-- Approval requests: `returned` (sent back to the submitter for changes) becomes a state of its
-- own in the `state` column, so lists can filter on it; until now a returned request was stored
-- as `pending` and only its flow state said it was returned.
alter table approval_requests drop constraint approval_requests_state_check;
alter table approval_requests add constraint approval_requests_state_check
    check (state in ('pending', 'returned', 'approved', 'rejected', 'withdrawn'));
update approval_requests set state = 'returned'
    where state = 'pending' and flow_state like '%"status":"returned"%';
