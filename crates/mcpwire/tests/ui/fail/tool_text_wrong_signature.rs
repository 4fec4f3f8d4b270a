#[derive(serde::Serialize, schemars::JsonSchema)]
struct Point {
    x: i32,
    y: i32,
}

fn render(p: Point) -> String {
    format!("({}, {})", p.x, p.y)
}

#[mcpwire::tool(text = render)]
async fn origin() -> Point {
    Point { x: 0, y: 0 }
}

fn main() {
    let _server = mcpwire::server!().tool(origin);
}
