//! An MCP client that uses every feature of the calculator server.
//!
//! ```sh
//! cargo run -p calculator --bin calculator-client            # spawns ./target/.../calculator
//! cargo run -p calculator --bin calculator-client -- CMD ARGS  # spawns any stdio MCP server
//! cargo run -p calculator --bin calculator-client -- --url http://127.0.0.1:3000/mcp
//! cargo run -p calculator --bin calculator-client -- --url ws://127.0.0.1:3001
//! ```

#![allow(clippy::print_stdout)] // a command-line client: stdout is its output

use std::path::PathBuf;

use mcpwire::prelude::*;
use mcpwire::stdio::ChildProcess;
use mcpwire::types::{CompleteRequestParams, CompletionReference, ElicitResult, PromptReference};

/// The `calculator` binary next to this one, built first when running under cargo.
fn calculator_binary() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name(format!("calculator{}", std::env::consts::EXE_SUFFIX));
    if let (false, Some(cargo)) = (path.exists(), std::env::var_os("CARGO")) {
        {
            let status = std::process::Command::new(cargo)
                .args(["build", "-q", "-p", "calculator", "--bin", "calculator"])
                .status()?;
            if !status.success() {
                return Err(std::io::Error::other("building the calculator failed"));
            }
        }
    }
    Ok(path)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let builder = Client::builder().on_elicitation(|request| async move {
        println!("  (the server asks: {})", request.message());
        let mut answer = mcpwire::types::JsonObject::new();
        answer.insert("places".into(), 2.into());
        Ok(ElicitResult::accept(answer))
    });
    let client = match args.split_first() {
        Some((flag, [url])) if flag == "--url" && url.starts_with("ws") => {
            builder
                .connect(mcpwire::ws::WsTransport::connect(url).await?)
                .await?
        }
        Some((flag, [url])) if flag == "--url" => {
            builder
                .connect(mcpwire::http::HttpTransport::new(url)?)
                .await?
        }
        Some((program, rest)) => builder.connect(ChildProcess::spawn(program, rest)?).await?,
        None => {
            let calculator = calculator_binary()?;
            let program = calculator.to_str().ok_or("bad path")?;
            builder
                .connect(ChildProcess::spawn(program, [] as [&str; 0])?)
                .await?
        }
    };

    let server = client.server_info();
    println!(
        "connected to {} {} over protocol {}",
        server.as_ref().map_or("?", |s| s.name.as_str()),
        server.as_ref().map_or("?", |s| s.version.as_str()),
        client.protocol_version()
    );

    println!("tools:");
    for tool in client.list_tools().await? {
        println!(
            "  {:<8} {}",
            tool.name,
            tool.description.unwrap_or_default()
        );
    }

    let sum = client
        .call_tool("add", serde_json::json!({"a": 2, "b": 3}))
        .await?;
    println!("add(2, 3) = {}", sum.text_content());

    let bad = client
        .call_tool("divide", serde_json::json!({"a": 1, "b": 0}))
        .await?;
    println!(
        "divide(1, 0) -> isError={} \"{}\"",
        bad.is_error(),
        bad.text_content()
    );

    let series = client
        .call_tool_with(
            "sum_to",
            serde_json::json!({"n": 100}),
            RequestOptions::new().on_progress(|p| {
                println!("  progress {}/{}", p.progress, p.total.unwrap_or(0.0));
            }),
        )
        .await?;
    println!("sum_to(100) = {}", series.text_content());

    let rounded = client
        .call_tool("round", serde_json::json!({"value": 1.23456}))
        .await?;
    println!("round(1.23456) = {}", rounded.text_content());

    let constants = client.read_resource("calc://constants").await?;
    if let Some(mcpwire::types::ResourceContents::Text(t)) = constants.contents.first() {
        println!("calc://constants:\n  {}", t.text.replace('\n', "\n  "));
    }

    let prompt = client
        .get_prompt("explain", [("operation", "divide")])
        .await?;
    if let Some(m) = prompt.messages.first() {
        println!("prompt explain: {}", m.content.as_text().unwrap_or(""));
    }

    let completion = client
        .complete(CompleteRequestParams::new(
            CompletionReference::Prompt(PromptReference::new("explain")),
            "operation",
            "d",
        ))
        .await?;
    println!("completions of \"d\": {:?}", completion.values);

    client.close();
    Ok(())
}
