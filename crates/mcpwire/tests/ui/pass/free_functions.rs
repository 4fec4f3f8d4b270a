//! Free functions, async and sync, with every kind of argument option.

use schemars::JsonSchema;
use serde::Deserialize;

/// Add two numbers.
#[mcpwire::tool(read_only, idempotent, destructive = false, open_world = false)]
async fn add(
    /// The first addend.
    a: f64,
    /** The second addend. */
    b: f64,
) -> f64 {
    a + b
}

/// Repeat a word, synchronously.
#[mcpwire::tool(name = "repeat-word", title = "Repeat", icon = "https://example.com/r.png")]
fn repeat(
    word: String,
    #[arg(default = 2, description = "How many times.")] times: u32,
    #[arg(name = "sep")] separator: Option<String>,
    r#type: Option<String>,
) -> String {
    let _ = r#type;
    vec![word; times as usize].join(separator.as_deref().unwrap_or(" "))
}

/// Search options, flattened into the arguments.
#[derive(Deserialize, JsonSchema)]
struct Query {
    /// What to look for.
    text: String,
    /// At most this many results.
    limit: Option<u32>,
}

/// Search with flattened options and one more argument.
#[mcpwire::tool(lenient, meta = serde_json::json!({"x": 1}))]
async fn search(#[arg(flatten)] query: Query, page: Option<u32>) -> String {
    format!("{} {:?} {:?}", query.text, query.limit, page)
}

/// Arguments of every JSON shape.
#[mcpwire::tool(description = "Takes many shapes.")]
fn shapes(
    list: Vec<i64>,
    map: std::collections::BTreeMap<String, bool>,
    nested: Option<Vec<Option<String>>>,
    #[arg(default = vec![1, 2])] defaults: Vec<u8>,
    value: serde_json::Value,
) -> usize {
    list.len() + map.len() + nested.map_or(0, |n| n.len()) + defaults.len() + value.as_array().map_or(0, Vec::len)
}

/// No arguments, nothing returned.
#[mcpwire::tool]
fn nothing() {}

fn main() {
    let _server = mcpwire::server!()
        .tool(add)
        .tool(repeat)
        .tool(search)
        .tool(shapes)
        .tool(nothing);
    // The functions stay callable.
    let _ = add(1.0, 2.0);
    let _: String = repeat("a".into(), 2, None, None);
    nothing();
}
