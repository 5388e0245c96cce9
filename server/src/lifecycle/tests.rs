//! Every table that holds tenant content belongs to a data class, or is named here with the
//! reason it is not one: a table added later fails this test until it is classified.

use std::collections::BTreeSet;

/// Tables that are no data class of their own, and why.
const NOT_CLASSES: &[(&str, &str)] = &[
    ("_sqlx_migrations", "migration bookkeeping"),
    (
        "install_keys",
        "fingerprints of the install's shared keys (db::keys): no personal data",
    ),
    ("tenants", "the tenant itself: removed with the tenant"),
    (
        "tenant_keys",
        "the tenant's wrapped blob keys: destroyed with the tenant",
    ),
    ("users", "accounts: erased by account deletion, not by age"),
    (
        "invitations",
        "expire by themselves; erased with the account",
    ),
    (
        "user_devices",
        "a person's device keys: erased with the account",
    ),
    ("account_settings", "configuration"),
    (
        "account_deletions",
        "deletion requests: the record of each erasure (ids only)",
    ),
    (
        "erasure_reports",
        "what each erasure removed: kept as its proof (pseudonymous ids and counts)",
    ),
    (
        "erasure_ledger",
        "who was erased: replayed after a restore, so never purged",
    ),
    ("two_factor_settings", "configuration"),
    (
        "totp_factors",
        "a person's second factor: erased with the account",
    ),
    (
        "totp_recovery_codes",
        "digests of a person's recovery codes: erased with the account",
    ),
    ("sign_in_challenges", "expire within minutes"),
    ("sso_settings", "configuration"),
    (
        "sso_links",
        "a person's identity links: erased with the account",
    ),
    ("sso_flows", "sign-ins in progress: expire within minutes"),
    ("sso_exchange_codes", "expire within a minute"),
    ("roles", "configuration"),
    (
        "departments",
        "the org structure: configuration; a head's link is erased with the account",
    ),
    ("positions", "configuration"),
    ("directory_settings", "configuration"),
    ("attendance_settings", "configuration"),
    (
        "approval_templates",
        "configuration: the tenant's approval templates (requests keep their versions)",
    ),
    (
        "approval_template_versions",
        "configuration: immutable template versions; people named in flows are ids only, \
         and resolution skips anyone no longer active",
    ),
    (
        "approval_seeds",
        "bookkeeping: the starter templates were seeded once",
    ),
    (
        "calendar_feeds",
        "configuration: each person's secret feed address (erased with the person)",
    ),
    (
        "calendar_imports",
        "bookkeeping: which imported event made which meeting (erased with the person)",
    ),
    (
        "meeting_resources",
        "configuration: the tenant's rooms and resources (their bookings go with the meetings)",
    ),
    ("attendance_geofences", "configuration"),
    ("attendance_networks", "configuration"),
    ("attendance_schedules", "configuration"),
    (
        "attendance_assignments",
        "configuration; a person's own assignment is erased with the account",
    ),
    (
        "attendance_excused",
        "a person's excused days: erased with the account",
    ),
    (
        "directory_people",
        "a person's place in the directory: erased with the account",
    ),
    ("department_members", "membership: erased with the account"),
    ("role_permissions", "configuration"),
    ("role_bindings", "configuration"),
    ("authz_versions", "configuration"),
    ("install_state", "install-wide state"),
    ("idempotency_keys", "expire after a day (periodic prune)"),
    (
        "outbox",
        "delivered messages are pruned; payloads name ids, not content",
    ),
    ("job_locks", "leases"),
    ("login_throttle", "counters that expire by themselves"),
    (
        "login_known_addresses",
        "sign-in records: the `sign_in_records` class",
    ),
    ("ws_tickets", "expire within a minute"),
    (
        "audit_heads",
        "the audit chain's head: kept with the `audit_entries` class",
    ),
    ("audit_log", "the `audit_entries` class"),
    (
        "rooms",
        "a room lives as long as it is used; its messages are classes",
    ),
    ("room_members", "membership: erased with the account"),
    ("room_dad", "a room's setting"),
    ("room_encryption", "a room's setting"),
    (
        "room_follows",
        "a room's setting (the department it follows)",
    ),
    (
        "room_keys",
        "wrapped room keys: erased with the account or the room",
    ),
    (
        "spaces",
        "a space lives as long as it is used; its documents are classes",
    ),
    ("space_members", "membership: erased with the account"),
    ("document_settings", "configuration"),
    ("storage_limits", "configuration and counters"),
    ("storage_usage", "counters"),
    (
        "files",
        "purged with what uses them (attachments, versions, trash)",
    ),
    ("file_texts", "purged with their file"),
    ("file_previews", "purged with their file"),
    ("retention_policies", "configuration"),
    ("retention_overrides", "configuration"),
    ("retention_settings", "configuration"),
    ("legal_holds", "legal holds outlive every policy"),
    ("legal_hold_scopes", "legal holds outlive every policy"),
    (
        "data_exports",
        "exports purge their own archives when they expire (`exports` pass); the rows are \
         the record of who exported what",
    ),
    (
        "privacy_policies",
        "published policy texts: the record of what people agreed to",
    ),
    (
        "privacy_consents",
        "proof of consent: kept while the account exists; erased with the account",
    ),
    (
        "one_time_codes",
        "live at most 10 minutes (reset links an hour), deleted a day after expiry by the \
         `one_time_codes` pass; a person's are erased with the account",
    ),
    (
        "code_quota",
        "hourly send counters under keyed digests (no address stored), deleted after two hours",
    ),
    (
        "registration_settings",
        "tenant configuration, not personal data",
    ),
];

