//! The server side: [`WsConfig`], [`serve_ws`], [`bind_ws`] and [`WsTransport::accept`].

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, SEC_WEBSOCKET_PROTOCOL};
use http::{HeaderValue, StatusCode};
use mcpwire_core::security::{OriginPolicy, Refusal};
use mcpwire_core::server::Server;
use mcpwire_core::transport::TransportError;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::WsTransport;

/// The default maximum size of one incoming message on the server side: 4 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 4 * 1024 * 1024;

/// The subprotocol selected when a client offers it (browsers need the server to pick one of
/// the protocols they list, if they list any).
const SUBPROTOCOL: &str = "mcp";

/// How long to wait after an accept error that is not about one connection (such as running
/// out of file descriptors) before accepting again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Settings of a WebSocket server.
///
/// ```
/// use mcpwire_core::security::OriginPolicy;
/// use mcpwire_ws::WsConfig;
///
/// let config = WsConfig::new()
///     .origin_policy(OriginPolicy::localhost().allow_origin("https://app.example.com"))
///     .max_message_size(1024 * 1024);
/// assert_eq!(config.max_message_size, 1024 * 1024);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct WsConfig {
    /// Which `Host` and `Origin` headers the handshake accepts (default: loopback only, see
    /// [`OriginPolicy::localhost`]). Others are refused with HTTP 403.
    pub origin_policy: OriginPolicy,
    /// The maximum size of one incoming message in bytes (default
    /// [`DEFAULT_MAX_MESSAGE_SIZE`], 4 MiB). A larger message closes its connection with
    /// status 1009 (message too big).
    pub max_message_size: usize,
    /// The maximum size of one incoming frame in bytes (default: 4 MiB, like the message
    /// limit). A message may arrive in several frames; a larger frame closes its connection
    /// with status 1009.
    pub max_frame_size: usize,
    /// How long a client may take to complete the HTTP upgrade (default: 10 s).
    pub handshake_timeout: Duration,
    /// Verifies the bearer token of every connection (feature `auth`; default: none).
    #[cfg(feature = "auth")]
    pub verifier: Option<Arc<dyn mcpwire_auth::TokenVerifier>>,
}

impl std::fmt::Debug for WsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("WsConfig");
        d.field("origin_policy", &self.origin_policy)
            .field("max_message_size", &self.max_message_size)
            .field("max_frame_size", &self.max_frame_size)
            .field("handshake_timeout", &self.handshake_timeout);
        #[cfg(feature = "auth")]
        d.field("verifier", &self.verifier.is_some());
        d.finish()
    }
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            origin_policy: OriginPolicy::default(),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_frame_size: DEFAULT_MAX_MESSAGE_SIZE,
            handshake_timeout: Duration::from_secs(10),
            #[cfg(feature = "auth")]
            verifier: None,
        }
    }
}

impl WsConfig {
    /// The defaults: loopback only, 4 MiB messages and frames, 10 s to upgrade.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets which `Host` and `Origin` headers are accepted.
    pub fn origin_policy(mut self, policy: OriginPolicy) -> Self {
        self.origin_policy = policy;
        self
    }

    /// Sets the maximum size of one incoming message in bytes.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes.max(1);
        self
    }

    /// Sets the maximum size of one incoming frame in bytes.
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes.max(1);
        self
    }

    /// Sets how long a client may take to complete the HTTP upgrade.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Requires an `Authorization: Bearer` token on the upgrade request, verified by
    /// `verifier` (a JWT verifier, introspection or API keys from `mcpwire-auth`).
    ///
    /// An upgrade without a bearer token is refused with HTTP 401. A token that does not
    /// verify closes the connection right after the upgrade with status 1008 (policy
    /// violation) and the reason. Every request of an accepted connection carries the
    /// caller (`AuthInfo`, and its principal), so scopes on tools, resources and prompts
    /// apply as over HTTP. The connection is closed when the token expires.
    #[cfg(feature = "auth")]
    pub fn verifier(mut self, verifier: impl mcpwire_auth::TokenVerifier) -> Self {
        self.verifier = Some(Arc::new(verifier));
        self
    }

    #[cfg(feature = "auth")]
    fn requires_token(&self) -> bool {
        self.verifier.is_some()
    }

    #[cfg(not(feature = "auth"))]
    fn requires_token(&self) -> bool {
        false
    }

    fn websocket_config(&self) -> WebSocketConfig {
        WebSocketConfig::default()
            .max_message_size(Some(self.max_message_size))
            .max_frame_size(Some(self.max_frame_size))
    }
}

