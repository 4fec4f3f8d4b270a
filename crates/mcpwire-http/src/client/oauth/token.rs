//! Tokens: what the token endpoint returns, where it is kept, and the token requests.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue};
use mcpwire_core::connection::BoxFuture;
use serde::{Deserialize, Serialize};
use url::Url;

use super::OAuthError;
use super::http::{HttpFetch, post_form};
use super::registration::{ClientCredentials, ErrorResponse, TokenEndpointAuth};
use crate::client::auth::BoxError;

/// The tokens of one MCP server, with what is needed to use and renew them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenSet {
    /// The access token sent as `Authorization: Bearer …` (or `DPoP …`).
    pub access_token: String,
    /// `Bearer`, or `DPoP` for a token bound to this client's DPoP key.
    #[serde(default = "bearer")]
    pub token_type: String,
    /// The refresh token, when the server issued one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the access token expires, if the server said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<SystemTime>,
    /// The scopes granted, if the server said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The scopes the client asked for.
    #[serde(default)]
    pub requested_scopes: Vec<String>,
    /// The issuer of the authorization server that issued the tokens.
    pub issuer: String,
    /// The `resource` the tokens were requested for.
    pub resource: String,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"…")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "…"))
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("requested_scopes", &self.requested_scopes)
            .field("issuer", &self.issuer)
            .field("resource", &self.resource)
            .finish()
    }
}

fn bearer() -> String {
    "Bearer".into()
}

impl TokenSet {
    /// A token set with only a bearer access token (tests, tokens obtained elsewhere).
    pub fn new(
        access_token: impl Into<String>,
        issuer: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        TokenSet {
            access_token: access_token.into(),
            token_type: bearer(),
            refresh_token: None,
            expires_at: None,
            scope: None,
            requested_scopes: Vec::new(),
            issuer: issuer.into(),
            resource: resource.into(),
        }
    }

    /// Whether the access token expires within `margin` (or has).
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.expires_at
            .is_some_and(|at| at <= SystemTime::now() + margin)
    }

    /// Whether the token is bound to a DPoP key.
    pub fn is_dpop(&self) -> bool {
        self.token_type.eq_ignore_ascii_case("dpop")
    }

    /// The `Authorization` header value.
    pub(crate) fn header(&self) -> Option<HeaderValue> {
        let scheme = if self.is_dpop() { "DPoP" } else { "Bearer" };
        let mut v = HeaderValue::from_str(&format!("{scheme} {}", self.access_token)).ok()?;
        v.set_sensitive(true);
        Some(v)
    }
}

/// Where tokens and client registrations are kept between requests (and, for a store that
/// persists them, between runs).
///
/// Tokens are keyed by the MCP server's canonical URL, client registrations by the issuer
/// of the authorization server that made them. A store that persists tokens must keep them
/// confidential (OAuth 2.1 §7.1): an encrypted file or the platform's keychain, say.
pub trait TokenStore: Send + Sync + 'static {
    /// The tokens of the server at `server`.
    fn tokens(&self, server: &str) -> BoxFuture<'_, Result<Option<TokenSet>, BoxError>>;
    /// Keeps `tokens` for `server`, or forgets them (`None`).
    fn set_tokens(
        &self,
        server: &str,
        tokens: Option<TokenSet>,
    ) -> BoxFuture<'_, Result<(), BoxError>>;
    /// The registration made at the authorization server `issuer`.
    fn client(&self, issuer: &str) -> BoxFuture<'_, Result<Option<ClientCredentials>, BoxError>>;
    /// Keeps a registration made at `issuer`.
    fn set_client(
        &self,
        issuer: &str,
        client: ClientCredentials,
    ) -> BoxFuture<'_, Result<(), BoxError>>;
}

impl<T: TokenStore + ?Sized> TokenStore for std::sync::Arc<T> {
    fn tokens(&self, server: &str) -> BoxFuture<'_, Result<Option<TokenSet>, BoxError>> {
        (**self).tokens(server)
    }

    fn set_tokens(
        &self,
        server: &str,
        tokens: Option<TokenSet>,
    ) -> BoxFuture<'_, Result<(), BoxError>> {
        (**self).set_tokens(server, tokens)
    }

    fn client(&self, issuer: &str) -> BoxFuture<'_, Result<Option<ClientCredentials>, BoxError>> {
        (**self).client(issuer)
    }

    fn set_client(
        &self,
        issuer: &str,
        client: ClientCredentials,
    ) -> BoxFuture<'_, Result<(), BoxError>> {
        (**self).set_client(issuer, client)
    }
}

