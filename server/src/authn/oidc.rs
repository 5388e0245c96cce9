//! The OpenID Connect relying party (OpenID Connect Core 1.0, RFC 6749, RFC 7636), with the
//! `openidconnect` crate over [`crate::ops::outbound`]: discovery, the authorization URL with
//! PKCE (S256), `state` and `nonce`, the code exchange, and the ID token's checks — signature
//! with the provider's published keys (JWKS), issuer, audience (and `azp`), expiry and nonce.
//!
//! Infrastructure: it knows issuers and clients, not tenants' settings; the `sso` feature
//! decides which provider a tenant trusts and what a verified identity may do.
//!
//! Provider metadata (with its keys) is cached per issuer for a few minutes. When an ID token
//! is signed with a key the cached set does not have — the provider rotated its keys — the
//! metadata and keys are fetched again and the token checked once more. (Only the provider's
//! own token endpoint hands us ID tokens, over the back channel, so nobody else can make us
//! fetch again.)

use crate::ops::outbound::{Outbound, OutboundError};
use openidconnect::{
    core::{CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata},
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};
use serde_json::{Map, Value};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// How long discovered metadata and keys are used before they are fetched again.
const METADATA_TTL: Duration = Duration::from_secs(300);

/// Why a step failed. The variants are the reasons the audit log records (no personal data).
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the issuer is not a valid URL")]
    BadIssuer,
    #[error("discovery failed: {0}")]
    Discovery(String),
    #[error("the provider refused the code: {0}")]
    Exchange(String),
    #[error("the provider's answer has no ID token")]
    NoIdToken,
    #[error("the ID token's signature does not verify")]
    Signature,
    #[error("the ID token is from another issuer")]
    Issuer,
    #[error("the ID token is for another client")]
    Audience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token's nonce is wrong or missing")]
    Nonce,
    #[error("the ID token is not valid: {0}")]
    Invalid(String),
    #[error("outbound request refused: {0}")]
    Outbound(#[from] OutboundError),
}

impl OidcError {
    /// A stable reason for the audit log and the client.
    pub fn reason(&self) -> &'static str {
        match self {
            OidcError::BadIssuer | OidcError::Discovery(_) | OidcError::Outbound(_) => {
                "provider_unreachable"
            }
            OidcError::Exchange(_) => "code_refused",
            OidcError::NoIdToken => "no_id_token",
            OidcError::Signature => "bad_signature",
            OidcError::Issuer => "wrong_issuer",
            OidcError::Audience => "wrong_audience",
            OidcError::Expired => "expired",
            OidcError::Nonce => "wrong_nonce",
            OidcError::Invalid(_) => "invalid_id_token",
        }
    }
}

/// A relying party's registration at one provider.
#[derive(Clone)]
pub struct ClientConfig {
    pub issuer: String,
    pub client_id: String,
    /// Empty: a public client (PKCE alone).
    pub client_secret: String,
    pub redirect_uri: String,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// What a sign-in keeps between the redirect and the callback.
#[derive(Debug, Clone)]
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Proof that a provider vouched for an identity: an ID token that passed every check, for the
/// client and nonce of a sign-in this server started. Only [`Providers::redeem`] makes one.
///
/// ```compile_fail
/// let _ = stoa::authn::oidc::Verified { tenant_id: String::new(), issuer: String::new(),
///     subject: String::new(), claims: Default::default() };
/// ```
#[derive(Debug, Clone)]
pub struct Verified {
    tenant_id: String,
    issuer: String,
    subject: String,
    claims: Map<String, Value>,
}

impl Verified {
    /// The tenant whose provider settings the check used.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    pub fn subject(&self) -> &str {
        &self.subject
    }
    /// A claim of the verified ID token, by name.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        if name.is_empty() {
            return None;
        }
        self.claims.get(name)
    }
    /// A string claim, trimmed; `None` when absent, not a string or empty.
    pub fn text(&self, name: &str) -> Option<String> {
        self.claim(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
}

struct Cached {
    at: Instant,
    metadata: Arc<CoreProviderMetadata>,
}

/// Discovered providers, cached per issuer; one per process.
#[derive(Default)]
pub struct Providers {
    cache: Mutex<HashMap<String, Cached>>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Providers")
    }
}

fn random_token() -> String {
    crate::authn::tokens::generate("")
}

