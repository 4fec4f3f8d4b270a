//! MCP authorization for the client (OAuth 2.1): [`OAuthClient`] is an
//! [`AuthProvider`] that obtains, keeps, renews and steps up the access tokens of one MCP
//! server.
//!
//! When the server answers `401`, it discovers the authorization server (the
//! `resource_metadata` of the `WWW-Authenticate` challenge, then the well-known URLs of
//! RFC 9728; RFC 8414 and OpenID Connect metadata, whose `issuer` must be the one looked
//! up), registers (pre-registered credentials, a Client ID Metadata Document, or dynamic
//! registration, in that order), runs the authorization code flow with PKCE `S256` and the
//! `resource` parameter (RFC 8707), checks `state` and `iss` (RFC 9207) before using the
//! code, and stores the tokens in a [`TokenStore`]. A `403` with
//! `error="insufficient_scope"` re-authorizes with the union of the scopes asked for so far
//! and the challenged ones, unless that asks for nothing new. Expired tokens are refreshed.
//!
//! The interactive step is an [`AuthorizationHandler`]: [`LoopbackRedirect`] for desktop
//! and command-line programs. The client credentials and JWT bearer grants
//! ([`Grant`]) need none. With feature `oauth-jwt`, `private_key_jwt` client authentication
//! and DPoP-bound tokens (RFC 9449) are available too. See `docs/auth.md`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use mcpwire_core::client::Client;
//! use mcpwire_http::oauth::{LoopbackRedirect, OAuthClient};
//! use mcpwire_http::{HttpClientConfig, HttpTransport};
//!
//! let url = "http://127.0.0.1:3000/mcp";
//! let oauth = OAuthClient::builder(url)?
//!     .client_name("My MCP app")
//!     .authorization_handler(LoopbackRedirect::bind(0).await?)
//!     .build()?;
//! // Authorize before connecting: the user may take longer than a request's time limit.
//! oauth.authorize().await?;
//! let transport = HttpTransport::with_config(HttpClientConfig::new(url)?.auth(oauth));
//! let client = Client::builder().connect(transport).await?;
//! # Ok(()) }
//! ```

mod builder;
#[cfg(feature = "oauth-jwt")]
mod dpop;
mod enterprise;
mod error;
mod http;
#[cfg(feature = "oauth-jwt")]
mod jwt;
mod metadata;
mod pkce;
mod redirect;
mod registration;
mod token;

use std::sync::Arc;
use std::time::Duration;

use ::http::HeaderValue;
use mcpwire_core::connection::BoxFuture;
use url::Url;

use crate::client::auth::{AuthProvider, BoxError, Refusal};

pub use self::builder::OAuthClientBuilder;
pub use self::enterprise::{AssertionSource, FixedAssertion, IdJagExchange};
pub use self::error::OAuthError;
pub use self::http::{HttpFetch, PlainHttp};
#[cfg(feature = "oauth-jwt")]
pub use self::jwt::es256_signer;
pub use self::metadata::{
    AuthorizationServerMetadata, ProtectedResourceMetadata, authorization_server_metadata_urls,
    canonical_resource, protected_resource_metadata_urls, resource_covers,
};
pub use self::pkce::Pkce;
pub use self::redirect::{
    AuthorizationHandler, AuthorizationRequest, AuthorizationResponse, LoopbackRedirect,
    open_in_browser,
};
pub use self::registration::{ClientCredentials, ClientMetadata, TokenEndpointAuth};
pub use self::token::{AssertionSigner, InMemoryTokenStore, TokenSet, TokenStore};

use self::metadata::origin;
use self::token::{ProofSigner, TokenRequest};

/// Which grant obtains tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Grant {
    /// The authorization code grant with PKCE, on behalf of a user (the default).
    #[default]
    AuthorizationCode,
    /// The client credentials grant, for a client acting on its own behalf (the
    /// `io.modelcontextprotocol/oauth-client-credentials` extension).
    ClientCredentials,
    /// The JWT bearer grant with an assertion from an [`AssertionSource`] (Enterprise-Managed
    /// Authorization: see [`OAuthClientBuilder::jwt_bearer`]).
    JwtBearer,
}

/// Obtains and renews the access tokens of one MCP server (see the [module](self)).
///
/// Cloning gives another handle to the same client; give one to
/// [`HttpClientConfig::auth`](crate::HttpClientConfig::auth).
#[derive(Clone)]
pub struct OAuthClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("server", &self.inner.server.as_str())
            .field("grant", &self.inner.grant)
            .finish_non_exhaustive()
    }
}

