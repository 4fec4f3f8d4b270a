//! The core of mcpwire, a Rust SDK for the Model Context Protocol (MCP).
//!
//! This crate holds the wire types ([`types`]), the JSON-RPC layer ([`jsonrpc`]), the
//! method table ([`methods`]) and the protocol versions ([`version`]). Most users depend
//! on the `mcpwire` facade crate instead, which re-exports everything here.

pub mod jsonrpc;
pub mod methods;
pub mod types;
pub mod version;

pub use jsonrpc::{ErrorCode, ErrorObject, RequestId};
pub use version::{Era, ProtocolVersion};
