//! Client registration: pre-registered credentials, Client ID Metadata Documents, and
//! dynamic registration (RFC 7591).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use url::Url;

use super::OAuthError;
use super::http::{HttpFetch, post_json};

/// How the client authenticates at the token endpoint (RFC 7591 §2).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenEndpointAuth {
    /// A public client: `client_id` in the body, no secret.
    None,
    /// HTTP Basic with the client id and secret.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the body.
    ClientSecretPost,
    /// A JWT signed with the client's private key (RFC 7523; feature `oauth-jwt`).
    PrivateKeyJwt,
}

impl TokenEndpointAuth {
    /// The registered name of the method.
    pub fn as_str(&self) -> &'static str {
        match self {
            TokenEndpointAuth::None => "none",
            TokenEndpointAuth::ClientSecretBasic => "client_secret_basic",
            TokenEndpointAuth::ClientSecretPost => "client_secret_post",
            TokenEndpointAuth::PrivateKeyJwt => "private_key_jwt",
        }
    }

    /// The method named `name`, if this client implements it.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "none" => TokenEndpointAuth::None,
            "client_secret_basic" => TokenEndpointAuth::ClientSecretBasic,
            "client_secret_post" => TokenEndpointAuth::ClientSecretPost,
            "private_key_jwt" => TokenEndpointAuth::PrivateKeyJwt,
            _ => return None,
        })
    }
}

/// A client's identity at one authorization server.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClientCredentials {
    /// The client identifier.
    pub client_id: String,
    /// The client secret of a confidential client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The token endpoint authentication method; `None` picks one from the secret and the
    /// server's metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<TokenEndpointAuth>,
    /// The issuer of the authorization server these credentials belong to; `None` for
    /// pre-registered credentials that are not tied to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .field("auth_method", &self.auth_method)
            .field("issuer", &self.issuer)
            .finish()
    }
}

impl ClientCredentials {
    /// A public client (no secret).
    pub fn public(client_id: impl Into<String>) -> Self {
        ClientCredentials {
            client_id: client_id.into(),
            client_secret: None,
            auth_method: None,
            issuer: None,
        }
    }

    /// A confidential client with a secret.
    pub fn confidential(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        ClientCredentials {
            client_secret: Some(client_secret.into()),
            ..Self::public(client_id)
        }
    }

    /// Ties the credentials to the authorization server `issuer`: they are used with no
    /// other (MCP requires credentials to be bound to the server that issued them).
    pub fn for_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Uses `method` at the token endpoint.
    pub fn auth_method(mut self, method: TokenEndpointAuth) -> Self {
        self.auth_method = Some(method);
        self
    }

    /// The method to use with a server supporting `supported` (RFC 8414 default when
    /// absent: `client_secret_basic`).
    pub(crate) fn method_for(&self, supported: Option<&[String]>) -> TokenEndpointAuth {
        if let Some(m) = &self.auth_method {
            return m.clone();
        }
        if self.client_secret.is_none() {
            return TokenEndpointAuth::None;
        }
        let supports = |m: &str| supported.is_none_or(|s| s.iter().any(|x| x == m));
        if supports("client_secret_basic") {
            TokenEndpointAuth::ClientSecretBasic
        } else if supports("client_secret_post") {
            TokenEndpointAuth::ClientSecretPost
        } else {
            TokenEndpointAuth::ClientSecretBasic
        }
    }
}

/// The metadata a client registers (RFC 7591 §2), also the content of its Client ID
/// Metadata Document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClientMetadata {
    /// The name shown to the user on the consent page.
    pub client_name: String,
    /// The redirect URIs; filled in from the authorization handler when empty.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// `native` (desktop, CLI, loopback redirects) or `web`; derived from the redirect URIs
    /// when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
    /// The grant types the client uses.
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// The response types the client uses.
    #[serde(default)]
    pub response_types: Vec<String>,
    /// A page about the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    /// The client's logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    /// An identifier of the client software, the same for every installation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    /// The version of the client software.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    /// Other members, sent as they are.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl ClientMetadata {
    /// The metadata of a client called `client_name` using the authorization code and
    /// refresh token grants.
    pub fn new(client_name: impl Into<String>) -> Self {
        ClientMetadata {
            client_name: client_name.into(),
            redirect_uris: Vec::new(),
            application_type: None,
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            response_types: vec!["code".into()],
            client_uri: None,
            logo_uri: None,
            software_id: None,
            software_version: None,
            other: Map::new(),
        }
    }

    /// Adds a redirect URI.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uris.push(uri.into());
        self
    }

    /// Sets the application type (`native` or `web`).
    pub fn application_type(mut self, kind: impl Into<String>) -> Self {
        self.application_type = Some(kind.into());
        self
    }

    /// Sets the page about the client.
    pub fn client_uri(mut self, uri: impl Into<String>) -> Self {
        self.client_uri = Some(uri.into());
        self
    }

    /// Sets the software id and version.
    pub fn software(mut self, id: impl Into<String>, version: impl Into<String>) -> Self {
        self.software_id = Some(id.into());
        self.software_version = Some(version.into());
        self
    }

    /// `native` when every redirect URI is a loopback address or a custom scheme, else
    /// `web` (OpenID Connect Registration §2).
    pub fn effective_application_type(&self) -> String {
        if let Some(t) = &self.application_type {
            return t.clone();
        }
        let native = |u: &str| match Url::parse(u) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => matches!(
                u.host_str(),
                Some("localhost") | Some("127.0.0.1") | Some("[::1]")
            ),
            Ok(_) => true,
            Err(_) => false,
        };
        if self.redirect_uris.iter().all(|u| native(u)) {
            "native".into()
        } else {
            "web".into()
        }
    }

    /// The Client ID Metadata Document to publish at `client_id` (a URL), with
    /// `token_endpoint_auth_method` `none`.
    pub fn document(&self, client_id: &str) -> Value {
        let mut v = self.registration_body(Some(&TokenEndpointAuth::None));
        v["client_id"] = Value::from(client_id);
        v
    }

    /// The body of a registration request.
    pub(crate) fn registration_body(&self, method: Option<&TokenEndpointAuth>) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or_else(|_| json!({}));
        v["application_type"] = Value::from(self.effective_application_type());
        if let Some(m) = method {
            v["token_endpoint_auth_method"] = Value::from(m.as_str());
        }
        v
    }
}

