//! The WebSocket transport of mcpwire: MCP over WebSocket, one JSON-RPC message per text
//! frame.
//!
//! * [`serve_ws`] / [`bind_ws`]: the server side, accepting connections on a TCP listener
//!   and serving each with [`Server::serve`](mcpwire_core::server::Server::serve) in its own
//!   task; [`WsConfig`] holds the origin policy and the size limits.
//! * [`WsTransport::connect`] / [`WsTransport::connect_with_headers`]: the client side, for
//!   [`ClientBuilder::connect`](mcpwire_core::client::ClientBuilder::connect).
//! * [`WsTransport::accept`] / [`WsTransport::from_stream`]: the same framing over any
//!   stream, for example behind TLS of your own (this crate includes no TLS).
//!
//! ```no_run
//! use mcpwire_core::server::{RequestContext, Server, ToolDef};
//! use mcpwire_core::types::Implementation;
//! use mcpwire_ws::{WsConfig, bind_ws};
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let server = Server::new(Implementation::new("demo", "1.0.0")).tool(
//!         ToolDef::builder("ping_me")
//!             .handler(|_: serde_json::Value, _ctx: RequestContext| async { "pong" }),
//!     );
//!     bind_ws(server, "127.0.0.1:8765", WsConfig::default()).await
//! }
//! ```
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use mcpwire_core::client::Client;
//! use mcpwire_ws::WsTransport;
//!
//! let client = Client::builder()
//!     .connect(WsTransport::connect("ws://127.0.0.1:8765").await?)
//!     .await?;
//! let result = client.call_tool("ping_me", ()).await?;
//! assert_eq!(result.text_content(), "pong");
//! # Ok(()) }
//! ```
//!
//! # A custom transport
//!
//! WebSocket is not one of the transports the MCP specification defines; this is a *custom
//! transport* in its sense, which keeps the JSON-RPC message format, the message patterns and
//! the per-request metadata unchanged, and documents the following.
//!
//! ## Connection establishment
//!
//! The client opens a TCP connection and sends an HTTP/1.1 WebSocket upgrade request
//! (RFC 6455) on any path. The server checks `Host` and `Origin` against its
//! [`OriginPolicy`](mcpwire_core::security::OriginPolicy) (by default: loopback host names
//! only, and no origin other than one on those hosts, which defeats DNS rebinding from
//! browser pages) and refuses others with `403 Forbidden` and a one-line body. Requests
//! without an `Origin` (non-browser clients) are accepted. If the client offers the `mcp`
//! subprotocol (`Sec-WebSocket-Protocol`), the server selects it; no subprotocol is
//! required. Authentication, when you need it, travels in the upgrade request's headers
//! ([`WsTransport::connect_with_headers`]); checking it is up to a proxy in front or your own
//! accept loop around [`WsTransport::accept`].
//!
//! One WebSocket connection is one MCP connection, like one stdio process: on the
//! 2025-11-25 era (and older) it carries one session opened by `initialize`; on 2026-07-28 it
//! carries independent requests with their own `_meta`.
//!
//! ## Framing
//!
//! * Each JSON-RPC message (or batch, on the revisions that allow them) is one WebSocket
//!   **text** frame holding compact UTF-8 JSON; a message may arrive fragmented into several
//!   frames. Messages are sent as single frames.
//! * A **binary** frame is not a message: the server answers it with a JSON-RPC error
//!   (`-32600`, id `null`) and reads on, as stdio does for an undecodable line.
//! * A text frame that is not valid UTF-8 fails the connection with close status **1007**,
//!   as RFC 6455 (section 8.1) requires.
//! * A message larger than the maximum message size (server: [`WsConfig::max_message_size`],
//!   4 MiB by default; client: [`DEFAULT_CLIENT_MAX_MESSAGE_SIZE`], 64 MiB), or a frame
//!   larger than the maximum frame size, closes **that connection** with status **1009**
//!   (message too big); other connections are not affected. Other protocol violations close
//!   with **1002**.
//! * Pings are answered with pongs; pongs are ignored. Neither side sends pings on its own.
//! * A close frame ends the stream cleanly (the reply is sent at once), and so does the
//!   connection dropping without one. Closing a transport sends status **1000**.
//! * Outgoing messages are queued in the WebSocket's write buffer and written when the
//!   connection engine's outgoing queue runs empty, so a burst of messages shares writes.
//!
//! ## Cancellation
//!
//! As on stdio: a request is cancelled with a `notifications/cancelled` notification naming
//! its id. Closing the WebSocket cancels every request in flight on it.
//!
//! ## Protocol eras
//!
//! The server side runs the same connection engine and dispatcher as stdio, so both eras
//! work unchanged: the client's [`ConnectMode::Auto`](mcpwire_core::client::ConnectMode)
//! probes with `server/discover` and falls back to `initialize`; on the legacy era the
//! server's own requests (elicitation, sampling, roots) travel on the same connection.

mod client;
mod server;
mod transport;

pub use client::{ConnectError, DEFAULT_CLIENT_MAX_MESSAGE_SIZE};
pub use server::{DEFAULT_MAX_MESSAGE_SIZE, WsConfig, bind_ws, serve_ws};
pub use transport::{WsSink, WsStream, WsTransport};

/// The `http` crate, whose [`HeaderMap`](http::HeaderMap) carries custom headers for
/// [`WsTransport::connect_with_headers`].
pub use http;
/// The WebSocket implementation, for [`WsTransport::from_stream`] and
/// [`WsTransport::into_inner`].
pub use tokio_tungstenite;
