//! # mcpwire
//!
//! A Rust SDK for the [Model Context Protocol](https://modelcontextprotocol.io): write MCP
//! servers and clients that speak every protocol revision, from the stateless 2026-07-28
//! down to 2024-11-05, with one set of handlers.
//!
//! ```no_run
//! use mcpwire::prelude::*;
//! use mcpwire::tool;
//!
//! /// Add two numbers.
//! #[tool(read_only)]
//! async fn add(/** First addend. */ a: f64, /** Second addend. */ b: f64) -> f64 {
//!     a + b
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), mcpwire::Error> {
//!     mcpwire::server!().tool(add).serve_stdio().await
//! }
//! ```
//!
//! * Servers: [`server::Server`], the attribute macros [`tool`](macro@tool),
//!   [`resource`](macro@resource), [`prompt`](macro@prompt) and [`handlers`](macro@handlers)
//!   (feature `macros`, on by default; see `docs/macros.md`), or the builders
//!   [`server::ToolDef`], [`server::ResourceDef`], [`server::PromptDef`].
//! * Clients: [`client::Client`].
//! * Transports: `stdio` (feature `stdio`, on by default), Streamable HTTP (`http`, feature
//!   `http`, on by default), WebSocket (`ws`, feature `ws`), in-memory
//!   ([`transport::memory`]), or your own ([`transport::Transport`]). See
//!   `docs/transports.md`.
//! * Authorization: scopes on tools, resources and prompts (in core), and with feature
//!   `auth` the `auth` module: bearer token verification, OAuth protected resource
//!   metadata, rate and concurrency limits. See `docs/auth.md`.
//!
//! The crate is a facade: the protocol lives in `mcpwire-core`, transports in
//! `mcpwire-stdio`, `mcpwire-http` and `mcpwire-ws`.

pub use mcpwire_core::{
    Era, Error, ErrorCode, ErrorObject, ProtocolVersion, RequestId, client, connection, jsonrpc,
    methods, server, transport, types, uri_template, version,
};

/// The stdio transport: serve over stdin/stdout, or spawn a server as a child process.
#[cfg(feature = "stdio")]
pub mod stdio {
    pub use mcpwire_stdio::*;
}

/// The Streamable HTTP transport: [`McpHttpService`](http::McpHttpService) (a tower service
/// to mount in axum or hyper), [`HttpServer`](http::HttpServer) (standalone) and
/// [`HttpTransport`](http::HttpTransport) (client).
#[cfg(feature = "http")]
pub mod http {
    pub use mcpwire_http::*;
}

/// The WebSocket transport: [`bind_ws`](ws::bind_ws) / [`serve_ws`](ws::serve_ws) (server)
/// and [`WsTransport`](ws::WsTransport) (client).
#[cfg(feature = "ws")]
pub mod ws {
    pub use mcpwire_ws::*;
}

/// Authorization (feature `auth`): the [`AuthLayer`](auth::AuthLayer) that verifies bearer
/// tokens and serves the protected resource metadata, the token verifiers
/// ([`JwtVerifier`](auth::JwtVerifier), [`IntrospectionVerifier`](auth::IntrospectionVerifier),
/// [`ApiKeys`](auth::ApiKeys)) and per-principal rate and concurrency limits. See
/// `docs/auth.md`.
#[cfg(feature = "auth")]
pub mod auth {
    pub use mcpwire_auth::*;
}

#[cfg(feature = "macros")]
pub use mcpwire_macros::{handlers, prompt, resource, tool};

#[doc(hidden)]
pub use mcpwire_core::macro_support as __private;

/// Re-exported for the types handlers take and return.
pub use schemars;
pub use serde_json;

/// Serving a [`Server`](server::Server) over stdin and stdout.
#[cfg(feature = "stdio")]
pub trait ServeStdio {
    /// Serves over stdin and stdout until the client closes stdin.
    fn serve_stdio(&self) -> impl std::future::Future<Output = Result<(), Error>> + Send;
}

#[cfg(feature = "stdio")]
impl ServeStdio for server::Server {
    fn serve_stdio(&self) -> impl std::future::Future<Output = Result<(), Error>> + Send {
        mcpwire_stdio::serve_stdio(self)
    }
}

/// Serving a [`Server`](server::Server) over Streamable HTTP.
#[cfg(feature = "http")]
pub trait ServeHttp {
    /// Serves at `http://{addr}/mcp` with the default settings (loopback clients only; use
    /// [`HttpServer`](http::HttpServer) with an [`HttpConfig`](http::HttpConfig) to change
    /// that) until the process ends.
    fn serve_http(
        &self,
        addr: impl tokio::net::ToSocketAddrs + Send,
    ) -> impl std::future::Future<Output = Result<(), Error>> + Send;
}

#[cfg(feature = "http")]
impl ServeHttp for server::Server {
    async fn serve_http(&self, addr: impl tokio::net::ToSocketAddrs + Send) -> Result<(), Error> {
        mcpwire_http::serve(self.clone(), addr)
            .await
            .map_err(|e| Error::Transport(e.into()))
    }
}

/// Serving a [`Server`](server::Server) over WebSocket.
#[cfg(feature = "ws")]
pub trait ServeWs {
    /// Accepts WebSocket connections on `addr` (any path; loopback clients only by default)
    /// until the process ends.
    fn serve_ws(
        &self,
        addr: impl tokio::net::ToSocketAddrs + Send,
    ) -> impl std::future::Future<Output = Result<(), Error>> + Send;
}

#[cfg(feature = "ws")]
impl ServeWs for server::Server {
    async fn serve_ws(&self, addr: impl tokio::net::ToSocketAddrs + Send) -> Result<(), Error> {
        mcpwire_ws::bind_ws(self.clone(), addr, mcpwire_ws::WsConfig::default())
            .await
            .map_err(|e| Error::Transport(e.into()))
    }
}

/// The names most servers and clients need.
pub mod prelude {
    #[cfg(feature = "http")]
    pub use crate::ServeHttp;
    #[cfg(feature = "stdio")]
    pub use crate::ServeStdio;
    #[cfg(feature = "ws")]
    pub use crate::ServeWs;
    pub use crate::client::{Client, ConnectMode, RequestOptions, ServerEvent, Subscription};
    pub use crate::server::handler::{Json, JsonWithText};
    pub use crate::server::{
        AuthInfo, PromptDef, RequestContext, ResourceDef, ResourceTemplateDef, Server, State,
        TokenClaims, ToolDef,
    };
    pub use crate::types::{
        CallToolResult, ContentBlock, GetPromptResult, Implementation, Prompt, PromptArgument,
        PromptMessage, ReadResourceResult, Resource, ResourceTemplate, Role, Tool,
    };
    pub use crate::{Error, ErrorObject, ProtocolVersion};
}

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The examples of `docs/macros.md`, compiled and run as doc tests.
#[doc = include_str!("../../../docs/macros.md")]
#[cfg(doctest)]
pub struct MacrosDoctests;

/// The examples of `docs/transports.md`, compiled as doc tests.
#[doc = include_str!("../../../docs/transports.md")]
#[cfg(doctest)]
pub struct TransportsDoctests;

/// The examples of `docs/auth.md`, compiled as doc tests.
#[doc = include_str!("../../../docs/auth.md")]
#[cfg(all(doctest, feature = "auth"))]
pub struct AuthDoctests;
