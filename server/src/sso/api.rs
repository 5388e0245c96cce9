//! Single sign-on over HTTP: the tenant's provider settings (admins), the browser flow
//! (start, callback, exchange), and one's own linked identities.

use super::{flow, settings};
use crate::{
    authn::{ctx_of, Session},
    db::rfc3339,
    error::ApiResult,
    http::{ApiTags, NoContent},
    signin::api::LoginAnswer,
    AppState,
};
use poem::{web::Data, Request};
use poem_openapi::{
    param::{Path, Query},
    payload::Json,
    ApiResponse, Object, OpenApi,
};
use std::sync::Arc;

/// A group of the provider's groups claim and the role it gives.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct SsoRoleMapping {
    /// A value of the groups claim (Keycloak: the group path or name; Entra ID: the group's
    /// object id).
    pub group: String,
    pub role_id: String,
}

/// The tenant's OpenID Connect provider.
#[derive(Debug, Object)]
pub struct SsoSettings {
    pub enabled: bool,
    /// The issuer identifier; Stoa reads `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// A client secret is stored (it is never shown).
    pub client_secret_set: bool,
    pub scopes: Vec<String>,
    /// The ID token claim holding the person's name.
    pub name_claim: String,
    /// The claim holding the email address (used only when `email_verified` is true).
    pub email_claim: String,
    /// The claim holding the phone number (used only when `phone_number_verified` is true);
    /// empty: none.
    pub phone_claim: String,
    /// The claim holding the person's groups; empty: groups are not read.
    pub groups_claim: String,
    /// Roles given to a person created on first sign-in, by group; none matching: the default
    /// role.
    pub role_mapping: Vec<SsoRoleMapping>,
    /// Email domains whose people may be created on first sign-in; empty: any.
    pub allowed_domains: Vec<String>,
    /// Create an account on first sign-in for a person with a verified email no account has.
    pub jit: bool,
    /// The role of people created on first sign-in; none: the built-in staff role.
    pub default_role_id: Option<String>,
    /// Where a finished sign-in may return besides the built-in page (apps: their own scheme).
    pub redirect_uris: Vec<String>,
    /// Trust the email claim without `email_verified` (for providers that never send it, such
    /// as Entra ID, and only when the provider controls every address it issues).
    pub assume_email_verified: bool,
    /// The redirect URI to register with the provider.
    pub callback_url: String,
    /// The built-in page a sign-in returns to by default.
    pub default_return_url: String,
    pub updated_at: Option<String>,
}

/// The tenant's provider settings. `client_secret`: absent keeps the stored one, `""`
/// removes it.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SsoSettingsInput {
    pub enabled: bool,
    #[oai(default)]
    pub issuer: String,
    #[oai(default)]
    pub client_id: String,
    /// Write-only: stored sealed with the tenant's key.
    pub client_secret: Option<String>,
    /// `openid` is always included. Default: `openid email profile`.
    pub scopes: Option<Vec<String>>,
    pub name_claim: Option<String>,
    pub email_claim: Option<String>,
    pub phone_claim: Option<String>,
    pub groups_claim: Option<String>,
    #[oai(default)]
    pub role_mapping: Vec<SsoRoleMapping>,
    #[oai(default)]
    pub allowed_domains: Vec<String>,
    #[oai(default)]
    pub jit: bool,
    pub default_role_id: Option<String>,
    #[oai(default)]
    pub redirect_uris: Vec<String>,
    #[oai(default)]
    pub assume_email_verified: bool,
}

fn shown(state: &AppState, s: settings::Settings) -> SsoSettings {
    SsoSettings {
        enabled: s.enabled,
        issuer: s.issuer,
        client_id: s.client_id,
        client_secret_set: s.client_secret_set,
        scopes: s.scopes,
        name_claim: s.name_claim,
        email_claim: s.email_claim,
        phone_claim: s.phone_claim,
        groups_claim: s.groups_claim,
        role_mapping: s
            .role_mapping
            .into_iter()
            .map(|m| SsoRoleMapping {
                group: m.group,
                role_id: m.role_id,
            })
            .collect(),
        allowed_domains: s.allowed_domains,
        jit: s.jit,
        default_role_id: s.default_role_id,
        redirect_uris: s.redirect_uris,
        assume_email_verified: s.assume_email_verified,
        callback_url: flow::callback_url(state),
        default_return_url: flow::default_return(state),
        updated_at: s.updated_at.map(rfc3339),
    }
}

