//! SQL for privacy-policy versions and consents, over the feature's own tables
//! (`privacy_policies`, `privacy_consents`). Every function takes the tenant id.

use sqlx::AnyConnection;

/// The consent gate as one SQL condition: true when the person `user` of tenant `tenant` must
/// consent before anything else at the instant `now` (each argument is an SQL expression, a
/// column or a placeholder). authn's session lookup embeds it (`app.rs` hands it over), so the
/// gate costs no query of its own; the acceptance counts below use the same text.
///
/// The rules, in SQL: nothing is asked while the tenant has no version in effect. Otherwise a
/// consent counts when it is to a version already in effect and no older than the latest
/// version in effect that asked for re-consent (the first version asks implicitly: with no
/// re-consent version the bound is 0, and any consent counts).
pub fn pending_condition(tenant: &str, user: &str, now: &str) -> String {
    format!(
        "(exists (select 1 from privacy_policies pp_e \
                  where pp_e.tenant_id = {tenant} and pp_e.effective_at <= {now}) \
          and not exists (select 1 from privacy_consents pp_c \
                  join privacy_policies pp_v \
                    on pp_v.tenant_id = pp_c.tenant_id and pp_v.id = pp_c.policy_id \
                  where pp_c.tenant_id = {tenant} and pp_c.user_id = {user} \
                    and pp_v.effective_at <= {now} \
                    and pp_v.effective_at >= coalesce((select max(pp_r.effective_at) \
                        from privacy_policies pp_r where pp_r.tenant_id = {tenant} \
                        and pp_r.effective_at <= {now} and pp_r.requires_reconsent = 1), 0)))"
    )
}

/// The next instant at which [`pending_condition`] may change on its own (the earliest version
/// not yet in effect), or NULL: until then a cached answer of the gate still holds.
pub fn changes_at(tenant: &str, now: &str) -> String {
    format!(
        "(select min(pp_n.effective_at) from privacy_policies pp_n \
          where pp_n.tenant_id = {tenant} and pp_n.effective_at > {now})"
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PolicyRow {
    pub id: String,
    pub label: String,
    pub body: String,
    pub effective_at: i64,
    pub requires_reconsent: i64,
    pub published_by: String,
    pub published_at: i64,
}

const POLICY: &str =
    "id, label, body, effective_at, requires_reconsent, published_by, published_at";
/// The list leaves the text out (it may be long); `body` reads empty.
const POLICY_SUMMARY: &str = "id, label, '' as body, effective_at, requires_reconsent, \
                              published_by, published_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsentRow {
    pub id: String,
    pub policy_id: String,
    pub user_id: String,
    pub accepted_at: i64,
    pub ip: String,
    pub user_agent: String,
    pub session_id: String,
}

const CONSENT: &str = "id, policy_id, user_id, accepted_at, ip, user_agent, session_id";

pub async fn insert_policy(
    conn: &mut AnyConnection,
    tenant_id: &str,
    p: &PolicyRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into privacy_policies
           (tenant_id, id, label, body, effective_at, requires_reconsent, published_by, published_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant_id)
    .bind(&p.id)
    .bind(&p.label)
    .bind(&p.body)
    .bind(p.effective_at)
    .bind(p.requires_reconsent)
    .bind(&p.published_by)
    .bind(p.published_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn policy(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<PolicyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {POLICY} from privacy_policies where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The version in effect at `now` (the latest that took effect), if any.
pub async fn current(
    conn: &mut AnyConnection,
    tenant_id: &str,
    now: i64,
) -> Result<Option<PolicyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {POLICY} from privacy_policies where tenant_id = $1 and effective_at <= $2
         order by effective_at desc limit 1"
    ))
    .bind(tenant_id)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// The next version to take effect after `now`, if one is scheduled.
pub async fn upcoming(
    conn: &mut AnyConnection,
    tenant_id: &str,
    now: i64,
) -> Result<Option<PolicyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {POLICY} from privacy_policies where tenant_id = $1 and effective_at > $2
         order by effective_at asc limit 1"
    ))
    .bind(tenant_id)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Versions by effective instant, latest first, after the cursor `(effective_at)`; without text.
