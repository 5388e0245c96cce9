//! SQL for single sign-on: the tenant's provider settings, identity links, sign-ins in
//! progress and exchange codes.

use sqlx::AnyConnection;

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct SettingsRow {
    pub enabled: i64,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: String,
    pub name_claim: String,
    pub email_claim: String,
    pub phone_claim: String,
    pub groups_claim: String,
    pub role_mapping: String,
    pub allowed_domains: String,
    pub jit: i64,
    pub default_role_id: Option<String>,
    pub redirect_uris: String,
    pub assume_email_verified: i64,
    pub updated_at: i64,
}

impl SettingsRow {
    /// What a tenant that never configured single sign-on has.
    pub fn unset() -> SettingsRow {
        SettingsRow {
            scopes: "openid email profile".into(),
            name_claim: "name".into(),
            email_claim: "email".into(),
            phone_claim: "phone_number".into(),
            role_mapping: "[]".into(),
            allowed_domains: "[]".into(),
            redirect_uris: "[]".into(),
            ..SettingsRow::default()
        }
    }
}

pub async fn settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Option<SettingsRow>, sqlx::Error> {
    sqlx::query_as(
        "select enabled, issuer, client_id, client_secret, scopes, name_claim, email_claim,
                phone_claim, groups_claim, role_mapping, allowed_domains, jit, default_role_id,
                redirect_uris, assume_email_verified, updated_at
         from sso_settings where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(conn)
    .await
}

pub async fn put_settings(
    conn: &mut AnyConnection,
    tenant_id: &str,
    s: &SettingsRow,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into sso_settings (tenant_id, enabled, issuer, client_id, client_secret, scopes,
            name_claim, email_claim, phone_claim, groups_claim, role_mapping, allowed_domains, jit,
            default_role_id, redirect_uris, assume_email_verified, updated_by, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         on conflict (tenant_id) do update set enabled = excluded.enabled,
           issuer = excluded.issuer, client_id = excluded.client_id,
           client_secret = excluded.client_secret, scopes = excluded.scopes,
           name_claim = excluded.name_claim, email_claim = excluded.email_claim,
           phone_claim = excluded.phone_claim, groups_claim = excluded.groups_claim,
           role_mapping = excluded.role_mapping, allowed_domains = excluded.allowed_domains,
           jit = excluded.jit, default_role_id = excluded.default_role_id,
           redirect_uris = excluded.redirect_uris,
           assume_email_verified = excluded.assume_email_verified,
           updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(s.enabled)
    .bind(&s.issuer)
    .bind(&s.client_id)
    .bind(&s.client_secret)
    .bind(&s.scopes)
    .bind(&s.name_claim)
    .bind(&s.email_claim)
    .bind(&s.phone_claim)
    .bind(&s.groups_claim)
    .bind(&s.role_mapping)
    .bind(&s.allowed_domains)
    .bind(s.jit)
    .bind(&s.default_role_id)
    .bind(&s.redirect_uris)
    .bind(s.assume_email_verified)
    .bind(by)
    .bind(s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub id: String,
    pub issuer: String,
    pub subject: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const LINK: &str = "id, issuer, subject, user_id, created_at, last_used_at";

pub async fn link_of_identity(
    conn: &mut AnyConnection,
    tenant_id: &str,
    issuer: &str,
    subject: &str,
) -> Result<Option<LinkRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {LINK} from sso_links where tenant_id = $1 and issuer = $2 and subject = $3"
    ))
    .bind(tenant_id)
    .bind(issuer)
    .bind(subject)
    .fetch_optional(conn)
    .await
}

pub async fn links_of_user(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<Vec<LinkRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {LINK} from sso_links where tenant_id = $1 and user_id = $2 order by created_at, id"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .fetch_all(conn)
    .await
}

pub async fn insert_link(
    conn: &mut AnyConnection,
    tenant_id: &str,
    l: &LinkRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into sso_links (tenant_id, id, issuer, subject, user_id, created_at, last_used_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant_id)
    .bind(&l.id)
    .bind(&l.issuer)
    .bind(&l.subject)
    .bind(&l.user_id)
    .bind(l.created_at)
    .bind(l.last_used_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn touch_link(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update sso_links set last_used_at = $3 where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Remove one of a person's links; whether it was theirs.
pub async fn delete_link(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    id: &str,
) -> Result<Option<LinkRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "delete from sso_links where tenant_id = $1 and user_id = $2 and id = $3 returning {LINK}"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Everything single sign-on keeps of a person: links, their sign-ins in progress and unused
/// exchange codes. Returns the number of links.
pub async fn delete_person(
    conn: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    let links = sqlx::query("delete from sso_links where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    sqlx::query("delete from sso_flows where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from sso_exchange_codes where tenant_id = $1 and user_id = $2")
        .bind(tenant_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(links)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlowRow {
    pub tenant_id: String,
    pub purpose: String,
    pub user_id: String,
    pub issuer: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    pub client: String,
    pub client_key: String,
    pub expires_at: i64,
}

pub async fn insert_flow(
    conn: &mut AnyConnection,
    state_hash: &str,
    f: &FlowRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    // Sign-ins abandoned at the provider leave their rows; each new one clears the expired.
    sqlx::query("delete from sso_flows where expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into sso_flows (state_hash, tenant_id, purpose, user_id, issuer, nonce,
            pkce_verifier, return_to, client, client_key, created_at, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(state_hash)
    .bind(&f.tenant_id)
    .bind(&f.purpose)
    .bind(&f.user_id)
    .bind(&f.issuer)
    .bind(&f.nonce)
    .bind(&f.pkce_verifier)
    .bind(&f.return_to)
    .bind(&f.client)
    .bind(&f.client_key)
    .bind(now)
    .bind(f.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Take a sign-in in progress by its state: it is gone afterwards, so of two callbacks with one
/// state at most one finds it.
pub async fn take_flow(
    conn: &mut AnyConnection,
    state_hash: &str,
) -> Result<Option<FlowRow>, sqlx::Error> {
    sqlx::query_as(
        "delete from sso_flows where state_hash = $1
         returning tenant_id, purpose, user_id, issuer, nonce, pkce_verifier, return_to, client,
                   client_key, expires_at",
    )
    .bind(state_hash)
    .fetch_optional(conn)
    .await
}

/// Unfinished sign-ins of a tenant started from one client address.
pub async fn live_flows(
    conn: &mut AnyConnection,
    tenant_id: &str,
    client_key: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from sso_flows where tenant_id = $1 and client_key = $2 and expires_at > $3",
    )
    .bind(tenant_id)
    .bind(client_key)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn insert_code(
    conn: &mut AnyConnection,
    code_hash: &str,
    tenant_id: &str,
    user_id: &str,
    client: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from sso_exchange_codes where expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into sso_exchange_codes (code_hash, tenant_id, user_id, client, created_at, expires_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(code_hash)
    .bind(tenant_id)
    .bind(user_id)
    .bind(client)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Take an exchange code that has not expired: (tenant, user, client). Used once.
pub async fn take_code(
    conn: &mut AnyConnection,
    code_hash: &str,
    now: i64,
) -> Result<Option<(String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "delete from sso_exchange_codes where code_hash = $1 and expires_at > $2
         returning tenant_id, user_id, client",
    )
    .bind(code_hash)
    .bind(now)
    .fetch_optional(conn)
    .await
}
