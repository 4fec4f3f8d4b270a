//! Static resources and every template form.

use mcpwire::prelude::*;
use mcpwire::server::SafePath;
use mcpwire::types::{BlobResourceContents, ResourceContents};
use serde::Serialize;

#[derive(Serialize)]
struct User {
    id: u32,
}

/// Static text.
#[mcpwire::resource(
    "docs://readme",
    name = "readme",
    title = "Read me",
    description = "The README.",
    mime_type = "text/markdown",
    audience = "user,assistant",
    priority = 0.5,
    icon = "https://example.com/i.png",
    meta = serde_json::json!({"k": "v"})
)]
async fn readme() -> &'static str {
    "# Hello"
}

/// Static binary, synchronously.
#[mcpwire::resource("docs://logo", mime_type = "image/png")]
fn logo() -> Vec<u8> {
    vec![1, 2, 3]
}

/// Serialized as JSON.
#[mcpwire::resource("users://{id}")]
async fn user(id: u32) -> User {
    User { id }
}

/// Reserved expansion, with a guarded path.
#[mcpwire::resource("file:///{+path}")]
async fn file(path: SafePath) -> Result<String, mcpwire::Error> {
    Ok(path.under("/srv").display().to_string())
}

/// Path segment expansion.
#[mcpwire::resource("repo://files{/name}")]
async fn segment(name: String) -> Result<String, std::io::Error> {
    Ok(name)
}

/// Query expansion: optional variables.
#[mcpwire::resource("search://items{?q,limit}")]
async fn search(q: Option<String>, #[arg(description = "At most.")] limit: Option<u32>) -> String {
    format!("{q:?} {limit:?}")
}

/// Renamed variable (a parameter cannot have the function's name).
#[mcpwire::resource("tags://{tag}")]
fn tag(#[arg(name = "tag")] name: String) -> String {
    name
}

/// Explicit contents.
#[mcpwire::resource("blob://{id}")]
fn blob(id: u64) -> ReadResourceResult {
    ReadResourceResult::new([ResourceContents::Blob(BlobResourceContents::new(
        format!("blob://{id}"),
        "AQID",
    ))])
}

/// JSON wrapper.
#[mcpwire::resource("json://{n}")]
fn json(n: i32) -> Json<Vec<i32>> {
    Json(vec![n])
}

async fn list_users(_ctx: RequestContext) -> Result<Vec<Resource>, mcpwire::Error> {
    Ok(vec![Resource::new("users://1", "user 1")])
}

fn complete_ids(prefix: &str) -> Vec<String> {
    vec![format!("{prefix}1")]
}

async fn complete_kinds(prefix: String) -> Vec<&'static str> {
    ["a", "b"].into_iter().filter(|k| k.starts_with(&prefix)).collect()
}

/// Listed and completed.
#[mcpwire::resource("accounts://{kind}/{id}", list = list_users)]
async fn account(
    #[arg(complete = complete_kinds)] kind: String,
    #[arg(complete = complete_ids)] id: u32,
) -> String {
    format!("{kind} {id}")
}

fn main() {
    let _server = mcpwire::server!()
        .resource(readme)
        .resource(logo)
        .resource(user)
        .resource(file)
        .resource(segment)
        .resource(search)
        .resource(tag)
        .resource(blob)
        .resource(json)
        .resource(account);
}