impl<S> WsTransport<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Performs the server side of the HTTP upgrade on `stream` (any path is accepted),
    /// checking `Host` and `Origin` against the configured policy, and returns the
    /// transport.
    ///
    /// A refused request is answered with `403 Forbidden` and a one-line body, and is
    /// reported as an error. [`serve_ws`] calls this for every connection; call it yourself
    /// to serve over another kind of stream (a TLS stream, a Unix socket).
    pub async fn accept(stream: S, config: &WsConfig) -> Result<Self, TransportError> {
        Self::accept_with_token(stream, config)
            .await
            .map(|(transport, _)| transport)
    }

    /// [`accept`](Self::accept), also returning the bearer token of the upgrade request.
    pub(crate) async fn accept_with_token(
        stream: S,
        config: &WsConfig,
    ) -> Result<(Self, Option<String>), TransportError> {
        let policy = &config.origin_policy;
        let token = std::sync::Mutex::new(None);
        let requires_token = config.requires_token();
        let callback = |request: &Request, response: Response| {
            let response = check(policy, request, response)?;
            let bearer = request
                .headers()
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    let (scheme, rest) = v.trim().split_once(' ')?;
                    scheme
                        .eq_ignore_ascii_case("bearer")
                        .then(|| rest.trim().to_owned())
                })
                .filter(|t| !t.is_empty());
            if requires_token && bearer.is_none() {
                return Err(unauthorized());
            }
            *token.lock().unwrap() = bearer;
            Ok(response)
        };
        let handshake = tokio_tungstenite::accept_hdr_async_with_config(
            stream,
            callback,
            Some(config.websocket_config()),
        );
        match tokio::time::timeout(config.handshake_timeout, handshake).await {
            Ok(Ok(ws)) => Ok((WsTransport::from_stream(ws), token.lock().unwrap().take())),
            Ok(Err(tokio_tungstenite::tungstenite::Error::Io(e))) => Err(TransportError::Io(e)),
            Ok(Err(e)) => Err(TransportError::Other(Box::new(e))),
            Err(_) => Err(TransportError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                "the WebSocket handshake timed out",
            ))),
        }
    }
}

/// The handshake callback: enforces the origin policy and picks the `mcp` subprotocol when
/// the client offers it.
fn check(
    policy: &OriginPolicy,
    request: &Request,
    mut response: Response,
) -> Result<Response, ErrorResponse> {
    if let Err(refusal) = policy.check(request.headers()) {
        tracing::debug!("WebSocket upgrade refused: {refusal}");
        let what = match refusal {
            Refusal::Host(_) => "Host",
            _ => "Origin",
        };
        return Err(forbidden(what));
    }
    let offers_mcp = request
        .headers()
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == SUBPROTOCOL);
    if offers_mcp {
        response.headers_mut().insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(SUBPROTOCOL),
        );
    }
    Ok(response)
}

fn unauthorized() -> ErrorResponse {
    let body = "Unauthorized: send Authorization: Bearer <token>\n".to_owned();
    let mut response = http::Response::new(None);
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    let headers = response.headers_mut();
    headers.insert(
        http::header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer"),
    );
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    *response.body_mut() = Some(body);
    response
}

fn forbidden(what: &str) -> ErrorResponse {
    let body = format!("Forbidden: {what} not allowed\n");
    let mut response = http::Response::new(None);
    *response.status_mut() = StatusCode::FORBIDDEN;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    *response.body_mut() = Some(body);
    response
}

