-- Per-person notices (infrastructure, `notices/`): what a feature tells a person ("an
-- announcement was published", "please acknowledge"), written in the feature's transaction for
-- a list of recipients, listed and marked read by the person. One write for many people shares
-- a batch id: other nodes read a batch's recipients from here to deliver it to their sockets.
create table notices (
    tenant_id text not null references tenants (id),
    id text not null,
    user_id text not null,
    -- the feature that wrote it (`announcement`, …) and its kind of notice (`published`, …)
    source text not null,
    kind text not null,
    -- what it is about, in the source's terms (an announcement id)
    subject_id text not null,
    -- who caused it ('' for the system)
    actor_id text not null default '',
    -- a short title shown in lists (at most 200 characters)
    title text not null,
    batch_id text not null,
    created_at bigint not null,
    read_at bigint,
    constraint notices_pkey primary key (tenant_id, id)
);
create index notices_user_idx on notices (tenant_id, user_id, id);
create index notices_unread_idx on notices (tenant_id, user_id) where read_at is null;
create index notices_batch_idx on notices (tenant_id, batch_id);
create index notices_subject_idx on notices (tenant_id, source, subject_id);
create index notices_created_idx on notices (tenant_id, created_at);

-- Announcements: published to an audience (stored as audience tokens, see
-- `directory::audience`), Markdown text, attachments, pinning, expiry, and an optional
-- acknowledgement with a due date. `policy` and `breach` notices go to everyone and always
-- need an acknowledgement.
create table announcements (
    tenant_id text not null references tenants (id),
    id text not null,
    -- normal | policy | breach
    kind text not null,
    title text not null,
    -- Markdown source; sanitised HTML is rendered on output
    body text not null,
    -- who published it; the id stays (as a pseudonymous id) when the person is erased
    author_id text not null,
    pinned bigint not null default 0,
    ack_required bigint not null default 0,
    ack_due_at bigint,
    expires_at bigint,
    -- the current version (1 when published; each edit of title or body adds one)
    version bigint not null default 1,
    published_at bigint not null,
    edited_at bigint,
    -- the last reminder sent (reminders are rate-limited per announcement)
    reminded_at bigint,
    updated_at bigint not null,
    constraint announcements_pkey primary key (tenant_id, id),
    constraint announcements_kind_check check (kind in ('normal', 'policy', 'breach'))
);
create index announcements_order_idx on announcements (tenant_id, pinned, published_at, id);
create index announcements_expires_idx on announcements (tenant_id, expires_at);

create table announcement_audience (
    tenant_id text not null,
    announcement_id text not null,
    -- `all`, `dept:<id>`, `tree:<id>`, `role:<id>`, `user:<id>`
    token text not null,
    constraint announcement_audience_pkey primary key (tenant_id, announcement_id, token),
    constraint announcement_audience_announcement_fkey foreign key (tenant_id, announcement_id)
        references announcements (tenant_id, id)
);
create index announcement_audience_token_idx
    on announcement_audience (tenant_id, token, announcement_id);

-- Every version of the text: the first is the published one; an edit adds the next.
create table announcement_versions (
    tenant_id text not null,
    announcement_id text not null,
    version bigint not null,
    title text not null,
    body text not null,
    editor_id text not null,
    created_at bigint not null,
    constraint announcement_versions_pkey primary key (tenant_id, announcement_id, version),
    constraint announcement_versions_announcement_fkey foreign key (tenant_id, announcement_id)
        references announcements (tenant_id, id)
);

-- Files (of the `files` feature) shown with an announcement. No foreign key to `files`: a file
-- deleted by its uploader simply stops being listed, as with message attachments.
create table announcement_attachments (
    tenant_id text not null,
    announcement_id text not null,
    file_id text not null,
    position bigint not null,
    constraint announcement_attachments_pkey primary key (tenant_id, announcement_id, file_id),
    constraint announcement_attachments_announcement_fkey foreign key (tenant_id, announcement_id)
        references announcements (tenant_id, id)
);
create index announcement_attachments_file_idx on announcement_attachments (tenant_id, file_id);

-- A person's receipt: when they first read it, acknowledged it (and which version), dismissed it.
create table announcement_receipts (
    tenant_id text not null,
    announcement_id text not null,
    user_id text not null,
    read_at bigint,
    acked_at bigint,
    acked_version bigint,
    dismissed_at bigint,
    constraint announcement_receipts_pkey primary key (tenant_id, announcement_id, user_id),
    constraint announcement_receipts_announcement_fkey foreign key (tenant_id, announcement_id)
        references announcements (tenant_id, id)
);
create index announcement_receipts_user_idx on announcement_receipts (tenant_id, user_id);
