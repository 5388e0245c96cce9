//! What a bearer token (or a person acting through another capability) resolves to, in one
//! query on the hot path of every request.

use sqlx::AnyConnection;

/// What a bearer token resolves to: the session, its user's and tenant's status, the tenant's
/// policy version, and whether the person must consent to the privacy policy first.
///
/// One query on the hot path of every request, so it reads the `users` and `tenants` status
/// columns (and authz's version) with a join instead of three service calls; it is the only
/// place authn reads those tables, and only reads them. The consent condition is not authn's:
/// the feature that keeps consents registers it ([`Lookup::new`]).
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct SessionLookup {
    pub session_id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub tenant_slug: String,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub user_status: String,
    pub tenant_status: String,
    pub policy_version: i64,
    /// 1 when the consent gate holds the person.
    pub consent_pending: i64,
    /// When the gate's answer may next change by itself (a policy version taking effect),
    /// epoch milliseconds; 0: not before something is published. A cached lookup is not used
    /// from then on.
    pub gate_changes_at: i64,
}

/// The consent gate a feature registers: SQL over `s.tenant_id`, `s.user_id` and `$2` (the
/// instant, epoch milliseconds).
#[derive(Debug, Clone)]
pub struct Gate {
    /// True when the person must consent before anything else.
    pub pending: String,
    /// The next instant at which `pending` may change without a write (NULL: never).
    pub changes_at: String,
}

/// The session lookup's SQL, built once at start-up with the consent condition a feature
/// registers in `app.rs`.
#[derive(Debug, Clone)]
pub struct Lookup {
    sql: String,
    /// The same answer for a person rather than a session ([`lookup_person`]).
    person_sql: String,
}

impl Lookup {
    /// `gate`: the consent gate ([`Gate`]); `None`: nobody ever must consent.
    pub fn new(gate: Option<Gate>) -> Lookup {
        // Never true, and still names `$2`, which every lookup binds.
        let (pending, changes_at) = match gate {
            Some(g) => (g.pending, g.changes_at),
            None => ("$2 < 0".to_string(), "null".to_string()),
        };
        Lookup {
            sql: format!(
                "select s.id as session_id, s.tenant_id, s.user_id, t.slug as tenant_slug,
                        s.last_seen_at, s.expires_at, u.status as user_status,
                        t.status as tenant_status, coalesce(v.version, 1) as policy_version,
                        cast(case when {pending} then 1 else 0 end as bigint) as consent_pending,
                        cast(coalesce({changes_at}, 0) as bigint) as gate_changes_at
                 from sessions s
                 join users u on u.tenant_id = s.tenant_id and u.id = s.user_id
                 join tenants t on t.id = s.tenant_id
                 left join authz_versions v on v.tenant_id = s.tenant_id
                 where s.token_hash = $1 and s.revoked_at is null"
            ),
            person_sql: format!(
                "select '' as session_id, s.tenant_id, s.user_id, t.slug as tenant_slug,
                        cast(0 as bigint) as last_seen_at, cast(0 as bigint) as expires_at,
                        s.status as user_status, t.status as tenant_status,
                        coalesce(v.version, 1) as policy_version,
                        cast(case when {pending} then 1 else 0 end as bigint) as consent_pending,
                        cast(coalesce({changes_at}, 0) as bigint) as gate_changes_at
                 from (select tenant_id, id as user_id, status from users
                       where tenant_id = $1 and id = $3) s
                 join tenants t on t.id = s.tenant_id
                 left join authz_versions v on v.tenant_id = s.tenant_id"
            ),
        }
    }
}

/// What [`lookup`] answers, for a person acting through something other than a session (a
/// calendar feed's secret address): their and their tenant's status, the policy version and
/// the consent gate, on current state.
pub async fn lookup_person(
    conn: &mut AnyConnection,
    q: &Lookup,
    tenant_id: &str,
    user_id: &str,
    now: i64,
) -> Result<Option<SessionLookup>, sqlx::Error> {
    sqlx::query_as(&q.person_sql)
        .bind(tenant_id)
        .bind(now)
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

pub async fn lookup(
    conn: &mut AnyConnection,
    q: &Lookup,
    token_hash: &str,
    now: i64,
) -> Result<Option<SessionLookup>, sqlx::Error> {
    sqlx::query_as(&q.sql)
        .bind(token_hash)
        .bind(now)
        .fetch_optional(conn)
        .await
}
