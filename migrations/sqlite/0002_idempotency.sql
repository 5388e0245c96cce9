-- Idempotency keys: a retried write (same credential, same Idempotency-Key) gets the first
-- answer replayed instead of running twice.

create table idempotency_keys (
    -- digest of the credential that sent the request
    scope text not null,
    key text not null,
    -- digest of method, path and body: the same key with another request is refused
    request_hash text not null,
    state text not null,
    response_status bigint,
    content_type text,
    body blob,
    created_at bigint not null,
    constraint idempotency_keys_pkey primary key (scope, key),
    constraint idempotency_keys_state_check check (state in ('pending', 'done'))
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);
