//! [`OAuthClientBuilder`]: the settings of an [`OAuthClient`].

use std::sync::Arc;

use url::Url;

use super::enterprise::AssertionSource;
use super::http::{HttpFetch, PlainHttp};
use super::redirect::AuthorizationHandler;
use super::registration::{ClientCredentials, ClientMetadata};
use super::token::{AssertionSigner, InMemoryTokenStore, ProofSigner, TokenStore};
use super::{Flow, Grant, Inner, JWT_BEARER, OAuthClient, OAuthError, canonical_resource};
use crate::client::auth::BoxError;

/// Builds an [`OAuthClient`].
pub struct OAuthClientBuilder {
    server: Url,
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
    dpop: bool,
}

impl std::fmt::Debug for OAuthClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClientBuilder")
            .field("server", &self.server.as_str())
            .field("grant", &self.grant)
            .finish_non_exhaustive()
    }
}

impl OAuthClientBuilder {
    pub(super) fn new(server: &str) -> Result<Self, OAuthError> {
        let server = Url::parse(server).map_err(|e| OAuthError::InvalidUrl {
            url: server.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(OAuthClientBuilder {
            server,
            metadata: ClientMetadata::new(concat!("mcpwire client ", env!("CARGO_PKG_VERSION"))),
            pre_registered: None,
            client_metadata_url: None,
            dynamic_registration: true,
            legacy_discovery: true,
            offline_access: true,
            grant: Grant::default(),
            handler: None,
            store: Arc::new(InMemoryTokenStore::new()),
            http: Arc::new(PlainHttp::new()),
            signer: None,
            assertions: None,
            dpop: false,
        })
    }

    #[cfg(feature = "oauth-jwt")]
    fn dpop_key(&self) -> Result<Option<Arc<dyn ProofSigner>>, OAuthError> {
        Ok(if self.dpop {
            Some(Arc::new(super::dpop::DpopKey::generate()?))
        } else {
            None
        })
    }

    #[cfg(not(feature = "oauth-jwt"))]
    fn dpop_key(&self) -> Result<Option<Arc<dyn ProofSigner>>, OAuthError> {
        let _ = self.dpop;
        Ok(None)
    }

    /// Sets the name shown to the user when registering.
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.metadata.client_name = name.into();
        self
    }

    /// Sets all the metadata registered (redirect URIs left empty are taken from the
    /// authorization handler).
    pub fn client_metadata(mut self, metadata: ClientMetadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// Uses credentials registered beforehand (bind them to an issuer with
    /// [`ClientCredentials::for_issuer`]).
    pub fn pre_registered(mut self, credentials: ClientCredentials) -> Self {
        self.pre_registered = Some(credentials);
        self
    }

    /// Uses `url`, an `https` URL where the client's metadata document is published (see
    /// [`ClientMetadata::document`]), as the client id with servers that support Client ID
    /// Metadata Documents.
    pub fn client_metadata_url(mut self, url: impl Into<String>) -> Self {
        self.client_metadata_url = Some(url.into());
        self
    }

    /// Whether to register dynamically (RFC 7591) when nothing else applies (default `true`).
    pub fn dynamic_registration(mut self, enabled: bool) -> Self {
        self.dynamic_registration = enabled;
        self
    }

    /// Whether a server without protected resource metadata is treated as a 2025-03-26
    /// server: authorization server at its origin, default endpoints if it publishes no
    /// metadata (default `true`).
    pub fn legacy_discovery(mut self, enabled: bool) -> Self {
        self.legacy_discovery = enabled;
        self
    }

    /// Whether to ask for `offline_access` (a refresh token) when the authorization server
    /// lists it (default `true`).
    pub fn offline_access(mut self, enabled: bool) -> Self {
        self.offline_access = enabled;
        self
    }

    /// Obtains tokens with `grant` (default: the authorization code grant).
    pub fn grant(mut self, grant: Grant) -> Self {
        self.grant = grant;
        self
    }

    /// Takes the user through authorization with `handler`.
    pub fn authorization_handler(mut self, handler: impl AuthorizationHandler) -> Self {
        self.handler = Some(Arc::new(handler));
        self
    }

    /// Keeps tokens and registrations in `store` (default: in memory).
    pub fn token_store(mut self, store: impl TokenStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// Sends the flow's HTTP requests with `http` (default: [`PlainHttp`], plain `http`).
    pub fn http_client(mut self, http: impl HttpFetch) -> Self {
        self.http = Arc::new(http);
        self
    }

    /// Authenticates at the token endpoint with `private_key_jwt` (RFC 7523), signing
    /// assertions with `signer` (see `es256_signer`, feature `oauth-jwt`).
    pub fn client_assertion(
        mut self,
        signer: impl Fn(&str, &str) -> Result<String, BoxError> + Send + Sync + 'static,
    ) -> Self {
        self.signer = Some(Arc::new(signer));
        self
    }

    /// Obtains tokens with the JWT bearer grant (RFC 7523), presenting the assertions of
    /// `source` (an [`IdJagExchange`](super::IdJagExchange) for Enterprise-Managed
    /// Authorization), with the pre-registered credentials as client authentication.
    pub fn jwt_bearer(mut self, source: impl AssertionSource) -> Self {
        self.grant = Grant::JwtBearer;
        self.assertions = Some(Arc::new(source));
        self
    }

    /// Binds tokens to a key of this client with DPoP (RFC 9449) when the authorization
    /// server supports ES256 proofs: each request then carries `Authorization: DPoP …` and
    /// a fresh proof, and the servers' nonces are honoured (default `false`).
    #[cfg(feature = "oauth-jwt")]
    pub fn dpop(mut self, enabled: bool) -> Self {
        self.dpop = enabled;
        self
    }

    /// The client.
    pub fn build(self) -> Result<OAuthClient, OAuthError> {
        if self.grant != Grant::AuthorizationCode && self.pre_registered.is_none() {
            return Err(OAuthError::NoClientCredentials);
        }
        if self.grant == Grant::JwtBearer && self.assertions.is_none() {
            return Err(OAuthError::NoAssertionSource);
        }
        if self.grant == Grant::AuthorizationCode && self.handler.is_none() {
            return Err(OAuthError::NoAuthorizationHandler);
        }
        let dpop = self.dpop_key()?;
        let mut metadata = self.metadata;
        if let Some(h) = &self.handler
            && metadata.redirect_uris.is_empty()
        {
            metadata.redirect_uris.push(h.redirect_uri());
        }
        match self.grant {
            Grant::AuthorizationCode => {}
            Grant::ClientCredentials => {
                metadata.grant_types = vec!["client_credentials".into()];
                metadata.response_types = Vec::new();
            }
            Grant::JwtBearer => {
                metadata.grant_types = vec![JWT_BEARER.into()];
                metadata.response_types = Vec::new();
            }
        }
        Ok(OAuthClient {
            inner: Arc::new(Inner {
                key: canonical_resource(&self.server),
                server: self.server,
                metadata,
                pre_registered: self.pre_registered,
                client_metadata_url: self.client_metadata_url,
                dynamic_registration: self.dynamic_registration,
                legacy_discovery: self.legacy_discovery,
                offline_access: self.offline_access,
                grant: self.grant,
                handler: self.handler,
                store: self.store,
                http: self.http,
                signer: self.signer,
                assertions: self.assertions,
                dpop,
                as_nonce: std::sync::Mutex::new(None),
                rs_nonce: std::sync::Mutex::new(None),
                flow: tokio::sync::Mutex::new(Flow::default()),
            }),
        })
    }
}
