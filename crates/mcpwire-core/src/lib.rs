//! The core of mcpwire, a Rust SDK for the Model Context Protocol (MCP).
//!
//! This crate holds the wire types ([`types`]), the JSON-RPC layer ([`jsonrpc`]), the
//! method table ([`methods`]), protocol revisions ([`version`]), the transport trait
//! ([`transport`]), the connection engine ([`connection`]), the server ([`server`](mod@server)) and the
//! client ([`client`]). Most users depend on the `mcpwire` facade crate instead, which
//! re-exports everything here.

pub mod client;
pub mod connection;
mod error;
pub mod jsonrpc;
#[doc(hidden)]
pub mod macro_support;
pub mod methods;
pub mod param_headers;
pub mod security;
pub mod server;
pub mod transport;
pub mod types;
pub mod uri_template;
pub mod version;

pub use error::Error;
pub use jsonrpc::{ErrorCode, ErrorObject, RequestId};
pub use version::{Era, ProtocolVersion};