/// A [`TokenStore`] in memory: tokens last as long as the process.
#[derive(Debug, Default)]
pub struct InMemoryTokenStore {
    tokens: Mutex<HashMap<String, TokenSet>>,
    clients: Mutex<HashMap<String, ClientCredentials>>,
}

impl InMemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl TokenStore for InMemoryTokenStore {
    fn tokens(&self, server: &str) -> BoxFuture<'_, Result<Option<TokenSet>, BoxError>> {
        let t = self.tokens.lock().unwrap().get(server).cloned();
        Box::pin(async move { Ok(t) })
    }

    fn set_tokens(
        &self,
        server: &str,
        tokens: Option<TokenSet>,
    ) -> BoxFuture<'_, Result<(), BoxError>> {
        let mut map = self.tokens.lock().unwrap();
        match tokens {
            Some(t) => map.insert(server.to_owned(), t),
            None => map.remove(server),
        };
        Box::pin(async { Ok(()) })
    }

    fn client(&self, issuer: &str) -> BoxFuture<'_, Result<Option<ClientCredentials>, BoxError>> {
        let c = self.clients.lock().unwrap().get(issuer).cloned();
        Box::pin(async move { Ok(c) })
    }

    fn set_client(
        &self,
        issuer: &str,
        client: ClientCredentials,
    ) -> BoxFuture<'_, Result<(), BoxError>> {
        self.clients
            .lock()
            .unwrap()
            .insert(issuer.to_owned(), client);
        Box::pin(async { Ok(()) })
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// Signs client assertions for `private_key_jwt`: given the client id and the audience (the
/// authorization server's issuer), returns the JWT.
pub type AssertionSigner = dyn Fn(&str, &str) -> Result<String, BoxError> + Send + Sync + 'static;

