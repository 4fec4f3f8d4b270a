// An MCP client over WebSocket: connects to the server at the URL given as the first
// argument, lists its tools and calls `add` with {"a": 2, "b": 3}.
//
// Run the example calculator server over WebSocket, then this client:
//
//     cargo run -p calculator -- --ws 127.0.0.1:8765
//     cargo run -p ws-client -- ws://127.0.0.1:8765

//! Lists the tools of an MCP server reached over WebSocket and calls `add`.

// This program's output is what it prints.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use mcpwire_core::client::Client;
use mcpwire_ws::WsTransport;

#[tokio::main]
async fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: ws-client ws://127.0.0.1:PORT");
        return ExitCode::from(2);
    };
    match run(&url).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ws-client: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let transport = WsTransport::connect(url).await?;
    let client = Client::builder().connect(transport).await?;
    println!("connected to {url} (MCP {})", client.protocol_version());

    for tool in client.list_tools().await? {
        match &tool.description {
            Some(d) => println!("tool {}: {d}", tool.name),
            None => println!("tool {}", tool.name),
        }
    }

    let result = client
        .call_tool("add", serde_json::json!({"a": 2, "b": 3}))
        .await?;
    if result.is_error() {
        println!("add failed: {}", result.text_content());
    } else {
        println!("add(2, 3) = {}", result.text_content());
    }
    client.close();
    Ok(())
}
