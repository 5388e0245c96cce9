//! SQL for the audit log.

use super::Row;
use sqlx::AnyConnection;

const COLUMNS: &str = "tenant_id, seq, id, at, actor_kind, actor_id, action, target_kind, \
                       target_id, outcome, ip, request_id, details, prev_hash, hash, anchor, \
                       pii_salt, pii_digest";

pub async fn insert(conn: &mut AnyConnection, r: &Row) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "insert into audit_log ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    ))
    .bind(&r.tenant_id)
    .bind(r.seq)
    .bind(&r.id)
    .bind(r.at)
    .bind(&r.actor_kind)
    .bind(&r.actor_id)
    .bind(&r.action)
    .bind(&r.target_kind)
    .bind(&r.target_id)
    .bind(&r.outcome)
    .bind(&r.ip)
    .bind(&r.request_id)
    .bind(&r.details)
    .bind(&r.prev_hash)
    .bind(&r.hash)
    .bind(&r.anchor)
    .bind(&r.pii_salt)
    .bind(&r.pii_digest)
    .execute(conn)
    .await?;
    Ok(())
}

/// Filters for listing; every field optional. `action` ending in `.` or `*` matches a prefix.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub action: Option<String>,
    pub actor_id: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Only entries with a sequence number below this (newest-first paging).
    pub before_seq: Option<i64>,
}

/// Newest first, at most `limit` rows.
pub async fn list(
    conn: &mut AnyConnection,
    tenant_id: &str,
    f: &Filter,
    limit: i64,
) -> Result<Vec<Row>, sqlx::Error> {
    // Optional filters are expressed in SQL (`$n is null or …`) so the statement is fixed and
    // every value is bound.
    let (action_exact, action_prefix) = match f.action.as_deref() {
        Some(a) if a.ends_with('*') => (
            None,
            Some(format!(
                "{}%",
                crate::db::like_escape(a.trim_end_matches('*'))
            )),
        ),
        Some(a) => (Some(a.to_string()), None),
        None => (None, None),
    };
    sqlx::query_as(&format!(
        "select {COLUMNS} from audit_log
         where tenant_id = $1
           and ($2 is null or action = $2)
           and ($3 is null or action like $3 escape '\\')
           and ($4 is null or actor_id = $4)
           and ($5 is null or target_id = $5)
           and ($6 is null or outcome = $6)
           and ($7 is null or at >= $7)
           and ($8 is null or at < $8)
           and ($9 is null or seq < $9)
         order by seq desc limit $10"
    ))
    .bind(tenant_id)
    .bind(action_exact)
    .bind(action_prefix)
    .bind(f.actor_id.clone())
    .bind(f.target_id.clone())
    .bind(f.outcome.clone())
    .bind(f.since)
    .bind(f.until)
    .bind(f.before_seq)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// All entries of a tenant in chain order, `batch` at a time after `after_seq`.
pub async fn chain_page(
    conn: &mut AnyConnection,
    tenant_id: &str,
    after_seq: i64,
    batch: i64,
) -> Result<Vec<Row>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from audit_log where tenant_id = $1 and seq > $2 order by seq limit $3"
    ))
    .bind(tenant_id)
    .bind(after_seq)
    .bind(batch)
    .fetch_all(conn)
    .await
}

/// The chain head kept in `audit_heads`: (last sequence number, its hash); `(0, "")` before
/// the first entry.
pub async fn head(conn: &mut AnyConnection, tenant_id: &str) -> Result<(i64, String), sqlx::Error> {
    Ok(
        sqlx::query_as("select seq, head from audit_heads where tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(conn)
            .await?
            .unwrap_or((0, String::new())),
    )
}

/// Every tenant that has a chain: a head, or entries (entries without a head are a break the
/// verification then reports).
pub async fn chain_tenants(conn: &mut AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select tenant_id from audit_heads union select distinct tenant_id from audit_log
         order by 1",
    )
    .fetch_all(conn)
    .await
}