struct Inner {
    server: Url,
    /// The store's key for this server's tokens.
    key: String,
    metadata: ClientMetadata,
    pre_registered: Option<ClientCredentials>,
    client_metadata_url: Option<String>,
    dynamic_registration: bool,
    legacy_discovery: bool,
    offline_access: bool,
    grant: Grant,
    handler: Option<Arc<dyn AuthorizationHandler>>,
    store: Arc<dyn TokenStore>,
    http: Arc<dyn HttpFetch>,
    signer: Option<Arc<AssertionSigner>>,
    assertions: Option<Arc<dyn AssertionSource>>,
    /// The DPoP key, when tokens are bound to one.
    dpop: Option<Arc<dyn ProofSigner>>,
    /// The authorization server's and the MCP server's latest DPoP nonces.
    as_nonce: std::sync::Mutex<Option<String>>,
    rs_nonce: std::sync::Mutex<Option<String>>,
    /// One flow at a time; requests wait for it.
    flow: tokio::sync::Mutex<Flow>,
}

#[derive(Default)]
struct Flow {
    loaded: bool,
    tokens: Option<TokenSet>,
    /// Whether `tokens` came from a refresh (a refused refreshed token needs a new grant).
    refreshed: bool,
    /// Where the tokens can be renewed.
    session: Option<Session>,
}

/// An authorization server in use, with this client's identity there.
#[derive(Clone)]
struct Session {
    issuer: String,
    metadata: AuthorizationServerMetadata,
    client: ClientCredentials,
    resource: String,
}

/// What discovery found.
struct Discovered {
    issuer: String,
    metadata: AuthorizationServerMetadata,
    resource: String,
    /// The resource's `scopes_supported`.
    resource_scopes: Option<Vec<String>>,
}

/// The grant type of RFC 7523 §2.1.
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// How early before expiry a token is renewed.
const EXPIRY_MARGIN: Duration = Duration::from_secs(30);

impl OAuthClient {
    /// Starts configuring the client of the MCP server at `server` (the transport's URL).
    pub fn builder(server: &str) -> Result<OAuthClientBuilder, OAuthError> {
        OAuthClientBuilder::new(server)
    }

    /// Runs discovery and authorization now, without waiting for the server to refuse a
    /// request (the user may need longer than a request's time limit).
    pub async fn authorize(&self) -> Result<(), OAuthError> {
        let mut flow = self.inner.flow.lock().await;
        self.load(&mut flow).await?;
        let found = self.discover(None).await?;
        let scopes = found.resource_scopes.clone().unwrap_or_default();
        self.grant(&mut flow, found, scopes).await
    }

    /// The current tokens, if any.
    pub async fn tokens(&self) -> Result<Option<TokenSet>, OAuthError> {
        let mut flow = self.inner.flow.lock().await;
        self.load(&mut flow).await?;
        Ok(flow.tokens.clone())
    }

    /// Forgets the tokens of this server, here and in the store.
    pub async fn sign_out(&self) -> Result<(), OAuthError> {
        let mut flow = self.inner.flow.lock().await;
        flow.loaded = true;
        flow.tokens = None;
        self.inner
            .store
            .set_tokens(&self.inner.key, None)
            .await
            .map_err(OAuthError::Store)
    }

    async fn load(&self, flow: &mut Flow) -> Result<(), OAuthError> {
        if !flow.loaded {
            flow.tokens = self
                .inner
                .store
                .tokens(&self.inner.key)
                .await
                .map_err(OAuthError::Store)?;
            flow.loaded = true;
        }
        Ok(())
    }

    async fn keep(&self, flow: &mut Flow, tokens: Option<TokenSet>) -> Result<(), OAuthError> {
        self.inner
            .store
            .set_tokens(&self.inner.key, tokens.clone())
            .await
            .map_err(OAuthError::Store)?;
        flow.tokens = tokens;
        Ok(())
    }