/// Serves `server` over WebSocket on every connection `listener` accepts.
///
/// Each connection gets `TCP_NODELAY`, the HTTP upgrade (any path; `Host` and `Origin`
/// checked against [`WsConfig::origin_policy`], refusals answered with HTTP 403), and then
/// its own task running [`Server::serve`], so one failing, misbehaving or slow connection
/// never affects the others. Both protocol eras are served, as on stdio. A message larger
/// than [`WsConfig::max_message_size`] closes its connection with status 1009 (message too
/// big).
///
/// Runs until the future is dropped, which closes the listener and every connection. Accept
/// errors (such as running out of file descriptors) are logged and retried after a short
/// pause, so it does not return on its own; the `io::Result` matches [`bind_ws`].
pub async fn serve_ws(server: Server, listener: TcpListener, config: WsConfig) -> io::Result<()> {
    let config = Arc::new(config);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    connections.spawn(serve_connection(server.clone(), tcp, peer, config.clone()));
                }
                Err(e) if is_per_connection(&e) => {
                    tracing::debug!("accepting a WebSocket connection failed: {e}");
                }
                Err(e) => {
                    tracing::warn!("accepting WebSocket connections failed: {e}; retrying");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(finished) = connections.join_next(), if !connections.is_empty() => {
                if let Err(e) = finished
                    && e.is_panic()
                {
                    tracing::error!("a WebSocket connection task panicked");
                }
            }
        }
    }
}

/// Binds a TCP listener on `addr` and [serves](serve_ws) `server` over WebSocket on it.
///
/// Fails only when binding fails; otherwise runs until dropped.
pub async fn bind_ws(server: Server, addr: impl ToSocketAddrs, config: WsConfig) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "serving MCP over WebSocket");
    serve_ws(server, listener, config).await
}

async fn serve_connection(server: Server, tcp: TcpStream, peer: SocketAddr, config: Arc<WsConfig>) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(%peer, "could not set TCP_NODELAY: {e}");
    }
    #[cfg_attr(not(feature = "auth"), allow(unused_variables))]
    let (transport, token) = match WsTransport::accept_with_token(tcp, &config).await {
        Ok(t) => t,
        Err(e) => {
            tracing::debug!(%peer, "WebSocket handshake failed: {e}");
            return;
        }
    };
    tracing::debug!(%peer, "WebSocket connection opened");
    #[cfg(feature = "auth")]
    if let Some(verifier) = &config.verifier {
        authenticated(server, transport, token, verifier.as_ref(), peer).await;
        return;
    }
    match server.serve(transport).await {
        Ok(()) => tracing::debug!(%peer, "WebSocket connection closed"),
        Err(e) => tracing::debug!(%peer, "WebSocket connection failed: {e}"),
    }
}

/// Closes a connection with status 1008 (policy violation) and `reason`, then waits (at most
/// 5 s) for the client's close reply so that it sees the reason.
#[cfg(feature = "auth")]
async fn close_refused(mut ws: tokio_tungstenite::WebSocketStream<TcpStream>, reason: String) {
    use futures_util::StreamExt as _;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    // A close reason is at most 123 bytes.
    let mut reason = reason;
    while reason.len() > 120 {
        reason.pop();
    }
    let frame = CloseFrame {
        code: CloseCode::Policy,
        reason: reason.into(),
    };
    if ws.close(Some(frame)).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

/// Serves a connection whose upgrade carried `token`, as the caller the token names, until
/// the client leaves or the token expires.
#[cfg(feature = "auth")]
async fn authenticated(
    server: Server,
    transport: WsTransport<TcpStream>,
    token: Option<String>,
    verifier: &dyn mcpwire_auth::TokenVerifier,
    peer: SocketAddr,
) {
    use tower::Layer as _;
    let verified = match token {
        Some(t) => verifier.verify(&t).await,
        None => Err(mcpwire_auth::VerifyError::Invalid("no bearer token".into())),
    };
    let auth = match verified {
        Ok(auth) => auth,
        Err(e) => {
            tracing::debug!(%peer, "WebSocket token refused: {e}");
            close_refused(transport.into_inner(), format!("invalid token: {e}")).await;
            return;
        }
    };
    let expiry = auth
        .expires_at()
        .and_then(|at| at.duration_since(std::time::SystemTime::now()).ok());
    let service = mcpwire_auth::IdentityLayer::new(auth).layer(server.clone().into_service());
    let serving = server.serve_service(service, transport);
    let outcome = match expiry {
        Some(left) => match tokio::time::timeout(left, serving).await {
            Ok(r) => r,
            Err(_) => {
                tracing::debug!(%peer, "WebSocket token expired; closing the connection");
                return;
            }
        },
        None => serving.await,
    };
    match outcome {
        Ok(()) => tracing::debug!(%peer, "WebSocket connection closed"),
        Err(e) => tracing::debug!(%peer, "WebSocket connection failed: {e}"),
    }
}

fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::TimedOut
    )
}
