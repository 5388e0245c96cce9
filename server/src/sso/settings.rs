//! The tenant's identity provider settings (`settings.manage`): read, validated, saved with
//! their audit entry; the client secret sealed with the tenant's key and never shown again.

use super::store::{self, SettingsRow};
use crate::{
    audit,
    authn::Principal,
    authz::{contain_grant, perm, Contained},
    blobs::seal,
    db::now_ms,
    error::{ApiError, ApiResult},
    AppState,
};
use sqlx::AnyConnection;

/// A group of the provider's groups claim and the role it gives a person created on first
/// sign-in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoleMapping {
    pub group: String,
    pub role_id: String,
}

/// The settings as the service works with them.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub enabled: bool,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_set: bool,
    pub scopes: Vec<String>,
    pub name_claim: String,
    pub email_claim: String,
    pub phone_claim: String,
    pub groups_claim: String,
    pub role_mapping: Vec<RoleMapping>,
    pub allowed_domains: Vec<String>,
    pub jit: bool,
    pub default_role_id: Option<String>,
    pub redirect_uris: Vec<String>,
    pub assume_email_verified: bool,
    pub updated_at: Option<i64>,
}

/// A change: every field but the secret replaces the stored one.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub settings: Settings,
    /// `None`: keep the stored secret; `Some("")`: remove it (a public client).
    pub client_secret: Option<String>,
}

fn list<T: serde::de::DeserializeOwned>(json: &str) -> Vec<T> {
    serde_json::from_str(json).unwrap_or_default()
}

impl From<&SettingsRow> for Settings {
    fn from(r: &SettingsRow) -> Settings {
        Settings {
            enabled: r.enabled != 0,
            issuer: r.issuer.clone(),
            client_id: r.client_id.clone(),
            client_secret_set: !r.client_secret.is_empty(),
            scopes: r.scopes.split_whitespace().map(str::to_string).collect(),
            name_claim: r.name_claim.clone(),
            email_claim: r.email_claim.clone(),
            phone_claim: r.phone_claim.clone(),
            groups_claim: r.groups_claim.clone(),
            role_mapping: list(&r.role_mapping),
            allowed_domains: list(&r.allowed_domains),
            jit: r.jit != 0,
            default_role_id: r.default_role_id.clone(),
            redirect_uris: list(&r.redirect_uris),
            assume_email_verified: r.assume_email_verified != 0,
            updated_at: (r.updated_at > 0).then_some(r.updated_at),
        }
    }
}

/// The stored row, or the defaults of a tenant that never set single sign-on up.
pub async fn row(conn: &mut AnyConnection, tenant_id: &str) -> ApiResult<SettingsRow> {
    Ok(store::settings(conn, tenant_id)
        .await?
        .unwrap_or_else(SettingsRow::unset))
}

/// Whether the tenant signs in with single sign-on (a sign-in page shows its button).
pub async fn enabled(conn: &mut AnyConnection, tenant_id: &str) -> ApiResult<bool> {
    Ok(row(conn, tenant_id).await?.enabled != 0)
}

/// What the client secret is sealed to: it opens for this tenant's settings only.
pub fn sealed_to(tenant_id: &str) -> seal::Context<'_> {
    seal::Context {
        purpose: "stoa-sso-client-secret-v1",
        tenant_id,
        owner: "sso_settings",
    }
}

pub async fn get(state: &AppState, p: &Principal) -> ApiResult<Settings> {
    state.authz.require(p, perm::SETTINGS_MANAGE).await?;
    let mut conn = state.db.conn().await?;
    Ok(Settings::from(&row(&mut conn, &p.tenant_id).await?))
}

fn text(field: &str, v: &str, max: usize, required: bool) -> ApiResult<String> {
    let v = v.trim();
    if v.len() > max {
        return Err(ApiError::validation(
            field,
            format!("at most {max} characters"),
        ));
    }
    if required && v.is_empty() {
        return Err(ApiError::validation(field, "required"));
    }
    if v.chars().any(char::is_control) {
        return Err(ApiError::validation(field, "no control characters"));
    }
    Ok(v.to_string())
}

/// A claim name: what a JSON object key in an ID token can reasonably be.
fn claim(field: &str, v: &str, required: bool) -> ApiResult<String> {
    let v = text(field, v, 100, required)?;
    if v.chars().any(char::is_whitespace) {
        return Err(ApiError::validation(field, "a claim name has no spaces"));
    }
    Ok(v)
}

