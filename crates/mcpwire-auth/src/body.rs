//! The responses the HTTP layers write themselves (challenges, metadata, refusals).

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::combinators::{BoxBody, UnsyncBoxBody};
use http_body_util::{BodyExt as _, Full};
use mcpwire_core::jsonrpc::{self, ErrorObject};

/// A response body the layers can write their own answers in, so that wrapping a service
/// keeps its body type: implemented for the boxed bodies (what
/// [`McpHttpService`](https://docs.rs/mcpwire-http) answers with) and `Full<Bytes>`.
pub trait ReplyBody: http_body::Body + Sized {
    /// A body holding `bytes`.
    fn from_bytes(bytes: Bytes) -> Self;
}

impl<E: 'static> ReplyBody for BoxBody<Bytes, E> {
    fn from_bytes(bytes: Bytes) -> Self {
        Full::new(bytes)
            .map_err(|never: Infallible| match never {})
            .boxed()
    }
}

impl<E: 'static> ReplyBody for UnsyncBoxBody<Bytes, E> {
    fn from_bytes(bytes: Bytes) -> Self {
        Full::new(bytes)
            .map_err(|never: Infallible| match never {})
            .boxed_unsync()
    }
}

impl ReplyBody for Full<Bytes> {
    fn from_bytes(bytes: Bytes) -> Self {
        Full::new(bytes)
    }
}

/// A JSON response.
pub(crate) fn json<B: ReplyBody>(status: StatusCode, body: impl Into<Bytes>) -> Response<B> {
    let mut r = Response::new(B::from_bytes(body.into()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// A JSON-RPC error answering a request whose id the layer does not know (it does not
/// read bodies).
pub(crate) fn error<B: ReplyBody>(status: StatusCode, error: &ErrorObject) -> Response<B> {
    json(status, jsonrpc::encode_error(None, error))
}
