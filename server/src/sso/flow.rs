//! The sign-in (and link) flow: authorization code with PKCE, through the browser.
//!
//! ```text
//! GET /auth/sso/{tenant}/start ──302──▶ provider (state, nonce, S256 challenge)
//!   the flow is stored (SHA-256 of state → tenant, nonce, verifier, return_to; 10 minutes)
//! provider ──302──▶ GET /auth/sso/callback?code&state
//!   flow taken (single use) → code redeemed, ID token checked (authn::oidc) → account found by
//!   (issuer, subject), or created just in time → one-time exchange code (60 s, hashed)
//! ──302──▶ return_to#code=…   (or #error=<reason>)
//! POST /auth/sso/exchange {code} → the answer of a password sign-in (session or second factor)
//! ```
//!
//! Linking an identity to an existing account takes that person signed in
//! (`POST /me/sso/link/start`): an email claim alone never links, and an unverified email is not
//! used at all. No token ever travels in a URL: the exchange code is useless without the POST,
//! works once and lives a minute, and it travels in the URL fragment, which browsers never send
//! to a server.

use super::{
    provision::{active_user, fail, Done, Failure},
    settings::{self, Settings},
    store::{self, FlowRow, LinkRow},
};
use crate::{
    audit::{self, ActorKind, Entry},
    authn::{
        oidc::{ClientConfig, OidcError, Verified},
        tokens, Principal,
    },
    blobs::seal,
    db::{new_id, now_ms},
    error::{ApiError, ApiResult, Code},
    ops::ctx::RequestCtx,
    signin, tenants, AppState,
};
use sqlx::AnyConnection;

/// How long a sign-in may stay at the provider.
const FLOW_MS: i64 = 10 * 60 * 1000;
/// How long an exchange code works.
const CODE_MS: i64 = 60 * 1000;
/// Unfinished sign-ins one client address may have per tenant (a finished one is gone): an
/// anonymous caller cannot fill the table, and an office behind one address still signs in.
const LIVE_FLOWS_PER_ADDRESS: i64 = 100;

/// Where the provider sends people back: registered with the provider as the redirect URI.
pub fn callback_url(state: &AppState) -> String {
    format!(
        "{}/api/v1/auth/sso/callback",
        state.cfg.public_url.trim_end_matches('/')
    )
}

/// The built-in page a sign-in returns to when the client names no address of its own.
pub fn default_return(state: &AppState) -> String {
    format!("{}/sso/done", state.cfg.public_url.trim_end_matches('/'))
}

/// Where the admin console's sign-in returns (`<public_url>/admin/sso`): allowed like the
/// built-in page, since it is this install's own page. The console exchanges the code for a
/// browser session (`POST /auth/browser/sso/exchange`).
pub fn console_return(state: &AppState) -> String {
    format!("{}/admin/sso", state.cfg.public_url.trim_end_matches('/'))
}

fn not_set_up() -> ApiError {
    ApiError::not_found("single sign-on for this tenant")
}

/// The tenant's provider as a client configuration (the secret opened).
async fn client(
    state: &AppState,
    conn: &mut AnyConnection,
    tenant_id: &str,
    row: &store::SettingsRow,
) -> ApiResult<ClientConfig> {
    let client_secret = if row.client_secret.is_empty() {
        String::new()
    } else {
        let raw = seal::open(
            &state.blobs.keys,
            conn,
            settings::sealed_to(tenant_id),
            &row.client_secret,
        )
        .await?;
        String::from_utf8(raw).map_err(|_| ApiError::internal("client secret is not UTF-8"))?
    };
    Ok(ClientConfig {
        issuer: row.issuer.clone(),
        client_id: row.client_id.clone(),
        client_secret,
        redirect_uri: callback_url(state),
    })
}

