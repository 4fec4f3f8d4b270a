//! [`WsTransport`]: one JSON-RPC message per WebSocket text frame, over any byte stream.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, ready};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mcpwire_core::transport::{MessageSink, MessageStream, Transport, TransportError};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long closing (sending a close frame and flushing it) may take before we give up.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// After failing a connection, how long we keep reading (and discarding) what the peer
/// still sends, so that closing the socket does not reset it before our close frame is read.
const LINGER: Duration = Duration::from_secs(5);
/// ... stopping early once the peer has been silent this long.
const LINGER_QUIET: Duration = Duration::from_millis(500);

/// A WebSocket connection carrying MCP: one JSON-RPC message per text frame.
///
/// The client side comes from [`WsTransport::connect`] or
/// [`WsTransport::connect_with_headers`], the server side from [`WsTransport::accept`] (which
/// [`serve_ws`](crate::serve_ws) calls for every connection); [`WsTransport::from_stream`]
/// wraps any WebSocket that has completed its handshake, for example one over a TLS stream
/// of your own.
///
/// Give it to [`Server::serve`](mcpwire_core::server::Server::serve) or to
/// [`ClientBuilder::connect`](mcpwire_core::client::ClientBuilder::connect). What it does
/// with each kind of frame is described in the [crate documentation](crate#framing).
pub struct WsTransport<S = MaybeTlsStream<TcpStream>> {
    ws: WebSocketStream<S>,
}

impl<S> std::fmt::Debug for WsTransport<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsTransport")
            .field("config", self.ws.get_config())
            .finish_non_exhaustive()
    }
}

impl<S> WsTransport<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Wraps a WebSocket whose handshake is complete (either role).
    ///
    /// Its size limits are the ones it was created with (`WebSocketConfig::max_message_size`
    /// and `max_frame_size` of [`tokio_tungstenite::tungstenite::protocol::WebSocketConfig`]).
    pub fn from_stream(ws: WebSocketStream<S>) -> Self {
        WsTransport { ws }
    }

    /// The underlying WebSocket.
    pub fn into_inner(self) -> WebSocketStream<S> {
        self.ws
    }
}

impl<S> Transport for WsTransport<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Sink = WsSink<S>;
    type Stream = WsStream<S>;

    fn split(self) -> (WsSink<S>, WsStream<S>) {
        let shared = Arc::new(Shared {
            ws: Mutex::new(self.ws),
        });
        (
            WsSink {
                shared: shared.clone(),
                closed: false,
            },
            WsStream {
                shared,
                done: false,
            },
        )
    }
}

/// The WebSocket shared by both halves. The lock is only ever held for one synchronous poll
/// (never across an `.await`), so reading and writing proceed concurrently, as with
/// `StreamExt::split`; unlike that split, the reading half can also send (a close frame
/// with a status code when the peer breaks the rules).
struct Shared<S> {
    ws: Mutex<WebSocketStream<S>>,
}

