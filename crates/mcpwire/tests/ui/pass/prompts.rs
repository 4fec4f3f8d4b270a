//! Prompts: typed and optional arguments, sync and async completion functions.

use mcpwire::prelude::*;
use mcpwire::types::Completion;

fn languages(prefix: &str) -> Vec<&'static str> {
    ["rust", "ruby"].into_iter().filter(|l| l.starts_with(prefix)).collect()
}

fn sizes(prefix: &str) -> Completion {
    Completion::new(vec![format!("{prefix}0")])
}

async fn styles(prefix: String) -> Vec<String> {
    vec![format!("{prefix}terse")]
}

/// Review code.
#[mcpwire::prompt(title = "Code review", icon = "https://example.com/r.png")]
async fn review(
    /// The language.
    #[arg(complete = languages)]
    language: String,
    #[arg(complete = styles, description = "How to review.")] style: Option<String>,
    #[arg(complete = sizes, name = "line-count")] lines: Option<u32>,
    strict: bool,
    ratio: Option<f64>,
    addr: std::net::IpAddr,
) -> Vec<PromptMessage> {
    vec![PromptMessage::user(format!(
        "{language} {style:?} {lines:?} {strict} {ratio:?} {addr}"
    ))]
}

/// A fixed greeting.
#[mcpwire::prompt(name = "hello", description = "Say hello.")]
fn greeting() -> &'static str {
    "Hello!"
}

#[mcpwire::prompt]
fn one_message(topic: String) -> PromptMessage {
    PromptMessage::user(topic)
}

#[mcpwire::prompt]
fn full(topic: String) -> GetPromptResult {
    GetPromptResult::new([PromptMessage::user(topic)])
}

#[mcpwire::prompt]
async fn fallible(n: u8) -> Result<String, mcpwire::Error> {
    Ok(n.to_string())
}

#[mcpwire::prompt]
async fn fallible_string(n: u8) -> Result<Vec<PromptMessage>, String> {
    Err(n.to_string())
}

fn main() {
    let _server = mcpwire::server!()
        .prompt(review)
        .prompt(greeting)
        .prompt(one_message)
        .prompt(full)
        .prompt(fallible)
        .prompt(fallible_string);
}