impl From<SsoSettingsInput> for settings::Input {
    fn from(b: SsoSettingsInput) -> settings::Input {
        settings::Input {
            settings: settings::Settings {
                enabled: b.enabled,
                issuer: b.issuer,
                client_id: b.client_id,
                client_secret_set: false,
                scopes: b
                    .scopes
                    .unwrap_or_else(|| vec!["openid".into(), "email".into(), "profile".into()]),
                name_claim: b.name_claim.unwrap_or_else(|| "name".into()),
                email_claim: b.email_claim.unwrap_or_else(|| "email".into()),
                phone_claim: b.phone_claim.unwrap_or_else(|| "phone_number".into()),
                groups_claim: b.groups_claim.unwrap_or_default(),
                role_mapping: b
                    .role_mapping
                    .into_iter()
                    .map(|m| settings::RoleMapping {
                        group: m.group,
                        role_id: m.role_id,
                    })
                    .collect(),
                allowed_domains: b.allowed_domains,
                jit: b.jit,
                default_role_id: b.default_role_id,
                redirect_uris: b.redirect_uris,
                assume_email_verified: b.assume_email_verified,
                updated_at: None,
            },
            client_secret: b.client_secret,
        }
    }
}

/// Off to the identity provider, or back to the app.
#[derive(ApiResponse)]
pub enum Redirect {
    /// Follow `Location`.
    #[oai(status = 302)]
    Found(
        #[oai(header = "Location")] String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Referrer-Policy")] String,
    ),
}

fn found(location: String) -> Redirect {
    Redirect::Found(location, "no-store".into(), "no-referrer".into())
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SsoExchange {
    /// The `code` from the fragment of the return address.
    pub code: String,
    /// A name for this device, shown in the session list.
    pub device: Option<String>,
}

#[derive(Debug, Object)]
pub struct SsoLink {
    pub id: String,
    pub issuer: String,
    /// The person's identifier at the provider.
    pub subject: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Object)]