pub async fn policies(
    conn: &mut AnyConnection,
    tenant_id: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<PolicyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {POLICY_SUMMARY} from privacy_policies where tenant_id = $1 and effective_at < $2
         order by effective_at desc limit $3"
    ))
    .bind(tenant_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Whether a version follows `effective_at` (a version that took effect then is superseded
/// when one did since, up to `now`).
pub async fn superseded(
    conn: &mut AnyConnection,
    tenant_id: &str,
    effective_at: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from privacy_policies
         where tenant_id = $1 and effective_at > $2 and effective_at <= $3",
    )
    .bind(tenant_id)
    .bind(effective_at)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// How many of `people` (an SQL subquery of user ids, with the tenant as `$1`) consented to a
/// version.
pub async fn accepted_count(
    conn: &mut AnyConnection,
    tenant_id: &str,
    policy_id: &str,
    people: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select count(*) from privacy_consents
         where tenant_id = $1 and policy_id = $2 and user_id in ({people})"
    ))
    .bind(tenant_id)
    .bind(policy_id)
    .fetch_one(conn)
    .await
}

/// How many of `people` (an SQL subquery selecting `id`s of users, with the tenant as `$1`)
/// the gate ([`pending_condition`]) holds at the instant `at`: who must still consent while
/// the version that takes effect then is current.
pub async fn pending_count(
    conn: &mut AnyConnection,
    tenant_id: &str,
    at: i64,
    people: &str,
) -> Result<i64, sqlx::Error> {
    let pending = pending_condition("$1", "pp_p.id", "$2");
    sqlx::query_scalar(&format!(
        "select count(*) from ({people}) pp_p where {pending}"
    ))
    .bind(tenant_id)
    .bind(at)
    .fetch_one(conn)
    .await
}

/// Record a consent; false when the person had already consented to that version.
pub async fn insert_consent(
    conn: &mut AnyConnection,
    tenant_id: &str,
    c: &ConsentRow,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "insert into privacy_consents
           (tenant_id, id, policy_id, user_id, accepted_at, ip, user_agent, session_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (tenant_id, user_id, policy_id) do nothing",
    )
    .bind(tenant_id)
    .bind(&c.id)
    .bind(&c.policy_id)
    .bind(&c.user_id)
    .bind(c.accepted_at)
    .bind(&c.ip)
    .bind(&c.user_agent)
    .bind(&c.session_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A person's consent to one version.
pub async fn consent_of(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    policy_id: &str,
) -> Result<Option<ConsentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {CONSENT} from privacy_consents
         where tenant_id = $1 and user_id = $2 and policy_id = $3"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .bind(policy_id)
    .fetch_optional(conn)
    .await
}

/// A consent with the label and effective instant of its version.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub id: String,
    pub policy_id: String,
    pub label: String,
    pub effective_at: i64,
    pub accepted_at: i64,
    pub ip: String,
    pub user_agent: String,
}

/// A person's consents, newest first, after the cursor `(accepted_at, id)`.
pub async fn history(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    before: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<HistoryRow>, sqlx::Error> {
    let (at, id) = before.unwrap_or((i64::MAX, String::new()));
    sqlx::query_as(
        "select c.id, c.policy_id, p.label, p.effective_at, c.accepted_at, c.ip, c.user_agent
         from privacy_consents c
         join privacy_policies p on p.tenant_id = c.tenant_id and p.id = c.policy_id
         where c.tenant_id = $1 and c.user_id = $2
           and (c.accepted_at < $3 or (c.accepted_at = $3 and c.id < $4))
         order by c.accepted_at desc, c.id desc limit $5",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Scrub where a person's consents came from (address, user agent, session): account erasure.
/// The records stay, under the pseudonymous id, as the tenant's proof of consent; rows scrubbed.
pub async fn scrub_consents(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update privacy_consents set ip = '', user_agent = '', session_id = ''
         where tenant_id = $1 and user_id = $2",
    )
    .bind(tenant_id)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected())
}
