//! The transport trait: a bidirectional channel of whole JSON-RPC messages.
//!
//! A transport moves complete message texts; it does not interpret them. Framing (lines
//! on stdio, frames on WebSocket) is the transport's business, parsing is the engine's.
//! Every server and client in this SDK runs over [`Transport`], so a custom transport is
//! just an implementation of its two halves: [`MessageSink`] and [`MessageStream`].

use std::future::Future;

pub mod memory;

/// Why a transport failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// An I/O error; the transport is unusable.
    #[error("transport i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A message exceeded the size limit; it was skipped and the transport goes on.
    #[error("message of more than {limit} bytes refused")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A message was not valid UTF-8; it was skipped and the transport goes on.
    #[error("message is not valid UTF-8")]
    InvalidUtf8,
    /// The other side is gone.
    #[error("transport closed")]
    Closed,
    /// Any other failure.
    #[error("transport error: {0}")]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl TransportError {
    /// Whether the transport can go on after this error (one message was lost).
    pub fn is_recoverable(&self) -> bool {
        matches!(
            self,
            TransportError::TooLarge { .. } | TransportError::InvalidUtf8
        )
    }
}

/// The sending half of a transport.
pub trait MessageSink: Send + 'static {
    /// Queues one complete message (JSON text without a trailing newline).
    fn send(&mut self, message: String) -> impl Future<Output = Result<(), TransportError>> + Send;

    /// Makes every queued message visible to the peer. Called whenever the outgoing queue
    /// runs empty, so several messages can share one write.
    fn flush(&mut self) -> impl Future<Output = Result<(), TransportError>> + Send;

    /// Flushes and closes the channel (on stdio: closes the output stream).
    fn close(&mut self) -> impl Future<Output = Result<(), TransportError>> + Send;
}

/// The receiving half of a transport.
pub trait MessageStream: Send + 'static {
    /// The next message text; `None` when the peer closed the channel cleanly.
    fn recv(&mut self) -> impl Future<Output = Option<Result<String, TransportError>>> + Send;
}

/// A bidirectional channel of whole JSON-RPC messages.
pub trait Transport: Send + 'static {
    /// The sending half.
    type Sink: MessageSink;
    /// The receiving half.
    type Stream: MessageStream;

    /// Splits the transport into its halves.
    fn split(self) -> (Self::Sink, Self::Stream);
}

impl<S: MessageSink, R: MessageStream> Transport for (S, R) {
    type Sink = S;
    type Stream = R;
    fn split(self) -> (S, R) {
        self
    }
}