    /// The DPoP key and nonce slot for token requests to `session`'s server, when tokens
    /// are bound there (the server supports ES256 proofs).
    fn dpop_for<'a>(
        &'a self,
        session: &Session,
    ) -> Option<(&'a dyn ProofSigner, &'a std::sync::Mutex<Option<String>>)> {
        let key = self.inner.dpop.as_deref()?;
        let algs = session
            .metadata
            .other
            .get("dpop_signing_alg_values_supported")?;
        algs.as_array()?
            .iter()
            .any(|a| a == "ES256")
            .then_some((key, &self.inner.as_nonce))
    }

    /// Adds the credentials to a request: the `Authorization` header, and the DPoP proof of
    /// a DPoP-bound token.
    async fn credentials(&self, request: &mut ::http::request::Parts) -> Result<(), OAuthError> {
        let Some((header, dpop_token)) = self.header().await? else {
            return Ok(());
        };
        if let (Some(token), Some(key)) = (dpop_token, self.inner.dpop.as_deref()) {
            use base64::Engine as _;
            use sha2::Digest as _;
            let ath = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(token.as_bytes()));
            let nonce = self.inner.rs_nonce.lock().unwrap().clone();
            let proof = key
                .proof(
                    request.method.as_str(),
                    &token::htu(&request.uri.to_string()),
                    Some(&ath),
                    nonce.as_deref(),
                )
                .map_err(OAuthError::Assertion)?;
            if let Ok(v) = HeaderValue::from_str(&proof) {
                request.headers.insert("dpop", v);
            }
        }
        request
            .headers
            .insert(::http::header::AUTHORIZATION, header);
        Ok(())
    }

    /// The `Authorization` header for the next request, renewing an expiring token first, with
    /// the access token when it is DPoP-bound (its proof hashes it).
    async fn header(&self) -> Result<Option<(HeaderValue, Option<String>)>, OAuthError> {
        let mut flow = self.inner.flow.lock().await;
        self.load(&mut flow).await?;
        let expiring = flow
            .tokens
            .as_ref()
            .is_some_and(|t| t.expires_within(EXPIRY_MARGIN));
        if expiring {
            let renewed = match self.inner.grant {
                Grant::AuthorizationCode => self.refresh(&mut flow).await,
                Grant::ClientCredentials | Grant::JwtBearer => match flow.session.clone() {
                    Some(s) => {
                        let scopes = flow
                            .tokens
                            .as_ref()
                            .map(|t| t.requested_scopes.clone())
                            .unwrap_or_default();
                        self.without_user(&mut flow, &s, scopes).await
                    }
                    None => Ok(false),
                },
            };
            if let Err(e) = renewed {
                // The server will refuse the old token; the refusal starts a new grant.
                tracing::debug!(error = %e, "renewing the access token failed");
            }
        }
        // The header and, for a DPoP-bound token, the token its proof covers: read together,
        // so they cannot come from two different token sets.
        Ok(flow.tokens.as_ref().and_then(|t| {
            let dpop = t.is_dpop().then(|| t.access_token.clone());
            t.header().map(|h| (h, dpop))
        }))
    }

    /// Handles a refusal; `true` when a new token is there to retry with.
    async fn refused(&self, refusal: &Refusal) -> Result<bool, OAuthError> {
        let mut flow = self.inner.flow.lock().await;
        self.load(&mut flow).await?;
        let current = flow.tokens.as_ref().and_then(TokenSet::header);
        if current.is_some() && current != refusal.authorization {
            // Another request already obtained a newer token.
            return Ok(true);
        }
        let challenge = refusal.bearer();
        if challenge.and_then(|c| c.error()) == Some("use_dpop_nonce") {
            // RFC 9449 §9: the proof needs the server's nonce; retry when it is a new one.
            let fresh = refusal
                .headers
                .get("dpop-nonce")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let mut nonce = self.inner.rs_nonce.lock().unwrap();
            if fresh.is_some() && *nonce != fresh && self.inner.dpop.is_some() {
                *nonce = fresh;
                return Ok(true);
            }
            return Ok(false);
        }
        let challenged = challenge.map(|c| c.scopes()).unwrap_or_default();
        let hint = challenge.and_then(|c| c.resource_metadata());
        let previous = flow
            .tokens
            .as_ref()
            .map(|t| t.requested_scopes.clone())
            .unwrap_or_default();
        if refusal.is_insufficient_scope() {
            let wanted = union(&previous, &challenged);
            if flow.tokens.is_some() && same_set(&wanted, &previous) {
                // Asking again for what was refused cannot help.
                return Ok(false);
            }
            let found = self.discover(hint).await?;
            self.grant(&mut flow, found, wanted).await?;
            return Ok(true);
        }
        let found = self.discover(hint).await?;
        let same_server = flow
            .tokens
            .as_ref()
            .is_some_and(|t| t.issuer == found.issuer && t.resource == found.resource);
        if same_server && !flow.refreshed && self.inner.grant == Grant::AuthorizationCode {
            if flow
                .session
                .as_ref()
                .is_none_or(|s| s.issuer != found.issuer)
            {
                let client = self.client_for(&found).await?;
                flow.session = Some(session_of(&found, client));
            }
            if let Ok(true) = self.refresh(&mut flow).await {
                return Ok(true);
            }
        }
        let scopes = if !challenged.is_empty() {
            challenged
        } else {
            found.resource_scopes.clone().unwrap_or_default()
        };
        let scopes = if same_server {
            union(&previous, &scopes)
        } else {
            scopes
        };
        self.grant(&mut flow, found, scopes).await?;
        Ok(true)
    }

    /// Finds the authorization server of the MCP server.
    async fn discover(&self, hint: Option<&str>) -> Result<Discovered, OAuthError> {
        let http = &*self.inner.http;
        let server = &self.inner.server;
        let prm = metadata::fetch_protected_resource_metadata(http, server, hint).await?;
        let Some(prm) = prm else {
            if !self.inner.legacy_discovery {
                return Err(OAuthError::NoResourceMetadata {
                    server: server.to_string(),
                });
            }
            // A 2025-03-26 server: the authorization server is at its origin, and its
            // metadata (if any) names the issuer.
            let metadata =
                metadata::fetch_authorization_server_metadata(http, &origin(server), false)
                    .await?
                    .unwrap_or_else(|| AuthorizationServerMetadata::defaults_for(server));
            return Ok(Discovered {
                issuer: metadata.issuer.clone(),
                metadata,
                resource: canonical_resource(server),
                resource_scopes: None,
            });
        };
        if !resource_covers(&prm.resource, server) {
            return Err(OAuthError::ResourceMismatch {
                resource: prm.resource,
                server: server.to_string(),
            });
        }
        // Prefer the server pre-registered credentials are for.
        let bound = self
            .inner
            .pre_registered
            .as_ref()
            .and_then(|c| c.issuer.as_deref());
        let issuer = prm
            .authorization_servers
            .iter()
            .find(|a| Some(a.as_str()) == bound)
            .or_else(|| prm.authorization_servers.first())
            .cloned()
            .ok_or_else(|| OAuthError::NoAuthorizationServer {
                resource: prm.resource.clone(),
            })?;
        let metadata = metadata::fetch_authorization_server_metadata(http, &issuer, true)
            .await?
            .ok_or_else(|| OAuthError::NoAuthorizationServerMetadata {
                issuer: issuer.clone(),
            })?;
        Ok(Discovered {
            issuer,
            metadata,
            resource: prm.resource,
            resource_scopes: prm.scopes_supported,
        })
    }

    /// This client's identity at the discovered server, registering if need be.
    async fn client_for(&self, found: &Discovered) -> Result<ClientCredentials, OAuthError> {
        let inner = &self.inner;
        if let Some(c) = &inner.pre_registered
            && c.issuer.as_deref().is_none_or(|i| i == found.issuer)
        {
            return Ok(c.clone());
        }
        if inner.grant == Grant::AuthorizationCode
            && found.metadata.client_id_metadata_document_supported
            && let Some(url) = &inner.client_metadata_url
        {
            return Ok(ClientCredentials::public(url.clone())
                .auth_method(TokenEndpointAuth::None)
                .for_issuer(found.issuer.clone()));
        }
        if let Some(c) = inner
            .store
            .client(&found.issuer)
            .await
            .map_err(OAuthError::Store)?
        {
            return Ok(c);
        }
        let endpoint = found
            .metadata
            .registration_endpoint
            .as_deref()
            .filter(|_| inner.dynamic_registration)
            .ok_or_else(|| OAuthError::NoRegistration {
                issuer: found.issuer.clone(),
            })?;
        let endpoint = parse_url(endpoint)?;
        let method = registration::preferred_method(
            found
                .metadata
                .token_endpoint_auth_methods_supported
                .as_deref(),
        );
        let client = registration::register(
            &*inner.http,
            &endpoint,
            &found.issuer,
            &inner.metadata,
            method.as_ref(),
        )
        .await?;
        inner
            .store
            .set_client(&found.issuer, client.clone())
            .await
            .map_err(OAuthError::Store)?;
        Ok(client)
    }

    /// Obtains new tokens from the discovered server with the configured grant.
    async fn grant(
        &self,
        flow: &mut Flow,
        found: Discovered,
        mut scopes: Vec<String>,
    ) -> Result<(), OAuthError> {
        let client = self.client_for(&found).await?;
        let session = session_of(&found, client);
        match self.inner.grant {
            Grant::ClientCredentials | Grant::JwtBearer => {
                self.without_user(flow, &session, scopes).await?;
            }
            Grant::AuthorizationCode => {
                if self.inner.offline_access
                    && session.metadata.supports_scope("offline_access")
                    && !scopes.iter().any(|s| s == "offline_access")
                {
                    scopes.push("offline_access".into());
                }
                self.authorization_code(flow, &session, scopes).await?;
            }
        }
        flow.session = Some(session);
        Ok(())
    }

    async fn authorization_code(
        &self,
        flow: &mut Flow,
        session: &Session,
        scopes: Vec<String>,
    ) -> Result<(), OAuthError> {
        let handler = self
            .inner
            .handler
            .as_ref()
            .ok_or(OAuthError::NoAuthorizationHandler)?;
        let metadata = &session.metadata;
        if !metadata.supports_s256() {
            return Err(OAuthError::PkceUnsupported {
                issuer: session.issuer.clone(),
            });
        }
        let mut url = endpoint(
            session,
            metadata.authorization_endpoint.as_deref(),
            "authorization endpoint",
        )?;
        let token_endpoint = token_endpoint(session)?;
        let pkce = Pkce::new()?;
        let state = pkce::random_token(16)?;
        let redirect_uri = handler.redirect_uri();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &session.client.client_id)
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("code_challenge", pkce.challenge())
                .append_pair("code_challenge_method", pkce::S256)
                .append_pair("state", &state)
                .append_pair("resource", &session.resource);
            if !scopes.is_empty() {
                q.append_pair("scope", &scopes.join(" "));
            }
        }
        let request = AuthorizationRequest {
            url,
            redirect_uri: redirect_uri.clone(),
            state: state.clone(),
        };
        let response = handler
            .authorize(&request)
            .await
            .map_err(OAuthError::Handler)?;
        let code = response.into_code(
            &state,
            &session.issuer,
            metadata.authorization_response_iss_parameter_supported,
        )?;
        let tokens = TokenRequest {
            endpoint: &token_endpoint,
            issuer: &session.issuer,
            client: &session.client,
            method: session
                .client
                .method_for(metadata.token_endpoint_auth_methods_supported.as_deref()),
            signer: self.inner.signer.as_deref(),
            dpop: self.dpop_for(session),
            params: vec![
                ("grant_type", "authorization_code".into()),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", pkce.verifier().to_owned()),
                ("resource", session.resource.clone()),
            ],
        }
        .send(&*self.inner.http, &scopes, &session.resource)
        .await?;
        flow.refreshed = false;
        self.keep(flow, Some(tokens)).await
    }

    /// Obtains a token with a grant that needs no user (client credentials, JWT bearer);
    /// `Ok(true)` when it did.
    async fn without_user(
        &self,
        flow: &mut Flow,
        session: &Session,
        scopes: Vec<String>,
    ) -> Result<bool, OAuthError> {
        let token_endpoint = token_endpoint(session)?;
        let metadata = &session.metadata;
        let method = if self.inner.signer.is_some() && session.client.client_secret.is_none() {
            TokenEndpointAuth::PrivateKeyJwt
        } else {
            session
                .client
                .method_for(metadata.token_endpoint_auth_methods_supported.as_deref())
        };
        let mut params = match (&self.inner.grant, &self.inner.assertions) {
            (Grant::JwtBearer, Some(source)) => {
                let assertion = source
                    .assertion(&session.issuer, &session.resource, &*self.inner.http)
                    .await
                    .map_err(OAuthError::Assertion)?;
                vec![
                    ("grant_type", JWT_BEARER.to_owned()),
                    ("assertion", assertion),
                ]
            }
            _ => vec![("grant_type", "client_credentials".to_owned())],
        };
        if !scopes.is_empty() {
            params.push(("scope", scopes.join(" ")));
        }
        params.push(("resource", session.resource.clone()));
        let tokens = TokenRequest {
            endpoint: &token_endpoint,
            issuer: &session.issuer,
            client: &session.client,
            method,
            signer: self.inner.signer.as_deref(),
            dpop: self.dpop_for(session),
            params,
        }
        .send(&*self.inner.http, &scopes, &session.resource)
        .await?;
        flow.refreshed = false;
        self.keep(flow, Some(tokens)).await?;
        Ok(true)
    }

    /// Refreshes the tokens; `Ok(false)` when there is nothing to refresh them with. A
    /// refused refresh forgets the tokens.
    async fn refresh(&self, flow: &mut Flow) -> Result<bool, OAuthError> {
        let (Some(tokens), Some(session)) = (flow.tokens.clone(), flow.session.clone()) else {
            return Ok(false);
        };
        let Some(refresh_token) = tokens.refresh_token.clone() else {
            return Ok(false);
        };
        if session.issuer != tokens.issuer {
            return Ok(false);
        }
        let token_endpoint = token_endpoint(&session)?;
        let result = TokenRequest {
            endpoint: &token_endpoint,
            issuer: &session.issuer,
            client: &session.client,
            method: session.client.method_for(
                session
                    .metadata
                    .token_endpoint_auth_methods_supported
                    .as_deref(),
            ),
            signer: self.inner.signer.as_deref(),
            dpop: self.dpop_for(&session),
            params: vec![
                ("grant_type", "refresh_token".into()),
                ("refresh_token", refresh_token.clone()),
                ("resource", tokens.resource.clone()),
            ],
        }
        .send(
            &*self.inner.http,
            &tokens.requested_scopes,
            &tokens.resource,
        )
        .await;
        match result {
            Ok(mut fresh) => {
                // A server that does not rotate refresh tokens keeps the old one valid.
                if fresh.refresh_token.is_none() {
                    fresh.refresh_token = Some(refresh_token);
                }
                flow.refreshed = true;
                self.keep(flow, Some(fresh)).await?;
                Ok(true)
            }
            Err(e @ OAuthError::Token { .. }) => {
                self.keep(flow, None).await?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }
}

impl AuthProvider for OAuthClient {
    fn authorize<'a>(
        &'a self,
        request: &'a mut ::http::request::Parts,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move { self.credentials(request).await.map_err(Into::into) })
    }

    fn on_refusal<'a>(&'a self, refusal: &'a Refusal) -> BoxFuture<'a, Result<bool, BoxError>> {
        Box::pin(async move { self.refused(refusal).await.map_err(Into::into) })
    }
}

