//! The errors of the OAuth flow.

use ::http::StatusCode;

use crate::client::auth::BoxError;

/// Why authorization failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// A URL does not parse.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// A request to the resource or authorization server failed.
    #[error("request to `{url}` failed")]
    Http {
        /// The URL requested.
        url: String,
        /// What went wrong.
        #[source]
        source: BoxError,
    },
    /// A server answered with an unexpected status.
    #[error("`{url}` answered HTTP {status}: {body}")]
    Status {
        /// The URL requested.
        url: String,
        /// The status.
        status: StatusCode,
        /// The start of the body.
        body: String,
    },
    /// A server's answer is not what the protocol says.
    #[error("invalid answer from `{url}`: {reason}")]
    InvalidResponse {
        /// The URL requested.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The MCP server publishes no protected resource metadata.
    #[error("no protected resource metadata found for `{server}`")]
    NoResourceMetadata {
        /// The MCP endpoint.
        server: String,
    },
    /// The protected resource metadata is about another resource: it must not be used.
    #[error("the protected resource metadata names resource `{resource}`, which is not `{server}`")]
    ResourceMismatch {
        /// The resource the metadata names.
        resource: String,
        /// The MCP endpoint.
        server: String,
    },
    /// The protected resource metadata lists no authorization server.
    #[error("the protected resource metadata of `{resource}` lists no authorization server")]
    NoAuthorizationServer {
        /// The resource.
        resource: String,
    },
    /// The authorization server publishes no metadata.
    #[error("no metadata found for authorization server `{issuer}`")]
    NoAuthorizationServerMetadata {
        /// The issuer.
        issuer: String,
    },
    /// A metadata document names another issuer than the one it was looked up for.
    #[error("the metadata of authorization server `{expected}` says its issuer is `{found}`")]
    IssuerMismatch {
        /// The issuer the metadata was looked up for.
        expected: String,
        /// The issuer the document names.
        found: String,
    },
    /// The authorization server's metadata lacks an endpoint the flow needs.
    #[error("authorization server `{issuer}` has no {endpoint}")]
    MissingEndpoint {
        /// The issuer.
        issuer: String,
        /// Which endpoint.
        endpoint: &'static str,
    },
    /// The authorization server does not support PKCE with `S256`.
    #[error("authorization server `{issuer}` does not support PKCE with S256")]
    PkceUnsupported {
        /// The issuer.
        issuer: String,
    },
    /// No way to obtain a client id from the authorization server.
    #[error(
        "no client registration for authorization server `{issuer}`: it supports neither Client ID Metadata Documents nor dynamic registration, and no pre-registered credentials are for it"
    )]
    NoRegistration {
        /// The issuer.
        issuer: String,
    },
    /// Dynamic client registration was refused.
    #[error(
        "client registration refused (HTTP {status}): {error}{}",
        fmt_description(description)
    )]
    Registration {
        /// The status.
        status: StatusCode,
        /// The error code or body.
        error: String,
        /// The error's description.
        description: Option<String>,
    },
    /// The `iss` of the authorization response is not the expected issuer (RFC 9207).
    #[error("the authorization response came from `{}`, not `{expected}`", found.as_deref().unwrap_or("an unnamed issuer"))]
    IssuerParameter {
        /// The issuer the request was sent to.
        expected: String,
        /// The `iss` of the response, if any.
        found: Option<String>,
    },
    /// The authorization response's `state` is not the request's.
    #[error("the authorization response does not carry the request's state")]
    StateMismatch,
    /// The user or the server refused the authorization.
    #[error("authorization refused: {error}{}", fmt_description(description))]
    AuthorizationDenied {
        /// The error code.
        error: String,
        /// The error's description.
        description: Option<String>,
    },
    /// The authorization response has no code.
    #[error("the authorization response has no code")]
    MissingCode,
    /// The token endpoint refused.
    #[error("token request refused{}: {error}{}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), fmt_description(description))]
    Token {
        /// The HTTP status, if there was an answer.
        status: Option<StatusCode>,
        /// The error code or body.
        error: String,
        /// The error's description.
        description: Option<String>,
    },
    /// The token is not a bearer token.
    #[error("unsupported token type `{0}`")]
    UnsupportedTokenType(String),
    /// The client authentication method needs a secret or key the client does not have.
    #[error("token endpoint authentication `{0}` needs credentials this client lacks")]
    MissingSecret(String),
    /// The authorization code flow needs an [`AuthorizationHandler`](super::AuthorizationHandler).
    #[error("no authorization handler is configured (OAuthClientBuilder::authorization_handler)")]
    NoAuthorizationHandler,
    /// Grants without a user need pre-registered credentials.
    #[error("the client credentials and JWT bearer grants need pre-registered credentials")]
    NoClientCredentials,
    /// The JWT bearer grant needs an assertion source.
    #[error("the JWT bearer grant needs an assertion source (OAuthClientBuilder::jwt_bearer)")]
    NoAssertionSource,
    /// The authorization handler failed.
    #[error("the authorization handler failed")]
    Handler(#[source] BoxError),
    /// The token store failed.
    #[error("the token store failed")]
    Store(#[source] BoxError),
    /// A client assertion could not be signed, or a grant assertion obtained.
    #[error("no assertion could be made")]
    Assertion(#[source] BoxError),
    /// The system's random number generator failed.
    #[error("no randomness: {0}")]
    Random(String),
}

fn fmt_description(d: &Option<String>) -> String {
    d.as_ref().map(|d| format!(" ({d})")).unwrap_or_default()
}