fn check_return(state: &AppState, s: &Settings, return_to: Option<&str>) -> ApiResult<String> {
    let default = default_return(state);
    match return_to.map(str::trim) {
        None | Some("") => Ok(default),
        Some(r)
            if r == default
                || r == console_return(state)
                || s.redirect_uris.iter().any(|u| u == r) =>
        {
            Ok(r.to_string())
        }
        Some(_) => Err(ApiError::validation(
            "return_to",
            "not one of the tenant's allowed return addresses (settings: redirect_uris)",
        )),
    }
}

fn check_client(client: Option<&str>) -> ApiResult<String> {
    match client.unwrap_or("browser") {
        c @ ("browser" | "app") => Ok(c.to_string()),
        _ => Err(ApiError::validation("client", "`browser` or `app`")),
    }
}

async fn begin(
    state: &AppState,
    ctx: &RequestCtx,
    tenant_id: &str,
    purpose: &str,
    user_id: &str,
    return_to: Option<&str>,
    client_kind: Option<&str>,
) -> ApiResult<String> {
    let client_kind = check_client(client_kind)?;
    let (row, cfg) = {
        let mut conn = state.db.conn().await?;
        let row = settings::row(&mut conn, tenant_id).await?;
        if row.enabled == 0 {
            return Err(not_set_up());
        }
        let cfg = client(state, &mut conn, tenant_id, &row).await?;
        (row, cfg)
    };
    let s = Settings::from(&row);
    let return_to = check_return(state, &s, return_to)?;
    let started = state
        .oidc
        .start(&state.outbound, &cfg, &s.scopes)
        .await
        .map_err(|e| {
            tracing::warn!(tenant_id, reason = e.reason(), error = %e, "single sign-on: the provider cannot be used");
            ApiError::new(
                Code::Unavailable,
                "the identity provider cannot be reached; try again later",
            )
        })?;
    let now = now_ms();
    let client_key = tokens::hash(&format!("stoa-sso-client\0{}", ctx.ip));
    let mut tx = state.db.begin().await?;
    if store::live_flows(&mut tx, tenant_id, &client_key, now).await? >= LIVE_FLOWS_PER_ADDRESS {
        return Err(ApiError::rate_limited((FLOW_MS / 1000) as u64));
    }
    store::insert_flow(
        &mut tx,
        &tokens::hash(&started.state),
        &FlowRow {
            tenant_id: tenant_id.to_string(),
            purpose: purpose.to_string(),
            user_id: user_id.to_string(),
            issuer: cfg.issuer,
            nonce: started.nonce,
            pkce_verifier: started.pkce_verifier,
            return_to,
            client: client_kind,
            client_key,
            expires_at: now + FLOW_MS,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(started.url)
}

/// Start signing in to the tenant `slug`: the provider's URL to send the browser to.
#[tracing::instrument(skip_all)]
pub async fn start(
    state: &AppState,
    ctx: &RequestCtx,
    slug: &str,
    return_to: Option<&str>,
    client_kind: Option<&str>,
) -> ApiResult<String> {
    if slug.len() > 100 {
        return Err(not_set_up());
    }
    let tenant = {
        let mut conn = state.db.conn().await?;
        tenants::service::by_slug(&mut conn, &slug.trim().to_lowercase()).await?
    }
    .filter(|t| t.status == "active")
    .ok_or_else(not_set_up)?;
    begin(
        state,
        ctx,
        &tenant.id,
        "sign_in",
        "",
        return_to,
        client_kind,
    )
    .await
}

/// Start linking an identity at the tenant's provider to the signed-in person.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn start_link(
    state: &AppState,
    p: &Principal,
    return_to: Option<&str>,
    client_kind: Option<&str>,
) -> ApiResult<(String, i64)> {
    let url = begin(
        state,
        &p.ctx,
        &p.tenant_id,
        "link",
        &p.user_id,
        return_to,
        client_kind,
    )
    .await?;
    Ok((url, now_ms() + FLOW_MS))
}

/// What the callback says to the browser: where to go next.
#[derive(Debug)]
pub struct Next {
    pub location: String,
}

fn with_fragment(return_to: &str, pairs: &[(&str, &str)]) -> String {
    let mut f = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        f.append_pair(k, v);
    }
    format!("{return_to}#{}", f.finish())
}

