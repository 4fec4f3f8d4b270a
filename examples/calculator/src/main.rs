//! The calculator MCP server, over stdio (the default), Streamable HTTP or WebSocket.
//!
//! ```sh
//! cargo run -p calculator                          # stdio: run it under an MCP client
//! cargo run -p calculator -- --http 127.0.0.1:3000  # Streamable HTTP at http://127.0.0.1:3000/mcp
//! cargo run -p calculator -- --ws 127.0.0.1:3001    # WebSocket at ws://127.0.0.1:3001
//! ```
//!
//! The client in this crate drives it either way:
//! `cargo run -p calculator --bin calculator-client [-- --url http://127.0.0.1:3000/mcp]`.

use mcpwire::prelude::*;

const USAGE: &str = "usage: calculator [--http ADDR | --ws ADDR]";

#[tokio::main]
async fn main() -> Result<(), mcpwire::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let server = calculator::server();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => server.serve_stdio().await,
        ["--http", addr] => {
            let http = mcpwire::http::HttpServer::bind(*addr, server)
                .await
                .map_err(|e| mcpwire::Error::Transport(e.into()))?;
            eprintln!(
                "calculator: serving MCP over Streamable HTTP at {}",
                http.url()
            );
            http.run()
                .await
                .map_err(|e| mcpwire::Error::Transport(e.into()))
        }
        ["--ws", addr] => {
            eprintln!("calculator: serving MCP over WebSocket at ws://{addr}");
            server.serve_ws(*addr).await
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}
