-- Untrusted files are parsed in child processes; a thumbnail that fails says why, like text
-- extraction does. The outbox is drained per topic, so its pending index leads with the topic.
alter table files add column preview_status text not null default 'none'
    constraint files_preview_status_check check (preview_status in ('none', 'pending', 'done', 'failed'));
alter table files add column preview_error text;
update files set preview_status = 'done'
 where exists (select 1 from file_previews p where p.tenant_id = files.tenant_id and p.file_id = files.id);
create index outbox_topic_pending_idx on outbox (topic, available_at) where done_at is null and dead_at is null;
