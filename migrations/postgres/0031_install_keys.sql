-- The fingerprints of the keys every node of an install must share (the storage master key, the
-- audit anchor key), pinned by the first node that starts: a node started with another key (an
-- unset `storage.master_key` makes each node generate its own file) refuses to start instead of
-- failing later on data the other nodes wrote. A fingerprint reveals nothing of its key.
create table install_keys (
    purpose text primary key,
    fingerprint text not null,
    pinned_at bigint not null
);