/// The provider sent the browser back.
#[tracing::instrument(skip_all, fields(tenant_id = tracing::field::Empty))]
pub async fn callback(
    state: &AppState,
    ctx: &RequestCtx,
    code: Option<&str>,
    state_param: Option<&str>,
    error: Option<&str>,
    iss: Option<&str>,
) -> ApiResult<Next> {
    let unknown = || {
        ApiError::bad_request(
            "this single sign-on is unknown, used or expired: start signing in again",
        )
    };
    let sp = state_param
        .filter(|s| !s.is_empty() && s.len() <= 200)
        .ok_or_else(unknown)?;
    let flow = {
        let mut tx = state.db.begin().await?;
        let flow = store::take_flow(&mut tx, &tokens::hash(sp)).await?;
        tx.commit().await?;
        flow
    }
    .filter(|f| f.expires_at > now_ms())
    .ok_or_else(unknown)?;
    tracing::Span::current().record("tenant_id", flow.tenant_id.as_str());
    let outcome = finish(state, &flow, code, error, iss).await;
    let mut tx = state.db.begin().await?;
    let (location, entry) = match outcome {
        Ok(Done::SignedIn {
            user_id,
            created,
            link_id,
        }) => {
            let exchange = tokens::generate("stoa_x_");
            let now = now_ms();
            store::insert_code(
                &mut tx,
                &tokens::hash(&exchange),
                &flow.tenant_id,
                &user_id,
                &flow.client,
                now,
                now + CODE_MS,
            )
            .await?;
            store::touch_link(&mut tx, &flow.tenant_id, &link_id, now).await?;
            (
                with_fragment(&flow.return_to, &[("code", &exchange)]),
                Entry::new(&flow.tenant_id, "auth.sso")
                    .actor(ActorKind::User, &user_id)
                    .target("user", &user_id)
                    .details(serde_json::json!({ "purpose": "sign_in", "created": created, "client": flow.client })),
            )
        }
        Ok(Done::Linked { user_id, link_id }) => (
            with_fragment(&flow.return_to, &[("linked", "1")]),
            Entry::new(&flow.tenant_id, "user.sso_linked")
                .actor(ActorKind::User, &user_id)
                .target("user", &user_id)
                .details(serde_json::json!({ "link_id": link_id, "issuer": flow.issuer })),
        ),
        Err(f) => {
            let mut e = Entry::new(&flow.tenant_id, "auth.sso")
                .actor(ActorKind::Anonymous, "")
                .failed()
                .details(serde_json::json!({ "purpose": flow.purpose, "reason": f.reason }));
            if let Some(u) = f
                .user_id
                .as_deref()
                .or((!flow.user_id.is_empty()).then_some(flow.user_id.as_str()))
            {
                e = e.target("user", u);
            }
            tracing::info!(reason = f.reason, purpose = %flow.purpose, "single sign-on refused");
            (with_fragment(&flow.return_to, &[("error", f.reason)]), e)
        }
    };
    audit::record(&mut tx, entry.ctx(ctx)).await?;
    tx.commit().await?;
    Ok(Next { location })
}

