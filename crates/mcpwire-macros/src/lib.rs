//! Attribute macros of mcpwire: plain functions become MCP tools, resources and prompts.
//!
//! Use them through the `mcpwire` crate (`mcpwire::tool`, ...); generated code refers to
//! `::mcpwire`, or to the path given with `crate = "..."`.
//!
//! * [`macro@tool`] — the signature becomes the input schema, the doc comment the
//!   description, the return value the result (structured when it is `Serialize + JsonSchema`).
//! * [`macro@resource`] — a URI or RFC 6570 URI template whose variables bind to arguments.
//! * [`macro@prompt`] — string arguments, parsed into the parameter types.
//! * [`macro@handlers`] — on an `impl` block, turns its marked methods into definitions that
//!   share `self`.
//!
//! Each attribute reports every mistake at the offending token and keeps the item, so one
//! mistake gives one error.

use proc_macro::TokenStream;

mod common;
mod free;
mod handlers;
mod prompt;
mod resource;
mod tool;

/// Makes a function an MCP tool. See the `mcpwire` crate documentation.
#[proc_macro_attribute]
pub fn tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    tool::expand_free(attr.into(), item.into()).into()
}

/// Makes a function read an MCP resource or resource template. See the `mcpwire` crate
/// documentation.
#[proc_macro_attribute]
pub fn resource(attr: TokenStream, item: TokenStream) -> TokenStream {
    resource::expand_free(attr.into(), item.into()).into()
}

/// Makes a function an MCP prompt. See the `mcpwire` crate documentation.
#[proc_macro_attribute]
pub fn prompt(attr: TokenStream, item: TokenStream) -> TokenStream {
    prompt::expand_free(attr.into(), item.into()).into()
}

/// On an `impl` block: its `#[tool]`, `#[resource]` and `#[prompt]` methods become the
/// block's `Handlers`, registered with `Server::register`.
#[proc_macro_attribute]
pub fn handlers(attr: TokenStream, item: TokenStream) -> TokenStream {
    handlers::expand(attr.into(), item.into()).into()
}