impl Providers {
    /// The provider's metadata and keys: cached, or fetched when `fresh` (or older than the
    /// TTL, or never fetched).
    async fn metadata(
        &self,
        outbound: &Outbound,
        issuer: &str,
        fresh: bool,
    ) -> Result<(Arc<CoreProviderMetadata>, Instant), OidcError> {
        if let Ok(cache) = self.cache.lock() {
            if let Some(c) = cache.get(issuer) {
                let age = c.at.elapsed();
                if age < METADATA_TTL && !fresh {
                    return Ok((c.metadata.clone(), c.at));
                }
            }
        }
        let issuer_url = IssuerUrl::new(issuer.to_string()).map_err(|_| OidcError::BadIssuer)?;
        let http = Http(outbound.clone());
        let metadata = CoreProviderMetadata::discover_async(issuer_url, &http)
            .await
            .map_err(|e| OidcError::Discovery(error_chain(&e)))?;
        let metadata = Arc::new(metadata);
        let at = Instant::now();
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(
                issuer.to_string(),
                Cached {
                    at,
                    metadata: metadata.clone(),
                },
            );
        }
        Ok((metadata, at))
    }

    /// Check that the issuer answers discovery (settings are saved only then).
    pub async fn probe(&self, outbound: &Outbound, issuer: &str) -> Result<(), OidcError> {
        self.metadata(outbound, issuer, true).await.map(|_| ())
    }

    /// The provider's authorization URL for a new sign-in, with fresh `state`, `nonce` and
    /// PKCE verifier (S256) for the caller to keep.
    pub async fn start(
        &self,
        outbound: &Outbound,
        client: &ClientConfig,
        scopes: &[String],
    ) -> Result<Started, OidcError> {
        let (metadata, _) = self.metadata(outbound, &client.issuer, false).await?;
        let c = core_client(&metadata, client)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = random_token();
        let nonce = random_token();
        let (state_in, nonce_in) = (state.clone(), nonce.clone());
        let mut req = c.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state_in),
            move || Nonce::new(nonce_in),
        );
        for s in scopes.iter().filter(|s| s.as_str() != "openid") {
            req = req.add_scope(Scope::new(s.clone()));
        }
        let (url, _, _) = req.set_pkce_challenge(challenge).url();
        Ok(Started {
            url: url.to_string(),
            state,
            nonce,
            pkce_verifier: verifier.secret().to_string(),
        })
    }

    /// Redeem an authorization code and check the ID token it brings. `tenant_id` is recorded in
    /// the proof: the tenant whose settings `client` came from.
    pub async fn redeem(
        &self,
        outbound: &Outbound,
        tenant_id: &str,
        client: &ClientConfig,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Verified, OidcError> {
        let (metadata, _) = self.metadata(outbound, &client.issuer, false).await?;
        let c = core_client(&metadata, client)?;
        let http = Http(outbound.clone());
        let token = c
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Exchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&http)
            .await
            .map_err(|e| OidcError::Exchange(error_chain(&e)))?;
        let _ = token.access_token();
        let id_token = token.id_token().ok_or(OidcError::NoIdToken)?.clone();
        let nonce = Nonce::new(nonce.to_string());
        let verify = |c: &CoreClient<_, _, _, _, _, _>| -> Result<String, OidcError> {
            let verifier = c.id_token_verifier().set_allowed_algs(allowed_algs());
            id_token
                .claims(&verifier, &nonce)
                .map(|claims| claims.subject().to_string())
                .map_err(classify)
        };
        let subject = match verify(&c) {
            Err(OidcError::Signature) => {
                // An unknown key: the provider may have rotated its keys since they were fetched.
                let (metadata, _) = self.metadata(outbound, &client.issuer, true).await?;
                verify(&core_client(&metadata, client)?)?
            }
            other => other?,
        };
        // The token verified: its payload is exactly what was signed, so reading the claims the
        // standard set does not model (groups, custom names) from it is as safe.
        let claims = payload(&id_token.to_string()).ok_or(OidcError::Invalid(
            "the ID token's payload is not JSON".into(),
        ))?;
        Ok(Verified {
            tenant_id: tenant_id.to_string(),
            issuer: client.issuer.clone(),
            subject,
            claims,
        })
    }
}

/// The outbound client in the shape `openidconnect` calls: its futures are `Send` and own
/// what they use.
struct Http(Outbound);

impl<'c> openidconnect::AsyncHttpClient<'c> for Http {
    type Error = OutboundError;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<openidconnect::HttpResponse, OutboundError>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        let o = self.0.clone();
        Box::pin(async move { o.http(request).await })
    }
}

type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn core_client(metadata: &CoreProviderMetadata, c: &ClientConfig) -> Result<Client, OidcError> {
    let secret = (!c.client_secret.is_empty()).then(|| ClientSecret::new(c.client_secret.clone()));
    let redirect = RedirectUrl::new(c.redirect_uri.clone())
        .map_err(|e| OidcError::Invalid(format!("redirect URI: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(c.client_id.clone()),
        secret,
    )
    .set_redirect_uri(redirect))
}

/// Asymmetric algorithms only: a token signed with a shared secret (HS256) proves nothing the
/// client secret could not forge.
fn allowed_algs() -> Vec<CoreJwsSigningAlgorithm> {
    use CoreJwsSigningAlgorithm::*;
    vec![
        RsaSsaPkcs1V15Sha256,
        RsaSsaPkcs1V15Sha384,
        RsaSsaPkcs1V15Sha512,
        RsaSsaPssSha256,
        RsaSsaPssSha384,
        RsaSsaPssSha512,
        EcdsaP256Sha256,
        EcdsaP384Sha384,
        EdDsa,
    ]
}

fn classify(e: ClaimsVerificationError) -> OidcError {
    match e {
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey
            | SignatureVerificationError::AmbiguousKeyId(_)
            | SignatureVerificationError::CryptoError(_)
            | SignatureVerificationError::InvalidKey(_),
        ) => OidcError::Signature,
        ClaimsVerificationError::SignatureVerification(other) => {
            OidcError::Invalid(other.to_string())
        }
        ClaimsVerificationError::InvalidIssuer(_) => OidcError::Issuer,
        ClaimsVerificationError::InvalidAudience(_) => OidcError::Audience,
        ClaimsVerificationError::Expired(_) => OidcError::Expired,
        ClaimsVerificationError::InvalidNonce(_) => OidcError::Nonce,
        other => OidcError::Invalid(other.to_string()),
    }
}

/// The JSON payload of a compact JWS.
fn payload(jwt: &str) -> Option<Map<String, Value>> {
    use base64::Engine;
    let middle = jwt.split('.').nth(1)?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(middle.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&raw).ok()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}
