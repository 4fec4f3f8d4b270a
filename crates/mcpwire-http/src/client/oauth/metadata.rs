//! Discovery: protected resource metadata (RFC 9728) and authorization server metadata
//! (RFC 8414, OpenID Connect Discovery), with the URLs they are looked for at and the checks
//! their contents must pass.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use super::OAuthError;
use super::http::{HttpFetch, get_json};

/// The protected resource metadata of an MCP server (RFC 9728 §2).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProtectedResourceMetadata {
    /// The resource identifier: the value of the `resource` parameter of token requests.
    pub resource: String,
    /// The issuers of the authorization servers that issue tokens for this resource.
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    /// The scopes this resource uses (the minimal set for basic use, in MCP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// The other members, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The metadata of an authorization server (RFC 8414 §2, or an OpenID provider's).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationServerMetadata {
    /// The issuer identifier; it must equal the one the metadata was looked up for.
    pub issuer: String,
    /// Where the user agent is sent to authorize.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    /// Where codes and refresh tokens are exchanged for tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// Where clients register dynamically (RFC 7591).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// The scopes the server knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// The response types the server supports.
    #[serde(default)]
    pub response_types_supported: Vec<String>,
    /// The grant types the server supports (RFC 8414 default: `authorization_code`, `implicit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types_supported: Option<Vec<String>>,
    /// The PKCE methods the server supports; absent means no PKCE, and no authorization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// The client authentication methods of the token endpoint (RFC 8414 default:
    /// `client_secret_basic`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// Whether authorization responses carry `iss` (RFC 9207).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// Whether client ids may be URLs of Client ID Metadata Documents.
    #[serde(default)]
    pub client_id_metadata_document_supported: bool,
    /// The other members, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl AuthorizationServerMetadata {
    /// Metadata for a 2025-03-26 server that publishes none: the default endpoints
    /// `/authorize`, `/token` and `/register` at `base`, with PKCE `S256`.
    pub fn defaults_for(base: &Url) -> Self {
        let at = |path: &str| base.join(path).map(|u| u.to_string()).ok();
        AuthorizationServerMetadata {
            issuer: origin(base),
            authorization_endpoint: at("/authorize"),
            token_endpoint: at("/token"),
            registration_endpoint: at("/register"),
            response_types_supported: vec!["code".into()],
            code_challenge_methods_supported: Some(vec![super::pkce::S256.into()]),
            ..Default::default()
        }
    }

    /// Whether the server supports PKCE with `S256`.
    pub fn supports_s256(&self) -> bool {
        self.code_challenge_methods_supported
            .as_ref()
            .is_some_and(|m| m.iter().any(|m| m == super::pkce::S256))
    }

    /// Whether `scope` is among `scopes_supported`.
    pub fn supports_scope(&self, scope: &str) -> bool {
        self.scopes_supported
            .as_ref()
            .is_some_and(|s| s.iter().any(|s| s == scope))
    }
}

/// `scheme://host[:port]` of `url`, without a trailing slash.
pub(crate) fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The path of `url` without its trailing slash (`""` for the root).
fn trimmed_path(url: &Url) -> &str {
    url.path().trim_end_matches('/')
}

/// Where the protected resource metadata of the resource at `server` may be, in the order
/// MCP clients try them: under the endpoint's path, then at the root (RFC 9728 §3.1).
pub fn protected_resource_metadata_urls(server: &Url) -> Vec<Url> {
    let base = origin(server);
    let path = trimmed_path(server);
    let mut urls = Vec::new();
    if !path.is_empty() {
        urls.extend(
            Url::parse(&format!(
                "{base}/.well-known/oauth-protected-resource{path}"
            ))
            .ok(),
        );
    }
    urls.extend(Url::parse(&format!("{base}/.well-known/oauth-protected-resource")).ok());
    urls
}

