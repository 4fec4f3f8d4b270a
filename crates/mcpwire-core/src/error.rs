//! The error type of servers, clients and handlers.

use std::time::Duration;

use crate::jsonrpc::{ErrorCode, ErrorObject};
use crate::transport::TransportError;

/// An error from a server, a client or a handler.
///
/// A handler that returns [`Error::Protocol`] answers its request with that JSON-RPC error.
/// Tool handlers turn every other error into a tool result with `isError: true`, which the
/// model can read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A JSON-RPC error: received from the peer, or to be sent to it.
    #[error(transparent)]
    Protocol(#[from] ErrorObject),
    /// The transport failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The connection closed before the request was answered.
    #[error("connection closed")]
    Closed,
    /// The request was not answered in time (and was cancelled).
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// The request was cancelled.
    #[error("request cancelled")]
    Cancelled,
    /// A message could not be encoded.
    #[error("could not encode message: {0}")]
    Encode(String),
    /// The peer's answer did not have the expected shape.
    #[error("invalid response: {0}")]
    InvalidResponse(String),
    /// The peer does not support what was asked (a capability, method or protocol version).
    #[error("not supported: {0}")]
    Unsupported(String),
}

impl Error {
    /// The JSON-RPC error, if this is one.
    pub fn as_protocol(&self) -> Option<&ErrorObject> {
        match self {
            Error::Protocol(e) => Some(e),
            _ => None,
        }
    }

    /// The JSON-RPC error code, if this is a protocol error.
    pub fn code(&self) -> Option<ErrorCode> {
        self.as_protocol().map(|e| e.code)
    }

    /// Converts into the JSON-RPC error a server answers with.
    pub fn into_error_object(self) -> ErrorObject {
        match self {
            Error::Protocol(e) => e,
            other => ErrorObject::internal(other.to_string()),
        }
    }

    /// An invalid-params (`-32602`) error.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Error::Protocol(ErrorObject::invalid_params(message.into()))
    }

    /// An internal (`-32603`) error.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::Protocol(ErrorObject::internal(message.into()))
    }
}
