//! The token verifier trait and why a token is refused.

use std::sync::Arc;

use mcpwire_core::connection::BoxFuture;
use mcpwire_core::server::AuthInfo;

use crate::fetch::FetchError;

/// Checks a bearer token and says whom it identifies.
///
/// Implemented by [`JwtVerifier`](crate::JwtVerifier) (signed JWTs checked against the
/// authorization server's JWKS), [`IntrospectionVerifier`](crate::IntrospectionVerifier)
/// (RFC 7662) and [`ApiKeys`](crate::ApiKeys) (static keys); implement it for anything
/// else. A verifier must only accept tokens issued for this server (its audience): the
/// spec forbids accepting tokens meant for other resources.
pub trait TokenVerifier: Send + Sync + 'static {
    /// Verifies `token` (the credential after `Bearer `).
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<AuthInfo, VerifyError>>;
}

impl<T: TokenVerifier + ?Sized> TokenVerifier for Arc<T> {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<AuthInfo, VerifyError>> {
        (**self).verify(token)
    }
}

impl<T: TokenVerifier + ?Sized> TokenVerifier for Box<T> {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<AuthInfo, VerifyError>> {
        (**self).verify(token)
    }
}

/// Why a token was refused. Every variant but [`Unavailable`](VerifyError::Unavailable)
/// is the client's problem and answered `401` with an `invalid_token` challenge.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The token is malformed, its signature does not verify, or no key matches it.
    #[error("the token is invalid: {0}")]
    Invalid(String),
    /// The token has expired.
    #[error("the token has expired")]
    Expired,
    /// The token is not valid yet (`nbf` in the future).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// The token was issued for another resource (its audience does not name this server).
    #[error("the token was not issued for this resource")]
    WrongAudience,
    /// The token was issued by an authorization server this server does not trust.
    #[error("the token was issued by an untrusted issuer")]
    WrongIssuer,
    /// The token is signed with an algorithm that is not allowed.
    #[error("the token's signing algorithm is not allowed")]
    Algorithm,
    /// The authorization server says the token is not active (revoked, expired, unknown).
    #[error("the token is not active")]
    Inactive,
    /// The token could not be checked: the JWKS or the introspection endpoint could not be
    /// reached. Answered `503`: the client is not at fault.
    #[error("the token could not be checked: {0}")]
    Unavailable(#[source] FetchError),
}

impl VerifyError {
    /// Whether the failure is the server's (answered `503`), not the token's (`401`).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, VerifyError::Unavailable(_))
    }
}
