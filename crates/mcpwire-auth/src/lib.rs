//! Authorization for [mcpwire](https://docs.rs/mcpwire) MCP servers, following the MCP
//! authorization spec: the server is an OAuth 2.1 resource server.
//!
//! * [`AuthLayer`]: a tower layer in front of the HTTP endpoint that verifies bearer
//!   tokens, answers `401` with a challenge naming the [`ProtectedResourceMetadata`]
//!   (RFC 9728), serves that metadata at its well-known paths, and hands the caller's
//!   [`AuthInfo`](mcpwire_core::server::AuthInfo) to the server.
//! * Token verifiers ([`TokenVerifier`]): [`JwtVerifier`] (JWT access tokens against the
//!   authorization server's JWKS: issuer, audience per RFC 8707, expiry, algorithm
//!   allow-list, keys cached and rotated), [`IntrospectionVerifier`] (RFC 7662) and
//!   [`ApiKeys`] (static keys from the environment, compared in constant time).
//! * [`RateLimitLayer`] and [`ConcurrencyLimitLayer`]: per-principal limits for HTTP
//!   (`429`) and for the dispatcher itself (a JSON-RPC error, for stdio), with counts.
//! * [`IdentityLayer`]: a fixed caller for stdio, where credentials come from the
//!   environment rather than each request.
//!
//! Which tools, resources and prompts need which scopes is declared where they are defined
//! (`#[tool(scopes = ["files:write"])]`, or `.scopes([..])` on the builders); the server
//! hides what a caller may not use and refuses it with `403` and an `insufficient_scope`
//! challenge. See `docs/auth.md` in the repository.

mod api_key;
mod body;
mod fetch;
mod introspection;
mod jwt;
mod layer;
mod limit;
mod metadata;
mod verifier;

pub use api_key::{ApiKeyError, ApiKeys, MIN_KEY_LEN};
pub use body::ReplyBody;
pub use fetch::{FetchError, HttpFetcher, HyperFetcher};
pub use introspection::IntrospectionVerifier;
pub use jwt::{ConfigError, JwtVerifier, JwtVerifierBuilder};
pub use layer::{Auth, AuthLayer, Identity, IdentityLayer};
pub use limit::{
    ConcurrencyLimit, ConcurrencyLimitLayer, LimitFuture, LimitStats, LimitedBody, PermitHandle,
    Quota, RateLimit, RateLimitLayer,
};
pub use metadata::{ProtectedResourceMetadata, WELL_KNOWN};
pub use verifier::{TokenVerifier, VerifyError};

/// The JWT library the verifier is built on, for its `Algorithm` and key types.
pub use jsonwebtoken;
