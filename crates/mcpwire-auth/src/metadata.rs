//! OAuth 2.0 Protected Resource Metadata (RFC 9728): how clients find out which
//! authorization server issues tokens for this server.

use mcpwire_core::types::JsonObject;
use serde::{Deserialize, Serialize};

use crate::jwt::{ConfigError, absolute_url};

/// The well-known path prefix of protected resource metadata.
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// A protected resource metadata document (RFC 9728 §2), served by
/// [`AuthLayer`](crate::AuthLayer) at its well-known paths.
///
/// ```
/// use mcpwire_auth::ProtectedResourceMetadata;
///
/// let prm = ProtectedResourceMetadata::new("https://mcp.example.com/mcp")
///     .authorization_server("https://auth.example.com")
///     .scopes(["files:read", "files:write"]);
/// assert_eq!(
///     prm.metadata_url().unwrap(),
///     "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProtectedResourceMetadata {
    /// This server's resource identifier: its canonical URI (the MCP endpoint).
    pub resource: String,
    /// The authorization servers that issue tokens for it (at least one, says MCP).
    pub authorization_servers: Vec<String>,
    /// The scopes clients may request (the minimum for basic use, says MCP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// How tokens may be presented: only the `Authorization` header.
    #[serde(default)]
    pub bearer_methods_supported: Vec<String>,
    /// A human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// Where developers can read about the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_documentation: Option<String>,
    /// Further fields.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl ProtectedResourceMetadata {
    /// Metadata for the resource `resource` (the URI of the MCP endpoint, e.g.
    /// `https://mcp.example.com/mcp`).
    pub fn new(resource: impl Into<String>) -> Self {
        ProtectedResourceMetadata {
            resource: resource.into(),
            authorization_servers: Vec::new(),
            scopes_supported: None,
            bearer_methods_supported: vec!["header".into()],
            resource_name: None,
            resource_documentation: None,
            extra: JsonObject::new(),
        }
    }

    /// Adds an authorization server (its issuer URL).
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        self.authorization_servers.push(issuer.into());
        self
    }

    /// Sets `scopes_supported` (for example the server's
    /// [`declared_scopes`](mcpwire_core::server::Server::declared_scopes)).
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes_supported = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the human-readable name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// Sets the documentation URL.
    pub fn documentation(mut self, url: impl Into<String>) -> Self {
        self.resource_documentation = Some(url.into());
        self
    }

    /// Checks what MCP requires: an absolute `http(s)` resource URI without fragment or
    /// query, and at least one authorization server.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let uri = absolute_url(&self.resource)?;
        if uri.query().is_some() || self.resource.contains('#') {
            return Err(ConfigError::Url {
                url: self.resource.clone(),
                reason: "a resource URI has no query or fragment",
            });
        }
        if self.authorization_servers.is_empty() {
            return Err(ConfigError::Missing("authorization_servers"));
        }
        for a in &self.authorization_servers {
            absolute_url(a)?;
        }
        Ok(())
    }

    /// The paths the document is served at: the path-inserted form
    /// (`/.well-known/oauth-protected-resource/mcp` for `https://host/mcp`, RFC 9728 §3.1)
    /// and the root form, which MCP clients try next.
    pub fn well_known_paths(&self) -> Result<Vec<String>, ConfigError> {
        let uri = absolute_url(&self.resource)?;
        let path = uri.path().trim_end_matches('/');
        let mut paths = Vec::new();
        if !path.is_empty() {
            paths.push(format!("{WELL_KNOWN}{path}"));
        }
        paths.push(WELL_KNOWN.to_owned());
        Ok(paths)
    }

    /// The URL of the document named in `WWW-Authenticate` challenges (the path-inserted
    /// form).
    pub fn metadata_url(&self) -> Result<String, ConfigError> {
        let uri = absolute_url(&self.resource)?;
        let scheme = uri.scheme_str().unwrap_or("https");
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
        let first = self
            .well_known_paths()?
            .into_iter()
            .next()
            .unwrap_or_else(|| WELL_KNOWN.to_owned());
        Ok(format!("{scheme}://{authority}{first}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_rfc_9728() {
        let prm = ProtectedResourceMetadata::new("https://h.example:8443/public/mcp")
            .authorization_server("https://as.example");
        assert_eq!(
            prm.well_known_paths().unwrap(),
            [
                "/.well-known/oauth-protected-resource/public/mcp",
                "/.well-known/oauth-protected-resource"
            ]
        );
        assert_eq!(
            prm.metadata_url().unwrap(),
            "https://h.example:8443/.well-known/oauth-protected-resource/public/mcp"
        );
        let root = ProtectedResourceMetadata::new("https://h.example");
        assert_eq!(
            root.well_known_paths().unwrap(),
            ["/.well-known/oauth-protected-resource"]
        );
        assert!(prm.validate().is_ok());
    }

    #[test]
    fn invalid_documents_are_refused() {
        assert!(matches!(
            ProtectedResourceMetadata::new("https://h.example/mcp").validate(),
            Err(ConfigError::Missing(_))
        ));
        for bad in ["mcp.example.com", "https://h.example/mcp#frag", "ftp://h/x"] {
            let prm = ProtectedResourceMetadata::new(bad).authorization_server("https://as");
            assert!(prm.validate().is_err(), "{bad}");
        }
    }

    #[test]
    fn serialises_the_rfc_fields() {
        let prm = ProtectedResourceMetadata::new("https://h/mcp")
            .authorization_server("https://as")
            .scopes(["a"])
            .name("Demo");
        let v = serde_json::to_value(&prm).unwrap();
        assert_eq!(v["resource"], "https://h/mcp");
        assert_eq!(v["authorization_servers"][0], "https://as");
        assert_eq!(v["scopes_supported"][0], "a");
        assert_eq!(v["bearer_methods_supported"][0], "header");
        assert_eq!(v["resource_name"], "Demo");
        assert!(v.get("resource_documentation").is_none());
    }
}
