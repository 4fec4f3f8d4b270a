//! Every kind of tool return value.

use mcpwire::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize, JsonSchema)]
struct Point {
    x: i32,
    y: i32,
}

fn render(p: &Point) -> String {
    format!("({}, {})", p.x, p.y)
}

fn count(list: &[Point]) -> String {
    format!("{} points", list.len())
}

#[mcpwire::tool]
fn string() -> String {
    "s".into()
}

#[mcpwire::tool]
fn static_str() -> &'static str {
    "s"
}

#[mcpwire::tool]
fn integer() -> i64 {
    1
}

#[mcpwire::tool]
fn float() -> f32 {
    1.5
}

#[mcpwire::tool]
fn boolean() -> bool {
    true
}

#[mcpwire::tool]
fn point() -> Point {
    Point { x: 1, y: 2 }
}

#[mcpwire::tool]
fn points() -> Vec<Point> {
    vec![Point { x: 1, y: 2 }]
}

#[mcpwire::tool]
fn optional() -> Option<Point> {
    None
}

#[mcpwire::tool]
async fn string_error(fail: bool) -> Result<Point, String> {
    if fail { Err("failed".into()) } else { Ok(Point { x: 0, y: 0 }) }
}

#[mcpwire::tool]
async fn boxed_error() -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    Ok("fine".into())
}

#[mcpwire::tool]
async fn io_error() -> Result<u32, std::io::Error> {
    Ok(1)
}

#[mcpwire::tool]
async fn mcp_error() -> Result<Vec<u32>, mcpwire::Error> {
    Err(mcpwire::Error::invalid_params("no"))
}

#[mcpwire::tool]
async fn call_tool_result() -> CallToolResult {
    CallToolResult::text("done")
}

#[mcpwire::tool]
async fn call_tool_result_or_error() -> Result<CallToolResult, mcpwire::Error> {
    Ok(CallToolResult::error("failed"))
}

#[mcpwire::tool]
async fn content() -> Vec<ContentBlock> {
    vec![ContentBlock::text("a"), ContentBlock::image("iVBORw0KGgo=", "image/png")]
}

#[mcpwire::tool]
async fn one_block() -> ContentBlock {
    ContentBlock::text("a")
}

#[mcpwire::tool]
async fn unit() {}

#[mcpwire::tool]
async fn unit_or_error() -> Result<(), String> {
    Ok(())
}

#[mcpwire::tool]
async fn json() -> Json<Point> {
    Json(Point { x: 1, y: 2 })
}

#[mcpwire::tool]
async fn json_with_text() -> JsonWithText<Point> {
    JsonWithText(Point { x: 1, y: 2 }, "(1, 2)".into())
}

#[mcpwire::tool(text = render)]
async fn rendered() -> Point {
    Point { x: 1, y: 2 }
}

/// A `text` function taking what the result derefs to.
#[mcpwire::tool(text = count)]
async fn rendered_slice() -> Vec<Point> {
    Vec::new()
}

#[mcpwire::tool(text = render)]
async fn rendered_or_error() -> Result<Point, String> {
    Ok(Point { x: 1, y: 2 })
}

fn main() {
    let _server = mcpwire::server!()
        .tool(string)
        .tool(static_str)
        .tool(integer)
        .tool(float)
        .tool(boolean)
        .tool(point)
        .tool(points)
        .tool(optional)
        .tool(string_error)
        .tool(boxed_error)
        .tool(io_error)
        .tool(mcp_error)
        .tool(call_tool_result)
        .tool(call_tool_result_or_error)
        .tool(content)
        .tool(one_block)
        .tool(unit)
        .tool(unit_or_error)
        .tool(json)
        .tool(json_with_text)
        .tool(rendered)
        .tool(rendered_slice)
        .tool(rendered_or_error);
}
