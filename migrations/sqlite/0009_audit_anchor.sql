-- Anchored audit chain: each entry carries an HMAC-SHA256 over its chain hash, keyed by a
-- secret kept outside the database (`audit.anchor_key` or the anchor key file), so someone who
-- can write the database but not read that key cannot rewrite the chain consistently.
-- Entries written before this migration have an empty anchor; the first anchored entry after
-- them covers them through its chain hash.
alter table audit_log add column anchor text not null default '';
