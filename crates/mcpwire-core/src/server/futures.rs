//! The futures of the dispatcher's layers ([`CatchPanic`](super::CatchPanic) and
//! [`Protocol`](super::Protocol)): named types wrapping the inner service's future, so a
//! request through the stack costs no allocation per layer.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::session::McpResponse;
use crate::jsonrpc::ErrorObject;

/// The answer to a request whose handler panicked.
pub(crate) fn panic_response(payload: Box<dyn Any + Send>) -> McpResponse {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    tracing::error!(panic = %msg, "request handler panicked");
    McpResponse::Error(ErrorObject::internal(
        "Internal error: the handler panicked",
    ))
}

pin_project_lite::pin_project! {
    /// The future of [`CatchPanic`](super::CatchPanic): the inner future, with a panic while
    /// polling it turned into a `-32603` answer.
    pub struct CatchPanicFuture<F> {
        #[pin]
        inner: Option<F>,
        panicked: Option<McpResponse>,
    }
}

impl<F> CatchPanicFuture<F> {
    pub(crate) fn new(inner: F) -> Self {
        CatchPanicFuture {
            inner: Some(inner),
            panicked: None,
        }
    }

    /// The answer for a `call` that panicked before returning a future.
    pub(crate) fn panicked(payload: Box<dyn Any + Send>) -> Self {
        CatchPanicFuture {
            inner: None,
            panicked: Some(panic_response(payload)),
        }
    }
}

impl<F> Future for CatchPanicFuture<F>
where
    F: Future<Output = Result<McpResponse, Infallible>>,
{
    type Output = Result<McpResponse, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            let answer = this.panicked.take().unwrap_or_else(|| {
                McpResponse::Error(ErrorObject::internal(
                    "Internal error: the handler panicked",
                ))
            });
            return Poll::Ready(Ok(answer));
        };
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                // Never poll a future again after it panicked.
                this.inner.set(None);
                Poll::Ready(Ok(panic_response(payload)))
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Protocol`](super::Protocol): the inner service's future, or the
    /// error refusing the request before it got there.
    pub struct ProtocolFuture<F> {
        #[pin]
        inner: Option<F>,
        refused: Option<ErrorObject>,
    }
}

impl<F> ProtocolFuture<F> {
    pub(crate) fn inner(inner: F) -> Self {
        ProtocolFuture {
            inner: Some(inner),
            refused: None,
        }
    }

    pub(crate) fn refused(error: ErrorObject) -> Self {
        ProtocolFuture {
            inner: None,
            refused: Some(error),
        }
    }
}

impl<F> Future for ProtocolFuture<F>
where
    F: Future<Output = Result<McpResponse, Infallible>>,
{
    type Output = Result<McpResponse, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.inner.as_pin_mut() {
            Some(inner) => inner.poll(cx),
            None => Poll::Ready(Ok(McpResponse::Error(this.refused.take().unwrap_or_else(
                || ErrorObject::internal("Internal error: the request was answered already"),
            )))),
        }
    }
}
