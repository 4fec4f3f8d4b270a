//! The Streamable HTTP transport of the [mcpwire](https://docs.rs/mcpwire) MCP SDK.
//!
//! * [`McpHttpService`] is the server: a `tower::Service<http::Request<B>>` that serves one
//!   [`Server`](mcpwire_core::server::Server) to clients of every revision. Mount it in axum
//!   with `Router::new().route_service("/mcp", service)`, or run it standalone with
//!   [`HttpServer`].
//! * [`HttpTransport`] is the client side: give it to
//!   [`Client::connect`](mcpwire_core::client::ClientBuilder::connect). With feature `oauth`,
//!   [`oauth::OAuthClient`] authorizes its requests (MCP authorization, OAuth 2.1).
//!
//! ```no_run
//! use mcpwire_core::server::Server;
//! use mcpwire_http::HttpServer;
//!
//! # async fn run() -> std::io::Result<()> {
//! let server = Server::new(mcpwire_core::types::Implementation::new("demo", "1.0.0"));
//! HttpServer::bind("127.0.0.1:3000", server).await?.run().await
//! # }
//! ```
//!
//! See `docs/transports.md` in the repository for the behaviour in detail.

pub mod client;
pub mod headers;
pub mod server;

/// MCP authorization for clients (OAuth 2.1; feature `oauth`): see [`oauth::OAuthClient`].
#[cfg(feature = "oauth")]
pub use client::oauth;
pub use client::{
    AuthProvider, Challenge, HttpClientConfig, HttpClientError, HttpTransport, Refusal,
};

pub use server::{
    EventStore, HttpConfig, HttpServer, InMemoryEventStore, McpHttpService, serve,
    serve_with_shutdown,
};

/// The TLS library of the `tls` feature, for [`HttpClientConfig::tls_config`].
#[cfg(feature = "tls")]
pub use rustls;