/// Take the next sequence number of a tenant's chain: returns it with the hash of the entry
/// before it. On PostgreSQL the upsert locks the tenant's head row until the transaction ends,
/// which serialises appends per tenant, so sequence numbers have no gaps or forks.
pub async fn next_seq(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<(i64, String), sqlx::Error> {
    sqlx::query_as(
        "insert into audit_heads (tenant_id, seq, head) values ($1, 1, '')
         on conflict (tenant_id) do update set seq = audit_heads.seq + 1
         returning seq, head",
    )
    .bind(tenant_id)
    .fetch_one(conn)
    .await
}

/// Move the head to the entry just written.
pub async fn set_head(
    conn: &mut AnyConnection,
    tenant_id: &str,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update audit_heads set head = $1 where tenant_id = $2")
        .bind(hash)
        .bind(tenant_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether the migration that added anchors has been applied (false on a new database).
pub async fn anchors_migrated(db: &crate::db::Db) -> bool {
    let Ok(mut conn) = db.conn().await else {
        return false;
    };
    sqlx::query_scalar::<_, i64>(
        "select count(*) from _sqlx_migrations where version = 9 and success = true",
    )
    .fetch_one(&mut *conn)
    .await
    .map(|n| n > 0)
    .unwrap_or(false)
}

/// `(tenant, seq, hash)` of every tenant's newest entry that carries no anchor.
pub async fn unanchored_heads(
    conn: &mut AnyConnection,
) -> Result<Vec<(String, i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "select a.tenant_id, a.seq, a.hash from audit_log a
         join audit_heads h on h.tenant_id = a.tenant_id and h.seq = a.seq
         where a.anchor = ''",
    )
    .fetch_all(conn)
    .await
}

pub async fn set_anchor(
    conn: &mut AnyConnection,
    tenant_id: &str,
    seq: i64,
    anchor: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update audit_log set anchor = $1 where tenant_id = $2 and seq = $3")
        .bind(anchor)
        .bind(tenant_id)
        .bind(seq)
        .execute(conn)
        .await?;
    Ok(())
}

/// Audit entries by when they were written: the `audit_entries` class. Legal holds on people
/// do not reach them (the chain is purged oldest first, as a whole prefix).
pub static ENTRIES: crate::lifecycle::Source = crate::lifecycle::Source {
    from: "audit_log a",
    tenant: "a.tenant_id",
    id: "cast(a.seq as text)",
    time: "a.at",
    container: None,
    people: &[],
    bytes: "length(a.details)",
    only: "",
    pinned: None,
};

/// Where a tenant's chain starts after retention removed its oldest entries: (the last
/// removed entry's sequence number, its hash, the anchor that vouches for both); `(0, "", "")`
/// while nothing was removed.
pub async fn pruned(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<(i64, String, String), sqlx::Error> {
    Ok(sqlx::query_as(
        "select pruned_seq, pruned_hash, pruned_anchor from audit_heads where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(conn)
    .await?
    .unwrap_or((0, String::new(), String::new())))
}

/// The hash of one entry.
pub async fn hash_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    seq: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select hash from audit_log where tenant_id = $1 and seq = $2")
        .bind(tenant_id)
        .bind(seq)
        .fetch_optional(conn)
        .await
}

/// Remove a tenant's entries up to `upto` and record where the chain now starts; rows removed.
pub async fn prune(
    conn: &mut AnyConnection,
    tenant_id: &str,
    upto: i64,
    hash: &str,
    anchor: &str,
) -> Result<u64, sqlx::Error> {
    let n = sqlx::query("delete from audit_log where tenant_id = $1 and seq <= $2")
        .bind(tenant_id)
        .bind(upto)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    sqlx::query(
        "update audit_heads set pruned_seq = $2, pruned_hash = $3, pruned_anchor = $4
         where tenant_id = $1",
    )
    .bind(tenant_id)
    .bind(upto)
    .bind(hash)
    .bind(anchor)
    .execute(conn)
    .await?;
    Ok(n)
}

/// The sequence numbers of a tenant's entries by or about a person (as actor, or as the
/// target account), whose personal fields can still be erased; and how many older entries
/// (written before personal fields were digested) cannot be without breaking the chain.
pub async fn of_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    person: &str,
) -> Result<(Vec<i64>, u64), sqlx::Error> {
    let seqs: Vec<i64> = sqlx::query_scalar(
        "select seq from audit_log
         where tenant_id = $1 and (actor_id = $2 or (target_kind = 'user' and target_id = $2))
           and pii_salt <> '' order by seq",
    )
    .bind(tenant_id)
    .bind(person)
    .fetch_all(&mut *conn)
    .await?;
    let legacy: i64 = sqlx::query_scalar(
        "select count(*) from audit_log
         where tenant_id = $1 and (actor_id = $2 or (target_kind = 'user' and target_id = $2))
           and pii_digest = ''",
    )
    .bind(tenant_id)
    .bind(person)
    .fetch_one(conn)
    .await?;
    Ok((seqs, u64::try_from(legacy).unwrap_or(0)))
}

/// Erase the personal fields (address, details and the digest's salt) of these entries; their
/// digest stays, so the chain still verifies. Bytes removed.
pub async fn erase_personal(
    conn: &mut AnyConnection,
    tenant_id: &str,
    seqs: &[i64],
) -> Result<u64, sqlx::Error> {
    let mut bytes = 0u64;
    for seq in seqs {
        let b: Option<i64> = sqlx::query_scalar(
            "select length(ip) + length(details) from audit_log
             where tenant_id = $1 and seq = $2 and pii_salt <> ''",
        )
        .bind(tenant_id)
        .bind(seq)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(b) = b else { continue };
        sqlx::query(
            "update audit_log set ip = '', details = $3, pii_salt = ''
             where tenant_id = $1 and seq = $2",
        )
        .bind(tenant_id)
        .bind(seq)
        .bind(super::ERASED_DETAILS)
        .execute(&mut *conn)
        .await?;
        bytes += u64::try_from(b).unwrap_or(0);
    }
    Ok(bytes)
}

/// Entries by sequence number (to rewrite the mirror after an erasure).
pub async fn by_seqs(
    conn: &mut AnyConnection,
    tenant_id: &str,
    seqs: &[i64],
) -> Result<Vec<Row>, sqlx::Error> {
    let mut out = Vec::with_capacity(seqs.len());
    for seq in seqs {
        if let Some(r) = sqlx::query_as::<_, Row>(&format!(
            "select {COLUMNS} from audit_log where tenant_id = $1 and seq = $2"
        ))
        .bind(tenant_id)
        .bind(seq)
        .fetch_optional(&mut *conn)
        .await?
        {
            out.push(r);
        }
    }
    Ok(out)
}