fn tables_in_migrations() -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/sqlite");
    let mut out = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("migrations")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in files {
        let sql = std::fs::read_to_string(&f)
            .expect("migration")
            .to_lowercase();
        for line in sql.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("create table ") {
                let name: String = rest
                    .trim_start_matches("if not exists ")
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.insert(name);
            } else if let Some(rest) = line.strip_prefix("drop table ") {
                let name: String = rest
                    .trim_start_matches("if exists ")
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.remove(&name);
            } else if let Some((from, to)) = line
                .strip_prefix("alter table ")
                .and_then(|rest| rest.trim_end_matches(';').split_once(" rename to "))
            {
                // A table rebuilt under a new name and renamed back (SQLite's way to change
                // a constraint).
                if out.remove(from.trim()) {
                    out.insert(to.trim().to_string());
                }
            }
        }
    }
    out
}

#[test]
fn every_table_is_in_a_data_class_or_said_why_not() {
    let registry = crate::app::lifecycle();
    let classified: BTreeSet<&str> = registry
        .classes()
        .flat_map(|c| c.tables.iter().copied())
        .collect();
    let tables = tables_in_migrations();
    assert!(tables.contains("messages"), "read the migrations");
    let mut missing = Vec::new();
    for t in &tables {
        if !classified.contains(t.as_str()) && !NOT_CLASSES.iter().any(|(n, _)| n == t) {
            missing.push(t.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "tables in no data class (declare them in a feature's lifecycle, or say why not here): \
         {missing:?}"
    );
    for (t, _) in NOT_CLASSES {
        assert!(
            *t == "_sqlx_migrations" || tables.contains(*t),
            "`{t}` is listed here but no migration creates it"
        );
    }
}

#[test]
fn class_names_are_unique_and_sources_name_their_tenant() {
    let registry = crate::app::lifecycle();
    let mut seen = BTreeSet::new();
    for c in registry.classes() {
        assert!(seen.insert(c.name), "{}", c.name);
        assert!(c.source.tenant.ends_with("tenant_id"), "{}", c.name);
        assert!(!c.tables.is_empty(), "{}", c.name);
        if c.container.is_some() {
            assert!(c.source.container.is_some(), "{}", c.name);
        }
    }
}
