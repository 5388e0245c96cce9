-- Attendance: the tenant's check-in rules (geofences, allowed networks, a switch for each),
-- work schedules and who they apply to, each person's daily record of check-in and check-out,
-- corrections (the original punches stay), and excused days (leave, business trips) that
-- other features fill through attendance's service.
--
-- Coordinates are stored as integers of 1e-7 degree (about 1 cm), so both databases compare
-- and round them alike.

create table attendance_settings (
    tenant_id text not null references tenants (id),
    -- 1: a check-in must carry coordinates inside one of the tenant's geofences
    geofence_required bigint not null default 0,
    -- 1: a check-in must come from a client address inside one of the allowed networks
    network_required bigint not null default 0,
    updated_by text not null default '',
    updated_at bigint not null default 0,
    constraint attendance_settings_pkey primary key (tenant_id),
    constraint attendance_settings_geofence_check check (geofence_required in (0, 1)),
    constraint attendance_settings_network_check check (network_required in (0, 1))
);

create table attendance_geofences (
    tenant_id text not null references tenants (id),
    id text not null,
    name text not null,
    latitude_e7 bigint not null,
    longitude_e7 bigint not null,
    -- millimetres
    radius_mm bigint not null,
    created_at bigint not null,
    updated_at bigint not null,
    constraint attendance_geofences_pkey primary key (tenant_id, id),
    constraint attendance_geofences_radius_check check (radius_mm > 0)
);

create table attendance_networks (
    tenant_id text not null references tenants (id),
    id text not null,
    -- `addr/prefix` or a single address, as ops::net::Cidr parses it
    cidr text not null,
    label text not null default '',
    created_at bigint not null,
    updated_at bigint not null,
    constraint attendance_networks_pkey primary key (tenant_id, id)
);

create table attendance_schedules (
    tenant_id text not null references tenants (id),
    id text not null,
    name text not null,
    name_key text not null,
    -- IANA zone the times are wall-clock times in
    zone text not null,
    -- ISO weekdays, 1 = Monday … 7 = Sunday, as a bit set (bit d-1)
    days bigint not null,
    -- minutes after local midnight; the end is after the start (no overnight shifts)
    start_minute bigint not null,
    end_minute bigint not null,
    grace_minutes bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null,
    constraint attendance_schedules_pkey primary key (tenant_id, id),
    constraint attendance_schedules_name_key unique (tenant_id, name_key)
);

-- Who a schedule applies to: a department (its members, and below it unless a nearer
-- department has its own) or a person (overrides any department's).
create table attendance_assignments (
    tenant_id text not null references tenants (id),
    -- department | person
    subject_kind text not null,
    subject_id text not null,
    schedule_id text not null,
    created_at bigint not null,
    constraint attendance_assignments_pkey primary key (tenant_id, subject_kind, subject_id),
    constraint attendance_assignments_schedule_fkey foreign key (tenant_id, schedule_id)
        references attendance_schedules (tenant_id, id) on delete cascade,
    constraint attendance_assignments_kind_check check (subject_kind in ('department', 'person'))
);
create index attendance_assignments_schedule_idx on attendance_assignments (tenant_id, schedule_id);

-- A person's day: the punches as made (never changed by a correction).
create table attendance_records (
    tenant_id text not null references tenants (id),
    id text not null,
    user_id text not null,
    -- the local date (YYYY-MM-DD) in `zone`, the zone of the person's schedule at check-in
    work_date text not null,
    zone text not null,
    check_in_at bigint,
    check_in_lat_e7 bigint,
    check_in_lon_e7 bigint,
    check_in_ip text,
    check_out_at bigint,
    check_out_lat_e7 bigint,
    check_out_lon_e7 bigint,
    check_out_ip text,
    created_at bigint not null,
    updated_at bigint not null,
    constraint attendance_records_pkey primary key (tenant_id, id),
    constraint attendance_records_user_fkey foreign key (tenant_id, user_id)
        references users (tenant_id, id),
    constraint attendance_records_day_key unique (tenant_id, user_id, work_date)
);
create index attendance_records_date_idx on attendance_records (tenant_id, work_date);

-- A correction by `attendance.manage`: the times that count from then on, and why. The latest
-- correction of a record counts; the record's own punches stay as they were.
create table attendance_corrections (
    tenant_id text not null references tenants (id),
    id text not null,
    record_id text not null,
    user_id text not null,
    check_in_at bigint,
    check_out_at bigint,
    reason text not null,
    corrected_by text not null,
    created_at bigint not null,
    constraint attendance_corrections_pkey primary key (tenant_id, id),
    constraint attendance_corrections_record_fkey foreign key (tenant_id, record_id)
        references attendance_records (tenant_id, id) on delete cascade
);
create index attendance_corrections_record_idx
    on attendance_corrections (tenant_id, record_id, created_at);
create index attendance_corrections_user_idx on attendance_corrections (tenant_id, user_id);

-- Days on which a person is not expected at work (approved leave, a business trip, a day set
-- by hand): no absence is flagged on them. `source` names who wrote the row (`manual`, or a
-- feature such as `approvals`) and `source_id` its own id, so it can withdraw what it wrote.
create table attendance_excused (
    tenant_id text not null references tenants (id),
    id text not null,
    user_id text not null,
    first_date text not null,
    last_date text not null,
    -- leave | trip | other
    kind text not null,
    source text not null,
    source_id text not null,
    note text not null default '',
    created_by text not null default '',
    created_at bigint not null,
    constraint attendance_excused_pkey primary key (tenant_id, id),
    constraint attendance_excused_user_fkey foreign key (tenant_id, user_id)
        references users (tenant_id, id),
    constraint attendance_excused_source_key unique (tenant_id, source, source_id, user_id),
    constraint attendance_excused_kind_check check (kind in ('leave', 'trip', 'other'))
);
create index attendance_excused_user_idx on attendance_excused (tenant_id, user_id, first_date);
