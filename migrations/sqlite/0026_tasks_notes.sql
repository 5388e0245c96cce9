-- Tasks (`tasks/`): personal or assigned to someone else, with a due date or date-time in an
-- IANA zone, priority, status, checklist, attachments, optional GPS location, reminders, and
-- an optional link to the message they were made from.
create table tasks (
    tenant_id text not null references tenants (id),
    id text not null,
    -- who created it: may change everything (the assignee when the creator was erased)
    owner_id text not null,
    -- who it is assigned to (null: a personal task)
    assignee_id text,
    title text not null,
    -- Markdown source, stored as given
    description text not null default '',
    -- the due day (YYYY-MM-DD), its time of day (HH:MM:SS; null: all day) and zone
    due_date text,
    due_time text,
    due_zone text,
    -- the due instant (all day: the start of the day in its zone) and when it is overdue
    -- (all day: the start of the next day)
    due_at bigint,
    overdue_at bigint,
    -- low | normal | high | urgent
    priority text not null,
    -- todo | in_progress | done
    status text not null,
    completed_at bigint,
    -- degrees times 10^7 (both or neither)
    latitude_e7 bigint,
    longitude_e7 bigint,
    -- the message it was made from (ids only: never its text)
    source_room_id text,
    source_message_id text,
    created_at bigint not null,
    updated_at bigint not null,
    constraint tasks_pkey primary key (tenant_id, id),
    constraint tasks_priority_check check (priority in ('low', 'normal', 'high', 'urgent')),
    constraint tasks_status_check check (status in ('todo', 'in_progress', 'done'))
);
create index tasks_owner_idx on tasks (tenant_id, owner_id, due_at, id);
create index tasks_assignee_idx on tasks (tenant_id, assignee_id, due_at, id);
create index tasks_completed_idx on tasks (tenant_id, completed_at);

create table task_checklist (
    tenant_id text not null,
    id text not null,
    task_id text not null,
    position bigint not null,
    text text not null,
    done bigint not null default 0,
    done_at bigint,
    created_at bigint not null,
    updated_at bigint not null,
    constraint task_checklist_pkey primary key (tenant_id, id),
    constraint task_checklist_task_fkey foreign key (tenant_id, task_id)
        references tasks (tenant_id, id)
);
create index task_checklist_task_idx on task_checklist (tenant_id, task_id, position);

-- Files (of the `files` feature) attached to a task: readable by its owner and assignee.
create table task_attachments (
    tenant_id text not null,
    task_id text not null,
    file_id text not null,
    position bigint not null,
    constraint task_attachments_pkey primary key (tenant_id, task_id, file_id),
    constraint task_attachments_task_fkey foreign key (tenant_id, task_id)
        references tasks (tenant_id, id)
);
create index task_attachments_file_idx on task_attachments (tenant_id, file_id);

-- A person's reminder: minutes before the due instant. `fire_at` is when it is due now;
-- `sent_at` records that it went (in the transaction of its notice), so it never goes twice.
create table task_reminders (
    tenant_id text not null,
    id text not null,
    task_id text not null,
    user_id text not null,
    minutes_before bigint not null,
    fire_at bigint not null,
    sent_at bigint,
    created_at bigint not null,
    constraint task_reminders_pkey primary key (tenant_id, id),
    constraint task_reminders_unique unique (tenant_id, task_id, user_id, minutes_before),
    constraint task_reminders_task_fkey foreign key (tenant_id, task_id)
        references tasks (tenant_id, id)
);
create index task_reminders_user_idx on task_reminders (tenant_id, user_id);

-- Notes (`notes/`): a person's own Markdown notes; nobody else sees them.
create table notes (
    tenant_id text not null references tenants (id),
    id text not null,
    owner_id text not null,
    title text not null default '',
    -- Markdown source; sanitised HTML is rendered on output
    body text not null,
    pinned bigint not null default 0,
    latitude_e7 bigint,
    longitude_e7 bigint,
    created_at bigint not null,
    updated_at bigint not null,
    constraint notes_pkey primary key (tenant_id, id)
);
create index notes_owner_idx on notes (tenant_id, owner_id, pinned, updated_at, id);

-- Tags, normalised (lower case, trimmed, inner spaces collapsed).
create table note_tags (
    tenant_id text not null,
    note_id text not null,
    tag text not null,
    constraint note_tags_pkey primary key (tenant_id, note_id, tag),
    constraint note_tags_note_fkey foreign key (tenant_id, note_id)
        references notes (tenant_id, id)
);
create index note_tags_tag_idx on note_tags (tenant_id, tag, note_id);

create table note_attachments (
    tenant_id text not null,
    note_id text not null,
    file_id text not null,
    position bigint not null,
    constraint note_attachments_pkey primary key (tenant_id, note_id, file_id),
    constraint note_attachments_note_fkey foreign key (tenant_id, note_id)
        references notes (tenant_id, id)
);
create index note_attachments_file_idx on note_attachments (tenant_id, file_id);
