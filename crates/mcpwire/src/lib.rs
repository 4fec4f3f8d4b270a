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
//! * Transports: [`stdio`] (feature `stdio`, on by default), in-memory
//!   ([`transport::memory`]), or your own ([`transport::Transport`]).
//!
//! The crate is a facade: the protocol lives in `mcpwire-core`, transports in
//! `mcpwire-stdio` (feature `stdio`, on by default).

pub use mcpwire_core::{
    Era, Error, ErrorCode, ErrorObject, ProtocolVersion, RequestId, client, connection, jsonrpc,
    methods, server, transport, types, uri_template, version,
};

/// The stdio transport: serve over stdin/stdout, or spawn a server as a child process.
#[cfg(feature = "stdio")]
pub mod stdio {
    pub use mcpwire_stdio::*;
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

/// The names most servers and clients need.
pub mod prelude {
    #[cfg(feature = "stdio")]
    pub use crate::ServeStdio;
    pub use crate::client::{Client, ConnectMode, RequestOptions, ServerEvent, Subscription};
    pub use crate::server::handler::{Json, JsonWithText};
    pub use crate::server::{
        PromptDef, RequestContext, ResourceDef, ResourceTemplateDef, Server, State, ToolDef,
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