fn issuer(state: &AppState, v: &str, required: bool) -> ApiResult<String> {
    let v = text("issuer", v, 500, required)?;
    if v.is_empty() {
        return Ok(v);
    }
    let url = url::Url::parse(&v).map_err(|_| {
        ApiError::validation(
            "issuer",
            "not a URL, e.g. https://id.example.com/realms/acme",
        )
    })?;
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(ApiError::validation(
            "issuer",
            "an issuer has no query, fragment or credentials",
        ));
    }
    match url.scheme() {
        "https" => {}
        // Plain HTTP only where the install reaches private addresses on purpose (a provider
        // on the same machine or network, as in tests): never across the internet.
        "http" if state.outbound.named_in_config(&url) => {}
        _ => {
            return Err(ApiError::validation(
                "issuer",
                "the issuer must use https (plain http only for a host in [outbound] allow_hosts)",
            ))
        }
    }
    Ok(v)
}

/// Where a finished sign-in may send the browser or app: an absolute URL without a fragment;
/// https, a private-use scheme of an app (`com.example.app:/sso`, RFC 8252 §7.1), or http on a
/// loopback address (RFC 8252 §7.3).
pub fn redirect_uri(field: &str, v: &str) -> ApiResult<String> {
    let v = text(field, v, 500, true)?;
    let bad = || {
        ApiError::validation(field, format!("`{v}` is not an allowed return address: https, an app's own scheme, or http on loopback; no fragment"))
    };
    let url = url::Url::parse(&v).map_err(|_| bad())?;
    if url.fragment().is_some() {
        return Err(bad());
    }
    let ok = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => {
            matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
                || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
                || url.host_str() == Some("localhost")
        }
        // An app's private-use scheme has a dot (reverse domain name).
        s => s.contains('.') && !matches!(s, "javascript" | "data" | "file" | "vbscript"),
    };
    if ok {
        Ok(v)
    } else {
        Err(bad())
    }
}

fn domain(v: &str) -> ApiResult<String> {
    let d = v.trim().trim_start_matches('@').to_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && !d.starts_with('.')
        && !d.ends_with('.')
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if ok {
        Ok(d)
    } else {
        Err(ApiError::validation(
            "allowed_domains",
            format!("`{v}` is not a domain name, e.g. example.com"),
        ))
    }
}

/// A scope token (RFC 6749 §3.3).
fn scope(v: &str) -> ApiResult<String> {
    let ok = !v.is_empty()
        && v.len() <= 100
        && v.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
    if ok {
        Ok(v.to_string())
    } else {
        Err(ApiError::validation(
            "scopes",
            format!("`{v}` is not a scope"),
        ))
    }
}

