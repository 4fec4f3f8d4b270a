#[mcpwire::tool]
async fn sum((a, b): (i64, i64)) -> i64 {
    a + b
}

fn main() {
    let _server = mcpwire::server!().tool(sum);
}