fn session_of(found: &Discovered, client: ClientCredentials) -> Session {
    Session {
        issuer: found.issuer.clone(),
        metadata: found.metadata.clone(),
        client,
        resource: found.resource.clone(),
    }
}

fn parse_url(s: &str) -> Result<Url, OAuthError> {
    Url::parse(s).map_err(|e| OAuthError::InvalidUrl {
        url: s.to_owned(),
        reason: e.to_string(),
    })
}

fn endpoint(session: &Session, url: Option<&str>, name: &'static str) -> Result<Url, OAuthError> {
    parse_url(url.ok_or_else(|| OAuthError::MissingEndpoint {
        issuer: session.issuer.clone(),
        endpoint: name,
    })?)
}

fn token_endpoint(session: &Session) -> Result<Url, OAuthError> {
    endpoint(
        session,
        session.metadata.token_endpoint.as_deref(),
        "token endpoint",
    )
}

/// `a` then the members of `b` not in `a`.
fn union(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    for s in b {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.iter().all(|s| b.contains(s)) && b.iter().all(|s| a.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_unions_keep_order_and_drop_duplicates() {
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            union(&v(&["mcp:basic"]), &v(&["mcp:write", "mcp:basic"])),
            v(&["mcp:basic", "mcp:write"])
        );
        assert!(same_set(&v(&["a", "b"]), &v(&["b", "a"])));
        assert!(!same_set(&v(&["a"]), &v(&["a", "b"])));
    }

    #[test]
    fn builders_check_what_the_grant_needs() {
        let b = OAuthClient::builder("http://127.0.0.1:1/mcp").unwrap();
        assert!(matches!(b.build(), Err(OAuthError::NoAuthorizationHandler)));
        let b = OAuthClient::builder("http://127.0.0.1:1/mcp")
            .unwrap()
            .grant(Grant::ClientCredentials);
        assert!(matches!(b.build(), Err(OAuthError::NoClientCredentials)));
        assert!(OAuthClient::builder("not a url").is_err());
    }
}
