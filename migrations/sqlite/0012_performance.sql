-- The relay's metrics count dead-lettered messages every few seconds; without this index that
-- count reads every delivered message kept for the week.
create index outbox_dead_idx on outbox (dead_at) where dead_at is not null;