/// Check a change and build the row to store (the secret still to be sealed).
async fn validated(
    state: &AppState,
    conn: &mut AnyConnection,
    p: &Principal,
    input: &Input,
) -> ApiResult<SettingsRow> {
    let s = &input.settings;
    let on = s.enabled;
    let issuer = issuer(state, &s.issuer, on)?;
    let client_id = text("client_id", &s.client_id, 200, on)?;
    if let Some(secret) = &input.client_secret {
        if secret.len() > 500 {
            return Err(ApiError::validation(
                "client_secret",
                "at most 500 characters",
            ));
        }
    }
    if s.scopes.len() > 20 {
        return Err(ApiError::validation("scopes", "at most 20 scopes"));
    }
    let mut scopes = vec!["openid".to_string()];
    for sc in &s.scopes {
        let sc = scope(sc.trim())?;
        if !scopes.contains(&sc) {
            scopes.push(sc);
        }
    }
    if s.role_mapping.len() > 100 {
        return Err(ApiError::validation("role_mapping", "at most 100 mappings"));
    }
    let mut mapping = Vec::new();
    for m in &s.role_mapping {
        let group = text("role_mapping", &m.group, 200, true)?;
        let ids = crate::roles::service::check_role_ids(
            &mut *conn,
            &p.tenant_id,
            std::slice::from_ref(&m.role_id),
        )
        .await
        .map_err(|e| e.with_field("role_mapping"))?;
        mapping.push(RoleMapping {
            group,
            role_id: ids.into_iter().next().unwrap_or_default(),
        });
    }
    let default_role_id = match s.default_role_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => Some(
            crate::roles::service::check_role_ids(&mut *conn, &p.tenant_id, &[id.to_string()])
                .await
                .map_err(|e| e.with_field("default_role_id"))?
                .into_iter()
                .next()
                .unwrap_or_default(),
        ),
    };
    // Containment: whoever sets these up hands their roles to people the provider vouches for,
    // so they may only hand out what they hold themselves.
    let mut granted: Vec<String> = mapping.iter().map(|m| m.role_id.clone()).collect();
    granted.extend(default_role_id.clone());
    if !granted.is_empty() {
        let _: Contained = contain_grant(&mut *conn, p, &granted).await?;
    }
    if s.allowed_domains.len() > 100 {
        return Err(ApiError::validation(
            "allowed_domains",
            "at most 100 domains",
        ));
    }
    let mut domains = Vec::new();
    for d in &s.allowed_domains {
        let d = domain(d)?;
        if !domains.contains(&d) {
            domains.push(d);
        }
    }
    if s.redirect_uris.len() > 20 {
        return Err(ApiError::validation(
            "redirect_uris",
            "at most 20 addresses",
        ));
    }
    let mut uris = Vec::new();
    for u in &s.redirect_uris {
        let u = redirect_uri("redirect_uris", u)?;
        if !uris.contains(&u) {
            uris.push(u);
        }
    }
    Ok(SettingsRow {
        enabled: i64::from(on),
        issuer,
        client_id,
        client_secret: String::new(),
        scopes: scopes.join(" "),
        name_claim: claim("name_claim", &s.name_claim, true)?,
        email_claim: claim("email_claim", &s.email_claim, true)?,
        phone_claim: claim("phone_claim", &s.phone_claim, false)?,
        groups_claim: claim("groups_claim", &s.groups_claim, false)?,
        role_mapping: json(&mapping),
        allowed_domains: json(&domains),
        jit: i64::from(s.jit),
        default_role_id,
        redirect_uris: json(&uris),
        assume_email_verified: i64::from(s.assume_email_verified),
        updated_at: now_ms(),
    })
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// Save the tenant's settings. With single sign-on on, the issuer must answer discovery now,
/// so a typo shows here rather than at the first person's sign-in.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn put(state: &AppState, p: &Principal, input: Input) -> ApiResult<Settings> {
    let g = state.authz.require(p, perm::SETTINGS_MANAGE).await?;
    let mut new = {
        let mut conn = state.db.conn().await?;
        validated(state, &mut conn, p, &input).await?
    };
    if new.enabled != 0 {
        if new.client_id.is_empty() {
            return Err(ApiError::validation("client_id", "required"));
        }
        state
            .oidc
            .probe(&state.outbound, &new.issuer)
            .await
            .map_err(|e| {
                ApiError::validation(
                    "issuer",
                    format!("the issuer's discovery document could not be used: {e}"),
                )
            })?;
    }
    let sealed = match input.client_secret.as_deref() {
        Some("") => Some(String::new()),
        Some(secret) => Some(
            seal::seal(
                &state.blobs.keys,
                &state.db,
                sealed_to(&p.tenant_id),
                secret.as_bytes(),
            )
            .await?,
        ),
        None => None,
    };
    let mut tx = state.db.begin().await?;
    let old = row(&mut tx, &p.tenant_id).await?;
    new.client_secret = sealed.clone().unwrap_or(old.client_secret.clone());
    store::put_settings(&mut tx, &p.tenant_id, &new, &p.user_id).await?;
    let shown = Settings::from(&new);
    audit::record(
        &mut tx,
        g.principal()
            .audit("sso_settings.updated")
            .details(serde_json::json!({
                "enabled": shown.enabled,
                "issuer": shown.issuer,
                "client_id": shown.client_id,
                "client_secret": match &sealed {
                    None => "kept",
                    Some(s) if s.is_empty() => "removed",
                    Some(_) => "replaced",
                },
                "scopes": shown.scopes,
                "jit": shown.jit,
                "default_role_id": shown.default_role_id,
                "role_mapping": shown.role_mapping.len(),
                "allowed_domains": shown.allowed_domains,
                "redirect_uris": shown.redirect_uris,
                "assume_email_verified": shown.assume_email_verified,
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(shown)
}
