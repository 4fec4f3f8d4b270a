//! The benchmark server: an ordinary mcpwire server with two trivial tools.
//!
//! ```sh
//! bench-server stdio                       # MCP over stdin/stdout
//! bench-server http 127.0.0.1:3000         # Streamable HTTP at http://127.0.0.1:3000/mcp
//! bench-server stdio --tools 1000          # 1,000 more tools registered (`tool_0000`...)
//! bench-server stdio --runtime multi       # on tokio's multi-thread runtime
//! ```
//!
//! Tools: `echo {text}` answers the text, `add {a, b}` the sum. It is written the way an
//! application would write it (`#[tool]` functions, a tokio runtime), so the suite measures
//! what users get. The runtime is the one we recommend for each transport: current-thread for
//! stdio (one client, one connection: a second thread only adds wake-ups), multi-thread for
//! HTTP; `--runtime current|multi` overrides it.

use mcpwire::prelude::*;
use mcpwire::tool;
use schemars::JsonSchema;
use serde::Deserialize;

const USAGE: &str = "usage: bench-server (stdio | http ADDR) [--tools N] [--runtime current|multi]";

/// Answer the text it was given.
#[tool(read_only, idempotent)]
async fn echo(
    /// The text to answer with.
    text: String,
) -> String {
    text
}

/// Add two numbers.
#[tool(read_only, idempotent)]
async fn add(
    /// The left operand.
    a: f64,
    /// The right operand.
    b: f64,
) -> f64 {
    a + b
}

/// The arguments of the filler tools.
#[derive(Deserialize, JsonSchema)]
struct FillerArgs {
    /// Any text.
    text: String,
}

/// The server, with `extra` filler tools besides `echo` and `add`.
fn server(extra: usize) -> Server {
    let mut server = mcpwire::server!().tool(echo).tool(add);
    for i in 0..extra {
        let def = ToolDef::builder(format!("tool_{i:04}"))
            .description(format!("Filler tool number {i}: answers its text."))
            .handler(|args: FillerArgs, _ctx: RequestContext| async move { args.text });
        server = server.tool(def);
    }
    server
}

fn fail(message: &str) -> ! {
    eprintln!("bench-server: {message}\n{USAGE}");
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| fail("missing mode"));
    let mut addr = None;
    if mode == "http" {
        addr = Some(args.next().unwrap_or_else(|| fail("missing address")));
    } else if mode != "stdio" {
        fail(&format!("unknown mode `{mode}`"));
    }
    let mut extra = 0;
    let mut multi_thread = addr.is_some();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tools" => {
                extra = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| fail("--tools needs a number"));
            }
            "--runtime" => {
                multi_thread = match args.next().as_deref() {
                    Some("multi") => true,
                    Some("current") => false,
                    _ => fail("--runtime is current or multi"),
                };
            }
            other => fail(&format!("unknown argument `{other}`")),
        }
    }
    let runtime = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    }
    .enable_all()
    .build()
    .unwrap_or_else(|e| fail(&format!("cannot start the runtime: {e}")));
    let server = server(extra);
    let result = runtime.block_on(async move {
        match addr {
            None => server.serve_stdio().await,
            Some(addr) => server.serve_http(addr.as_str()).await,
        }
    });
    if let Err(e) = result {
        eprintln!("bench-server: {e}");
        std::process::exit(1);
    }
}