/// Signs DPoP proofs (RFC 9449 §4).
pub(crate) trait ProofSigner: Send + Sync {
    /// A proof for a request with method `htm` to `htu`, for access token hash `ath`.
    fn proof(
        &self,
        htm: &str,
        htu: &str,
        ath: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String, BoxError>;
}

/// `htu` of a URL: without query and fragment (RFC 9449 §4.2).
pub(crate) fn htu(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    url[..end].to_owned()
}

/// One request to a token endpoint.
pub(crate) struct TokenRequest<'a> {
    pub(crate) endpoint: &'a Url,
    pub(crate) issuer: &'a str,
    pub(crate) client: &'a ClientCredentials,
    pub(crate) method: TokenEndpointAuth,
    pub(crate) signer: Option<&'a AssertionSigner>,
    /// The grant's own parameters (`grant_type`, `code`, …).
    pub(crate) params: Vec<(&'static str, String)>,
    /// The DPoP key to bind the token to, and the server's latest nonce.
    pub(crate) dpop: Option<(&'a dyn ProofSigner, &'a Mutex<Option<String>>)>,
}

/// `user:pass` for HTTP Basic, each form-encoded first (RFC 6749 §2.3.1).
pub(crate) fn basic_credentials(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

impl TokenRequest<'_> {
    /// Sends the request; `requested` and `resource` are recorded in the result.
    pub(crate) async fn send(
        self,
        http: &dyn HttpFetch,
        requested: &[String],
        resource: &str,
    ) -> Result<TokenSet, OAuthError> {
        let mut form: Vec<(&str, String)> = self.params.clone();
        let mut headers = HeaderMap::new();
        let secret = || {
            self.client
                .client_secret
                .clone()
                .ok_or_else(|| OAuthError::MissingSecret(self.method.as_str().into()))
        };
        match self.method {
            TokenEndpointAuth::None => form.push(("client_id", self.client.client_id.clone())),
            TokenEndpointAuth::ClientSecretPost => {
                form.push(("client_id", self.client.client_id.clone()));
                form.push(("client_secret", secret()?));
            }
            TokenEndpointAuth::ClientSecretBasic => {
                let v = basic_credentials(&self.client.client_id, &secret()?);
                let mut v = HeaderValue::from_str(&v).map_err(|_| OAuthError::Token {
                    status: None,
                    error: "invalid_client".into(),
                    description: Some("the client credentials are not valid header text".into()),
                })?;
                v.set_sensitive(true);
                headers.insert(http::header::AUTHORIZATION, v);
            }
            TokenEndpointAuth::PrivateKeyJwt => {
                let signer = self
                    .signer
                    .ok_or_else(|| OAuthError::MissingSecret("private_key_jwt".into()))?;
                let audience = self.issuer;
                form.push(("client_id", self.client.client_id.clone()));
                form.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                ));
                form.push((
                    "client_assertion",
                    signer(&self.client.client_id, audience).map_err(OAuthError::Assertion)?,
                ));
            }
        }
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut retried = false;
        let answer = loop {
            let mut headers = headers.clone();
            if let Some((key, nonce)) = self.dpop {
                let n = nonce.lock().unwrap().clone();
                let proof = key
                    .proof("POST", &htu(self.endpoint.as_str()), None, n.as_deref())
                    .map_err(OAuthError::Assertion)?;
                if let Ok(v) = HeaderValue::from_str(&proof) {
                    headers.insert("dpop", v);
                }
            }
            let answer = post_form(http, self.endpoint, &pairs, headers).await?;
            // RFC 9449 §8: a server that wants a nonce says so once; the proof is redone.
            let fresh = answer
                .headers
                .get("dpop-nonce")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if let (Some((_, nonce)), Some(fresh)) = (self.dpop, fresh) {
                *nonce.lock().unwrap() = Some(fresh);
                let wants_nonce = answer
                    .json::<ErrorResponse>()
                    .ok()
                    .and_then(|e| e.error)
                    .is_some_and(|e| e == "use_dpop_nonce");
                if wants_nonce && !retried {
                    retried = true;
                    continue;
                }
            }
            break answer;
        };
        if !answer.status.is_success() {
            let e: Option<ErrorResponse> = answer.json().ok();
            let (error, description) = match e {
                Some(ErrorResponse {
                    error: Some(error),
                    error_description,
                }) => (error, error_description),
                _ => (answer.excerpt(), None),
            };
            return Err(OAuthError::Token {
                status: Some(answer.status),
                error,
                description,
            });
        }
        let t: TokenResponse = answer.json()?;
        let token_type = t.token_type.unwrap_or_else(bearer);
        let dpop_bound = token_type.eq_ignore_ascii_case("dpop") && self.dpop.is_some();
        if !token_type.eq_ignore_ascii_case("bearer") && !dpop_bound {
            return Err(OAuthError::UnsupportedTokenType(token_type));
        }
        Ok(TokenSet {
            access_token: t.access_token,
            token_type,
            refresh_token: t.refresh_token,
            expires_at: t
                .expires_in
                .map(|s| SystemTime::now() + Duration::from_secs(s)),
            scope: t.scope,
            requested_scopes: requested.to_vec(),
            issuer: self.issuer.to_owned(),
            resource: resource.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_encoded_then_base64() {
        assert_eq!(
            basic_credentials("pre-registered-client", "pre-registered-secret"),
            format!(
                "Basic {}",
                STANDARD.encode("pre-registered-client:pre-registered-secret")
            )
        );
        // `:` in an id must not split it.
        let v = basic_credentials("a:b", "c d");
        let decoded = STANDARD.decode(v.trim_start_matches("Basic ")).unwrap();
        assert_eq!(decoded, b"a%3Ab:c+d");
    }

    #[test]
    fn token_sets_hide_their_secrets_and_know_expiry() {
        let mut t = TokenSet::new("secret-token", "https://as", "https://rs");
        assert!(!format!("{t:?}").contains("secret-token"));
        assert!(!t.expires_within(Duration::from_secs(60)));
        t.expires_at = Some(SystemTime::now() + Duration::from_secs(30));
        assert!(t.expires_within(Duration::from_secs(60)));
        assert!(!t.expires_within(Duration::from_secs(1)));
        assert_eq!(t.header().unwrap(), "Bearer secret-token");
    }

    #[tokio::test]
    async fn the_memory_store_keeps_and_forgets() {
        let s = InMemoryTokenStore::new();
        assert!(s.tokens("k").await.unwrap().is_none());
        s.set_tokens("k", Some(TokenSet::new("t", "i", "r")))
            .await
            .unwrap();
        assert_eq!(s.tokens("k").await.unwrap().unwrap().access_token, "t");
        s.set_tokens("k", None).await.unwrap();
        assert!(s.tokens("k").await.unwrap().is_none());
        s.set_client("i", ClientCredentials::public("c"))
            .await
            .unwrap();
        assert_eq!(s.client("i").await.unwrap().unwrap().client_id, "c");
        assert!(s.client("other").await.unwrap().is_none());
    }
}
