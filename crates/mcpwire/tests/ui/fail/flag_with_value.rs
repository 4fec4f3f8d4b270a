#[mcpwire::tool(read_only = "yes")]
async fn add(a: f64, b: f64) -> f64 {
    a + b
}

fn main() {
    let _server = mcpwire::server!().tool(add);
}
