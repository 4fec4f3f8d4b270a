//! The JWT bearer grant (RFC 7523 §2.1) with assertions from an identity provider: the
//! Enterprise-Managed Authorization extension (SEP-990), where the client exchanges the
//! user's ID token at the enterprise IdP for an Identity Assertion JWT Authorization Grant
//! (ID-JAG, RFC 8693 token exchange) and presents it to the MCP server's authorization
//! server.

use mcpwire_core::connection::BoxFuture;
use serde::Deserialize;
use url::Url;

use super::OAuthError;
use super::http::{HttpFetch, post_form};
use crate::client::auth::BoxError;

/// Supplies the assertion of a JWT bearer grant (RFC 7523 §2.1).
pub trait AssertionSource: Send + Sync + 'static {
    /// An authorization grant JWT for the authorization server `issuer` and `resource`;
    /// `http` sends any request this takes.
    fn assertion<'a>(
        &'a self,
        issuer: &'a str,
        resource: &'a str,
        http: &'a dyn HttpFetch,
    ) -> BoxFuture<'a, Result<String, BoxError>>;
}

/// An [`AssertionSource`] that exchanges an ID token at the enterprise identity provider for
/// an ID-JAG (RFC 8693, `requested_token_type=urn:ietf:params:oauth:token-type:id-jag`).
#[derive(Clone)]
pub struct IdJagExchange {
    token_endpoint: Url,
    client_id: String,
    client_secret: Option<String>,
    id_token: String,
}

impl std::fmt::Debug for IdJagExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdJagExchange")
            .field("token_endpoint", &self.token_endpoint.as_str())
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl IdJagExchange {
    /// Exchanges `id_token` at the IdP's `token_endpoint` as client `client_id`.
    pub fn new(
        token_endpoint: &str,
        client_id: impl Into<String>,
        id_token: impl Into<String>,
    ) -> Result<Self, OAuthError> {
        Ok(IdJagExchange {
            token_endpoint: Url::parse(token_endpoint).map_err(|e| OAuthError::InvalidUrl {
                url: token_endpoint.to_owned(),
                reason: e.to_string(),
            })?,
            client_id: client_id.into(),
            client_secret: None,
            id_token: id_token.into(),
        })
    }

    /// Authenticates at the IdP with `secret` (`client_secret_post`).
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }
}

#[derive(Deserialize)]
struct Exchanged {
    access_token: String,
    #[serde(default)]
    issued_token_type: Option<String>,
}

const ID_JAG: &str = "urn:ietf:params:oauth:token-type:id-jag";

impl AssertionSource for IdJagExchange {
    fn assertion<'a>(
        &'a self,
        issuer: &'a str,
        resource: &'a str,
        http: &'a dyn HttpFetch,
    ) -> BoxFuture<'a, Result<String, BoxError>> {
        Box::pin(async move {
            let mut form = vec![
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                ),
                ("requested_token_type", ID_JAG),
                ("subject_token", self.id_token.as_str()),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:id_token",
                ),
                ("audience", issuer),
                ("resource", resource),
                ("client_id", self.client_id.as_str()),
            ];
            if let Some(s) = &self.client_secret {
                form.push(("client_secret", s.as_str()));
            }
            let answer = post_form(http, &self.token_endpoint, &form, Default::default()).await?;
            if !answer.status.is_success() {
                return Err(format!(
                    "the identity provider refused the token exchange (HTTP {}): {}",
                    answer.status,
                    answer.excerpt()
                )
                .into());
            }
            let e: Exchanged = answer.json()?;
            if let Some(t) = &e.issued_token_type
                && t != ID_JAG
            {
                return Err(format!("the identity provider issued a `{t}`, not an ID-JAG").into());
            }
            Ok(e.access_token)
        })
    }
}

/// An [`AssertionSource`] that presents the same JWT every time: a workload identity token
/// issued to this process (workload identity federation, SEP-1933), refreshed by whoever
/// builds a new client.
#[derive(Clone)]
pub struct FixedAssertion(String);

impl std::fmt::Debug for FixedAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FixedAssertion(…)")
    }
}

impl FixedAssertion {
    /// Presents `jwt`.
    pub fn new(jwt: impl Into<String>) -> Self {
        FixedAssertion(jwt.into())
    }
}

impl AssertionSource for FixedAssertion {
    fn assertion<'a>(
        &'a self,
        _issuer: &'a str,
        _resource: &'a str,
        _http: &'a dyn HttpFetch,
    ) -> BoxFuture<'a, Result<String, BoxError>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}