#[derive(Deserialize)]
struct RegistrationResponse {
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ErrorResponse {
    #[serde(default)]
    pub(crate) error: Option<String>,
    #[serde(default)]
    pub(crate) error_description: Option<String>,
}

/// The method to ask for in a registration: `none` when the server allows public clients,
/// else the first secret-based method it supports.
pub(crate) fn preferred_method(supported: Option<&[String]>) -> Option<TokenEndpointAuth> {
    let supported = supported?;
    ["none", "client_secret_basic", "client_secret_post"]
        .into_iter()
        .find(|m| supported.iter().any(|s| s == m))
        .and_then(TokenEndpointAuth::parse)
}

/// Registers `metadata` at `endpoint` (RFC 7591 §3) for the server `issuer`.
pub(crate) async fn register(
    http: &dyn HttpFetch,
    endpoint: &Url,
    issuer: &str,
    metadata: &ClientMetadata,
    method: Option<&TokenEndpointAuth>,
) -> Result<ClientCredentials, OAuthError> {
    let answer = post_json(http, endpoint, &metadata.registration_body(method)).await?;
    if !answer.status.is_success() {
        let e: ErrorResponse = answer.json().unwrap_or(ErrorResponse {
            error: None,
            error_description: None,
        });
        return Err(OAuthError::Registration {
            status: answer.status,
            error: e.error.unwrap_or_else(|| answer.excerpt()),
            description: e.error_description,
        });
    }
    let r: RegistrationResponse = answer.json()?;
    Ok(ClientCredentials {
        client_id: r.client_id,
        client_secret: r.client_secret.filter(|s| !s.is_empty()),
        auth_method: r
            .token_endpoint_auth_method
            .as_deref()
            .and_then(TokenEndpointAuth::parse),
        issuer: Some(issuer.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_follow_the_secret_and_the_server() {
        let public = ClientCredentials::public("a");
        assert_eq!(public.method_for(None), TokenEndpointAuth::None);
        let c = ClientCredentials::confidential("a", "s");
        assert_eq!(c.method_for(None), TokenEndpointAuth::ClientSecretBasic);
        let post = ["client_secret_post".to_owned()];
        assert_eq!(
            c.method_for(Some(&post)),
            TokenEndpointAuth::ClientSecretPost
        );
        let c = c.auth_method(TokenEndpointAuth::ClientSecretBasic);
        assert_eq!(
            c.method_for(Some(&post)),
            TokenEndpointAuth::ClientSecretBasic
        );
        assert!(!format!("{c:?}").contains("\"s\""));
    }

    #[test]
    fn registration_bodies_say_the_application_type() {
        let m = ClientMetadata::new("app").redirect_uri("http://127.0.0.1:4567/callback");
        let body = m.registration_body(Some(&TokenEndpointAuth::None));
        assert_eq!(body["application_type"], "native");
        assert_eq!(body["token_endpoint_auth_method"], "none");
        assert_eq!(body["grant_types"][1], "refresh_token");
        let web = ClientMetadata::new("app").redirect_uri("https://app.example.com/cb");
        assert_eq!(web.effective_application_type(), "web");
        let doc = m.document("https://app.example.com/client.json");
        assert_eq!(doc["client_id"], "https://app.example.com/client.json");
        assert_eq!(doc["client_name"], "app");
    }

    #[test]
    fn preferred_registration_methods() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(preferred_method(None), None);
        assert_eq!(
            preferred_method(Some(&s(&["client_secret_basic", "none"]))),
            Some(TokenEndpointAuth::None)
        );
        assert_eq!(
            preferred_method(Some(&s(&["client_secret_post"]))),
            Some(TokenEndpointAuth::ClientSecretPost)
        );
        assert_eq!(preferred_method(Some(&s(&["private_key_jwt"]))), None);
    }
}
