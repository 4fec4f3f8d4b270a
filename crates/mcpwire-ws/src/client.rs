//! The client side: [`WsTransport::connect`] and [`WsTransport::connect_with_headers`].

use http::{HeaderMap, StatusCode};
use mcpwire_core::transport::TransportError;
use tokio::net::TcpStream;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::UrlError;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::WsTransport;

/// The default maximum size of one incoming message on the client side (what a server
/// sends, which may carry large resources): 64 MiB.
pub const DEFAULT_CLIENT_MAX_MESSAGE_SIZE: usize = 64 * 1024 * 1024;

/// Why connecting to a WebSocket server failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not a usable `ws://` URL (or a header could not be used).
    #[error("invalid WebSocket URL: {0}")]
    InvalidUrl(String),
    /// A `wss://` URL: this crate has no TLS. Open the TLS stream yourself, run the
    /// handshake with `tokio_tungstenite::client_async`, and wrap the result with
    /// [`WsTransport::from_stream`].
    #[error("wss:// URLs need TLS, which mcpwire-ws does not include")]
    TlsNotSupported,
    /// The TCP connection failed.
    #[error("could not connect: {0}")]
    Io(#[from] std::io::Error),
    /// The server answered the upgrade request with an HTTP error (for example 401 when a
    /// token is missing, or 403 when the origin is refused).
    #[error("the server refused the WebSocket upgrade with HTTP {status}")]
    Rejected {
        /// The HTTP status.
        status: StatusCode,
        /// The response headers (for example `WWW-Authenticate`).
        headers: HeaderMap,
        /// The start of the response body, when there was one.
        body: Option<String>,
    },
    /// The WebSocket handshake failed otherwise.
    #[error("WebSocket handshake failed: {0}")]
    Handshake(Box<dyn std::error::Error + Send + Sync>),
}

impl ConnectError {
    fn from_ws(e: WsError) -> Self {
        match e {
            WsError::Url(UrlError::TlsFeatureNotEnabled) => ConnectError::TlsNotSupported,
            WsError::Url(e) => ConnectError::InvalidUrl(e.to_string()),
            WsError::HttpFormat(e) => ConnectError::InvalidUrl(e.to_string()),
            WsError::Io(e) => ConnectError::Io(e),
            WsError::Http(response) => {
                let (parts, body) = response.into_parts();
                ConnectError::Rejected {
                    status: parts.status,
                    headers: parts.headers,
                    body: body.map(|b| String::from_utf8_lossy(&b).into_owned()),
                }
            }
            other => ConnectError::Handshake(Box::new(other)),
        }
    }
}

impl From<ConnectError> for mcpwire_core::Error {
    fn from(e: ConnectError) -> Self {
        match e {
            ConnectError::Io(e) => mcpwire_core::Error::Transport(TransportError::Io(e)),
            other => mcpwire_core::Error::Transport(TransportError::Other(Box::new(other))),
        }
    }
}

impl WsTransport<MaybeTlsStream<TcpStream>> {
    /// Connects to the MCP server at `url` (`ws://host:port/path`), with `TCP_NODELAY`.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use mcpwire_core::client::Client;
    /// use mcpwire_ws::WsTransport;
    ///
    /// let transport = WsTransport::connect("ws://127.0.0.1:8765").await?;
    /// let client = Client::builder().connect(transport).await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        Self::connect_with_headers(url, HeaderMap::new()).await
    }

    /// Connects to `url`, sending `headers` with the upgrade request (for example
    /// `Authorization`); a header given here replaces the one the handshake would send.
    ///
    /// Incoming messages may be up to [`DEFAULT_CLIENT_MAX_MESSAGE_SIZE`] (64 MiB); a larger
    /// one closes the connection with status 1009.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
    /// use mcpwire_ws::WsTransport;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer secret"));
    /// let transport = WsTransport::connect_with_headers("ws://127.0.0.1:8765", headers).await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_with_headers(url: &str, headers: HeaderMap) -> Result<Self, ConnectError> {
        let mut request = url.into_client_request().map_err(ConnectError::from_ws)?;
        if request.uri().scheme_str() == Some("wss") {
            return Err(ConnectError::TlsNotSupported);
        }
        request.headers_mut().extend(headers);
        let config = WebSocketConfig::default()
            .max_message_size(Some(DEFAULT_CLIENT_MAX_MESSAGE_SIZE))
            .max_frame_size(Some(DEFAULT_CLIENT_MAX_MESSAGE_SIZE));
        let (ws, _response) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), true)
                .await
                .map_err(ConnectError::from_ws)?;
        Ok(WsTransport::from_stream(ws))
    }
}