pub struct SsoLinks {
    /// The tenant has single sign-on on (linking is possible).
    pub available: bool,
    pub links: Vec<SsoLink>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SsoLinkStart {
    /// One of the tenant's `redirect_uris`; default: the built-in page.
    pub return_to: Option<String>,
    /// `browser` (default) or `app`.
    pub client: Option<String>,
}

/// Open this URL in the person's own browser; it works once, for 10 minutes.
#[derive(Debug, Object)]
pub struct SsoLinkStarted {
    pub authorization_url: String,
    pub expires_at: String,
}

#[derive(Default)]
pub struct SsoApi;

#[OpenApi(tag = "ApiTags::Sso")]
impl SsoApi {
    /// Single sign-on settings
    ///
    /// The tenant's OpenID Connect provider. The client secret is never shown. Needs
    /// `settings.manage`.
    #[oai(
        path = "/settings/sso",
        method = "get",
        operation_id = "sso_settings_get"
    )]
    async fn settings_get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
    ) -> ApiResult<Json<SsoSettings>> {
        let s = settings::get(&state, &auth.0).await?;
        Ok(Json(shown(&state, s)))
    }

    /// Change the single sign-on settings
    ///
    /// With `enabled`, the issuer must answer OpenID Connect discovery now (through the
    /// outbound allow-list). Roles handed out (`default_role_id`, `role_mapping`) may hold no
    /// permission the caller lacks. Needs `settings.manage`.
    #[oai(
        path = "/settings/sso",
        method = "put",
        operation_id = "sso_settings_set"
    )]
    async fn settings_set(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<SsoSettingsInput>,
    ) -> ApiResult<Json<SsoSettings>> {
        let s = settings::put(&state, &auth.0, body.0.into()).await?;
        Ok(Json(shown(&state, s)))
    }

    /// Sign in with single sign-on
    ///
    /// Redirects the browser to the tenant's identity provider (authorization code with PKCE).
    /// Afterwards the browser lands on `return_to` (one of the tenant's `redirect_uris`, or the
    /// built-in page) with `#code=…` to exchange (`POST /auth/sso/exchange`), or `#error=…`.
    /// At most 100 unfinished sign-ins per client address and tenant (429 beyond).
    #[oai(
        path = "/auth/sso/:tenant/start",
        method = "get",
        operation_id = "auth_sso_start"
    )]
    async fn start(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        /// The tenant's slug.
        tenant: Path<String>,
        return_to: Query<Option<String>>,
        /// `browser` (default) or `app`.
        client: Query<Option<String>>,
    ) -> ApiResult<Redirect> {
        let url = flow::start(
            &state,
            &ctx_of(req),
            &tenant.0,
            return_to.0.as_deref(),
            client.0.as_deref(),
        )
        .await?;
        Ok(found(url))
    }

    /// Single sign-on callback
    ///
    /// Where the identity provider sends the browser back (register
    /// `<public_url>/api/v1/auth/sso/callback` with the provider). Redirects to the sign-in's
    /// return address with `#code=…`, `#linked=1` or `#error=<reason>`.
    #[oai(
        path = "/auth/sso/callback",
        method = "get",
        operation_id = "auth_sso_callback"
    )]
    async fn callback(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        code: Query<Option<String>>,
        #[oai(name = "state")] state_param: Query<Option<String>>,
        error: Query<Option<String>>,
        /// The provider's issuer identifier (RFC 9207), checked when present.
        iss: Query<Option<String>>,
    ) -> ApiResult<Redirect> {
        let next = flow::callback(
            &state,
            &ctx_of(req),
            code.0.as_deref(),
            state_param.0.as_deref(),
            error.0.as_deref(),
            iss.0.as_deref(),
        )
        .await?;
        Ok(found(next.location))
    }

    /// Exchange a single sign-on code
    ///
    /// The code from a finished sign-in (works once, for 60 seconds) for what a password
    /// sign-in answers: a session, or the second factor the tenant requires first.
    #[oai(
        path = "/auth/sso/exchange",
        method = "post",
        operation_id = "auth_sso_exchange"
    )]
    async fn exchange(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<SsoExchange>,
    ) -> ApiResult<LoginAnswer> {
        let b = body.0;
        let o = flow::exchange(
            &state,
            &ctx_of(req),
            &b.code,
            b.device.as_deref().unwrap_or(""),
        )
        .await?;
        Ok(o.into())
    }

    /// My single sign-on links
    ///
    /// The identities at the tenant's provider that sign in to this account.
    #[oai(path = "/me/sso", method = "get", operation_id = "me_sso_get")]
    async fn links(&self, state: Data<&Arc<AppState>>, auth: Session) -> ApiResult<Json<SsoLinks>> {
        let (links, available) = flow::links(&state, &auth.0).await?;
        Ok(Json(SsoLinks {
            available,
            links: links
                .into_iter()
                .map(|l| SsoLink {
                    id: l.id,
                    issuer: l.issuer,
                    subject: l.subject,
                    created_at: rfc3339(l.created_at),
                    last_used_at: l.last_used_at.map(rfc3339),
                })
                .collect(),
        }))
    }

    /// Link an identity at the provider
    ///
    /// The provider URL to open in this person's own browser: whoever signs in there is linked
    /// to this account, so the URL must not be handed to anyone else. The return address gets
    /// `#linked=1` or `#error=<reason>`.
    #[oai(
        path = "/me/sso/link/start",
        method = "post",
        operation_id = "me_sso_link_start"
    )]
    async fn link_start(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        body: Json<SsoLinkStart>,
    ) -> ApiResult<Json<SsoLinkStarted>> {
        let (url, expires_at) = flow::start_link(
            &state,
            &auth.0,
            body.0.return_to.as_deref(),
            body.0.client.as_deref(),
        )
        .await?;
        Ok(Json(SsoLinkStarted {
            authorization_url: url,
            expires_at: rfc3339(expires_at),
        }))
    }

    /// Unlink an identity
    #[oai(
        path = "/me/sso/links/:id",
        method = "delete",
        operation_id = "me_sso_unlink"
    )]
    async fn unlink(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Session,
        id: Path<String>,
    ) -> ApiResult<NoContent> {
        flow::unlink(&state, &auth.0, &id.0).await?;
        Ok(NoContent::Done)
    }
}