impl<S> Shared<S> {
    fn lock(&self) -> MutexGuard<'_, WebSocketStream<S>> {
        self.ws.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Shared<S> {
    async fn flush(&self) -> Result<(), WsError> {
        poll_fn(|cx| self.lock().poll_flush_unpin(cx)).await
    }

    /// Sends a close frame (unless one was sent already) and flushes it, along with a
    /// pending reply to the peer's close frame.
    async fn close(&self, code: CloseCode, reason: &'static str) -> Result<(), WsError> {
        let mut frame = Some(CloseFrame {
            code,
            reason: reason.into(),
        });
        poll_fn(|cx| {
            let mut ws = self.lock();
            if frame.is_some() {
                ready!(ws.poll_ready_unpin(cx))?;
                let close = Message::Close(frame.take());
                match ws.start_send_unpin(close) {
                    // After the peer's close frame we may not send ours, but the reply
                    // tungstenite queued still has to go out.
                    Ok(()) | Err(WsError::Protocol(ProtocolError::SendAfterClosing)) => {}
                    Err(WsError::AlreadyClosed | WsError::ConnectionClosed) => {
                        return Poll::Ready(Ok(()));
                    }
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
            match ready!(ws.poll_flush_unpin(cx)) {
                Err(WsError::AlreadyClosed | WsError::ConnectionClosed) => Poll::Ready(Ok(())),
                other => Poll::Ready(other),
            }
        })
        .await
    }
}

/// The writing half of a [`WsTransport`].
///
/// [`send`](MessageSink::send) queues a text frame in the WebSocket's write buffer (which
/// writes to the socket only when it fills), [`flush`](MessageSink::flush) writes out
/// everything queued, and [`close`](MessageSink::close) sends a close frame with status 1000.
pub struct WsSink<S = MaybeTlsStream<TcpStream>> {
    shared: Arc<Shared<S>>,
    closed: bool,
}

impl<S> std::fmt::Debug for WsSink<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsSink")
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl<S> MessageSink for WsSink<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    async fn send(&mut self, message: String) -> Result<(), TransportError> {
        if self.closed {
            return Err(TransportError::Closed);
        }
        let mut item = Some(Message::text(message));
        poll_fn(|cx| {
            let mut ws = self.shared.lock();
            ready!(ws.poll_ready_unpin(cx))?;
            match item.take() {
                Some(item) => Poll::Ready(ws.start_send_unpin(item)),
                None => Poll::Ready(Ok(())),
            }
        })
        .await
        .map_err(send_error)
    }

    async fn flush(&mut self) -> Result<(), TransportError> {
        if self.closed {
            return Err(TransportError::Closed);
        }
        self.shared.flush().await.map_err(send_error)
    }

    async fn close(&mut self) -> Result<(), TransportError> {
        if std::mem::replace(&mut self.closed, true) {
            return Ok(());
        }
        match bounded(CLOSE_TIMEOUT, self.shared.close(CloseCode::Normal, "")).await {
            Some(result) => result.map_err(send_error),
            None => Ok(()),
        }
    }
}

fn send_error(e: WsError) -> TransportError {
    match e {
        WsError::Io(e) => TransportError::Io(e),
        WsError::ConnectionClosed
        | WsError::AlreadyClosed
        | WsError::Protocol(ProtocolError::SendAfterClosing) => TransportError::Closed,
        other => TransportError::Other(Box::new(other)),
    }
}

/// The reading half of a [`WsTransport`]: yields the text of each text frame.
pub struct WsStream<S = MaybeTlsStream<TcpStream>> {
    shared: Arc<Shared<S>>,
    done: bool,
}

impl<S> std::fmt::Debug for WsStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsStream")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<S> MessageStream for WsStream<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    async fn recv(&mut self) -> Option<Result<String, TransportError>> {
        if self.done {
            return None;
        }
        loop {
            // Reading also writes the pong owed for a ping read earlier.
            let next = poll_fn(|cx| self.shared.lock().poll_next_unpin(cx)).await;
            match next {
                Some(Ok(Message::Text(text))) => return Some(Ok(text.as_str().to_owned())),
                Some(Ok(Message::Binary(data))) => {
                    tracing::debug!(bytes = data.len(), "binary WebSocket frame refused");
                    return Some(Err(TransportError::InvalidUtf8));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Close(frame))) => {
                    tracing::debug!(?frame, "the peer closed the WebSocket");
                    // Send the reply tungstenite queued now, not when the engine is done.
                    let _ = bounded(CLOSE_TIMEOUT, self.shared.flush()).await;
                    self.done = true;
                    return None;
                }
                None => {
                    self.done = true;
                    return None;
                }
                Some(Err(e)) => {
                    // The WebSocket stream ends after any error.
                    self.done = true;
                    return self.fail(e).await;
                }
            }
        }
    }
}

impl<S> WsStream<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Turns a read error into the end of the stream, closing the WebSocket with the status
    /// code that fits when the peer broke a rule.
    async fn fail(&mut self, e: WsError) -> Option<Result<String, TransportError>> {
        let e = match e {
            WsError::Io(io) if is_disconnect(&io) => {
                tracing::debug!("the peer dropped the WebSocket connection: {io}");
                return None;
            }
            WsError::Io(io) => return Some(Err(TransportError::Io(io))),
            e => e,
        };
        let (code, reason) = match &e {
            WsError::ConnectionClosed
            | WsError::AlreadyClosed
            | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                tracing::debug!("the peer dropped the WebSocket connection: {e}");
                return None;
            }
            WsError::Capacity(_) => (CloseCode::Size, "message too big"),
            WsError::Utf8(_) => (CloseCode::Invalid, "text frame is not valid UTF-8"),
            WsError::Protocol(_) => (CloseCode::Protocol, "WebSocket protocol error"),
            _ => (CloseCode::Error, ""),
        };
        tracing::debug!(
            code = u16::from(code),
            "closing the WebSocket connection: {e}"
        );
        let _ = bounded(CLOSE_TIMEOUT, self.shared.close(code, reason)).await;
        self.linger().await;
        Some(Err(TransportError::Other(Box::new(e))))
    }

    /// Reads and discards what the peer still sends (the rest of an oversized frame, its
    /// reply to our close frame) for a little while: closing a socket with unread data
    /// resets the connection, and the peer might then never see our close frame.
    async fn linger(&self) {
        let deadline = tokio::time::Instant::now() + LINGER;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let read = poll_fn(|cx| {
                let mut ws = self.shared.lock();
                let mut rb = ReadBuf::new(&mut buf);
                ready!(Pin::new(ws.get_mut()).poll_read(cx, &mut rb))?;
                Poll::Ready(Ok::<usize, std::io::Error>(rb.filled().len()))
            });
            let until = deadline.min(tokio::time::Instant::now() + LINGER_QUIET);
            match tokio::time::timeout_at(until, read).await {
                Ok(Ok(n)) if n > 0 => continue,
                _ => return,
            }
        }
    }
}

fn is_disconnect(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
    )
}

async fn bounded<T>(limit: Duration, fut: impl Future<Output = T>) -> Option<T> {
    tokio::time::timeout(limit, fut).await.ok()
}
