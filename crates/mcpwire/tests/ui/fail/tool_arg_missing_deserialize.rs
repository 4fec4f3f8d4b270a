#[derive(schemars::JsonSchema)]
struct Point {
    x: i32,
    y: i32,
}

#[mcpwire::tool]
async fn norm(p: Point) -> i32 {
    p.x.abs() + p.y.abs()
}

fn main() {
    let _server = mcpwire::server!().tool(norm);
}