/// Where the metadata of the authorization server `issuer` may be, in the order MCP clients
/// try them: RFC 8414 path insertion, OpenID Connect path insertion, then OpenID Connect
/// path appending; for an issuer without a path, RFC 8414 then OpenID Connect at the root.
pub fn authorization_server_metadata_urls(issuer: &str) -> Result<Vec<Url>, OAuthError> {
    let url = Url::parse(issuer).map_err(|e| OAuthError::InvalidUrl {
        url: issuer.to_owned(),
        reason: e.to_string(),
    })?;
    let base = origin(&url);
    let path = trimmed_path(&url);
    let candidates = if path.is_empty() {
        vec![
            format!("{base}/.well-known/oauth-authorization-server"),
            format!("{base}/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            format!("{base}/.well-known/oauth-authorization-server{path}"),
            format!("{base}/.well-known/openid-configuration{path}"),
            format!("{base}{path}/.well-known/openid-configuration"),
        ]
    };
    candidates
        .iter()
        .map(|c| {
            Url::parse(c).map_err(|e| OAuthError::InvalidUrl {
                url: c.clone(),
                reason: e.to_string(),
            })
        })
        .collect()
}

/// The canonical URI of the MCP server at `server` (RFC 8707 §2 as MCP profiles it): scheme
/// and host in lowercase, no default port, no fragment, and no trailing slash on an empty
/// path.
pub fn canonical_resource(server: &Url) -> String {
    let mut url = server.clone();
    url.set_fragment(None);
    let mut s = url.to_string();
    if url.path() == "/" && url.query().is_none() {
        s.pop();
    }
    s
}

/// Whether the `resource` a protected resource metadata document names covers the MCP
/// endpoint at `server`: same origin, and a path that is `server`'s or one of its parents
/// (whole segments). A document naming another resource must not be used.
pub fn resource_covers(resource: &str, server: &Url) -> bool {
    let Ok(r) = Url::parse(resource) else {
        return false;
    };
    if r.fragment().is_some() || r.origin() != server.origin() {
        return false;
    }
    let rp = trimmed_path(&r);
    let sp = trimmed_path(server);
    sp == rp || sp.starts_with(&format!("{rp}/"))
}

/// Fetches the protected resource metadata of `server`: from `hinted` (the
/// `resource_metadata` of a challenge) first, then from the well-known URLs. `Ok(None)`
/// when none is published.
pub(crate) async fn fetch_protected_resource_metadata(
    http: &dyn HttpFetch,
    server: &Url,
    hinted: Option<&str>,
) -> Result<Option<ProtectedResourceMetadata>, OAuthError> {
    let mut urls = Vec::new();
    if let Some(h) = hinted {
        let url = server.join(h).map_err(|e| OAuthError::InvalidUrl {
            url: h.to_owned(),
            reason: e.to_string(),
        })?;
        urls.push(url);
    }
    for u in protected_resource_metadata_urls(server) {
        if !urls.contains(&u) {
            urls.push(u);
        }
    }
    for url in urls {
        let answer = get_json(http, &url).await?;
        if answer.status.is_success() {
            let prm: ProtectedResourceMetadata = answer.json()?;
            return Ok(Some(prm));
        }
        if !answer.status.is_client_error() {
            return Err(OAuthError::Status {
                url: answer.url.clone(),
                status: answer.status,
                body: answer.excerpt(),
            });
        }
    }
    Ok(None)
}

/// Fetches and validates the metadata of authorization server `issuer`. `Ok(None)` when it
/// publishes none; an error when a document names another issuer (RFC 8414 §3.3) or is not
/// valid.
///
/// `strict: false` is for 2025-03-26 servers, whose metadata is looked up at the MCP
/// server's origin rather than for a known issuer: the document's `issuer` is taken as it is.
pub(crate) async fn fetch_authorization_server_metadata(
    http: &dyn HttpFetch,
    issuer: &str,
    strict: bool,
) -> Result<Option<AuthorizationServerMetadata>, OAuthError> {
    for url in authorization_server_metadata_urls(issuer)? {
        let answer = get_json(http, &url).await?;
        if answer.status.is_success() {
            let metadata: AuthorizationServerMetadata = answer.json()?;
            if strict && metadata.issuer != issuer {
                return Err(OAuthError::IssuerMismatch {
                    expected: issuer.to_owned(),
                    found: metadata.issuer,
                });
            }
            return Ok(Some(metadata));
        }
        if !answer.status.is_client_error() {
            return Err(OAuthError::Status {
                url: answer.url.clone(),
                status: answer.status,
                body: answer.excerpt(),
            });
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(v: Vec<Url>) -> Vec<String> {
        v.into_iter().map(|u| u.to_string()).collect()
    }

    #[test]
    fn protected_resource_metadata_is_looked_for_under_the_path_then_at_the_root() {
        let server = Url::parse("https://example.com/public/mcp").unwrap();
        assert_eq!(
            urls(protected_resource_metadata_urls(&server)),
            [
                "https://example.com/.well-known/oauth-protected-resource/public/mcp",
                "https://example.com/.well-known/oauth-protected-resource",
            ]
        );
        let root = Url::parse("http://localhost:8080/").unwrap();
        assert_eq!(
            urls(protected_resource_metadata_urls(&root)),
            ["http://localhost:8080/.well-known/oauth-protected-resource"]
        );
    }

    #[test]
    fn issuers_with_a_path_get_path_insertion_then_oidc_forms() {
        assert_eq!(
            urls(authorization_server_metadata_urls("https://auth.example.com/tenant1").unwrap()),
            [
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example.com/.well-known/openid-configuration/tenant1",
                "https://auth.example.com/tenant1/.well-known/openid-configuration",
            ]
        );
        // A trailing slash does not make an empty segment.
        assert_eq!(
            urls(authorization_server_metadata_urls("https://auth.example.com/t/").unwrap())[0],
            "https://auth.example.com/.well-known/oauth-authorization-server/t"
        );
    }

    #[test]
    fn issuers_without_a_path_get_the_two_root_documents() {
        for issuer in ["https://auth.example.com", "https://auth.example.com/"] {
            assert_eq!(
                urls(authorization_server_metadata_urls(issuer).unwrap()),
                [
                    "https://auth.example.com/.well-known/oauth-authorization-server",
                    "https://auth.example.com/.well-known/openid-configuration",
                ]
            );
        }
        assert!(authorization_server_metadata_urls("not a url").is_err());
    }

    #[test]
    fn canonical_resources_have_no_trailing_slash_fragment_or_default_port() {
        let c = |s: &str| canonical_resource(&Url::parse(s).unwrap());
        assert_eq!(c("HTTPS://MCP.Example.com/"), "https://mcp.example.com");
        assert_eq!(
            c("https://mcp.example.com:443/mcp#x"),
            "https://mcp.example.com/mcp"
        );
        assert_eq!(c("http://localhost:8443"), "http://localhost:8443");
        assert_eq!(
            c("https://mcp.example.com/server/mcp"),
            "https://mcp.example.com/server/mcp"
        );
        // A trailing slash on a real path is the server's business.
        assert_eq!(
            c("https://mcp.example.com/mcp/"),
            "https://mcp.example.com/mcp/"
        );
    }

    #[test]
    fn resources_must_cover_the_endpoint() {
        let server = Url::parse("http://localhost:3000/mcp").unwrap();
        assert!(resource_covers("http://localhost:3000/mcp", &server));
        assert!(resource_covers("http://localhost:3000", &server));
        assert!(resource_covers("http://LOCALHOST:3000/", &server));
        assert!(!resource_covers("https://evil.example.com/mcp", &server));
        assert!(!resource_covers("http://localhost:3001/mcp", &server));
        assert!(!resource_covers("http://localhost:3000/mc", &server));
        assert!(!resource_covers(
            "http://localhost:3000/mcp/deeper",
            &server
        ));
        assert!(!resource_covers("http://localhost:3000/mcp#f", &server));
        assert!(!resource_covers("mcp", &server));
    }

    #[test]
    fn metadata_defaults_and_unknown_members() {
        let m: AuthorizationServerMetadata = serde_json::from_value(serde_json::json!({
            "issuer": "https://as.example",
            "authorization_endpoint": "https://as.example/authorize",
            "token_endpoint": "https://as.example/token",
            "response_types_supported": ["code"],
            "jwks_uri": "https://as.example/jwks"
        }))
        .unwrap();
        assert!(!m.supports_s256());
        assert!(!m.authorization_response_iss_parameter_supported);
        assert_eq!(m.other["jwks_uri"], "https://as.example/jwks");
        let d = AuthorizationServerMetadata::defaults_for(
            &Url::parse("http://localhost:9/mcp").unwrap(),
        );
        assert_eq!(d.issuer, "http://localhost:9");
        assert_eq!(
            d.token_endpoint.as_deref(),
            Some("http://localhost:9/token")
        );
        assert!(d.supports_s256());
    }
}
