//! The calculator MCP server over stdio.
//!
//! Run it under any MCP client, for example the one in this crate:
//!
//! ```sh
//! cargo run -p calculator --bin calculator-client
//! ```
//!
//! or speak to it by hand: `cargo run -q -p calculator` and type JSON-RPC lines.

use mcpwire::prelude::*;

#[tokio::main]
async fn main() -> Result<(), mcpwire::Error> {
    calculator::server().serve_stdio().await
}
