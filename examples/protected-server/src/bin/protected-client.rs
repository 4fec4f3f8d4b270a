//! Logs in to the protected example server with mcpwire's OAuth client, then reads and adds
//! a note (the write needs a scope step-up, which the client performs by itself).
//!
//! ```sh
//! cargo run -p protected-server &                         # the server and its demo login
//! cargo run -p protected-server --bin protected-client     # opens the login page in a browser
//! cargo run -p protected-server --bin protected-client -- --auto   # approves by itself
//! ```

#![allow(clippy::print_stdout)] // a command-line client: stdout is its output

use protected_server::login::{Approval, run};

#[tokio::main]
async fn main() {
    let mut url = "http://127.0.0.1:3000/mcp".to_owned();
    let mut approval = Approval::Browser;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--auto" => approval = Approval::Automatic,
            a if a.starts_with("http") => url = a.to_owned(),
            _ => {
                eprintln!("usage: protected-client [--auto] [MCP URL]");
                std::process::exit(2);
            }
        }
    }
    match run(&url, approval).await {
        Ok(outcome) => {
            println!("logged in as: {}", outcome.identity);
            println!("token scopes: {}", outcome.scopes.join(" "));
            println!("notes: {}", outcome.notes);
        }
        Err(e) => {
            eprintln!("protected-client: {e}");
            std::process::exit(1);
        }
    }
}
