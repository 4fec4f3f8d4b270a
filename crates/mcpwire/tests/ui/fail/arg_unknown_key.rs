#[mcpwire::tool]
async fn add(#[arg(descr = "The first addend.")] a: f64, b: f64) -> f64 {
    a + b
}

fn main() {
    let _server = mcpwire::server!().tool(add);
}
