-- The bulletin board (lost and found): posts of lost or found things, each with a category,
-- the date, the place (province, district, commune, free-text detail), a description, photos
-- (people's own image uploads, files of the `files` feature), how to be contacted, a status
-- (open, then resolved) and an expiry. Expired posts leave the board at once and are purged by
-- retention (data class `bulletin_posts`, by expiry).

create table bulletin_posts (
    tenant_id text not null references tenants (id),
    id text not null,
    author_id text not null,
    -- lost | found
    kind text not null,
    -- one of the fixed categories (bulletin::service::CATEGORIES)
    category text not null,
    -- the day the thing was lost or found, YYYY-MM-DD
    occurred_on text not null,
    province text not null,
    district text not null default '',
    commune text not null default '',
    place_detail text not null default '',
    -- the place's parts folded (case and accents, spaces collapsed): what filters compare
    province_key text not null,
    district_key text not null default '',
    commune_key text not null default '',
    title text not null,
    description text not null,
    -- message | phone | email
    contact_preference text not null,
    contact_note text not null default '',
    -- open | resolved
    status text not null default 'open',
    -- title, description, category and place folded: what a board search matches
    search_text text not null,
    expires_at bigint not null,
    -- 1 once an expired post's index entry was queued for removal (the expiry pass)
    expiry_swept bigint not null default 0,
    resolved_at bigint,
    created_at bigint not null,
    updated_at bigint not null,
    constraint bulletin_posts_pkey primary key (tenant_id, id),
    constraint bulletin_posts_author_fkey foreign key (tenant_id, author_id)
        references users (tenant_id, id),
    constraint bulletin_posts_kind_check check (kind in ('lost', 'found')),
    constraint bulletin_posts_status_check check (status in ('open', 'resolved')),
    constraint bulletin_posts_contact_check
        check (contact_preference in ('message', 'phone', 'email'))
);
create index bulletin_posts_author_idx on bulletin_posts (tenant_id, author_id);
create index bulletin_posts_expiry_idx on bulletin_posts (tenant_id, expires_at);
create index bulletin_posts_place_idx
    on bulletin_posts (tenant_id, province_key, district_key, commune_key);
create index bulletin_posts_sweep_idx on bulletin_posts (expiry_swept, expires_at);

-- A post's photos: files (of scope `user`) its author uploaded; a file is a photo of one post
-- at most, and leaves the stores with it.
create table bulletin_photos (
    tenant_id text not null,
    post_id text not null,
    file_id text not null,
    position bigint not null,
    constraint bulletin_photos_pkey primary key (tenant_id, post_id, file_id),
    constraint bulletin_photos_post_fkey foreign key (tenant_id, post_id)
        references bulletin_posts (tenant_id, id),
    constraint bulletin_photos_file_key unique (tenant_id, file_id)
);
