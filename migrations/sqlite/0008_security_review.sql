-- Security review (issue 10).

-- Sign-in throttling reserves an attempt before the password is checked (`pending`), so parallel
-- guesses cannot all be checked before the first failure is counted. Rows for one
-- (account, client address) pair carry the address digest (`scope`), so the distinct accounts
-- failed from one address can be counted (password spraying) instead of its raw failures.
-- Throttle state is transient: rows of the previous scheme are dropped.
delete from login_throttle;
alter table login_throttle add column pending bigint not null default 0;
alter table login_throttle add column scope text not null default '';
create index login_throttle_scope on login_throttle (scope);

-- Client addresses that signed in to an account successfully (digest of tenant slug, login and
-- address): they keep their own allowance when others have exhausted the account's.
create table login_known_addresses (
    key text primary key,
    last_success_at bigint not null
);

-- Deleting or editing a message rewrites the events about it (their text goes); find them
-- without scanning the room's whole log.
create index room_events_message on room_events (tenant_id, message_id) where message_id is not null;