async fn finish(
    state: &AppState,
    flow: &FlowRow,
    code: Option<&str>,
    error: Option<&str>,
    iss: Option<&str>,
) -> Result<Done, Failure> {
    // RFC 9207: a provider that names itself in the response must be the one this sign-in went
    // to (a mix-up with another provider is refused before its code goes anywhere).
    if iss.is_some_and(|i| i != flow.issuer) {
        return Err(fail("wrong_issuer"));
    }
    if error.is_some() {
        return Err(fail("provider_refused"));
    }
    let code = code
        .filter(|c| !c.is_empty() && c.len() <= 2000)
        .ok_or_else(|| fail("no_code"))?;
    let (row, cfg) = {
        let mut conn = state.db.conn().await?;
        let row = settings::row(&mut conn, &flow.tenant_id).await?;
        if row.enabled == 0 || row.issuer != flow.issuer {
            return Err(fail("sso_disabled"));
        }
        let cfg = client(state, &mut conn, &flow.tenant_id, &row).await?;
        (row, cfg)
    };
    let verified = state
        .oidc
        .redeem(
            &state.outbound,
            &flow.tenant_id,
            &cfg,
            code,
            &flow.pkce_verifier,
            &flow.nonce,
        )
        .await
        .map_err(|e: OidcError| {
            tracing::info!(error = %e, "single sign-on: the provider's answer was refused");
            fail(e.reason())
        })?;
    let s = Settings::from(&row);
    let mut tx = state.db.begin().await?;
    let existing = store::link_of_identity(
        &mut tx,
        &flow.tenant_id,
        verified.issuer(),
        verified.subject(),
    )
    .await?;
    let done = if flow.purpose == "link" {
        link(&mut tx, flow, &verified, existing).await?
    } else {
        super::provision::sign_in(&mut tx, flow, &s, &verified, existing).await?
    };
    tx.commit().await?;
    Ok(done)
}

async fn link(
    conn: &mut AnyConnection,
    flow: &FlowRow,
    v: &Verified,
    existing: Option<LinkRow>,
) -> Result<Done, Failure> {
    active_user(&mut *conn, &flow.tenant_id, &flow.user_id).await?;
    if let Some(l) = existing {
        return if l.user_id == flow.user_id {
            Ok(Done::Linked {
                user_id: l.user_id,
                link_id: l.id,
            })
        } else {
            Err(fail("identity_linked_elsewhere"))
        };
    }
    let l = LinkRow {
        id: new_id(),
        issuer: v.issuer().to_string(),
        subject: v.subject().to_string(),
        user_id: flow.user_id.clone(),
        created_at: now_ms(),
        last_used_at: None,
    };
    store::insert_link(&mut *conn, &flow.tenant_id, &l).await?;
    Ok(Done::Linked {
        user_id: l.user_id,
        link_id: l.id,
    })
}
/// Exchange a code from a finished sign-in for what a password sign-in answers.
#[tracing::instrument(skip_all, fields(tenant_id = tracing::field::Empty))]
pub async fn exchange(
    state: &AppState,
    ctx: &RequestCtx,
    code: &str,
    device: &str,
) -> ApiResult<signin::service::Outcome> {
    let invalid = || {
        ApiError::new(
            Code::InvalidCredentials,
            "the code is invalid, used or expired: sign in again",
        )
    };
    if code.is_empty() || code.len() > 200 {
        return Err(invalid());
    }
    let mut tx = state.db.begin().await?;
    let (tenant_id, user_id, _client) = store::take_code(&mut tx, &tokens::hash(code), now_ms())
        .await?
        .ok_or_else(invalid)?;
    tracing::Span::current().record("tenant_id", tenant_id.as_str());
    let outcome =
        signin::service::after_identity(&mut tx, state, ctx, &tenant_id, &user_id, device, "sso")
            .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// The signed-in person's links.
pub async fn links(state: &AppState, p: &Principal) -> ApiResult<(Vec<LinkRow>, bool)> {
    let mut conn = state.db.conn().await?;
    let links = store::links_of_user(&mut conn, &p.tenant_id, &p.user_id).await?;
    let on = settings::row(&mut conn, &p.tenant_id).await?.enabled != 0;
    Ok((links, on))
}

/// Remove one of the signed-in person's links.
#[tracing::instrument(skip_all, fields(tenant_id = %p.tenant_id))]
pub async fn unlink(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let gone = store::delete_link(&mut tx, &p.tenant_id, &p.user_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("link"))?;
    audit::record(
        &mut tx,
        p.audit("user.sso_unlinked")
            .target("user", &p.user_id)
            .details(serde_json::json!({ "link_id": gone.id, "issuer": gone.issuer })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
